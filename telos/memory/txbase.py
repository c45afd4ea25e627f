"""What every transactional index of the memory shares (``TxVectorIndex``, ``TxTextIndex``).

One process owns an index directory (an ``flock`` on ``owner.lock``; another process follows in
memory only), keeps a private ZODB connection to read the records a replay needs, joins one data
manager per thought that changes it (``DataManager``, see :mod:`telos.memory.datamanager`), and
catches up with the storage by tid: every committed transaction after the last applied one that
carries this index's extension (``telos.ix.<name>``) is applied by the subclass's
``_apply_committed``. The subclass opens its own files (``_reconcile``) and says what a delta is.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from pathlib import Path

import transaction
from ZODB.utils import p64, u64

from telos.memory.datamanager import IndexDataManager, read_extension
from telos.memory.tids import committed_tids_from

log = logging.getLogger(__name__)


class TxIndexBase:
    DataManager: type = IndexDataManager

    def __init__(self, db, directory: Path, *, name: str, source) -> None:
        self.db, self.name, self.source = db, name, source
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.ext_key = f"telos.ix.{name}"
        self._lock = threading.RLock()
        self._joined: dict[int, IndexDataManager] = {}   # id(transaction) -> its data manager
        self._thoughts: dict = {}                        # token -> what we know of it
        self._applied_tid: bytes | None = None
        self._tm = transaction.TransactionManager()
        self._conn = None
        self._lockfd = -1
        self.owner = False

    # -- open / close ------------------------------------------------------------------
    def open(self):
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
        raise NotImplementedError

    def _release(self) -> None:
        """Give back the connection and the directory's lock (under ``self._lock``)."""
        if self._conn is not None:
            self._tm.abort()
            self._conn.close()
            self._conn = None
        if self._lockfd >= 0:
            os.close(self._lockfd)
            self._lockfd = -1

    # -- writes inside a thought -------------------------------------------------------
    def _dm(self, tm):
        txn = tm.get()
        dm = self._joined.get(id(txn))
        if dm is None or dm.transaction is not txn:
            dm = self.DataManager(self, txn)
            self._joined[id(txn)] = dm
        return dm

    def remove(self, tm, ids) -> None:
        self._dm(tm).remove([int(i) for i in ids])

    def detach(self, dm) -> None:
        if self._joined.get(id(dm.transaction)) is dm:
            del self._joined[id(dm.transaction)]

    # -- catching up with the storage --------------------------------------------------
    def catch_up(self, logged: dict | None = None) -> int:
        """Apply every committed thought after the last applied tid; returns how many.
        ``logged``: records the subclass read at open (e.g. vectors from the delta log)."""
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
                    self._apply_committed(*read_extension(ext), logged or {})
                    n += 1
                self._applied_tid = txn.tid
            self._tm.abort()
            return n

    def _apply_committed(self, token: bytes, added: list, removed: list, logged: dict) -> None:
        raise NotImplementedError

    # -- reads -------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._index.count

    @property
    def count(self) -> int:
        return self._index.count

    def ids(self) -> set[int]:
        with self._lock:
            return set(self._index.ids().tolist())
