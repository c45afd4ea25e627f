"""Persistent memory records: small, fast classes stored by the thousand in BTrees.

``ContextFractal``  episodic: text, embedding (float32 bytes, never a pickled array), source, time.
``ConceptFractal``  abstraction: definition, links to the contexts it abstracts, a hypervector
                    slot the VSA area fills in (bytes + dtype + shape).
``MemoryBank``      the BTrees (IOBTree keyed by the integer id, which is also the vector id)
                    and the id counter; owned by the ``MemoryManager`` prototype.
"""

from __future__ import annotations

import time

import numpy as np
from BTrees.IOBTree import IOBTree
from BTrees.Length import Length
from persistent import Persistent
from persistent.list import PersistentList


class ContextFractal(Persistent):
    def __init__(self, id: int, text: str, embedding: np.ndarray, source=None, created=None):
        self.id = int(id)
        self.text = str(text)
        self.embedding = np.asarray(embedding, dtype="<f4").tobytes()
        self.source = source
        self.created = time.time() if created is None else float(created)

    @property
    def vector(self) -> np.ndarray:
        return np.frombuffer(self.embedding, dtype="<f4")

    def __repr__(self) -> str:
        return f"<ContextFractal {self.id}: {self.text[:40]!r}>"


class ConceptFractal(Persistent):
    def __init__(self, id: int, definition: str, contexts=(), created=None):
        self.id = int(id)
        self.definition = str(definition)
        self.contexts = PersistentList(int(c) for c in contexts)
        self.hypervector: bytes | None = None
        self.hv_dtype: str | None = None
        self.hv_shape: tuple | None = None
        self.created = time.time() if created is None else float(created)

    def __repr__(self) -> str:
        return f"<ConceptFractal {self.id}: {self.definition[:40]!r}>"


class MemoryBank(Persistent):
    """The record BTrees, the id counter (ids are never reused) and the number of records
    (``size``, a conflict-resolving ``Length``: ``len(contexts)`` would load every bucket of
    the BTree, a second or more at a million records, at every status request)."""

    size = None      # banks made before the counter: ``memory.genesis`` adds it at awakening

    def __init__(self):
        self.contexts = IOBTree()
        self.concepts = IOBTree()
        self.next_id = 1
        self.size = Length(0)

    def records(self) -> int:
        """How many context records the bank holds."""
        return self.size() if self.size is not None else len(self.contexts)

    def counted(self, change: int) -> None:
        """Records were added (``change`` > 0) or removed: keep ``size`` in step."""
        if self.size is not None and change:
            self.size.change(change)

    def allocate(self, n: int = 1) -> range:
        first = self.next_id
        self.next_id = first + n
        return range(first, first + n)


class BankSource:
    """``VectorSource`` over a bank's contexts, for ``TxVectorIndex``: every record's vector,
    or those of some ids.

    ``locate(conn)`` finds the bank through a connection; ``min_id`` (a callable) skips the
    ids that already live in the L2 archive. Subclasses choose what a record gives
    (:meth:`item`).
    """

    def __init__(self, locate, min_id=lambda: 0):
        self.locate, self.min_id = locate, min_id

    @staticmethod
    def item(rec):
        return rec.vector

    def enumerate(self, conn):
        bank = self.locate(conn)
        if bank is None:
            return
        for i, rec in bank.contexts.items(self.min_id() + 1):
            yield i, self.item(rec)

    def lookup(self, conn, ids):
        bank = self.locate(conn)
        out = {}
        if bank is None:
            return out
        for i in ids:
            rec = bank.contexts.get(int(i))
            if rec is not None:
                out[int(i)] = self.item(rec)
        return out


def source_key(source) -> str | None:
    """The lexical index's key of a record's source: a string as is, a persistent object as
    ``oid:<hex>`` (once it has an oid), anything else by its type name."""
    if source is None or isinstance(source, str):
        return source
    oid = getattr(source, "_p_oid", None)
    if oid is not None:
        return "oid:" + bytes(oid).hex()
    return type(source).__name__


class BankTextSource(BankSource):
    """The text counterpart of ``BankSource``, for ``TxTextIndex``: every record's
    (id, text, source key), or those of some ids."""

    def __init__(self, locate):
        super().__init__(locate)

    @staticmethod
    def item(rec):
        return rec.text, source_key(rec.source)

    def enumerate(self, conn):
        for i, (text, key) in super().enumerate(conn):
            yield i, text, key
