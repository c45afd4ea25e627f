"""A vector index kept durable in step with ZODB: the generic transactional index.

It wraps any mutable ``telos.index`` implementation that can serialize itself (``to_bytes`` /
``from_bytes``; ``kind=FaissIndex`` by default). Used for the memory L1 tier (L2 distance over
sentence embeddings) and the VSA cleanup index (``metric="ip"``). Search answers like every
``telos.index`` index: one list of ``Hit(id, distance)`` per query row (see ``telos.index.base``).

Design (invariants M1/M2 of ARCHITECTURE.md)::

    index = TxVectorIndex(db, directory, name="memory", dim=384, metric="l2", source=src)
    index.open()                       # reconcile with the storage (see below)
    index.add(tm, ids, vectors)        # inside a thought: buffered, joins the transaction
    index.remove(tm, ids)
    hits = index.search(queries, k)    # [[Hit(id, distance), ...] per query]
    index.checkpoint()                 # O(N); background / maintenance, never in a commit
    index.snapshot(dest_dir)           # consistent copy for backups -> {"tid": ..., "files": [...]}

* ZODB is the truth. ``source`` says how to read it: ``source.enumerate(conn)`` yields every
  (id, vector) visible to ``conn``; ``source.lookup(conn, ids)`` returns {id: vector} for the
  ids that exist.
* A thought that changes the index is joined by an ``IndexDataManager`` (``datamanager``: its
  phases, the transaction-extension keys). The delta goes to the log in ``tpc_vote`` (a cache:
  not fsync'd per commit, see ``deltalog``) and is applied in memory in ``tpc_finish``.
* The index remembers each thought it has seen by its token, in one map of ``Seen`` states
  (voted / finished / early / applied); ``checkpoint`` drops from the log the records of every
  applied thought it contains.
* On open: load the checkpoint (stamped with the tid it is exact for; checksum verified), check
  that tid really exists in the storage (a checkpoint ahead of ZODB is never trusted), then
  iterate the storage's transactions after it and apply those carrying our extension, taking
  vectors from the delta log by token or, if absent/damaged, from ZODB. Aborted or
  never-finished thoughts have no transaction, so their log records are ignored. Missing,
  truncated or garbage files -> warning + rebuild from ZODB.
* Other processes' commits (ZEO) are picked up the same way by ``catch_up()``, which ``search``
  calls when the storage has moved on.
* One process per directory owns the files (``flock`` on ``owner.lock``); others keep a
  follower index in memory only.

Changes are upserts/deletes by id, so replaying a transaction twice is harmless.
"""

from __future__ import annotations

import enum
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Protocol

import numpy as np
from ZODB.utils import p64, u64

from telos.errors import IndexCorruptError, MemoryStoreError
from telos.index.base import Hit, VectorIndexError
from telos.index.faiss_index import FaissIndex
from telos.memory import checkpoint
from telos.memory.deltalog import Delta, DeltaLog, intact_tail, read_log
from telos.memory.faults import fault
from telos.memory.txbase import TxIndexBase
from telos.memory.tids import has_tid, last_committed_tid
from telos.progress import progress

log = logging.getLogger(__name__)

LOG_NAME = "delta.log"
__all__ = ["TxVectorIndex", "VectorSource", "Seen"]


class VectorSource(Protocol):
    def enumerate(self, conn) -> Iterable[tuple[int, np.ndarray]]: ...
    def lookup(self, conn, ids: list[int]) -> dict[int, np.ndarray]: ...


class Seen(enum.Enum):
    """What the index knows of a thought (by token)."""
    VOTED = "voted"        # our delta is logged; the thought may still fail
    FINISHED = "finished"  # applied by our tpc_finish; catch_up has not met its transaction yet
    EARLY = "early"        # applied by catch_up before our tpc_finish ran
    APPLIED = "applied"    # applied and met in the storage; waits for the next checkpoint


@dataclass
class _Thought:
    seen: Seen
    delta: Delta | None = None     # kept while VOTED


class TxVectorIndex(TxIndexBase):
    """See the module docstring (the parts every memory index shares: ``TxIndexBase``)."""

    def __init__(self, db, directory: Path, *, name: str, dim: int, metric: str = "l2",
                 source: VectorSource, checkpoint_bytes: int = 64 << 20, kind=FaissIndex):
        if metric not in kind.metrics or not kind.mutable:
            raise MemoryStoreError(f"index {name}: {kind.__name__} cannot keep a mutable "
                                   f"{metric!r} index")
        super().__init__(db, directory, name=name, source=source)
        self.dim, self.metric, self.kind = dim, metric, kind
        self.checkpoint_bytes = checkpoint_bytes
        self._thoughts: dict[bytes, _Thought] = {}
        self._index = kind(dim, metric)
        self._log: DeltaLog | None = None
        self._ckpt_thread: threading.Thread | None = None

    # -- open / reconcile --------------------------------------------------------------
    def _reconcile(self) -> None:
        try:
            index, meta = checkpoint.load(self.directory, self.dim, self.metric, self.kind)
            if index is not None:
                tid = bytes.fromhex(meta["tid"])
                if u64(tid) and not has_tid(self.db.storage, tid):
                    raise IndexCorruptError(f"checkpoint of {self.name} is stamped {meta['tid']}, "
                                            "a transaction the image does not have")
        except IndexCorruptError as exc:
            log.warning("index %s: %s -- rebuilding from the image", self.name, exc)
            return self.rebuild()
        if index is None:
            n = self.rebuild()
            if n:
                log.warning("index %s: no checkpoint in %s -- rebuilt %d vectors from the image",
                            self.name, self.directory, n)
            return n
        self._index = index
        self._applied_tid = tid if u64(tid) else None
        logged, _ = read_log(self.directory / LOG_NAME)
        if self.owner:
            self._log = DeltaLog(self.directory / LOG_NAME)
        n = self.catch_up(logged)
        log.info("index %s: opened checkpoint %s (%d vectors), replayed %d thoughts",
                 self.name, meta["tid"], self._index.count, n)

    def rebuild(self, status=None) -> int:
        """Rebuild from ZODB at the last committed tid; returns the vector count."""
        with self._lock:
            tid = last_committed_tid(self.db.storage)
            index = self.kind(self.dim, self.metric)
            if tid is not None:
                conn = self.db.open(at=tid)
                try:
                    batch_i, batch_v = [], []
                    for i, v in progress(self.source.enumerate(conn), desc=f"rebuild {self.name}",
                                         status=status):
                        batch_i.append(i)
                        batch_v.append(np.asarray(v, np.float32))
                        if len(batch_i) >= 4096:
                            index.add(batch_i, np.stack(batch_v))
                            batch_i, batch_v = [], []
                    if batch_i:
                        index.add(batch_i, np.stack(batch_v))
                finally:
                    conn.close()
            self._index, self._applied_tid = index, tid
            self._thoughts = {t: th for t, th in self._thoughts.items() if th.seen is Seen.VOTED}
            if self.owner:
                if self._log:
                    self._log.close()
                (self.directory / LOG_NAME).unlink(missing_ok=True)
                self._log = DeltaLog(self.directory / LOG_NAME)
                self._write_checkpoint(index.to_bytes(), tid, index.count, included=set())
            self.catch_up()
            return self._index.count

    # -- writes inside a thought -------------------------------------------------------
    def add(self, tm, ids, vectors) -> None:
        vectors = np.asarray(vectors, np.float32).reshape(-1, self.dim)
        ids = [int(i) for i in ids]
        if len(ids) != len(vectors):
            raise MemoryStoreError(f"index {self.name}: {len(ids)} ids for {len(vectors)} vectors")
        self._dm(tm).add(ids, vectors)

    # -- the data manager's surface (see telos.memory.datamanager) ---------------------
    def vote(self, delta: Delta) -> None:
        """Log a thought's delta before it commits; raises ``MemoryStoreError`` if it cannot."""
        with self._lock:
            if self._log is not None:
                try:
                    self._log.append(delta)
                except OSError as exc:
                    raise MemoryStoreError(f"index {self.name}: delta log write failed: {exc}") from exc
            self._thoughts[delta.token] = _Thought(Seen.VOTED, delta)

    def finish(self, token: bytes) -> None:
        """Apply a committed thought of ours in memory and start a background checkpoint if the
        log is long. Called by ``tpc_finish``: never raises (failures are logged)."""
        try:
            with self._lock:
                thought = self._thoughts.get(token)
                if thought is None:
                    return
                if thought.seen is Seen.EARLY:
                    thought.seen = Seen.APPLIED
                elif thought.seen is Seen.VOTED:
                    self._apply(thought.delta)
                    self._thoughts[token] = _Thought(Seen.FINISHED)
        except Exception:  # noqa: BLE001 -- tpc_finish must not raise; catch_up repairs it
            log.exception("index %s: applying a committed thought failed; will catch up", self.name)
        try:
            self.maybe_checkpoint()
        except Exception:  # noqa: BLE001 -- tpc_finish must not raise; the next commit retries
            log.exception("index %s: could not start a background checkpoint", self.name)

    def forget(self, token: bytes) -> None:
        """A voted thought did not commit: drop its delta (idempotent)."""
        with self._lock:
            thought = self._thoughts.get(token)
            if thought is not None and thought.seen is Seen.VOTED:
                del self._thoughts[token]

    def _apply(self, delta: Delta) -> None:
        self._index.remove(delta.del_ids.tolist())
        if len(delta.add_ids):
            self._index.add(delta.add_ids, delta.add_vecs)

    # -- catching up with the storage (TxIndexBase.catch_up) ---------------------------
    def _apply_committed(self, token: bytes, added: list, removed: list, logged: dict) -> None:
        thought = self._thoughts.get(token)
        if thought is not None and thought.seen is Seen.FINISHED:
            thought.seen = Seen.APPLIED
            return
        if thought is not None and thought.seen is Seen.VOTED:
            self._apply(thought.delta)
            self._thoughts[token] = _Thought(Seen.EARLY)
            return
        delta = logged.get(token)
        if delta is None or sorted(delta.add_ids.tolist()) != sorted(added) \
                or sorted(delta.del_ids.tolist()) != sorted(removed):
            found = self.source.lookup(self._conn, added)
            ids = np.asarray(sorted(found), np.int64)
            vecs = (np.stack([found[i] for i in ids.tolist()]).astype(np.float32)
                    if len(ids) else np.zeros((0, self.dim), np.float32))
            delta = Delta(token, ids, vecs, np.asarray(removed, np.int64))
        self._apply(delta)
        if self.owner:     # only the owner checkpoints, and so needs to remember it
            self._thoughts[token] = _Thought(Seen.APPLIED)

    # -- reads -------------------------------------------------------------------------
    def search(self, queries, k: int) -> list[list[Hit]]:
        """The ``k`` nearest committed entries of each query row (``telos.index.base``)."""
        self.catch_up()
        with self._lock:
            try:
                return self._index.search(queries, k)
            except VectorIndexError as exc:
                raise MemoryStoreError(f"index {self.name}: {exc}") from exc

    def vector(self, id: int) -> np.ndarray:
        with self._lock:
            return self._index.vector(id)

    def evict(self, ids) -> int:
        """Drop ids from memory (they live elsewhere now, e.g. in the L2 archive)."""
        with self._lock:
            return self._index.remove(ids)

    # -- checkpoints and snapshots -----------------------------------------------------
    def maybe_checkpoint(self) -> None:
        """Start a background checkpoint when the delta log has grown past ``checkpoint_bytes``."""
        if not self.owner or self._log is None or self._log.size() < self.checkpoint_bytes:
            return
        if self._ckpt_thread is not None and self._ckpt_thread.is_alive():
            return
        thread = threading.Thread(target=self._checkpoint_quietly,
                                  name=f"checkpoint-{self.name}", daemon=True)
        thread.start()
        self._ckpt_thread = thread

    def _checkpoint_quietly(self) -> None:
        try:
            self.checkpoint()
        except (OSError, MemoryStoreError):
            log.exception("index %s: background checkpoint failed (the log keeps growing)", self.name)

    def checkpoint(self) -> dict | None:
        """Write a checkpoint of the current state and shorten the log. O(N); not in commits.
        Under the index lock only the index's arrays are copied (``serializer``) and the log's
        length is noted, and later the records appended since are moved to the new log: a
        search never waits for the serialization, the file writes or the read of the log."""
        if not self.owner:
            return None
        with self._lock:
            self.catch_up()
            serialize, tid, count = self._index.serializer(), self._applied_tid, self._index.count
            included = {t for t, th in self._thoughts.items() if th.seen is not Seen.VOTED}
            seen = self._log.size() if self._log else 0
        fault("ckpt.serialized")
        return self._write_checkpoint(serialize(), tid, count, included, seen)

    def _stamp(self, tid, count) -> dict:
        return {"tid": (tid or p64(0)).hex(), "count": count, "dim": self.dim,
                "metric": self.metric, "name": self.name}

    def _write_checkpoint(self, blob: bytes, tid, count, included: set[bytes],
                          seen: int = 0) -> dict:
        """Save the checkpoint, then cut from the log the records it contains. ``seen``: the
        log's length when the checkpoint was taken; the records before it are read outside the
        lock (the log only grows past it, under the lock), the ones after it are all kept."""
        meta = checkpoint.save(self.directory, blob, self._stamp(tid, count))
        path = self.directory / LOG_NAME
        records, _ = read_log(path, limit=seen) if seen else ({}, 0)
        head = b"".join(d.encode() for t, d in records.items() if t not in included)
        with self._lock:
            tail = intact_tail(path, seen)
            if self._log:
                self._log.close()
            # The log is a cache (see deltalog): replaced without an fsync, a rename a power
            # loss undoes only means vectors re-read from ZODB, so no disk flush under the lock.
            new = path.with_name(path.name + ".new")
            new.write_bytes(head + tail)
            os.replace(new, path)
            self._log = DeltaLog(path)
            for token in included:
                thought = self._thoughts.get(token)
                if thought is not None and thought.seen is Seen.APPLIED:
                    del self._thoughts[token]
        fault("ckpt.log_rotated")
        return meta

    def snapshot(self, dest_dir: Path) -> dict:
        """Write a consistent checkpoint of the committed state into ``dest_dir``."""
        dest = Path(dest_dir)
        dest.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self.catch_up()
            serialize, tid, count = self._index.serializer(), self._applied_tid, self._index.count
        meta = checkpoint.save(dest, serialize(), self._stamp(tid, count))
        return {"tid": meta["tid"], "files": [str(dest / meta["file"]), str(dest / checkpoint.META)]}

    def close(self) -> None:
        if self._ckpt_thread is not None:
            self._ckpt_thread.join()
        with self._lock:
            if self._log is not None:
                self._log.close()
                self._log = None
            self._release()
