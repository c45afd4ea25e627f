"""FAISS indexes: ``FaissIndex`` (exact: ``IndexIDMap2`` over ``IndexFlatL2`` / ``IndexFlatIP``)
and ``FaissHNSWIndex`` (approximate HNSW with tombstones for removals).

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

    def serializer(self):
        """Copy the ids and the vectors now (two memcpys: what a lock must cover) and serialize
        a rebuilt copy in the call; the bytes equal ``to_bytes()`` at the time of the copy.
        ``faiss.serialize_index`` is about three times the copies' cost (at 50,000 vectors)."""
        import faiss
        ids = faiss.vector_to_array(self._raw.id_map)
        flat = faiss.downcast_index(self._raw.index)
        vecs = faiss.vector_to_array(flat.codes).view(np.float32).reshape(-1, self.dim)
        dim, ip = self.dim, self.metric == "ip"

        def serialize() -> bytes:
            raw = faiss.IndexIDMap2(faiss.IndexFlatIP(dim) if ip else faiss.IndexFlatL2(dim))
            if len(ids):
                raw.add_with_ids(vecs, ids)
            return faiss.serialize_index(raw).tobytes()
        return serialize

    @classmethod
    def from_bytes(cls, data: bytes) -> "FaissIndex":
        import faiss
        view, pos = memoryview(data), 0

        def read(size: int) -> bytes:      # hands FAISS the bytes in pieces: one copy, where
            nonlocal pos                   # deserialize_index first copies all into a vector
            piece = view[pos:pos + size]
            pos += len(piece)
            return bytes(piece)
        try:
            raw = faiss.read_index(faiss.PyCallbackIOReader(read, 1 << 24))
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


class FaissHNSWIndex(VectorIndex):
    """FAISS HNSW (approximate, sub-linear). HNSW cannot delete: a removed or replaced entry
    becomes a tombstone that searches skip (they fetch ``k`` + tombstones candidates). Rebuild
    when tombstones pile up. ``to_bytes`` packs the FAISS index and the position -> id map."""

    def __init__(self, dim: int, metric: str = "l2", *, m: int = 32, ef_search: int = 64,
                 ef_construction: int = 80, _raw=None, _pos_ids=None):
        super().__init__(dim, metric)
        import faiss
        if _raw is None:
            kind = faiss.METRIC_L2 if metric == "l2" else faiss.METRIC_INNER_PRODUCT
            _raw = faiss.IndexHNSWFlat(self.dim, m, kind)
            _raw.hnsw.efConstruction = ef_construction
            _raw.hnsw.efSearch = ef_search
        self._raw = _raw
        self._pos_ids = np.zeros(0, np.int64) if _pos_ids is None else np.asarray(_pos_ids, np.int64)
        self._pos = {int(i): p for p, i in enumerate(self._pos_ids.tolist()) if i >= 0}

    @property
    def count(self) -> int:
        return len(self._pos)

    @property
    def tombstones(self) -> int:
        return len(self._pos_ids) - len(self._pos)

    def __contains__(self, id: int) -> bool:
        return int(id) in self._pos

    def ids(self) -> np.ndarray:
        return np.asarray(sorted(self._pos), np.int64)

    def add(self, ids, vectors) -> None:
        ids, vecs = as_batch(ids, vectors, self.dim)
        if not len(ids):
            return
        self.remove(ids.tolist())
        start = len(self._pos_ids)
        self._raw.add(vecs)
        self._pos_ids = np.concatenate([self._pos_ids, ids])
        self._pos.update((int(i), start + n) for n, i in enumerate(ids.tolist()))

    def remove(self, ids) -> int:
        gone = 0
        for i in ids:
            p = self._pos.pop(int(i), None)
            if p is not None:
                self._pos_ids[p] = -1
                gone += 1
        return gone

    def search(self, queries, k: int) -> list[list[Hit]]:
        q = as_queries(queries, self.dim)
        kk = min(int(k), self.count)
        if kk <= 0:
            return [[] for _ in range(len(q))]
        fetch = min(self._raw.ntotal, kk + self.tombstones)
        d, pos = self._raw.search(q, fetch)
        ids = np.where(pos >= 0, self._pos_ids[np.maximum(pos, 0)], -1)
        return [row[:kk] for row in hits_from_arrays(d, ids, self.metric)]

    def to_bytes(self) -> bytes:
        import io
        import faiss
        buf = io.BytesIO()
        np.savez(buf, faiss=faiss.serialize_index(self._raw), pos_ids=self._pos_ids,
                 metric=np.array(self.metric))
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> "FaissHNSWIndex":
        import io
        import faiss
        try:
            with np.load(io.BytesIO(data)) as z:
                raw = faiss.deserialize_index(z["faiss"])
                pos_ids, metric = z["pos_ids"], str(z["metric"])
        except (ValueError, OSError, KeyError, RuntimeError) as exc:
            raise VectorIndexError(f"not a saved FaissHNSWIndex ({exc})") from exc
        return cls(raw.d, metric, _raw=raw, _pos_ids=pos_ids)

    def save(self, path: Path) -> None:
        atomic.write_bytes(path, self.to_bytes())

    @classmethod
    def load(cls, path: Path) -> "FaissHNSWIndex":
        return cls.from_bytes(Path(path).read_bytes())
