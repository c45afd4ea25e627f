"""The command line behind ``master_forge.py`` (runs inside the venv).

Each ``telos/cli/commands/<name>.py`` defines ``register(subparsers)`` and is discovered here;
the handler it sets with ``set_defaults(func=...)`` gets the parsed args and returns an exit
status. Logging is configured here (entry point), never in library modules.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import sys

from telos import logsetup
from telos.errors import DiskFullError, TelosError, is_disk_full

log = logging.getLogger("telos.cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="master_forge.py",
        description="TelOS — a prototype-based living image on an object database.",
        epilog="Every command honours TELOS_HOME (default ./var) and TELOS_ZEO (host:port or "
               "socket path of a ZEO server to attach to). `python3 master_forge.py test [pytest "
               "args]` runs the test suite.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    from telos.cli import commands
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"telos.cli.commands.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        from telos import config
        config.make_private(config.telos_home())   # umask 077, home 0700: before any file
        logsetup.configure(getattr(args, "log_name", None) or "cli")
    except TelosError as exc:     # a bad setting: one sentence, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        return int(args.func(args) or 0)
    except TelosError as exc:
        log.debug("command failed", exc_info=True)
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `ask ... | head`: the reader left; nothing to say to it
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())    # so that the interpreter's final flush is quiet
        return 141
    except OSError as exc:   # the boundary: a full disk anywhere below is one sentence, not a traceback
        if not is_disk_full(exc):
            raise
        log.debug("command failed", exc_info=True)
        print(f"error: {DiskFullError(exc.filename or 'a file')}", file=sys.stderr)
        return 1
