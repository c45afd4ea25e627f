"""``restore [--at TIME] [--to DIR]``: the newest set that passes the drill, with fallback."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from telos.errors import ConfigError


def parse_time(text: str) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(f"--at {text!r}: expected an ISO time such as 2025-01-31T12:00 "
                          f"(local time unless it has an offset)") from exc
    return when if when.tzinfo else when.astimezone()


def run(args) -> int:
    from telos.backup import restore_home
    at = parse_time(args.at) if args.at else None
    result = restore_home(at=at, to=Path(args.to) if args.to else None,
                          dest=Path(args.source) if args.source else None)
    print("\n".join(result.lines()))
    return 0


def register(sub) -> None:
    p = sub.add_parser("restore", help="restore the image from the newest good backup",
                       description="Restore the newest backup set (at or before --at) that passes "
                                   "the restore drill; damaged sets are reported and skipped. The "
                                   "current image is moved aside, never overwritten; stop the "
                                   "service first, or use --to DIR.")
    p.add_argument("--at", help="point in time (ISO 8601); default: the newest")
    p.add_argument("--to", help="restore into this directory instead of TELOS_HOME")
    p.add_argument("--from", dest="source", help="backup destination (default: TELOS_BACKUPS, "
                                                 "backups/ or TELOS_HOME/backups)")
    p.set_defaults(func=run)
