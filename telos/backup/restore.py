"""Restore: the newest set (at or before a time) that passes the drill, falling back to older
ones and saying why each newer one was refused. The live image is never overwritten: the old
file is moved aside first."""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from telos import atomic
from telos.backup.catalog import chain_problems, load_sets
from telos.backup.drill import DrillResult, drill
from telos.backup.keys import BackupKeys
from telos.backup.layout import SetRef, work_dir
from telos.errors import RestoreError
from telos.progress import StatusCallback

log = logging.getLogger(__name__)


@dataclass
class RestoreResult:
    set: SetRef
    image: Path
    moved_aside: list[Path] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    memory_dir: Path | None = None
    memory_reason: str = ""
    drill: DrillResult | None = None

    def lines(self) -> list[str]:
        out = [f"refused {ident}: {why}" for ident, why in self.refused]
        out.append(f"restored {self.set.describe()} (tid {self.set.manifest['tid']}, "
                   f"{self.set.when().isoformat()}) to {self.image}")
        out += [f"previous file moved aside to {p}" for p in self.moved_aside]
        out.append(f"memory indexes: {'restored' if self.memory_dir else 'rebuild'} "
                   f"({self.memory_reason})")
        return out


def candidates(sets: list[SetRef], at: dt.datetime | None) -> list[SetRef]:
    good = [s for s in sets if s.error is None]
    if at is not None:
        if at.tzinfo is None:
            at = at.astimezone()
        good = [s for s in good if s.when() <= at]
    return list(reversed(good))


def _is_locked(image: Path) -> bool:
    import zc.lockfile
    lock = image.with_name(image.name + ".lock")
    if not image.exists():
        return False
    try:
        lf = zc.lockfile.LockFile(str(lock))
    except zc.lockfile.LockError:
        return True
    lf.close()
    return False


def _install(restored_dir: Path, image: Path, stamp: str) -> tuple[list[Path], Path | None]:
    """Move the old image (and its companions) aside, then move the restored files in."""
    image.parent.mkdir(parents=True, exist_ok=True)
    moved = []
    suffix = f".before-restore-{stamp}"
    for name in (image.name, image.name + ".index", image.name + ".tmp", "memory-snapshot"):
        old = image.with_name(name)
        if old.exists():
            aside = old.with_name(old.name + suffix)
            os.replace(old, aside)
            moved.append(aside)
    src = restored_dir / "telos.fs"
    shutil.move(str(src), image)
    if (restored_dir / "telos.fs.index").exists():
        shutil.move(str(restored_dir / "telos.fs.index"), image.with_name(image.name + ".index"))
    mem = None
    if (restored_dir / "memory").exists():
        mem = image.with_name("memory-snapshot")
        shutil.move(str(restored_dir / "memory"), mem)
    # the moves may have been copies (work space on another file system): make all of it durable
    for path in (image, image.with_name(image.name + ".index"), mem):
        if path is not None and path.exists():
            atomic.fsync_tree(path)
    atomic.fsync_dir(image.parent)
    return moved, mem


def restore(dest: Path, keys: BackupKeys, image: Path, *, at: dt.datetime | None = None,
            status: StatusCallback | None = None) -> RestoreResult:
    """Restore into ``image`` (a FileStorage path). Raises RestoreError when no set restores."""
    if _is_locked(image):
        raise RestoreError(
            f"{image} is in use (locked by a running service, ZEO or shell): stop it first, "
            f"or restore elsewhere with --to DIR")
    sets = load_sets(dest, keys)
    for p in chain_problems(dest, sets, keys):
        log.warning("backup destination %s: %s", dest, p)
    refused: list[tuple[str, str]] = [(s.ident, s.error) for s in sets if s.error]
    cands = candidates(sets, at)
    work = work_dir(dest, "restore")
    try:
        for s in cands:
            res = drill(sets, s, keys, work / s.stamp, status)
            if not res.ok:
                refused.append((s.describe(), res.error))
                log.warning("not restoring %s: %s; trying an older set", s.describe(), res.error)
                continue
            moved, mem = _install(work / s.stamp / "restored", image, s.stamp)
            out = RestoreResult(s, image, moved, refused, mem, res.memory_reason, res)
            for line in out.lines():
                log.info("%s", line)
            return out
    finally:
        shutil.rmtree(work, ignore_errors=True)
    when = f" at or before {at.isoformat()}" if at else ""
    detail = "; ".join(f"{i}: {w}" for i, w in refused) or "no backup sets found"
    raise RestoreError(f"no backup set{when} in {dest} could be restored — {detail}")
