"""Vector indexes behind one interface (``telos.index.base``): add, remove, search -> ``Hit``,
save/load, count.

* ``NumpyIndex`` -- exact brute force, the reference (``numpy_index``);
* ``FaissIndex`` -- FAISS flat, exact, mutable (``faiss_index``; the memory L1 and VSA cleanup);
* ``FaissHNSWIndex`` -- FAISS HNSW, approximate; removals are tombstones (``faiss_index``);
* ``DiskannIndex`` -- DiskANN on disk, built once, read-only (``diskann_index``; the memory L2);
* ``TantivyIndex`` -- the lexical ``TextIndex`` (BM25, phrases, a source filter) over Tantivy
  (``tantivy_index``; the memory's lexical tier).

``Index`` is what both kinds share (ids, remove, count, save/load, ``Hit`` results).

``telos.memory.txindex.TxVectorIndex`` keeps any mutable vector index in step with ZODB,
``telos.memory.txtext.TxTextIndex`` the Tantivy one. Every
implementation passes the one conformance suite in ``tests/index/conformance.py``.
This package imports neither ``telos.memory`` nor ``telos.vsa``; FAISS and diskannpy are
imported when an index of that kind is made (tantivy too).
"""

from telos.index.base import (METRICS, Hit, Index, ReadOnlyIndexError, TextIndex, VectorIndex,
                              VectorIndexError)
from telos.index.diskann_index import DiskannIndex
from telos.index.faiss_index import FaissHNSWIndex, FaissIndex
from telos.index.numpy_index import NumpyIndex
from telos.index.tantivy_index import TantivyIndex

__all__ = ["METRICS", "Hit", "Index", "VectorIndex", "TextIndex", "VectorIndexError",
           "ReadOnlyIndexError", "NumpyIndex", "FaissIndex", "FaissHNSWIndex", "DiskannIndex",
           "TantivyIndex"]
