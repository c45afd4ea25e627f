"""``image.vsa``: the VSA area as one object on an image session.

::

    vsa = image.vsa
    with image.thought("facts"):
        vsa.record("france", {"name": "France", "capital": "Paris", "currency": "Euro"})
    vsa.ask("currency of the country whose capital is Paris").value   # 'Euro'
    paris = vsa.symbol("Paris")                  # a Hypervector (created in a thought if new)
    vsa.cleanup(paris.bind(vsa.symbol("capital")).unbind(vsa.symbol("capital")))

The cleanup index is a ``telos.memory.txindex.TxVectorIndex`` (inner product over the real
mapping of the hypervectors, 2·D floats each) shared by the process in ``image.store.shared``; it
follows the image transactionally: what a thought adds becomes searchable when it commits, and
an aborted thought leaves no trace.  ZODB is the truth: ``rebuild_index()`` recreates it.
"""

from __future__ import annotations

import logging
from typing import Mapping

import numpy as np

from telos.errors import ImageError, UnknownSymbolError, VSAError
from telos.vsa import algebra
from telos.vsa.codebook import KINDS, Codebook, CodebookSource
from telos.vsa.hypervector import Hypervector
from telos.vsa.qtl import Answer, Match, QueryTranslationLayer

log = logging.getLogger(__name__)

SHARED_KEY = "vsa.cleanup"


def cleanup_index(image):
    """The process-wide transactional cleanup index of this image's store (opened once)."""
    store = image.store
    with store.lock:
        index = store.shared.get(SHARED_KEY)
        if index is None:
            from telos.memory.txindex import TxVectorIndex
            dim = image.prototypes["Codebook"].dimension
            index = TxVectorIndex(store.db, store.home / "index" / "vsa-cleanup", name="vsa-cleanup",
                                  dim=2 * dim, metric="ip", source=CodebookSource())
            index.open()
            store.shared[SHARED_KEY] = index
        return index


class VSA:
    identity_role = "name"

    def __init__(self, image):
        self.image = image
        try:
            cb = image.prototypes.get("Codebook")
        except ImageError:
            cb = None
        if not isinstance(cb, Codebook):
            raise VSAError("this image has no Codebook prototype (open it with awaken=True)")
        self.codebook: Codebook = cb
        self._qtl = QueryTranslationLayer(self)

    # -- properties --------------------------------------------------------------------
    @property
    def dimension(self) -> int:
        return self.codebook.dimension

    @property
    def seed(self):
        return self.codebook.seed

    @property
    def index(self):
        return cleanup_index(self.image)

    @property
    def qtl(self) -> QueryTranslationLayer:
        return self._qtl

    # -- building ----------------------------------------------------------------------
    def hypervector(self, array) -> Hypervector:
        hv = Hypervector(array)
        if hv.dimension != self.dimension:
            algebra.check_same_dimension(hv.array, np.empty(self.dimension, algebra.DTYPE))
        return hv

    def symbol(self, name: str, *, create: bool = True) -> Hypervector:
        """The symbol's hypervector; a new symbol is written in the current thought."""
        hv, label = self.codebook.symbol(name, create=create)
        if label is not None:
            self._index_labels([label])
        return hv

    def record(self, key: str, fields: Mapping[str, str]) -> Hypervector:
        """Store a structured record (bundle of role ⊗ filler) under ``key``; returns its vector."""
        hv, labels = self.codebook.record(key, fields)
        self._index_labels(labels)
        return hv

    def concept(self, key: str, hv: Hypervector) -> int:
        """Enter a concept's hypervector into the cleanup memory (kind ``concept``)."""
        label = self.codebook.concept(key, hv)
        self._index_labels([label])
        return label

    def remove(self, kind: str, key: str) -> bool:
        label = self.codebook.remove(kind, key)
        if label is not None:
            self.index.remove(self.image.transaction_manager, [label])
        return label is not None

    def _index_labels(self, labels) -> None:
        entries = self.codebook.entries
        vecs = [algebra.to_real(entries[l][2].array) for l in labels]
        if labels:
            self.index.add(self.image.transaction_manager, labels, np.stack(vecs))

    # -- the Space protocol (for the QueryTranslationLayer) ----------------------------
    def knows(self, name: str) -> bool:
        return self.codebook.knows(name)

    def vector_of(self, name: str) -> np.ndarray:
        hv = self.codebook.symbols.get(name)
        if hv is None:
            raise UnknownSymbolError(name)
        return hv.array

    def record_vector(self, key: str) -> np.ndarray:
        hv = self.codebook.records.get(key)
        if hv is None:
            raise VSAError(f"unknown record {key!r}")
        return hv.array

    def cleanup(self, query, kind: str | None = None, k: int = 1) -> list[Match]:
        """The ``k`` entries most similar to ``query`` (optionally only of ``kind``)."""
        if kind is not None and kind not in KINDS:
            raise VSAError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
        arr = Hypervector.of(query)
        algebra.check_same_dimension(arr, np.empty(self.dimension, algebra.DTYPE))
        real = algebra.to_real(arr)
        index, entries = self.index, self.codebook.entries
        want, total = max(k, 1), len(index)
        while True:
            found = []
            for hit in index.search(real, want)[0]:
                entry = entries.get(hit.id)
                if entry is None or (kind is not None and entry[0] != kind):
                    continue
                found.append(Match(entry[1], entry[0], -hit.distance))   # ip: score = -distance
            if len(found) >= k or want >= total:
                return found[:k]
            want *= 4

    # -- queries -----------------------------------------------------------------------
    def ask(self, query) -> Answer:
        """Answer a compositional query (text or ``telos.vsa.qtl`` tree)."""
        return self._qtl.ask(query)

    # -- maintenance -------------------------------------------------------------------
    def rebuild_index(self, status=None) -> int:
        return self.index.rebuild(status=status)

    def check_index(self) -> dict:
        """Compare the index's labels with the codebook's committed entries."""
        self.index.catch_up()
        have = self.index.ids()
        want = set(int(l) for l in self.codebook.entries.keys())
        return {"consistent": have == want, "entries": len(want), "indexed": len(have),
                "missing": sorted(want - have)[:20], "extra": sorted(have - want)[:20]}

    def stats(self) -> dict:
        cb = self.codebook
        return {"dimension": cb.dimension, "seed": cb.seed, "symbols": len(cb.symbols),
                "records": len(cb.records), "entries": len(cb.entries)}

    def curate(self, **kwargs):
        """Run mnemonic curation (see ``telos.vsa.curation.curate``)."""
        from telos.vsa.curation import curate
        return curate(self.image, **kwargs)
