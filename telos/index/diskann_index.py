"""DiskANN on-disk index (``diskannpy.StaticDiskIndex``): built once, then read-only.

A built directory holds the DiskANN files, ``ids.npy`` (position -> id) and ``diskann.json``
(dim, metric, count). ``build_files`` is the expensive part and talks on the C-level stdout, so
the memory archive runs it in a child process (``telos.memory.l2build``) with its output in a
log; ``DiskannIndex.build`` does the same in-process (tests, small indexes). Only ``metric="l2"``
(squared Euclidean distances, as DiskANN reports them). DiskANN needs a few dozen points to
build (``MIN_POINTS``); fewer -> ``VectorIndexError``.

diskannpy 0.7 hangs loading with ``num_threads=1`` and prints from its destructor: searches use
``SEARCH_THREADS`` threads and ``close()`` releases the index with the C stdout redirected.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import sys
import threading
from pathlib import Path

import numpy as np

from telos import atomic
from telos.index.base import Hit, VectorIndex, VectorIndexError, as_queries, hits_from_arrays

META = "diskann.json"
IDS = "ids.npy"
MIN_POINTS = 32
SEARCH_THREADS = 2
# Build and search defaults, chosen by ``bench memory -- --tune 100000`` (README, "Memory at
# size"): graph degree R, build list size L, PQ bytes per vector (the in-RAM compressed vectors
# that steer the search; DiskANN's PQ training costs time per byte), search list size, beam width.
# Was PQ 384 (one chunk a dimension: DiskANN trains one k-means per chunk, most of the build
# time), beam 2. At 100k: PQ 192, L_s 64, beam 4 -> recall@10 0.991 at 0.20 x exact p50
# (PQ 128 needs L_s 150 for 0.99: 0.34 x exact). On real text (100,000 embedded docstring
# paragraphs, ``bench memory -- --tune 100000 --real``) L_s 64 gives 0.987 at 0.16 x exact and
# L_s 100 0.992 at 0.21 x: the default is 100.
GRAPH_DEGREE = 32
BUILD_COMPLEXITY = 64
PQ_BYTES = 192
COMPLEXITY = 100
BEAM_WIDTH = 4
CACHE_NODES = 0          # nodes around the entry point held in RAM (no disk read for them)
# The search list must grow with the archive. On the clustered synthetic vectors at 900,000
# archived points (``bench memory -- --startup 1000000``, one core): L_s 64 -> recall@10 0.771
# in 2.2 ms; 150 -> 0.902 in 4.9 ms; 300 -> 0.953 in 6.9 ms; 400 (beam 8) -> 0.971 in 12 ms,
# against 170 ms for an exact scan. Past L_s ~600 recall stays under 0.99 with this graph
# (R 32, L_build 64): it needs a denser graph, not a longer search.
LARGE_ARCHIVE, LARGE_COMPLEXITY = 200_000, 300


def complexity_for(count: int) -> int:
    """The search list size for an archive of ``count`` points (see above)."""
    return LARGE_COMPLEXITY if count > LARGE_ARCHIVE else COMPLEXITY


_fd_lock = threading.Lock()


@contextlib.contextmanager
def quiet_c_stdout(logfile: Path):
    """Send fds 1 and 2 to ``logfile`` while DiskANN's C++ code talks."""
    with _fd_lock:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        fd = os.open(logfile, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            yield
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for f in (*saved, fd):
                os.close(f)


def build_files(directory: Path, vectors: np.ndarray, metric: str = "l2", threads: int = 1, *,
                graph_degree: int = GRAPH_DEGREE, complexity: int = BUILD_COMPLEXITY,
                pq_bytes: int = PQ_BYTES) -> None:
    """Build the DiskANN files for ``vectors`` (row n = position n) and ``diskann.json``.

    ``pq_bytes`` per vector sets DiskANN's search RAM budget (it derives the PQ chunk count as
    budget / n, at most ``dim``); the full vectors stay on disk (``pq_disk_bytes=0``) for the
    final re-ranking. The build RAM budget covers the whole data, so DiskANN never shards
    (sharding builds every point twice)."""
    import diskannpy
    directory = Path(directory)
    n, dim = vectors.shape
    if n < MIN_POINTS:
        raise VectorIndexError(f"DiskANN needs at least {MIN_POINTS} points, got {n}")
    diskannpy.build_disk_index(
        data=np.ascontiguousarray(vectors, np.float32), distance_metric=metric,
        index_directory=str(directory), complexity=int(complexity), graph_degree=int(graph_degree),
        search_memory_maximum=search_budget_gb(n, min(int(pq_bytes), dim)),
        build_memory_maximum=max(1.0, 3.0 * n * dim * 4 / 2**30), num_threads=threads,
        pq_disk_bytes=0)
    # diskannpy's copies of the input (n * dim * 4 bytes each): a search never reads them
    for leftover in ("ann_vectors.bin", "ann_mem.index.data"):
        (directory / leftover).unlink(missing_ok=True)
    atomic.write_text(directory / META, json.dumps({"dim": int(dim), "metric": metric, "count": int(n)}))


def search_budget_gb(n: int, pq_bytes: int) -> float:
    """The ``search_memory_maximum`` (GB) under which DiskANN picks ``pq_bytes`` PQ chunks:
    it takes floor(budget_bytes / n), so ask for a little more than pq_bytes * n. diskannpy
    passes the budget as text with 6 decimals: round up to a micro-GB, so tiny indexes get
    (at most ``dim``) more chunks rather than none."""
    return max(1, math.ceil((pq_bytes + 0.5) * n / 2**30 * 1e6)) / 1e6


class DiskannIndex(VectorIndex):
    mutable = False
    metrics = ("l2",)

    def __init__(self, dim: int, metric: str = "l2", *, path: Path | None = None,
                 ids: np.ndarray | None = None, raw=None):
        super().__init__(dim, metric)
        self.path = path
        self._ids = np.zeros(0, np.int64) if ids is None else np.asarray(ids, np.int64)
        self._sorted = np.sort(self._ids)
        self._raw = raw

    # -- making one ----------------------------------------------------------------------
    @classmethod
    def build(cls, directory: Path, ids, vectors, metric: str = "l2", *, threads: int = 2,
              **params) -> "DiskannIndex":
        """Build in this process (DiskANN's chatter goes to ``directory/build.log``)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        ids = np.asarray([int(i) for i in ids], np.int64)
        vecs = np.asarray(vectors, np.float32).reshape(len(ids), -1)
        if len(np.unique(ids)) != len(ids):
            raise VectorIndexError("DiskANN build: repeated ids")
        if len(ids) == 0:
            index = cls(vecs.shape[1], metric, path=directory)
            index.save(directory)
            return index
        np.save(directory / IDS, ids)
        with quiet_c_stdout(directory / "build.log"):
            build_files(directory, vecs, metric, threads, **params)
        return cls.load(directory)

    @classmethod
    def load(cls, path: Path, *, dim: int | None = None, metric: str | None = None,
             cache_nodes: int | None = None) -> "DiskannIndex":
        """Open a built directory (``dim``/``metric`` for archives older than ``diskann.json``);
        ``cache_nodes`` (default ``CACHE_NODES``, at most the count) stay in RAM."""
        import diskannpy
        path = Path(path)
        try:
            meta = json.loads((path / META).read_text())
        except FileNotFoundError:
            if dim is None:
                raise VectorIndexError(f"{path}: no {META}; pass dim and metric") from None
            meta = {"dim": dim, "metric": metric or "l2"}
        except (OSError, ValueError) as exc:
            raise VectorIndexError(f"{path}: unreadable {META} ({exc})") from exc
        if meta.get("count") == 0:
            return cls(meta["dim"], meta["metric"], path=path)
        ids = np.load(path / IDS)
        cached = min(CACHE_NODES if cache_nodes is None else int(cache_nodes), len(ids))
        with quiet_c_stdout(path / "build.log"):
            # cache_mechanism 1 runs DiskANN's sample queries (about a tenth of the points) to
            # choose the cached nodes — even when none are cached: 1.4 s at 20k points, 6 s at
            # 100k, linear. With no cache asked for, 0 skips it.
            raw = diskannpy.StaticDiskIndex(
                str(path), num_threads=SEARCH_THREADS, num_nodes_to_cache=cached,
                cache_mechanism=1 if cached else 0,
                distance_metric=meta["metric"], vector_dtype=np.float32, dimensions=meta["dim"])
        return cls(meta["dim"], meta["metric"], path=path, ids=ids, raw=raw)

    def save(self, path: Path) -> None:
        """Copy the built files to ``path`` (a directory); an empty index writes only its meta."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        if self.path is not None and self.count and path.resolve() != self.path.resolve():
            for f in self.path.iterdir():
                if f.is_file() and f.name != "build.log":
                    shutil.copy2(f, path / f.name)
        if not self.count:
            atomic.write_text(path / META, json.dumps({"dim": self.dim, "metric": self.metric, "count": 0}))
        atomic.fsync_dir(path)

    # -- reading -------------------------------------------------------------------------
    @property
    def count(self) -> int:
        return len(self._ids)

    def ids(self) -> np.ndarray:
        return self._sorted.copy()

    def __contains__(self, id: int) -> bool:
        pos = np.searchsorted(self._sorted, int(id))
        return bool(pos < len(self._sorted) and self._sorted[pos] == int(id))

    def positions(self) -> np.ndarray:
        """position -> id, as built (``ids.npy``)."""
        return self._ids

    def search(self, queries, k: int, complexity: int = COMPLEXITY,
               beam_width: int = BEAM_WIDTH) -> list[list[Hit]]:
        q = as_queries(queries, self.dim)
        kk = min(int(k), self.count)
        if kk <= 0:
            return [[] for _ in range(len(q))]
        D = np.full((len(q), kk), np.inf, np.float32)
        I = np.full((len(q), kk), -1, np.int64)
        for row, vec in enumerate(q):
            res = self._raw.search(vec, kk, max(complexity, kk), beam_width)
            D[row] = res.distances
            I[row] = self._ids[np.asarray(res.identifiers, np.int64)]
        return hits_from_arrays(D, I, self.metric)

    def add(self, ids, vectors) -> None:
        self._writable()

    def remove(self, ids) -> int:
        self._writable()
        return 0

    def close(self) -> None:
        """Release the DiskANN object (its destructor prints: into ``build.log``)."""
        raw, self._raw = self._raw, None
        if raw is not None and self.path is not None:
            with quiet_c_stdout(self.path / "build.log"):
                del raw
