"""FAISS exact index (``IndexIDMap2`` over ``IndexFlatL2`` / ``IndexFlatIP``).

``to_bytes`` is ``faiss.serialize_index`` (the format of the memory checkpoints,
``ckpt-<tid>.faiss``); ``from_bytes`` reads it back, taking dimension and metric from the file.
FAISS returns inner products as similarities; they are negated into distances here (see base).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from telos import atomic
from telos.index.base import Hit, VectorIndex, VectorIndexError, as_batch, as_queries, hits_from_arrays


class FaissIndex(VectorIndex):
    def __init__(self, dim: int, metric: str = "l2", *, _raw=None):
        super().__init__(dim, metric)
        import faiss
        if _raw is None:
            flat = faiss.IndexFlatL2(self.dim) if metric == "l2" else faiss.IndexFlatIP(self.dim)
            _raw = faiss.IndexIDMap2(flat)
        self._raw = _raw
        self._ids: set[int] = set(faiss.vector_to_array(_raw.id_map).tolist())

    @property
    def count(self) -> int:
        return int(self._raw.ntotal)

    def __contains__(self, id: int) -> bool:
        return int(id) in self._ids

    def ids(self) -> np.ndarray:
        return np.asarray(sorted(self._ids), np.int64)

    def add(self, ids, vectors) -> None:
        ids, vecs = as_batch(ids, vectors, self.dim)
        if not len(ids):
            return
        present = [i for i in ids.tolist() if i in self._ids]
        if present:
            self.remove(present)
        self._raw.add_with_ids(vecs, ids)
        self._ids.update(ids.tolist())

    def remove(self, ids) -> int:
        drop = sorted({int(i) for i in ids} & self._ids)
        if drop:
            self._raw.remove_ids(np.asarray(drop, np.int64))
            self._ids.difference_update(drop)
        return len(drop)

    def vector(self, id: int) -> np.ndarray:
        return self._raw.reconstruct(int(id))

    reconstruct = vector

    def search(self, queries, k: int) -> list[list[Hit]]:
        q = as_queries(queries, self.dim)
        kk = min(int(k), self.count)
        if kk <= 0:
            return [[] for _ in range(len(q))]
        d, i = self._raw.search(q, kk)
        return hits_from_arrays(d, i, self.metric)

    def to_bytes(self) -> bytes:
        import faiss
        return faiss.serialize_index(self._raw).tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> "FaissIndex":
        import faiss
        try:
            raw = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
        except RuntimeError as exc:
            raise VectorIndexError(f"FAISS cannot read it ({exc})") from exc
        if not hasattr(raw, "id_map"):
            raw = faiss.downcast_index(raw)
        metric = "ip" if raw.metric_type == faiss.METRIC_INNER_PRODUCT else "l2"
        return cls(raw.d, metric, _raw=raw)

    def save(self, path: Path) -> None:
        atomic.write_bytes(path, self.to_bytes())

    @classmethod
    def load(cls, path: Path) -> "FaissIndex":
        return cls.from_bytes(Path(path).read_bytes())
