"""telos.cli: the command line — discovery of the commands, and how failures become exit codes."""

from __future__ import annotations

import pkgutil

import pytest

import telos.cli as cli
from telos.cli import commands
from telos.errors import SlotError


def _subcommands(parser) -> dict:
    action = next(a for a in parser._actions if a.dest == "command")
    return action.choices


def test_every_command_module_registers_its_command():
    names = set(_subcommands(cli.build_parser()))
    modules = {m.name for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_")}
    assert {"status", "keys", "serve", "ask", "backup"} <= names
    assert len(names) >= len(modules)
    for name, sub in _subcommands(cli.build_parser()).items():
        assert callable(sub.get_default("func")), name


def test_no_command_prints_the_help_and_exits_2(capsys):
    assert cli.main([]) == 2
    assert "usage: master_forge.py" in capsys.readouterr().out


@pytest.fixture
def no_side_effects(monkeypatch):
    """main() without touching the process umask or the root logger."""
    from telos import config, logsetup
    monkeypatch.setattr(config, "make_private", lambda home: None)
    monkeypatch.setattr(logsetup, "configure", lambda *a, **kw: None)


def _with_func(monkeypatch, func):
    real = cli.build_parser

    def build():
        parser = real()
        _subcommands(parser)["status"].set_defaults(func=func)
        return parser

    monkeypatch.setattr(cli, "build_parser", build)


@pytest.mark.parametrize("raised, code, said", [
    (SlotError("no such slot"), 1, "error: no such slot"),
    (KeyboardInterrupt(), 130, "interrupted"),
    (OSError(28, "No space left on device", "/x/telos.fs"), 1, "error: "),
])
def test_failures_become_one_line_and_an_exit_status(monkeypatch, capsys, no_side_effects,
                                                     raised, code, said):
    def func(args):
        raise raised

    _with_func(monkeypatch, func)
    assert cli.main(["status"]) == code
    err = capsys.readouterr().err
    assert err.startswith(said) and "Traceback" not in err


def test_an_os_error_other_than_a_full_disk_is_not_hidden(monkeypatch, no_side_effects):
    def func(args):
        raise PermissionError(13, "Permission denied")

    _with_func(monkeypatch, func)
    with pytest.raises(PermissionError):
        cli.main(["status"])


def test_the_handlers_status_is_the_exit_status(monkeypatch, no_side_effects):
    _with_func(monkeypatch, lambda args: 3)
    assert cli.main(["status"]) == 3
    _with_func(monkeypatch, lambda args: None)
    assert cli.main(["status"]) == 0
