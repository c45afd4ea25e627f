"""telos.cli.commands: what the small commands print and return (run in-process, no service), and
for every command its --help and its argument errors (thin wrappers: one table, not a file each)."""

from __future__ import annotations

import json

import pytest

from telos.bridge import keys
from telos.cli import build_parser


def run(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


# --- keys --------------------------------------------------------------------------------------

def _allowed(home) -> set:
    return {(e.name, e.role) for e in keys.entries(home)}


def test_keys_new_list_and_revoke(telos_home, capsys):
    assert run(["keys", "new", "laptop", "--role", "ro"]) == 0
    out = capsys.readouterr().out
    assert "laptop.key_secret" in out and "added as ro" in out
    assert _allowed(telos_home) == {("client", "rw"), ("laptop", "ro")}   # the home's own + the new
    assert run(["keys"]) == 0                                   # list is the default action
    listing = capsys.readouterr().out
    assert "server public key:" in listing and "ro  laptop" in listing
    assert run(["keys", "revoke", "laptop"]) == 0
    assert "removed" in capsys.readouterr().out
    assert _allowed(telos_home) == {("client", "rw")}
    run(["keys", "list"])
    assert "laptop" not in capsys.readouterr().out


def test_keys_new_without_allow_leaves_the_allow_list_alone(telos_home, capsys):
    assert run(["keys", "new", "spare", "--no-allow"]) == 0
    assert "not added" in capsys.readouterr().out
    assert (keys.keys_dir(telos_home) / "spare.key_secret").exists()
    assert "spare" not in {name for name, _ in _allowed(telos_home)}


def test_keys_refuses_an_unknown_role():
    with pytest.raises(SystemExit):
        build_parser().parse_args(["keys", "new", "x", "--role", "admin"])


# --- status ------------------------------------------------------------------------------------

def _status(healthy: bool) -> dict:
    return {"home": "/h", "supervisord": healthy, "conf": "/h/supervisord.conf",
            "programs": [{"name": "service", "state": "RUNNING", "description": "pid 7"}] if healthy else [],
            "bridge": "ipc:///h/run/bridge.sock",
            "service": ({"bridge_ok": True, "bridge_ping_ms": 3,
                         "health": {"ok": True, "state": "serving", "in_flight": 1, "uptime": 61.0,
                                    "model": "phi3:3.8b",
                                    "connection": "postgresql://postgres@db:5432/telos"}} if healthy
                        else {"bridge_ok": False, "bridge_error": "no socket"})}


def test_status_exits_0_when_the_service_answers(monkeypatch, capsys):
    monkeypatch.setattr("telos.service.control.status", lambda home: _status(True))
    assert run(["status"]) == 0
    out = capsys.readouterr().out
    assert "supervisord running" in out and "service    RUNNING" in out
    assert "answers (3 ms)" in out and "state serving, 1 in flight, up 61 s" in out
    assert "model       phi3:3.8b" in out and "master_forge.py start" not in out
    assert "storage     postgresql://postgres@db:5432/telos" in out


def test_status_exits_3_and_says_how_to_start_when_nothing_runs(monkeypatch, capsys):
    monkeypatch.setattr("telos.service.control.status", lambda home: _status(False))
    assert run(["status"]) == 3
    out = capsys.readouterr().out
    assert "no answer (no socket)" in out and "start it with: python3 master_forge.py start" in out


def test_status_json_is_the_whole_state(monkeypatch, capsys):
    monkeypatch.setattr("telos.service.control.status", lambda home: _status(False))
    assert run(["status", "--json"]) == 3
    assert json.loads(capsys.readouterr().out) == _status(False)


# --- every command: --help and argument errors (thin wrappers: one table, not a file each) ---

def _subparsers(parser):
    import argparse
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices


COMMANDS = sorted(_subparsers(build_parser()))


def test_the_command_table_is_what_the_modules_register():
    import pkgutil

    from telos.cli import commands
    modules = {m.name for m in pkgutil.iter_modules(commands.__path__)
               if not m.name.startswith("_")}
    assert set(COMMANDS) == modules


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_naming_each_option(command, capsys):
    parser = build_parser()
    with pytest.raises(SystemExit) as info:
        parser.parse_args([command, "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: master_forge.py {command}")
    sub = _subparsers(parser)[command]
    for action in sub._actions:
        for option in action.option_strings:
            assert option in out, f"{command} --help does not show {option}"
    assert sub.get_default("func") is not None, f"{command} has no handler"


def _has_subcommands(parser) -> bool:
    import argparse
    return any(isinstance(a, argparse._SubParsersAction) for a in parser._actions)


@pytest.mark.parametrize("command", [c for c in COMMANDS
                                     if _has_subcommands(_subparsers(build_parser())[c])])
def test_every_subcommand_has_help(command, capsys):
    parser = build_parser()
    subs = _subparsers(_subparsers(parser)[command])
    assert subs
    for name in subs:
        with pytest.raises(SystemExit) as info:
            parser.parse_args([command, name, "--help"])
        assert info.value.code == 0
        assert capsys.readouterr().out.startswith(f"usage: master_forge.py {command} {name}")


@pytest.mark.parametrize("argv, message", [
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["ask", "--max-tokens", "many", "hi"], "argument --max-tokens: invalid int value: 'many'"),
    (["ask", "--backend", "gpt", "hi"], "argument --backend: invalid choice: 'gpt'"),
    (["ask", "--temperature", "warm", "hi"], "invalid float value: 'warm'"),
    (["bench"], "the following arguments are required: name"),
    (["curate", "--threshold", "high"], "argument --threshold: invalid float value: 'high'"),
    (["curate", "--min-size", "1.5"], "argument --min-size: invalid int value: '1.5'"),
    (["migrate"], "the following arguments are required: --to"),
    (["pg"], "the following arguments are required: action"),
    (["pg", "launch"], "argument action: invalid choice: 'launch'"),
    (["pg", "start", "--port", "http"], "argument --port: invalid int value: 'http'"),
    (["search"], "the following arguments are required: query"),
    (["search", "-k", "lots", "cats"], "argument -k: invalid int value: 'lots'"),
    (["serve", "--workers", "four"], "argument --workers: invalid int value: 'four'"),
    (["standby", "explode"], "argument action: invalid choice: 'explode'"),
    (["standby", "watch", "--misses", "x"], "argument --misses: invalid int value: 'x'"),
    (["start", "--wait", "soon"], "argument --wait: invalid float value: 'soon'"),
    (["run", "--wait", "soon"], "argument --wait: invalid float value: 'soon'"),
    (["ui", "--view", "nowhere"], "argument --view: invalid choice: 'nowhere'"),
    (["verify", "--drill", "some"], "argument --drill: invalid choice: 'some'"),
    (["status", "--verbose"], "unrecognized arguments: --verbose"),
    (["backup", "--incremental"], "unrecognized arguments: --incremental"),
    (["keys", "new"], "the following arguments are required"),
    (["keys", "new", "x", "--role", "admin"], "invalid choice: 'admin'"),
    (["vsa", "teleport"], "invalid choice: 'teleport'"),
])
def test_argument_errors_exit_2_and_name_the_argument(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: master_forge.py") and message in err
