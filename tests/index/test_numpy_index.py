"""The reference implementation against the conformance suite."""

from telos.index import NumpyIndex
from tests.index.conformance import DIM, MutableConformance


class TestNumpyIndex(MutableConformance):
    kind = NumpyIndex

    def make(self, tmp_path, metric, ids=(), vectors=()):
        index = NumpyIndex(DIM, metric)
        index.add(ids, vectors)
        return index
