"""The reference implementation: exact brute force over a NumPy matrix (small, obviously right).

Rows are kept dense (a removed row is filled by the last one); search computes every distance
and orders by ``(distance, id)``. ``save`` writes one ``.npz``-format file (ids, vectors, metric).
Adding new ids copies the matrix (O(count)): a reference for tests, not a production tier.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from telos import atomic
from telos.index.base import Hit, VectorIndex, VectorIndexError, as_batch, as_queries


class NumpyIndex(VectorIndex):
    def __init__(self, dim: int, metric: str = "l2"):
        super().__init__(dim, metric)
        self._vecs = np.zeros((0, self.dim), np.float32)
        self._ids = np.zeros(0, np.int64)
        self._row: dict[int, int] = {}

    @property
    def count(self) -> int:
        return len(self._row)

    def __contains__(self, id: int) -> bool:
        return int(id) in self._row

    def ids(self) -> np.ndarray:
        return np.sort(self._ids[: self.count])

    def add(self, ids, vectors) -> None:
        self._writable()
        ids, vecs = as_batch(ids, vectors, self.dim)
        new = [n for n, i in enumerate(ids.tolist()) if i not in self._row]
        for n, i in enumerate(ids.tolist()):
            if i in self._row:
                self._vecs[self._row[i]] = vecs[n]
        if new:
            start = self.count
            self._vecs = np.concatenate([self._vecs[:start], vecs[new]])
            self._ids = np.concatenate([self._ids[:start], ids[new]])
            for off, n in enumerate(new):
                self._row[int(ids[n])] = start + off

    def remove(self, ids) -> int:
        self._writable()
        gone = 0
        for i in ids:
            row = self._row.pop(int(i), None)
            if row is None:
                continue
            gone += 1
            last = len(self._row)        # the row count after this removal
            if row != last:
                self._vecs[row], self._ids[row] = self._vecs[last], self._ids[last]
                self._row[int(self._ids[row])] = row
            self._vecs, self._ids = self._vecs[:last], self._ids[:last]
        return gone

    def vector(self, id: int) -> np.ndarray:
        return self._vecs[self._row[int(id)]].copy()

    reconstruct = vector

    def search(self, queries, k: int) -> list[list[Hit]]:
        q = as_queries(queries, self.dim)
        n = self.count
        kk = min(int(k), n)
        out = []
        for row in q:
            if kk <= 0:
                out.append([])
                continue
            if self.metric == "l2":
                d = ((self._vecs - row) ** 2).sum(axis=1)
            else:
                d = -(self._vecs @ row)
            order = np.lexsort((self._ids, d))[:kk]
            out.append([Hit(int(self._ids[j]), float(d[j])) for j in order])
        return out

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        np.savez(buf, ids=self._ids, vectors=self._vecs, metric=np.array(self.metric))
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> "NumpyIndex":
        try:
            with np.load(io.BytesIO(data)) as z:
                ids, vecs, metric = z["ids"], z["vectors"], str(z["metric"])
        except (ValueError, OSError, KeyError) as exc:
            raise VectorIndexError(f"not a saved NumpyIndex ({exc})") from exc
        index = cls(vecs.shape[1], metric)
        index.add(ids, vecs)
        return index

    def save(self, path: Path) -> None:
        atomic.write_bytes(path, self.to_bytes())

    @classmethod
    def load(cls, path: Path) -> "NumpyIndex":
        return cls.from_bytes(Path(path).read_bytes())
