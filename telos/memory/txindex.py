"""A FAISS vector index kept durable in step with ZODB: the generic transactional index.

Used for the memory L1 tier (L2 distance over sentence embeddings) and reusable for any other
(id -> vector) family in the image (e.g. the VSA cleanup index: ``metric="ip"``).

Design (invariants M1/M2 of ARCHITECTURE.md)::

    index = TxVectorIndex(db, directory, name="memory", dim=384, metric="l2", source=src)
    index.open()                       # reconcile with the storage (see below)
    index.add(tm, ids, vectors)        # inside a thought: buffered, joins the transaction
    index.remove(tm, ids)
    distances, ids = index.search(queries, k)
    index.checkpoint()                 # O(N); background / maintenance, never in a commit
    index.snapshot(dest_dir)           # consistent copy for backups -> {"tid": ..., "files": [...]}

* ZODB is the truth. ``source`` says how to read it: ``source.enumerate(conn)`` yields every
  (id, vector) visible to ``conn``; ``source.lookup(conn, ids)`` returns {id: vector} for the
  ids that exist.
* Every thought that changes the index gets a random *token*, stored in the ZODB transaction's
  extension under ``telos.ix.<name>`` together with the added and removed ids. The data manager
  (``sortKey`` after ZODB's) appends the vectors to the delta log in ``tpc_vote`` (a cache:
  not fsync'd per commit, see ``deltalog``) and
  applies them in memory in ``tpc_finish`` (nothing there can fail: no I/O).
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

import fcntl
import logging
import os
import threading
from pathlib import Path
from typing import Iterable, Iterator, Protocol

import numpy as np
import transaction
from ZODB.utils import p64, u64

from telos.errors import IndexCorruptError, MemoryStoreError
from telos.memory import checkpoint
from telos.memory.deltalog import Delta, DeltaLog, read_log
from telos.memory.faults import fault

log = logging.getLogger(__name__)

LOG_NAME = "delta.log"


class VectorSource(Protocol):
    def enumerate(self, conn) -> Iterable[tuple[int, np.ndarray]]: ...
    def lookup(self, conn, ids: list[int]) -> dict[int, np.ndarray]: ...


def committed_tids_from(storage, start: bytes | None, stop: bytes | None = None) -> Iterator:
    it = storage.iterator(start, stop)
    try:
        yield from it
    finally:
        close = getattr(it, "close", None)
        if close:
            close()


def last_committed_tid(storage) -> bytes | None:
    """The tid of the last transaction really present (not trusting ``lastTransaction``)."""
    last = storage.lastTransaction()
    if last is None or u64(last) == 0:
        return None
    for txn in committed_tids_from(storage, last):
        if txn.tid == last:
            return last
        break
    found = None
    for txn in committed_tids_from(storage, None):
        found = txn.tid
    return found


class _DataManager:
    """Joins a thought that changes the index (see the module docstring for the protocol)."""

    def __init__(self, index: "TxVectorIndex", txn):
        self.index = index
        self.transaction_manager = None
        self.token = os.urandom(16)
        self.adds: dict[int, np.ndarray] = {}
        self.dels: set[int] = set()
        self.ext = {"t": self.token.hex(), "a": [], "d": []}
        txn.extension[index.ext_key] = self.ext
        self._state = "joined"
        self._txn = txn

    def sortKey(self) -> str:
        return f"~~telos-index:{self.index.name}:{id(self)}"

    def add(self, ids, vecs) -> None:
        for i, v in zip(ids, vecs):
            self.dels.discard(i)
            self.adds[i] = v
        self.ext["a"] = sorted(self.adds)
        self.ext["d"] = sorted(self.dels)

    def remove(self, ids) -> None:
        for i in ids:
            self.adds.pop(i, None)
            self.dels.add(i)
        self.ext["a"] = sorted(self.adds)
        self.ext["d"] = sorted(self.dels)

    def delta(self) -> Delta:
        ids = np.fromiter(self.adds, dtype=np.int64, count=len(self.adds))
        vecs = (np.stack([self.adds[i] for i in ids]).astype(np.float32)
                if len(ids) else np.zeros((0, self.index.dim), np.float32))
        return Delta(self.token, ids, vecs, np.fromiter(self.dels, dtype=np.int64))

    # -- IDataManager ------------------------------------------------------------------
    def savepoint(self):
        adds, dels, ext = dict(self.adds), set(self.dels), (list(self.ext["a"]), list(self.ext["d"]))

        class _Savepoint:
            def rollback(sp) -> None:
                self.adds, self.dels = dict(adds), set(dels)
                self.ext["a"], self.ext["d"] = list(ext[0]), list(ext[1])
        return _Savepoint()

    def abort(self, txn) -> None:
        self._detach()

    def tpc_begin(self, txn) -> None:
        fault("dm.tpc_begin")

    def commit(self, txn) -> None:
        fault("dm.commit")

    def tpc_vote(self, txn) -> None:
        fault("dm.tpc_vote.before")
        self.index._vote(self.delta())        # may raise: the thought is then aborted
        self._state = "voted"
        fault("dm.tpc_vote.after_fsync")

    def tpc_finish(self, txn) -> None:
        fault("dm.tpc_finish.before")
        self._state = "finished"
        self.index._finish_own(self.token)    # in memory only; never raises
        self._detach()
        fault("dm.tpc_finish.after")

    def tpc_abort(self, txn) -> None:
        if self._state != "finished":        # idempotent; after finish there is nothing to undo
            self.index._forget(self.token)
        self._detach()

    def _detach(self) -> None:
        if self.index._dms.get(id(self._txn)) is self:
            del self.index._dms[id(self._txn)]


class TxVectorIndex:
    """See the module docstring."""

    def __init__(self, db, directory: Path, *, name: str, dim: int, metric: str = "l2",
                 source: VectorSource, checkpoint_bytes: int = 64 << 20):
        if metric not in ("l2", "ip"):
            raise MemoryStoreError(f"index {name}: metric {metric!r} is not 'l2' or 'ip'")
        self.db, self.name, self.dim, self.metric, self.source = db, name, dim, metric, source
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.ext_key = f"telos.ix.{name}"
        self.checkpoint_bytes = checkpoint_bytes
        self._lock = threading.RLock()
        self._dms: dict[int, _DataManager] = {}
        self._inflight: dict[bytes, Delta] = {}
        self._own_applied: set[bytes] = set()   # applied by our tpc_finish, not yet iterated
        self._early: set[bytes] = set()         # applied by catch_up before our tpc_finish
        self._done: set[bytes] = set()          # applied since the last checkpoint
        self._logged: dict[bytes, Delta] = {}
        self._ids: set[int] = set()
        self._applied_tid: bytes | None = None
        self._tm = transaction.TransactionManager()
        self._conn = None
        self._log: DeltaLog | None = None
        self._lockfd = -1
        self._ckpt_thread: threading.Thread | None = None
        self.owner = False

    # -- open / reconcile --------------------------------------------------------------
    def open(self) -> "TxVectorIndex":
        self._lockfd = os.open(self.directory / "owner.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._lockfd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self.owner = True
        except OSError:
            log.info("index %s: %s is owned by another process; following in memory only",
                     self.name, self.directory)
        self._conn = self.db.open(transaction_manager=self._tm)
        with self._lock:
            self._reconcile()
        return self

    def _reconcile(self) -> None:
        storage = self.db.storage
        try:
            index, meta = checkpoint.load(self.directory, self.dim, self.metric)
            if index is not None:
                tid = bytes.fromhex(meta["tid"])
                if u64(tid) and not any(t.tid == tid for t in _first(committed_tids_from(storage, tid))):
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
        self._ids = set(int(i) for i in faiss_ids(index))
        self._applied_tid = bytes.fromhex(meta["tid"]) if u64(bytes.fromhex(meta["tid"])) else None
        self._logged, _ = read_log(self.directory / LOG_NAME)
        if self.owner:
            self._log = DeltaLog(self.directory / LOG_NAME)
        n = self.catch_up()
        self._logged.clear()
        log.info("index %s: opened checkpoint %s (%d vectors), replayed %d thoughts",
                 self.name, meta["tid"], len(self._ids), n)

    def rebuild(self, status=None) -> int:
        """Rebuild from ZODB at the last committed tid; returns the vector count."""
        from telos.progress import progress
        with self._lock:
            storage = self.db.storage
            tid = last_committed_tid(storage)
            index = self._new_index()
            ids: list[int] = []
            vecs: list[np.ndarray] = []
            if tid is not None:
                conn = self.db.open(at=tid)
                try:
                    batch_i, batch_v = [], []
                    for i, v in progress(self.source.enumerate(conn), desc=f"rebuild {self.name}",
                                         status=status):
                        batch_i.append(i)
                        batch_v.append(np.asarray(v, np.float32))
                        if len(batch_i) >= 4096:
                            index.add_with_ids(np.stack(batch_v), np.asarray(batch_i, np.int64))
                            ids += batch_i
                            batch_i, batch_v = [], []
                    if batch_i:
                        index.add_with_ids(np.stack(batch_v), np.asarray(batch_i, np.int64))
                        ids += batch_i
                finally:
                    conn.close()
            self._index, self._ids, self._applied_tid = index, set(ids), tid
            self._own_applied.clear(); self._early.clear(); self._done.clear()
            if self.owner:
                if self._log:
                    self._log.close()
                (self.directory / LOG_NAME).unlink(missing_ok=True)
                self._log = DeltaLog(self.directory / LOG_NAME)
                self._write_checkpoint(faiss_serialize(index), tid, len(ids), included=set())
            self.catch_up()
            return len(self._ids)

    def _new_index(self):
        import faiss
        flat = faiss.IndexFlatL2(self.dim) if self.metric == "l2" else faiss.IndexFlatIP(self.dim)
        return faiss.IndexIDMap2(flat)

    # -- writes inside a thought -------------------------------------------------------
    def _dm(self, tm) -> _DataManager:
        txn = tm.get()
        dm = self._dms.get(id(txn))
        if dm is None or dm._txn is not txn:
            dm = _DataManager(self, txn)
            txn.join(dm)
            self._dms[id(txn)] = dm
        return dm

    def add(self, tm, ids, vectors) -> None:
        vectors = np.asarray(vectors, np.float32).reshape(-1, self.dim)
        ids = [int(i) for i in ids]
        if len(ids) != len(vectors):
            raise MemoryStoreError(f"index {self.name}: {len(ids)} ids for {len(vectors)} vectors")
        self._dm(tm).add(ids, vectors)

    def remove(self, tm, ids) -> None:
        self._dm(tm).remove([int(i) for i in ids])

    # -- called by the data manager ----------------------------------------------------
    def _vote(self, delta: Delta) -> None:
        with self._lock:
            if self._log is not None:
                try:
                    self._log.append(delta)
                except OSError as exc:
                    raise MemoryStoreError(f"index {self.name}: delta log write failed: {exc}") from exc
            self._inflight[delta.token] = delta

    def _finish_own(self, token: bytes) -> None:
        try:
            with self._lock:
                delta = self._inflight.pop(token, None)
                if token in self._early:
                    self._early.discard(token)
                elif delta is not None:
                    self._apply(delta)
                    self._own_applied.add(token)
                    self._done.add(token)
        except Exception:  # noqa: BLE001 -- tpc_finish must not raise; catch_up repairs it
            log.exception("index %s: applying a committed thought failed; will catch up", self.name)
        self._maybe_checkpoint()

    def _forget(self, token: bytes) -> None:
        with self._lock:
            self._inflight.pop(token, None)

    def _apply(self, delta: Delta) -> None:
        index = self._index
        drop = [int(i) for i in delta.del_ids if int(i) in self._ids]
        drop += [int(i) for i in delta.add_ids if int(i) in self._ids]
        if drop:
            index.remove_ids(np.asarray(drop, np.int64))
            self._ids.difference_update(drop)
        if len(delta.add_ids):
            index.add_with_ids(np.ascontiguousarray(delta.add_vecs, np.float32),
                               np.ascontiguousarray(delta.add_ids, np.int64))
            self._ids.update(int(i) for i in delta.add_ids)

    # -- catching up with the storage --------------------------------------------------
    def catch_up(self) -> int:
        """Apply every committed thought after the last applied tid; returns how many."""
        with self._lock:
            storage = self.db.storage
            last = storage.lastTransaction()
            if last is None or u64(last) == 0 or last == self._applied_tid:
                return 0
            start = p64(u64(self._applied_tid) + 1) if self._applied_tid else None
            self._tm.begin()   # our connection now sees at least `last`
            n = 0
            for txn in committed_tids_from(storage, start, last):
                ext = txn.extension.get(self.ext_key) if txn.extension else None
                if ext:
                    self._apply_committed(ext)
                    n += 1
                self._applied_tid = txn.tid
            self._tm.abort()
            return n

    def _apply_committed(self, ext: dict) -> None:
        token = bytes.fromhex(ext["t"])
        if token in self._own_applied:
            self._own_applied.discard(token)
            return
        delta = self._inflight.pop(token, None)
        if delta is not None:
            self._early.add(token)
        else:
            delta = self._logged.get(token)
            if delta is None or sorted(delta.add_ids.tolist()) != list(ext["a"]) \
                    or sorted(delta.del_ids.tolist()) != list(ext["d"]):
                found = self.source.lookup(self._conn, list(ext["a"]))
                ids = np.asarray(sorted(found), np.int64)
                vecs = (np.stack([found[i] for i in ids.tolist()]).astype(np.float32)
                        if len(ids) else np.zeros((0, self.dim), np.float32))
                delta = Delta(token, ids, vecs, np.asarray(ext["d"], np.int64))
        self._apply(delta)
        self._done.add(token)

    # -- reads -------------------------------------------------------------------------
    def search(self, queries, k: int) -> tuple[np.ndarray, np.ndarray]:
        q = np.ascontiguousarray(np.asarray(queries, np.float32).reshape(-1, self.dim))
        self.catch_up()
        with self._lock:
            have = min(k, self._index.ntotal)
            if have == 0:
                return _pad(np.zeros((len(q), 0), np.float32), np.zeros((len(q), 0), np.int64), k)
            d, i = self._index.search(q, have)
        return (d, i) if have == k else _pad(d, i, k)

    def __len__(self) -> int:
        return len(self._ids)

    def ids(self) -> set[int]:
        with self._lock:
            return set(self._ids)

    def evict(self, ids) -> int:
        """Drop ids from memory (they live elsewhere now, e.g. in the L2 archive)."""
        with self._lock:
            drop = [int(i) for i in ids if int(i) in self._ids]
            if drop:
                self._index.remove_ids(np.asarray(drop, np.int64))
                self._ids.difference_update(drop)
            return len(drop)

    # -- checkpoints and snapshots -----------------------------------------------------
    def _maybe_checkpoint(self) -> None:
        if not self.owner or self._log is None or self._log.size() < self.checkpoint_bytes:
            return
        if self._ckpt_thread is not None and self._ckpt_thread.is_alive():
            return
        self._ckpt_thread = threading.Thread(target=self._checkpoint_quietly,
                                             name=f"checkpoint-{self.name}", daemon=True)
        self._ckpt_thread.start()

    def _checkpoint_quietly(self) -> None:
        try:
            self.checkpoint()
        except (OSError, MemoryStoreError):
            log.exception("index %s: background checkpoint failed (the log keeps growing)", self.name)

    def checkpoint(self) -> dict | None:
        """Write a checkpoint of the current state and shorten the log. O(N); not in commits."""
        if not self.owner:
            return None
        with self._lock:
            self.catch_up()
            blob, tid, count = faiss_serialize(self._index), self._applied_tid, len(self._ids)
            included = set(self._done)
        fault("ckpt.serialized")
        return self._write_checkpoint(blob, tid, count, included)

    def _write_checkpoint(self, blob, tid, count, included) -> dict:
        meta = checkpoint.save(self.directory, blob, {
            "tid": (tid or p64(0)).hex(), "count": count, "dim": self.dim,
            "metric": self.metric, "name": self.name})
        with self._lock:   # keep only log records the checkpoint does not contain
            records, _ = read_log(self.directory / LOG_NAME)
            keep = [d for t, d in records.items() if t not in included]
            tmp = self.directory / (LOG_NAME + ".new")
            checkpoint.write_atomic(tmp, b"".join(d.encode() for d in keep))
            if self._log:
                self._log.close()
            os.replace(tmp, self.directory / LOG_NAME)
            checkpoint.fsync_dir(self.directory)
            self._log = DeltaLog(self.directory / LOG_NAME)
            self._done -= included
        fault("ckpt.log_rotated")
        return meta

    def snapshot(self, dest_dir: Path) -> dict:
        """Write a consistent checkpoint of the committed state into ``dest_dir``."""
        dest = Path(dest_dir)
        dest.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self.catch_up()
            blob, tid, count = faiss_serialize(self._index), self._applied_tid, len(self._ids)
        meta = checkpoint.save(dest, blob, {"tid": (tid or p64(0)).hex(), "count": count,
                                            "dim": self.dim, "metric": self.metric, "name": self.name})
        return {"tid": meta["tid"], "files": [str(dest / meta["file"]), str(dest / checkpoint.META)]}

    def close(self) -> None:
        if self._ckpt_thread is not None:
            self._ckpt_thread.join()
        with self._lock:
            if self._log is not None:
                self._log.close()
                self._log = None
            if self._conn is not None:
                self._tm.abort()
                self._conn.close()
                self._conn = None
            if self._lockfd >= 0:
                os.close(self._lockfd)
                self._lockfd = -1


def _first(it):
    for x in it:
        return [x]
    return []


def _pad(d, i, k):
    n, have = d.shape
    D = np.full((n, k), np.inf, np.float32)
    I = np.full((n, k), -1, np.int64)
    D[:, :have], I[:, :have] = d, i
    return D, I


def faiss_serialize(index) -> np.ndarray:
    import faiss
    return faiss.serialize_index(index)


def faiss_ids(index) -> np.ndarray:
    import faiss
    return faiss.vector_to_array(index.id_map)
