"""The vector-index interface every implementation follows, and its one result type.

    index.add(ids, vectors)        # upsert: an id already present gets the new vector
    index.remove(ids)              # -> how many were present; unknown ids are ignored
    index.search(queries, k)       # -> one list of Hit per query row
    index.count, len(index), index.ids(), id in index
    index.save(path); Kind.load(path)

Search semantics, the same for every implementation (``tests/index/conformance.py`` checks them):

* ``Hit(id, distance)``: **smaller distance is closer**. ``metric="l2"``: squared Euclidean
  distance; ``metric="ip"``: the negated inner product (``score = -distance``; on unit vectors
  the cosine similarity).
* a query row gets ``min(k, count)`` hits (no padding): an empty index answers ``[]`` per row,
  ``k`` larger than the count answers every entry;
* hits are ordered by ``(distance, id)``: equal distances come in ascending id order. An
  approximate index (DiskANN) may miss a true neighbour; which of several tied candidates at
  the k-th place it returns is not specified;
* a removed id is never returned; an id is returned at most once per query.

``mutable`` says whether ``add``/``remove`` work: DiskANN is built once and read-only
(``ReadOnlyIndexError``). ``metrics`` lists what an implementation supports.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, ClassVar, Iterable

import numpy as np

from telos.errors import ReadOnlyIndexError, VectorIndexError  # noqa: F401 - re-exported

__all__ = ["Hit", "Index", "VectorIndex", "TextIndex", "VectorIndexError", "ReadOnlyIndexError",
           "METRICS", "as_queries", "as_batch", "hits_from_arrays"]

METRICS = ("l2", "ip")


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result: the entry's id and its distance to the query (smaller is closer)."""
    id: int
    distance: float


class Index(abc.ABC):
    """What every index of TelOS shares: int64 ids, ``remove``, ``count``, ``ids()``, ``in``,
    ``save``/``load``, and results as :class:`Hit` (smaller distance is closer)."""

    mutable: ClassVar[bool] = True

    @abc.abstractmethod
    def remove(self, ids: Iterable[int]) -> int:
        """Drop ``ids``; returns how many were present."""

    @property
    @abc.abstractmethod
    def count(self) -> int:
        """How many entries the index holds."""

    @abc.abstractmethod
    def ids(self) -> np.ndarray:
        """Every id held, int64, ascending."""

    @abc.abstractmethod
    def save(self, path: Path) -> None:
        """Write the whole index at ``path`` (a file or a directory), atomically."""

    @classmethod
    @abc.abstractmethod
    def load(cls, path: Path) -> "Index":
        """The index ``save`` wrote at ``path``."""

    def __len__(self) -> int:
        return self.count

    def __contains__(self, id: int) -> bool:
        """O(count) by default; implementations keep a set or a sorted array."""
        ids = self.ids()
        pos = np.searchsorted(ids, int(id))
        return bool(pos < len(ids) and ids[pos] == int(id))

    def _writable(self) -> None:
        if not self.mutable:
            raise ReadOnlyIndexError(f"{type(self).__name__} is built once and read-only; "
                                     "build a new one instead")


class VectorIndex(Index):
    """An (int64 id -> float32 vector of ``dim``) index answering k-nearest-neighbour queries."""

    metrics: ClassVar[tuple[str, ...]] = METRICS
    dim: int
    metric: str

    def __init__(self, dim: int, metric: str = "l2"):
        if metric not in self.metrics:
            raise VectorIndexError(f"{type(self).__name__}: metric {metric!r} is not one of "
                                   f"{', '.join(self.metrics)}")
        if int(dim) <= 0:
            raise VectorIndexError(f"{type(self).__name__}: dimension must be positive, not {dim}")
        self.dim, self.metric = int(dim), metric

    @abc.abstractmethod
    def add(self, ids: Iterable[int], vectors) -> None:
        """Insert or replace the vectors of ``ids`` (``vectors``: [n, dim])."""

    @abc.abstractmethod
    def search(self, queries, k: int) -> list[list[Hit]]:
        """The ``k`` nearest entries of each query row (a 1-d query is one row)."""

    def serializer(self) -> Callable[[], bytes]:
        """A callable returning ``to_bytes()`` of the index *as it is now*, for a caller that
        holds a lock only while taking it. This default serializes at once; an index whose
        serialization is slow overrides it to copy its arrays now and serialize in the call."""
        blob = self.to_bytes()
        return lambda: blob


class TextIndex(Index):
    """An (int64 id -> text, optional source key) index answering ranked word queries.

    ``search(query, k, source=None)`` -> one list of ``Hit`` for the query string, best first;
    ``distance`` is the negated relevance score (smaller is closer, as for vectors). A query
    may hold ``"exact phrases"`` in quotes; ``source`` keeps only entries added with that
    source key. Same upsert / removal / ``min(k, matches)`` rules as :class:`VectorIndex`.
    """

    @abc.abstractmethod
    def add(self, ids: Iterable[int], texts: Iterable[str], sources=None) -> None:
        """Insert or replace the texts of ``ids`` (``sources``: one key or None per id)."""

    @abc.abstractmethod
    def search(self, query: str, k: int, source: str | None = None) -> list[Hit]:
        """The ``k`` best entries for ``query``."""


def as_queries(queries, dim: int) -> np.ndarray:
    """Query rows as a C-contiguous float32 [n, dim] array (a 1-d query is one row)."""
    q = np.asarray(queries, np.float32)
    if q.ndim == 1:
        q = q[None]
    if q.ndim != 2 or q.shape[1] != dim:
        raise VectorIndexError(f"queries of shape {np.shape(queries)} for a {dim}-d index")
    return np.ascontiguousarray(q)


def as_batch(ids, vectors, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """(int64 ids, float32 [n, dim] vectors), checked; a repeated id keeps its last vector."""
    ids = np.asarray(ids, np.int64).reshape(-1)
    if len(ids):
        raw = np.asarray(vectors, np.float32)
        # rows of dim, or one flat run of them; never another shape reinterpreted as such
        if not ((raw.ndim == 2 and raw.shape[1] == dim) or (raw.ndim == 1 and raw.size % dim == 0)):
            raise VectorIndexError(f"vectors of shape {raw.shape} for a {dim}-d index")
        vecs = raw.reshape(-1, dim)
    else:
        vecs = np.zeros((0, dim), np.float32)
    if len(ids) != len(vecs):
        raise VectorIndexError(f"{len(ids)} ids for {len(vecs)} vectors")
    as_list = ids.tolist()
    if len(set(as_list)) != len(as_list):
        last = {i: n for n, i in enumerate(as_list)}
        keep = np.asarray(sorted(last.values()), np.int64)
        ids, vecs = ids[keep], vecs[keep]
    return ids, np.ascontiguousarray(vecs)


def hits_from_arrays(distances: np.ndarray, ids: np.ndarray, metric: str) -> list[list[Hit]]:
    """FAISS/DiskANN-style result arrays (-1 pads; ``ip`` as similarity) -> sorted Hit lists."""
    if metric == "ip":
        distances = -distances
    out = []
    for drow, irow in zip(distances.tolist(), ids.tolist()):
        seen: set[int] = set()
        row = []
        for d, i in sorted(zip(drow, irow)):    # (distance, id) order; first of an id is its best
            if i >= 0 and i not in seen:
                seen.add(i)
                row.append(Hit(i, d))
        out.append(row)
    return out
