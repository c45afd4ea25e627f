"""FAISS (the memory L1 and the VSA cleanup) against the conformance suite."""

from telos.index import FaissIndex
from tests.index.conformance import DIM, MutableConformance


class TestFaissIndex(MutableConformance):
    kind = FaissIndex

    def make(self, tmp_path, metric, ids=(), vectors=()):
        index = FaissIndex(DIM, metric)
        index.add(ids, vectors)
        return index
