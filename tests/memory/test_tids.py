"""telos/memory/tids.py on a real FileStorage in tmp_path: committed transactions read back, a
tid checked for presence, and the last tid really present."""

from __future__ import annotations

import transaction
import ZODB
from persistent.mapping import PersistentMapping
from ZODB.FileStorage import FileStorage
from ZODB.utils import p64, u64

from telos.memory.tids import committed_tids_from, has_tid, last_committed_tid


def _storage_with(tmp_path, n):
    storage = FileStorage(str(tmp_path / "Data.fs"))
    db = ZODB.DB(storage)
    tm = transaction.TransactionManager()
    conn = db.open(tm)
    tids = []
    for i in range(n):
        conn.root()[f"k{i}"] = PersistentMapping(i=i)
        tm.commit()
        tids.append(storage.lastTransaction())
    conn.close()
    return db, storage, tids


def test_committed_tids_from_a_start_to_a_stop(tmp_path):
    db, storage, tids = _storage_with(tmp_path, 4)
    try:
        every = [t.tid for t in committed_tids_from(storage, None)]
        assert every[-4:] == tids and every == sorted(every)
        assert [t.tid for t in committed_tids_from(storage, tids[1])] == tids[1:]
        assert [t.tid for t in committed_tids_from(storage, tids[1], tids[2])] == tids[1:3]
    finally:
        db.close()


def test_the_iterator_is_closed_when_the_reader_stops_early(tmp_path):
    closed = []

    class Iterator:
        def __init__(self):
            self.items = iter(range(5))

        def __iter__(self):
            return self.items

        def close(self):
            closed.append(True)

    class Storage:
        def iterator(self, start, stop):
            return Iterator()

    gen = committed_tids_from(Storage(), None)
    assert next(gen) == 0
    gen.close()
    assert closed == [True]


def test_has_tid(tmp_path):
    db, storage, tids = _storage_with(tmp_path, 2)
    try:
        assert has_tid(storage, tids[0]) and has_tid(storage, tids[1])
        assert not has_tid(storage, p64(u64(tids[0]) + 1))     # between two commits
        assert not has_tid(storage, p64(u64(tids[1]) + 1))     # after the last one
    finally:
        db.close()


def test_last_committed_tid_of_a_storage(tmp_path):
    db, storage, tids = _storage_with(tmp_path, 3)
    try:
        assert last_committed_tid(storage) == tids[-1]
    finally:
        db.close()


def test_last_committed_tid_when_lastTransaction_names_a_dropped_one(tmp_path):
    db, storage, tids = _storage_with(tmp_path, 3)
    try:
        class Torn:
            """A storage whose lastTransaction names a tid it no longer holds."""
            def lastTransaction(self):
                return p64(u64(tids[-1]) + 5)

            def iterator(self, start, stop):
                return storage.iterator(start, stop)
        assert last_committed_tid(Torn()) == tids[-1]
    finally:
        db.close()


def test_an_empty_storage_has_no_last_tid(tmp_path):
    storage = FileStorage(str(tmp_path / "Empty.fs"))
    try:
        assert last_committed_tid(storage) is None
    finally:
        storage.close()
