"""The memory map: every ContextFractal as a point of a 2-D projection of its embedding.

A principal-component basis (:class:`Basis`, plain NumPy) is fitted once on an evenly spaced
sample of the records and kept; a record is projected once, when it is first seen, and its point
cached (:class:`MapCache`, one per process in ``image.store.shared``). The basis is fitted again
only when the memory has grown a lot since (``REFIT_GROWTH`` times the records it was fitted on),
and then every point is projected again — so a map of N records costs O(new records) per request
and O(N) only at a refit. Forgotten records leave the cache at the next update.

Everything here is a pure function of the records: no index is read, nothing is written.
"""

from __future__ import annotations

import bisect
import hashlib
import threading
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

SAMPLE = 4_000          # records the basis is fitted on (evenly spaced by id)
REFIT_GROWTH = 2.0      # refit when the memory holds this many times the records fitted on
REFIT_MIN_NEW = 32      # ... and at least this many more (a tiny memory does not refit each time)
TEXT_CHARS = 100        # of a record's text kept with its point
SHARED_KEY = "memory.map"


@dataclass(frozen=True)
class Basis:
    """Two principal directions of a sample of embeddings (``mean``, ``components`` 2 × d)."""

    mean: np.ndarray
    components: np.ndarray
    explained: tuple[float, float]
    fitted_on: int
    ident: str

    @classmethod
    def fit(cls, vectors: np.ndarray) -> "Basis":
        x = np.asarray(vectors, dtype=np.float64)
        n, d = x.shape
        mean = x.mean(axis=0) if n else np.zeros(d)
        comps = np.zeros((2, d))
        explained = (0.0, 0.0)
        if n >= 2:
            centred = x - mean
            _u, s, vt = np.linalg.svd(centred, full_matrices=False)
            k = min(2, vt.shape[0])
            comps[:k] = vt[:k]
            var = s ** 2
            total = float(var.sum()) or 1.0
            ratios = [float(v / total) for v in var[:2]] + [0.0, 0.0]
            explained = (ratios[0], ratios[1])
        # a deterministic sign: each direction's largest coefficient is positive, so a refit on
        # much the same memory does not mirror the map
        for row in comps:
            j = int(np.argmax(np.abs(row)))
            if row[j] < 0:
                row *= -1
        digest = hashlib.sha256(comps.astype("<f4").tobytes() + mean.astype("<f4").tobytes())
        return cls(mean, comps, explained, n, f"pca-{n}-{digest.hexdigest()[:10]}")

    def project(self, vectors: np.ndarray) -> np.ndarray:
        """(n, 2) coordinates of ``vectors`` (n × d)."""
        x = np.asarray(vectors, dtype=np.float64)
        if x.size == 0:
            return np.zeros((0, 2))
        return (x - self.mean) @ self.components.T


def sample_ids(ids: list[int], n: int = SAMPLE) -> list[int]:
    """At most ``n`` of ``ids``, evenly spaced (deterministic: the same ids give the same sample)."""
    if len(ids) <= n:
        return list(ids)
    step = len(ids) / n
    return [ids[int(i * step)] for i in range(n)]


@dataclass
class MapPoint:
    id: int
    x: float
    y: float
    text: str


@dataclass
class MapConcept:
    id: int
    definition: str
    members: list[int] = field(default_factory=list)   # its contexts that are on the map
    x: float = 0.0
    y: float = 0.0


class MapCache:
    """The projected points of one memory bank, kept between requests (thread-safe)."""

    def __init__(self, *, sample: int = SAMPLE, refit_growth: float = REFIT_GROWTH,
                 refit_min_new: int = REFIT_MIN_NEW) -> None:
        self.sample, self.refit_growth, self.refit_min_new = sample, refit_growth, refit_min_new
        self.basis: Basis | None = None
        self._points: dict[int, MapPoint] = {}
        self._order: list[int] | None = None   # the points' ids sorted (None: to sort again)
        self._lock = threading.Lock()
        self.fits = 0                 # how many times a basis was fitted (for tests and logs)
        self.projected = 0            # records projected one by one since the last fit

    def update(self, contexts: Any) -> None:
        """Bring the cache in step with ``contexts`` (an id -> ContextFractal mapping, e.g. the
        bank's IOBTree): drop the forgotten, project the new, refit when grown a lot."""
        with self._lock:
            ids = [int(i) for i in contexts.keys()]
            live = set(ids)
            for gone in [i for i in self._points if i not in live]:
                del self._points[gone]
                self._order = None
            if self._needs_fit(len(ids)):
                chosen = sample_ids(ids, self.sample)
                self.basis = Basis.fit(np.stack([contexts[i].vector for i in chosen])
                                       if chosen else np.zeros((0, 1)))
                self.fits += 1
                self.projected = 0
                self._points.clear()
            new = [i for i in ids if i not in self._points]
            if new:
                self._project(contexts, new)
                self._order = None

    def _needs_fit(self, n: int) -> bool:
        b = self.basis
        if b is None:
            return True
        if b.fitted_on < 2 <= n:
            return True
        return n >= self.refit_growth * b.fitted_on and n - b.fitted_on >= self.refit_min_new

    def _project(self, contexts: Any, ids: list[int]) -> None:
        for start in range(0, len(ids), 1024):
            chunk = ids[start:start + 1024]
            recs = [contexts[i] for i in chunk]
            xy = self.basis.project(np.stack([r.vector for r in recs]))
            for i, r, (x, y) in zip(chunk, recs, xy):
                self._points[i] = MapPoint(i, float(x), float(y), _short(r.text))
            self.projected += len(chunk)

    def points(self, after_id: int = 0) -> list[MapPoint]:
        """The cached points with an id above ``after_id``, in id order."""
        with self._lock:
            if self._order is None:
                self._order = sorted(self._points)
            start = bisect.bisect_right(self._order, after_id)
            return [self._points[i] for i in self._order[start:]]

    def concepts(self, concepts: Iterable[Any]) -> list[MapConcept]:
        """Each ConceptFractal (``id``, ``definition``, ``contexts``) with its points' centre."""
        out = []
        with self._lock:
            for c in concepts:
                members = [int(i) for i in c.contexts if int(i) in self._points]
                mc = MapConcept(int(c.id), str(c.definition), members)
                if members:
                    mc.x = float(np.mean([self._points[i].x for i in members]))
                    mc.y = float(np.mean([self._points[i].y for i in members]))
                out.append(mc)
        return out


def cluster_of(concepts: Iterable[MapConcept]) -> dict[int, int]:
    """context id -> the id of the concept that abstracts it (the first, when several do)."""
    out: dict[int, int] = {}
    for c in concepts:
        for i in c.members:
            out.setdefault(i, c.id)
    return out


def shared_cache(shared: dict) -> MapCache:
    """The process's one cache (``image.store.shared``)."""
    cache = shared.get(SHARED_KEY)
    if cache is None:
        cache = shared.setdefault(SHARED_KEY, MapCache())
    return cache


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= TEXT_CHARS else text[:TEXT_CHARS - 1] + "…"
