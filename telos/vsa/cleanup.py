"""Cleanup memory: from a noisy hypervector to the nearest clean one.

An index maps int64 labels to hypervectors and answers ``search(query, k)`` with the labels of
the most similar entries (FHRR cosine similarity) and their scores.  Three implementations share
one protocol (and one conformance test):

* ``TorchhdCleanup`` — brute force with torchhd's ``cosine_similarity`` over a complex matrix;
  the reference and the benchmark baseline.
* ``FaissCleanup`` — a ``VectorCleanup``: any ``telos.index`` index over the real mapping
  ``[Re v, Im v] / |v|`` (inner product equals the FHRR similarity); ``kind="flat"`` (exact,
  ``FaissIndex``) or ``kind="hnsw"`` (approximate, sub-linear, ``FaissHNSWIndex``).
* the image's transactional index (``telos.vsa.facade.cleanup_index``) — a
  ``telos.memory.txindex.TxVectorIndex`` over ``FaissIndex`` kept in step with ZODB; it answers
  ``telos.index`` hits, and ``VSA.cleanup`` turns them into scores the same way.

The underlying vector indexes pass the ``telos.index`` conformance suite (``tests/index``); the
suite here (``tests/vsa/test_cleanup.py``) checks the hypervector layer on top.

Labels -> names/objects are the caller's business; an index knows numbers and vectors only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Iterable, Protocol

import numpy as np

from telos.errors import DimensionMismatchError, VSAError
from telos.index import FaissHNSWIndex, FaissIndex
from telos.vsa import algebra

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Hit:
    label: int
    score: float


class CleanupIndex(Protocol):
    dimension: int

    def add(self, labels: Iterable[int], vectors: Iterable[np.ndarray]) -> None: ...
    def remove(self, labels: Iterable[int]) -> None: ...
    def search(self, query: np.ndarray, k: int = 1) -> list[Hit]: ...
    def __len__(self) -> int: ...
    def __contains__(self, label: int) -> bool: ...


def _check(dimension: int, vec: np.ndarray) -> None:
    if vec.shape != (dimension,):
        raise DimensionMismatchError(
            f"cleanup index holds {dimension}-d hypervectors, got shape {vec.shape}")


class TorchhdCleanup:
    """Brute-force cleanup with torchhd (exact; memory N x D complex64)."""

    def __init__(self, dimension: int, capacity: int = 1024):
        self.dimension = dimension
        self._matrix = np.zeros((max(capacity, 1), dimension), dtype=algebra.DTYPE)
        self._labels = np.zeros(max(capacity, 1), dtype=np.int64)
        self._row: dict[int, int] = {}
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def __contains__(self, label: int) -> bool:
        return int(label) in self._row

    def _grow(self, need: int) -> None:
        cap = self._matrix.shape[0]
        if need <= cap:
            return
        new_cap = max(need, cap * 2)
        m = np.zeros((new_cap, self.dimension), dtype=algebra.DTYPE)
        m[: self._n] = self._matrix[: self._n]
        lab = np.zeros(new_cap, dtype=np.int64)
        lab[: self._n] = self._labels[: self._n]
        self._matrix, self._labels = m, lab

    def add(self, labels, vectors) -> None:
        for label, vec in zip(labels, vectors):
            label = int(label)
            _check(self.dimension, vec)
            row = self._row.get(label)
            if row is None:
                self._grow(self._n + 1)
                row = self._n
                self._n += 1
                self._row[label] = row
                self._labels[row] = label
            self._matrix[row] = vec

    def remove(self, labels) -> None:
        for label in labels:
            row = self._row.pop(int(label), None)
            if row is None:
                continue
            last = self._n - 1
            if row != last:  # move the last row into the hole
                self._matrix[row] = self._matrix[last]
                self._labels[row] = self._labels[last]
                self._row[int(self._labels[row])] = row
            self._n -= 1

    def search(self, query: np.ndarray, k: int = 1) -> list[Hit]:
        _check(self.dimension, query)
        if self._n == 0:
            return []
        scores = algebra.similarities(query, self._matrix[: self._n])
        k = min(k, self._n)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [Hit(int(self._labels[i]), float(scores[i])) for i in top]

    def cleanup(self, query: np.ndarray) -> np.ndarray:
        """torchhd's own ``cleanup`` (the clean vector itself) — used as the bench baseline."""
        import torch
        import torchhd
        from torchhd.tensors.fhrr import FHRRTensor
        mem = torch.from_numpy(self._matrix[: self._n]).as_subclass(FHRRTensor)
        return torchhd.cleanup(algebra.to_tensor(query), mem).numpy()


class VectorCleanup:
    """A cleanup index over any ``telos.index`` vector index of the real mapping
    ``[Re v, Im v] / |v|`` (``metric="ip"``, ``2 * dimension`` floats): the inner product equals
    the FHRR similarity, so ``score = -distance`` (the index's distance convention)."""

    def __init__(self, dimension: int, index):
        if index.metric != "ip" or index.dim != 2 * dimension:
            raise VSAError(f"a cleanup index for {dimension}-d hypervectors needs an 'ip' index "
                           f"of dimension {2 * dimension}, not {index.metric!r} of {index.dim}")
        self.dimension = dimension
        self.index = index

    def __len__(self) -> int:
        return self.index.count

    def __contains__(self, label: int) -> bool:
        return int(label) in self.index

    def add(self, labels, vectors) -> None:
        labels = [int(x) for x in labels]
        vectors = list(vectors)
        for v in vectors:
            _check(self.dimension, v)
        if labels:
            self.add_real(np.asarray(labels, dtype=np.int64), algebra.to_real_batch(vectors))

    def add_real(self, labels: np.ndarray, real: np.ndarray) -> None:
        """Add rows already mapped with ``algebra.to_real`` (the bench streams them in batches)."""
        self.index.add(labels, real)

    def remove(self, labels) -> None:
        self.index.remove(labels)

    def search(self, query: np.ndarray, k: int = 1) -> list[Hit]:
        _check(self.dimension, query)
        return self.search_real(algebra.to_real(query), k)

    def search_real(self, real: np.ndarray, k: int = 1) -> list[Hit]:
        return [Hit(h.id, -h.distance) for h in self.index.search(real, k)[0]]


class FaissCleanup(VectorCleanup):
    """FAISS: ``kind="flat"`` (exact, ``telos.index.FaissIndex``) or ``kind="hnsw"``
    (approximate, sub-linear, ``telos.index.FaissHNSWIndex``; removals are tombstones)."""

    def __init__(self, dimension: int, kind: str = "flat", *, hnsw_m: int = 32,
                 ef_search: int = 64, ef_construction: int = 80):
        if kind == "flat":
            index = FaissIndex(2 * dimension, "ip")
        elif kind == "hnsw":
            index = FaissHNSWIndex(2 * dimension, "ip", m=hnsw_m, ef_search=ef_search,
                                   ef_construction=ef_construction)
        else:
            raise VSAError(f"unknown cleanup index kind {kind!r}; expected 'flat' or 'hnsw'")
        super().__init__(dimension, index)
        self.kind = kind
