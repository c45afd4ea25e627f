"""The lexical index of the memories kept in step with ZODB: ``TxTextIndex`` over ``TantivyIndex``.

The same discipline as the vector L1 (``txindex``; invariants M1/M2 of ARCHITECTURE.md)::

    index = TxTextIndex(db, directory, name="lexical", source=BankTextSource(locate)).open()
    index.add(tm, ids, texts, sources)   # inside a thought: buffered, joins the transaction
    index.remove(tm, ids)
    index.search('"exact phrase" words', k, source=None)   # -> [Hit(id, -score), ...]
    index.flush()                        # Tantivy commit, then the stamp
    index.snapshot(dest_dir)             # consistent copy for backups -> {"tid": ..., "files": [...]}

* A thought that changes the index is joined by a ``TextDataManager`` (the vector data manager's
  protocol, its own fault points ``lx.*``; the extension ``telos.ix.lexical`` names the ids).
  ``tpc_vote`` only records the delta (ZODB holds the texts); ``tpc_finish`` stages it in
  Tantivy's writer (in memory, never raises). No I/O per commit: M2.
* ``flush`` (before a search that finds staged changes, in the memory area's periodic
  maintenance, at snapshot and close -- never inside a commit) commits Tantivy -- new segments, O(change) -- and only then writes
  ``stamp.json`` with the tid every change up to which the commit contains.
* On open: load ``tantivy/`` and the stamp (the tid must really be in the storage), then apply
  the storage's transactions after it carrying our extension, texts read from ZODB. Replays are
  upserts/deletes by id, so a stamp behind the index is harmless; the index never holds an
  uncommitted record, because it is only written after ZODB's commit. Missing or damaged files:
  one warning, rebuild from the image.
* One process per directory owns the files (``flock``); another keeps a follower index in RAM.
"""

from __future__ import annotations

import json
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ZODB.utils import p64, u64

from telos import atomic
from telos.errors import IndexCorruptError, MemoryStoreError, VectorIndexError
from telos.index.base import Hit
from telos.index.tantivy_index import TantivyIndex
from telos.memory.datamanager import IndexDataManager
from telos.memory.faults import fault
from telos.memory.txbase import TxIndexBase
from telos.memory.records import source_key
from telos.memory.tids import has_tid, last_committed_tid
from telos.progress import progress

log = logging.getLogger(__name__)

STAMP = "stamp.json"
FILES = "tantivy"
VOTED, EARLY = "voted", "early"


@dataclass
class TextDelta:
    token: bytes
    adds: dict[int, tuple[str, str | None]] = field(default_factory=dict)
    dels: set[int] = field(default_factory=set)


class TextDataManager(IndexDataManager):
    """The vector data manager's protocol for a ``TxTextIndex``: values are (text, source)."""

    FAULTS = {"begin": "lx.tpc_begin", "commit": "lx.commit", "vote": "lx.tpc_vote.before",
              "voted": "lx.tpc_vote.after", "finish": "lx.tpc_finish.before",
              "finished": "lx.tpc_finish.after"}

    def delta(self) -> TextDelta:   # built in tpc_vote: sources have their oids by then
        return TextDelta(self.token, {i: (t, source_key(s)) for i, (t, s) in self.adds.items()},
                         set(self.dels))


class TxTextIndex(TxIndexBase):
    """See the module docstring (the parts every memory index shares: ``TxIndexBase``)."""

    DataManager = TextDataManager

    def __init__(self, db, directory: Path, *, name: str = "lexical", source):
        super().__init__(db, directory, name=name, source=source)
        self._thoughts: dict[bytes, tuple[str, TextDelta | None]] = {}
        self._index: TantivyIndex | None = None
        self._stamped: bytes | None = None

    # -- open / reconcile --------------------------------------------------------------
    def _reconcile(self) -> None:
        if not self.owner:
            self.rebuild()
            return
        try:
            stamp = json.loads((self.directory / STAMP).read_text())
            tid = bytes.fromhex(stamp["tid"])
            if u64(tid) and not has_tid(self.db.storage, tid):
                raise IndexCorruptError(f"stamped {stamp['tid']}, a transaction the image "
                                        "does not have")
            index = TantivyIndex.load(self.directory / FILES)
        except FileNotFoundError:
            n = self.rebuild()
            if n:
                log.warning("index %s: no index in %s -- rebuilt %d records from the image",
                            self.name, self.directory, n)
            return
        except (OSError, ValueError, KeyError, TypeError, VectorIndexError, IndexCorruptError) as exc:
            log.warning("index %s: %s is damaged (%s) -- rebuilding from the image",
                        self.name, self.directory, exc)
            self.rebuild()
            return
        self._index, self._applied_tid = index, (tid if u64(tid) else None)
        self._stamped = self._applied_tid
        n = self.catch_up()
        self.flush()
        log.info("index %s: opened at %s (%d records), replayed %d thoughts",
                 self.name, tid.hex(), index.count, n)

    def rebuild(self, status=None) -> int:
        """Rebuild from ZODB at the last committed tid; returns the record count."""
        with self._lock:
            tid = last_committed_tid(self.db.storage)
            if self._index is not None:    # replaced: what it staged is rebuilt from the image
                self._index.close(flush=False)
            path = None
            if self.owner:
                (self.directory / STAMP).unlink(missing_ok=True)
                path = self.directory / FILES
            index = TantivyIndex(path)
            if tid is not None:
                conn = self.db.open(at=tid)
                try:
                    batch: list[tuple] = []
                    for row in progress(self.source.enumerate(conn), desc=f"rebuild {self.name}",
                                        status=status):
                        batch.append(row)
                        if len(batch) >= 4096:
                            index.add(*zip(*batch))
                            batch = []
                    if batch:
                        index.add(*zip(*batch))
                finally:
                    conn.close()
            self._index, self._applied_tid, self._stamped = index, tid, None
            self._thoughts = {t: th for t, th in self._thoughts.items() if th[0] == VOTED}
            self.flush(force=True)
            self.catch_up()
            return index.count

    # -- writes inside a thought -------------------------------------------------------
    def add(self, tm, ids, texts, sources=None) -> None:
        ids = [int(i) for i in ids]
        texts = [str(t) for t in texts]
        sources = list(sources) if sources is not None else [None] * len(ids)
        if not len(ids) == len(texts) == len(sources):
            raise MemoryStoreError(f"index {self.name}: {len(ids)} ids for {len(texts)} texts")
        self._dm(tm).add(ids, list(zip(texts, sources)))

    # -- the data manager's surface ----------------------------------------------------
    def vote(self, delta: TextDelta) -> None:
        with self._lock:
            self._thoughts[delta.token] = (VOTED, delta)

    def finish(self, token: bytes) -> None:
        """Stage a committed thought of ours (in memory: no I/O inside a commit). Never raises."""
        try:
            with self._lock:
                seen, delta = self._thoughts.pop(token, (None, None))
                if seen == VOTED:
                    self._apply(delta)
                    self._thoughts[token] = ("finished", None)
        except Exception:  # noqa: BLE001 -- tpc_finish must not raise; catch_up/open repair it
            log.exception("index %s: staging a committed thought failed; will catch up", self.name)

    def forget(self, token: bytes) -> None:
        with self._lock:
            if self._thoughts.get(token, (None,))[0] == VOTED:
                del self._thoughts[token]

    def _apply(self, delta: TextDelta) -> None:
        self._index.remove(delta.dels)
        if delta.adds:
            ids = list(delta.adds)
            self._index.add(ids, [delta.adds[i][0] for i in ids], [delta.adds[i][1] for i in ids])

    # -- catching up with the storage (TxIndexBase.catch_up) ---------------------------
    def _apply_committed(self, token: bytes, added: list, removed: list, logged: dict) -> None:
        seen, delta = self._thoughts.get(token, (None, None))
        if seen == "finished":
            del self._thoughts[token]
            return
        if seen == VOTED:           # committed; our tpc_finish has not run yet
            self._thoughts[token] = (EARLY, None)
        else:
            found = self.source.lookup(self._conn, added)
            delta = TextDelta(token, found, set(removed))
        self._apply(delta)

    # -- reads -------------------------------------------------------------------------
    def search(self, query: str, k: int, source=None) -> list[Hit]:
        """The ``k`` best committed records for ``query`` (``telos.index.base.TextIndex``)."""
        self.catch_up()
        key = source_key(source)
        with self._lock:
            try:
                self.flush()
                return self._index.search(query, k, source=key)
            except VectorIndexError as exc:
                log.warning("index %s: %s -- rebuilding from the image", self.name, exc)
                self.rebuild()
                return self._index.search(query, k, source=key)

    # -- durability --------------------------------------------------------------------
    def flush(self, force: bool = False) -> None:
        """Commit the staged changes in Tantivy, then stamp the tid they cover (owner only).

        It first catches up with the storage: this process's own thoughts are staged by
        ``tpc_finish`` without moving the applied tid, and a stamp left behind them would make
        the next open replay (re-read and re-index) every one of them."""
        with self._lock:
            if self._conn is not None:
                self.catch_up()
            tid = self._applied_tid
            changed = self._index.flush()
            if not self.owner or not (changed or force or tid != self._stamped):
                return
            fault("lx.flushed")
            atomic.write_text(self.directory / STAMP,
                              json.dumps({"tid": (tid or p64(0)).hex(), "count": self._index.count,
                                          "name": self.name}))
            self._stamped = tid
            fault("lx.stamped")

    def snapshot(self, dest_dir: Path) -> dict:
        """Copy the committed state's files into ``dest_dir`` (a consistent set, for backups)."""
        dest = Path(dest_dir)
        with self._lock:
            self.catch_up()
            if not self.owner:
                return {"tid": None, "files": []}
            self.flush(force=True)
            for attempt in range(5):    # a background merge may replace segments meanwhile
                shutil.rmtree(dest / FILES, ignore_errors=True)
                (dest / FILES).mkdir(parents=True)
                try:
                    files = [str(shutil.copy2(p, dest / FILES / p.name)) for p in self._index.files()]
                    copy = TantivyIndex.load(dest / FILES)
                except (FileNotFoundError, VectorIndexError):
                    continue
                same = copy.count == self._index.count
                copy.close()
                if same:
                    break
            else:
                raise MemoryStoreError(f"index {self.name}: no consistent copy of {self.directory}")
            shutil.copy2(self.directory / STAMP, dest / STAMP)
            files.append(str(dest / STAMP))
            return {"tid": (self._stamped or p64(0)).hex(), "files": files}

    def close(self) -> None:
        """Flush what is staged (a failure is logged: the next open replays it from the image),
        then release the index, the connection and the directory's lock, whatever happened."""
        with self._lock:
            try:
                if self._index is not None:
                    try:
                        self.flush()
                    except (VectorIndexError, OSError) as exc:
                        log.warning("index %s: could not flush at close (%s); the next open "
                                    "replays it from the image", self.name, exc)
                    self._index.close(flush=False)
            finally:
                self._release()
