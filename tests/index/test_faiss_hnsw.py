"""FAISS HNSW (the approximate VSA cleanup option) against the conformance suite."""

from telos.index import FaissHNSWIndex
from tests.index.conformance import DIM, MutableConformance


class TestFaissHNSWIndex(MutableConformance):
    kind = FaissHNSWIndex
    exact = False

    def make(self, tmp_path, metric, ids=(), vectors=()):
        index = FaissHNSWIndex(DIM, metric)
        index.add(ids, vectors)
        return index
