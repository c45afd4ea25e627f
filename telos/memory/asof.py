"""The memory as it was at a past thought: what ``image.at(T).memory.search(q)`` answers.

A past session (``image.at(T)``) sees exactly the records that existed at T. The live indexes hold
today's records, so a past search reads them in two parts:

* records that still exist are found by the live indexes (vector tiers and lexical) and kept only
  if the past session has them -- a record remembered after T is not there, and is dropped;
* records forgotten since T are in no index any more: their ids are the ``removed`` lists that
  the L1 data manager wrote into every later thought (those that still exist now -- moved to the
  L2 archive, say -- are left to the live indexes), their text and embedding are read from the
  past session, and they are searched exactly (NumPy) and by words (a Tantivy index in RAM).

Both parts answer in the live index's units (squared L2 distance; negated BM25), merged by them;
the BM25 of forgotten records is computed among themselves, so its scale is approximate. The
search widens its depth until it has ``k`` hits or has seen every live record, so a past search
costs more than a live one when many records were remembered after T.
"""

from __future__ import annotations

import logging
from typing import Callable

import numpy as np
import transaction
from ZODB.utils import p64, u64

from telos.index.numpy_index import NumpyIndex
from telos.index.tantivy_index import TantivyIndex
from telos.memory.datamanager import read_extension
from telos.memory.hits import Hit, kept
from telos.memory.records import source_key
from telos.memory.tids import committed_tids_from

log = logging.getLogger(__name__)


def forgotten_since(storage, tid: bytes, ext_key: str) -> set[int]:
    """Ids any thought after ``tid`` removed from the index whose extension key is ``ext_key``."""
    out: set[int] = set()
    for txn in committed_tids_from(storage, p64(u64(tid) + 1)):
        ext = txn.extension.get(ext_key) if txn.extension else None
        if ext:
            out.update(int(i) for i in read_extension(ext)[2])
    return out


class PastMemory:
    """The search parts of a memory facade whose image is a past view (``image.before`` set)."""

    def __init__(self, memory) -> None:
        self.memory = memory
        self.tid = p64(u64(memory.image.before) - 1)
        self._gone: dict | None = None
        self._vectors: NumpyIndex | None = None
        self._words: TantivyIndex | None = None

    # -- the records forgotten since T -------------------------------------------------
    def gone(self) -> dict:
        """id -> past record, for the records that existed at T and exist no more."""
        if self._gone is None:
            eng = self.memory.engine
            ids = forgotten_since(eng.db.storage, self.tid, eng.l1.ext_key)
            past = self.memory.bank.contexts
            ids = {i for i in ids if i in past}
            if ids:
                tm = transaction.TransactionManager()
                conn = eng.db.open(transaction_manager=tm)
                try:
                    now = eng.locate(conn)
                    ids = {i for i in ids if now is None or i not in now.contexts}
                finally:
                    tm.abort()
                    conn.close()
            self._gone = {i: past[i] for i in sorted(ids)}
            log.debug("past memory at %s: %d records forgotten since", self.tid.hex(), len(ids))
        return self._gone

    def _gone_vectors(self) -> NumpyIndex:
        if self._vectors is None:
            eng, gone = self.memory.engine, self.gone()
            self._vectors = NumpyIndex(eng.l1.dim, eng.l1.metric)
            if gone:
                self._vectors.add(list(gone), np.stack([r.vector.astype(np.float32)
                                                        for r in gone.values()]))
        return self._vectors

    def _gone_words(self) -> TantivyIndex:
        if self._words is None:
            gone = self.gone()
            self._words = TantivyIndex()
            if gone:
                self._words.add(list(gone), [r.text for r in gone.values()],
                                [source_key(r.source) for r in gone.values()])
        return self._words

    # -- the two rankings, each a function of depth --------------------------------------
    def vectors(self, q: np.ndarray, keep) -> Callable[[int], list]:
        mem = self.memory

        def ranked(depth: int) -> list:
            gone = self.gone()
            extra = []
            if gone:
                for h in self._gone_vectors().search(q, min(depth, len(gone)))[0]:
                    rec = gone[h.id]
                    extra.append(Hit(h.id, rec.text, h.distance, "forgotten", rec, ("forgotten",)))
            return _widen(lambda n: mem.search_vectors(q, n)[0], keep, depth,
                          len(mem.engine.l1) + mem.engine.l2.count, kept(extra, keep))
        return ranked

    def words(self, query: str, key, keep) -> Callable[[int], list]:
        mem = self.memory

        def ranked(depth: int) -> list:
            gone = self.gone()
            extra = []
            if gone:
                for h in self._gone_words().search(query, depth, source=key):
                    rec = gone[h.id]
                    extra.append(Hit(h.id, rec.text, h.distance, "forgotten", rec, ("forgotten",)))
            return _widen(lambda n: mem._lexical(query, n, key), keep, depth,
                          len(mem.engine.lexical), kept(extra, keep))
        return ranked


def _widen(search, keep, depth: int, total: int, extra: list) -> list:
    """``search(n)`` filtered by ``keep``, widened until ``depth`` hits are kept or ``n`` covers
    every live record; merged with ``extra`` (the forgotten records' hits, which win over a
    live index's stale copy of them) by distance."""
    n = depth
    while True:
        hits = kept(search(n), keep)
        if len(hits) >= depth or n >= total:
            break
        n = min(max(4 * n, 64), total)
    gone = {h.id for h in extra}     # an archive built before the forget may still hold them
    merged = sorted([h for h in hits if h.id not in gone] + extra, key=lambda h: (h.distance, h.id))
    return merged[:depth]
