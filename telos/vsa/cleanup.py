"""Cleanup memory: from a noisy hypervector to the nearest clean one.

An index maps int64 labels to hypervectors and answers ``search(query, k)`` with the labels of
the most similar entries (FHRR cosine similarity) and their scores.  Three implementations share
one protocol (and one conformance test):

* ``TorchhdCleanup`` — brute force with torchhd's ``cosine_similarity`` over a complex matrix;
  the reference and the benchmark baseline.
* ``FaissCleanup`` — FAISS over the real mapping ``[Re v, Im v] / |v|`` (inner product equals the
  FHRR similarity); ``kind="flat"`` (exact) or ``kind="hnsw"`` (approximate, sub-linear).
* the image's transactional index (``telos.vsa.cleanup_store``) — FAISS kept in step with ZODB.

Labels -> names/objects are the caller's business; an index knows numbers and vectors only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Iterable, Protocol

import numpy as np

from telos.errors import DimensionMismatchError, VSAError
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


class FaissCleanup:
    """FAISS inner-product index over the real mapping of the hypervectors."""

    def __init__(self, dimension: int, kind: str = "flat", *, hnsw_m: int = 32,
                 ef_search: int = 64, ef_construction: int = 80):
        import faiss
        self.dimension = dimension
        self.kind = kind
        if kind == "flat":
            base = faiss.IndexFlatIP(2 * dimension)
            self._index = faiss.IndexIDMap2(base)
        elif kind == "hnsw":
            base = faiss.IndexHNSWFlat(2 * dimension, hnsw_m, faiss.METRIC_INNER_PRODUCT)
            base.hnsw.efSearch = ef_search
            base.hnsw.efConstruction = ef_construction
            self._index = faiss.IndexIDMap2(base)
        else:
            raise VSAError(f"unknown cleanup index kind {kind!r}; expected 'flat' or 'hnsw'")
        self._labels: set[int] = set()

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def __contains__(self, label: int) -> bool:
        return int(label) in self._labels

    def add(self, labels, vectors) -> None:
        labels = [int(x) for x in labels]
        vectors = list(vectors)
        for v in vectors:
            _check(self.dimension, v)
        if not labels:
            return
        present = [x for x in labels if x in self._labels]
        if present:
            self.remove(present)
        self.add_real(np.asarray(labels, dtype=np.int64), algebra.to_real_batch(vectors))

    def add_real(self, labels: np.ndarray, real: np.ndarray) -> None:
        """Add rows already mapped with ``algebra.to_real`` (the bench streams them in batches)."""
        self._index.add_with_ids(np.ascontiguousarray(real, dtype=np.float32),
                                 np.ascontiguousarray(labels, dtype=np.int64))
        self._labels.update(int(x) for x in labels)

    def remove(self, labels) -> None:
        import faiss
        if self.kind == "hnsw":
            raise VSAError("an HNSW cleanup index cannot remove entries; rebuild it instead")
        ids = np.asarray([int(x) for x in labels], dtype=np.int64)
        if ids.size:
            self._index.remove_ids(faiss.IDSelectorBatch(ids))
            self._labels.difference_update(int(x) for x in ids)

    def search(self, query: np.ndarray, k: int = 1) -> list[Hit]:
        _check(self.dimension, query)
        return self.search_real(algebra.to_real(query), k)

    def search_real(self, real: np.ndarray, k: int = 1) -> list[Hit]:
        if len(self) == 0:
            return []
        scores, ids = self._index.search(real.reshape(1, -1).astype(np.float32), min(k, len(self)))
        return [Hit(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i != -1]
