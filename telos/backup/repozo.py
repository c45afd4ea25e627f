"""ZODB's own tools run as subprocesses: repozo (backup/recover/verify), fstest, fsrefs.

repozo keeps ``VERBOSE`` in a module global and exits via ``sys.exit``; running it in a child
process (the venv's Python, ``-m ZODB.scripts.repozo``) keeps both out of our process and lets
us report its stderr verbatim. Failures become :class:`RepozoFailed` naming the command.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from telos import atomic
from telos.errors import BackupError

log = logging.getLogger(__name__)

STAMP_RE = re.compile(r"^(\d{4}(?:-\d\d){5})\.(fs|deltafs)$")


class RepozoFailed(BackupError):
    """A ZODB tool exited with an error; ``output`` holds what it said."""

    def __init__(self, message: str, *, output: str = ""):
        super().__init__(message)
        self.output = output


@dataclass(frozen=True)
class DatLine:
    """One line of repozo's ``.dat``: a data file and the byte range of Data.fs it holds."""

    file: str
    start: int
    end: int
    md5: str

    def render(self, repo: Path) -> str:
        return f"{repo / self.file} {self.start} {self.end} {self.md5}\n"


def _run(args: list[str], *, what: str, timeout: float | None = None) -> str:
    cmd = [sys.executable, "-m", *args]
    log.debug("running %s", " ".join(cmd))
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env=dict(os.environ, PYTHONUNBUFFERED="1"))
    except subprocess.TimeoutExpired as exc:
        raise RepozoFailed(f"{what}: timed out after {timeout}s") from exc
    output = (proc.stdout or "") + (proc.stderr or "")
    if proc.returncode != 0:
        raise RepozoFailed(f"{what} failed (exit {proc.returncode}): {output.strip()[-2000:]}",
                           output=output)
    return output


def stamp_now() -> str:
    return "%04d-%02d-%02d-%02d-%02d-%02d" % time.gmtime()[:6]


def wait_past(stamp: str | None) -> None:
    """Sleep until repozo's one-second file stamp is later than ``stamp`` (repozo refuses two
    backups within the same second)."""
    if not stamp:
        return
    while stamp_now() <= stamp:
        time.sleep(0.05 + (1 - time.time() % 1))


def backup(source: Path, repo: Path, *, full: bool) -> str:
    """``repozo -B -Q`` of ``source`` into ``repo``; returns repozo's verbose log."""
    args = ["ZODB.scripts.repozo", "-B", "-Q", "-v", "-r", str(repo), "-f", str(source)]
    if full:
        args.append("-F")
    return _run(args, what=f"repozo backup of {source}")


def recover(repo: Path, output: Path, *, date: str | None = None, verify: bool = True) -> str:
    """``repozo -R [-w] [-D date] -o output`` (``-w`` checks sizes and md5 of every file used)."""
    args = ["ZODB.scripts.repozo", "-R", "-v", "-r", str(repo), "-o", str(output)]
    if verify:
        args.append("-w")
    if date:
        args += ["-D", date]
    return _run(args, what=f"repozo recover from {repo}")


def verify_repo(repo: Path) -> str:
    """``repozo -V``: sizes and md5 of the newest full backup and its incrementals."""
    return _run(["ZODB.scripts.repozo", "-V", "-v", "-r", str(repo)], what=f"repozo verify {repo}")


def fstest(path: Path) -> str:
    """ZODB's fstest: the file's transaction and data records are well formed."""
    return _run(["ZODB.scripts.fstest", str(path)], what=f"fstest {path.name}")


def fsrefs(path: Path) -> str:
    """ZODB's fsrefs: every current object loads and refers only to objects that exist.

    fsrefs exits 0 and *prints* its findings, so any output is a failure.
    """
    out = _run(["ZODB.scripts.fsrefs", str(path)], what=f"fsrefs {path.name}")
    if out.strip():
        raise RepozoFailed(f"fsrefs {path.name} found broken references: {out.strip()[-2000:]}",
                           output=out)
    return out


def read_dat(path: Path) -> list[DatLine]:
    lines = []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        fn, start, end, md5 = line.split()
        lines.append(DatLine(os.path.basename(fn), int(start), int(end), md5))
    return lines


def write_dat(path: Path, repo: Path, lines: list[DatLine]) -> None:
    """Write (or replace, atomically) repozo's ``.dat`` index of a chain."""
    atomic.write_text(path, "".join(line.render(repo) for line in lines))


def last_tid(path: Path, end: int | None = None) -> bytes:
    """The tid of the transaction that ends at byte ``end`` of a FileStorage (or data) file.

    FileStorage follows every transaction record with its length (8 bytes, redundant), so the
    last transaction of any repozo data file can be found from its tail.
    """
    with open(path, "rb") as fh:
        if end is None:
            end = fh.seek(0, 2)
        if end < 8 + 8:
            raise BackupError(f"{path.name}: too short to hold a transaction")
        fh.seek(end - 8)
        tl = int.from_bytes(fh.read(8), "big")
        tpos = end - 8 - tl
        if tpos < 0:
            raise BackupError(f"{path.name}: bad transaction length at its end")
        fh.seek(tpos)
        tid = fh.read(8)
        fh.seek(tpos + 8)
        tl2 = int.from_bytes(fh.read(8), "big")
        if tl2 != tl:
            raise BackupError(f"{path.name}: transaction length mismatch at its end")
        return tid
