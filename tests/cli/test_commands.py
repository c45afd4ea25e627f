"""telos.cli.commands: what the small commands print and return (run in-process, no service)."""

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
