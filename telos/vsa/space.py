"""An in-memory knowledge base of symbols and records (no image): tests, benchmarks, scratch work.

It provides the ``qtl.Space`` protocol with the same deterministic symbols as an image codebook
of the same seed, and any ``cleanup.CleanupIndex`` (exact FAISS by default).
"""

from __future__ import annotations

from typing import Callable, Mapping

import numpy as np

from telos.errors import UnknownSymbolError, VSAError
from telos.vsa import algebra, records
from telos.vsa.cleanup import CleanupIndex, FaissCleanup
from telos.vsa.qtl import RECORD, SYMBOL, Match

IndexFactory = Callable[[int], CleanupIndex]


class MemorySpace:
    def __init__(self, dimension: int = algebra.DEFAULT_DIMENSION, seed: int | str = 0, *,
                 index_factory: IndexFactory = FaissCleanup, identity_role: str = "name"):
        self.dimension, self.seed, self.identity_role = dimension, seed, identity_role
        self._symbols: dict[str, np.ndarray] = {}
        self._records: dict[str, np.ndarray] = {}
        self._names: list[str] = []           # label -> name (symbols and records share labels)
        self._kinds: list[str] = []
        self._label: dict[tuple[str, str], int] = {}
        self._index = index_factory(dimension)

    # symbols
    def symbol(self, name: str) -> np.ndarray:
        """The symbol's vector, created (deterministically from the seed) on first use."""
        vec = self._symbols.get(name)
        if vec is None:
            vec = algebra.named_symbol(self.seed, name, self.dimension)
            self._symbols[name] = vec
            self._index.add([self._new_label(name, SYMBOL)], [vec])
        return vec

    def knows(self, name: str) -> bool:
        return name in self._symbols

    def vector_of(self, name: str) -> np.ndarray:
        try:
            return self._symbols[name]
        except KeyError:
            raise UnknownSymbolError(name) from None

    # records
    def add_record(self, key: str, fields: Mapping[str, str]) -> np.ndarray:
        fields = records.check_fields(fields)
        if key in self._records:
            raise VSAError(f"record {key!r} exists")
        for role, filler in fields.items():
            self.symbol(role)
            self.symbol(filler)
        vec = records.encode(fields, self.vector_of)
        self._records[key] = vec
        self._index.add([self._new_label(key, RECORD)], [vec])
        return vec

    def record_vector(self, key: str) -> np.ndarray:
        try:
            return self._records[key]
        except KeyError:
            raise VSAError(f"unknown record {key!r}") from None

    # cleanup
    def cleanup(self, query: np.ndarray, kind: str, k: int = 1) -> list[Match]:
        """The ``k`` best entries of ``kind``; widens the search until enough of that kind appear."""
        total = len(self._index)
        want = k
        while True:
            hits = self._index.search(query, min(total, max(want, 1)))
            found = [Match(self._names[h.label], kind, h.score) for h in hits
                     if self._kinds[h.label] == kind]
            if len(found) >= k or want >= total:
                return found[:k]
            want *= 4

    def _new_label(self, name: str, kind: str) -> int:
        label = len(self._names)
        self._names.append(name)
        self._kinds.append(kind)
        self._label[(kind, name)] = label
        return label

    def __len__(self) -> int:
        return len(self._names)
