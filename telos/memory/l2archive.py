"""The L2 tier: a DiskANN disk index over archived records, rebuilt in another process.

Layout under ``<index dir>/l2/``::

    CURRENT              {"dir": "build-<tid>-<n>", "tid": hex, "max_id": n, "count": n}
    build-<tid>-<n>/     ids.npy (position -> record id), DiskANN files, manifest.json, build.log

A build exports (id, vector) pairs from a historical view of the image at a recorded tid, runs
``python -m telos.memory.l2build`` with stdout/stderr going to ``build.log`` (DiskANN's chatter
never reaches the terminal), checks the manifest, then replaces ``CURRENT`` atomically and swaps
the in-memory reference. Searches hold a reference to the archive they started with, so the
previous archive answers until the swap and no search sees a half-written one. On open, a
damaged or missing archive is reported and dropped (``max_id`` 0): the caller then serves those
records from L1 until the next build.

Checks: a freshly built archive is verified whole (every file's sha256) before it is swapped
in; at open, files up to ``FULL_CHECK_BYTES`` are verified whole and larger ones (the DiskANN
graph file: about 2 KB a record) by size and the sha256 of their first and last MiB
(``manifest["quick"]``), so opening costs no read of the whole archive. Archives built before
the quick digests existed are verified whole.

The archive's index is a ``telos.index.DiskannIndex`` (read-only); ``search`` answers like every
``telos.index`` index (one list of ``Hit(id, distance)`` per query row). Directory swaps are
renames made durable with ``telos.atomic.fsync_dir``; ``CURRENT`` is replaced through
``telos.atomic``.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from telos import atomic
from telos.errors import IndexCorruptError, MemoryStoreError
from telos.index.base import Hit, VectorIndexError
from telos.index.diskann_index import (complexity_for, MIN_POINTS, SEARCH_THREADS, DiskannIndex,
                                       quiet_c_stdout)
from telos.memory.faults import fault
from telos.memory.l2build import MANIFEST, edges_sha256, file_sha256
from telos.memory.tids import last_committed_tid

log = logging.getLogger(__name__)

POINTER = "CURRENT"
FULL_CHECK_BYTES = 16 << 20
MIN_RECORDS = MIN_POINTS  # DiskANN needs a handful of points; smaller archives are not built

__all__ = ["L2Archive", "POINTER", "MIN_RECORDS", "SEARCH_THREADS", "quiet_c_stdout"]


@dataclass
class _Live:
    index: DiskannIndex
    ids: np.ndarray        # position -> record id
    meta: dict
    path: Path


class L2Archive:
    def __init__(self, directory: Path, dim: int, metric: str = "l2"):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.dim, self.metric = dim, metric
        self._live: _Live | None = None
        self._retired: list[_Live] = []   # destroyed quietly at close (DiskANN prints then)
        self._build_lock = threading.Lock()

    # -- reading -----------------------------------------------------------------------
    @property
    def max_id(self) -> int:
        live = self._live
        return int(live.meta["max_id"]) if live else 0

    @property
    def count(self) -> int:
        live = self._live
        return int(live.meta["count"]) if live else 0

    @property
    def meta(self) -> dict | None:
        live = self._live
        return dict(live.meta) if live else None

    def open(self) -> bool:
        """Load the current archive; False (with a warning) if there is none or it is damaged."""
        pointer = self.directory / POINTER
        if not pointer.exists():
            return False
        try:
            meta = json.loads(pointer.read_text())
            self._live = self._load(self.directory / meta["dir"], meta)
            return True
        except (IndexCorruptError, ValueError, KeyError, TypeError) as exc:
            log.warning("L2 archive in %s is unusable (%s); dropping it -- its records are "
                        "served from L1 until the next build", self.directory, exc)
            pointer.unlink(missing_ok=True)
            self._live = None
            return False

    def _load(self, path: Path, meta: dict, *, full: bool = False) -> _Live:
        try:
            manifest = json.loads((path / MANIFEST).read_text())
        except (OSError, ValueError) as exc:
            raise IndexCorruptError(f"{path}: no valid manifest ({exc})") from exc
        quick = {} if full else manifest.get("quick", {})
        for name, digest in manifest["files"].items():
            try:
                size = (path / name).stat().st_size
                if name in quick and size > FULL_CHECK_BYTES:
                    ok = [size, edges_sha256(path / name)] == quick[name]
                else:
                    ok = file_sha256(path / name) == digest
            except OSError:
                ok = False
            if not ok:
                raise IndexCorruptError(f"{path / name}: missing or damaged (checksum)")
        try:
            index = DiskannIndex.load(path, dim=self.dim, metric=self.metric)
        except (VectorIndexError, RuntimeError, ValueError, OSError) as exc:
            raise IndexCorruptError(f"{path}: DiskANN cannot load it ({exc})") from exc
        if index.count != manifest["count"] or manifest["dim"] != self.dim:
            raise IndexCorruptError(f"{path}: ids/dim do not match the manifest")
        return _Live(index, index.positions(), meta, path)

    def search(self, queries: np.ndarray, k: int, complexity: int | None = None) -> list[list[Hit]]:
        """The ``k`` nearest archived records per query row (``telos.index.base`` semantics),
        from the archive live at the call; ``complexity`` (DiskANN's search list) defaults to
        what the archive's size needs (``diskann_index.complexity_for``)."""
        live = self._live
        if live is None:
            q = np.asarray(queries, np.float32).reshape(-1, self.dim)
            return [[] for _ in range(len(q))]
        return live.index.search(queries, k, complexity or complexity_for(live.index.count))

    # -- building ----------------------------------------------------------------------
    @property
    def building(self) -> bool:
        """True while a rebuild runs (its child process builds; searches use the live archive)."""
        return self._build_lock.locked()

    def last_swap(self) -> float | None:
        """Unix time the live archive was swapped in (the pointer file's mtime), or None."""
        try:
            return (self.directory / POINTER).stat().st_mtime
        except OSError:
            return None

    def build(self, db, source, *, threads: int = 2) -> dict | None:
        """Build from the image at its last committed tid and swap it in; None if too small."""
        with self._build_lock:
            tid = last_committed_tid(db.storage)
            if tid is None:
                return None
            conn = db.open(at=tid)
            try:
                pairs = list(source.enumerate(conn))
            finally:
                conn.close()
            if len(pairs) < MIN_RECORDS:
                log.info("L2: only %d records, not building an archive yet", len(pairs))
                return None
            ids = np.asarray([i for i, _ in pairs], np.int64)
            vecs = np.stack([v for _, v in pairs]).astype(np.float32)
            del pairs
            name = f"build-{tid.hex()}-{len(ids)}-{os.getpid()}"
            path = self.directory / name
            shutil.rmtree(path, ignore_errors=True)
            path.mkdir()
            np.save(path / "vectors.npy", vecs)
            np.save(path / "ids.npy", ids)
            fault("l2.exported")
            with open(path / "build.log", "ab") as logf:
                proc = subprocess.run(
                    [sys.executable, "-m", "telos.memory.l2build", str(path), self.metric,
                     str(threads)], stdout=logf, stderr=logf, stdin=subprocess.DEVNULL,
                    env=dict(os.environ, OMP_NUM_THREADS=str(threads)))
            if proc.returncode != 0:
                raise MemoryStoreError(f"DiskANN build failed (exit {proc.returncode}); "
                                       f"see {path / 'build.log'}")
            meta = {"dir": name, "tid": tid.hex(), "max_id": int(ids.max()), "count": len(ids)}
            live = self._load(path, meta, full=True)
            atomic.fsync_dir(path)
            atomic.write_text(self.directory / POINTER, json.dumps(meta))
            fault("l2.swapped")
            old, self._live = self._live, live
            if old is not None:
                self._retired.append(old)
            self._cleanup(keep={name, old.path.name if old else name})
            log.info("L2 archive %s live: %d records up to id %d", name, len(ids), meta["max_id"])
            return meta

    def _cleanup(self, keep: set[str]) -> None:
        for p in self.directory.glob("build-*"):
            if p.name not in keep:
                shutil.rmtree(p, ignore_errors=True)

    def files(self) -> list[Path]:
        live = self._live
        if live is None:
            return []
        return [p for p in live.path.iterdir() if p.is_file()] + [self.directory / POINTER]

    def close(self) -> None:
        import gc
        logfile = self.directory / "close.log"
        with quiet_c_stdout(logfile):
            self._live = None
            self._retired.clear()
            gc.collect()
