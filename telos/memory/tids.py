"""Reading a storage's committed transactions (without trusting ``lastTransaction``)."""

from __future__ import annotations

from typing import Iterator

from ZODB.utils import u64


def committed_tids_from(storage, start: bytes | None, stop: bytes | None = None) -> Iterator:
    """The storage's transactions from ``start`` to ``stop`` (inclusive); the iterator is closed."""
    it = storage.iterator(start, stop)
    try:
        yield from it
    finally:
        close = getattr(it, "close", None)
        if close:
            close()


def has_tid(storage, tid: bytes) -> bool:
    """True if a transaction ``tid`` is really in the storage."""
    for txn in committed_tids_from(storage, tid):
        return txn.tid == tid
    return False


def last_committed_tid(storage) -> bytes | None:
    """The tid of the last transaction really present (FileStorage can name one it dropped
    while repairing a torn tail)."""
    last = storage.lastTransaction()
    if last is None or u64(last) == 0:
        return None
    if has_tid(storage, last):
        return last
    found = None
    for txn in committed_tids_from(storage, None):
        found = txn.tid
    return found
