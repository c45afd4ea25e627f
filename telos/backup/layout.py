"""Where backups live and how a destination is laid out on disk.

::

    <dest>/
      HEAD.json                       signed: seq and sha256 of the newest manifest
      ANCHOR.json                     signed: the last manifest removed by retention (if any)
      chains/<full-stamp>/            one full backup and its incrementals
        repozo/                       a plain repozo repository (unencrypted chains: .fs,
                                      .deltafs, .index, .dat — ``repozo -R -r`` works on it);
                                      encrypted chains hold ``<name>.enc`` files and no .dat
        sets/<stamp>/manifest.json    one backup set: manifest, plus
        sets/<stamp>/memory/...       the memory index snapshot (if the image has memory)
        sets/<stamp>/config.json      settings and policy at that time
      .work/                          scratch space (staging, restore drills), safe to delete
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telos import config

log = logging.getLogger(__name__)


def destination(home: Path | None = None, override: str | Path | None = None) -> Path:
    """``override``, else ``TELOS_BACKUPS``, else ``backups/`` (default home) or ``HOME/backups``."""
    if override:
        dest = Path(override)
    elif config.get("backups"):
        dest = Path(str(config.get("backups")))
    else:
        home = home or config.telos_home()
        dest = (config.REPO_ROOT / "backups") if config.is_default_home(home) else home / "backups"
    dest = dest.expanduser().resolve()
    dest.mkdir(mode=0o700, parents=True, exist_ok=True)   # backups are as private as the image
    return dest


def tid_time(tid_hex: str) -> dt.datetime:
    from persistent.TimeStamp import TimeStamp
    return dt.datetime.fromtimestamp(TimeStamp(bytes.fromhex(tid_hex)).timeTime(), dt.timezone.utc)


def stamp_time(stamp: str) -> dt.datetime:
    return dt.datetime(*map(int, stamp.split("-")), tzinfo=dt.timezone.utc)


@dataclass
class SetRef:
    """A backup set found on disk. ``manifest`` is None when it could not be read;
    ``error`` then says why."""

    path: Path
    manifest: dict[str, Any] | None = None
    sha256: str | None = None
    error: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def chain_dir(self) -> Path:
        return self.path.parent.parent

    @property
    def chain(self) -> str:
        return self.chain_dir.name

    @property
    def stamp(self) -> str:
        return self.path.name

    @property
    def seq(self) -> int:
        return int(self.manifest["seq"]) if self.manifest else -1

    @property
    def ident(self) -> str:
        return f"{self.chain}/{self.stamp}"

    def when(self) -> dt.datetime:
        if self.manifest and self.manifest.get("tid"):
            return tid_time(self.manifest["tid"])
        return stamp_time(self.stamp)

    def describe(self) -> str:
        m = self.manifest or {}
        kind = m.get("kind", "?")
        enc = " encrypted" if m.get("encrypted") else ""
        return f"#{m.get('seq', '?')} {self.ident} ({kind}{enc})"


def manifest_paths(dest: Path) -> list[Path]:
    return sorted((dest / "chains").glob("*/sets/*/manifest.json"))


def set_dirs(dest: Path) -> list[Path]:
    return sorted(p for p in (dest / "chains").glob("*/sets/*") if p.is_dir())


def work_dir(dest: Path, name: str) -> Path:
    d = dest / ".work" / f"{name}-{os.getpid()}"
    d.mkdir(parents=True, exist_ok=True)
    return d
