"""DiskANN (the memory L2 archive; built once, read-only) against the conformance suite."""

import pytest

from telos.index import DiskannIndex
from tests.index.conformance import DIM, ReadOnlyConformance


class TestDiskannIndex(ReadOnlyConformance):
    kind = DiskannIndex
    exact = False

    @pytest.fixture(autouse=True)
    def _close(self):
        self.made = []
        yield
        for index in self.made:
            index.close()

    def make(self, tmp_path, metric, ids=(), vectors=()):
        if len(ids) == 0:
            index = DiskannIndex(DIM, metric)
        else:
            index = DiskannIndex.build(tmp_path / f"built{len(self.made)}", ids, vectors, metric)
        self.made.append(index)
        return index

    def reload(self, index, tmp_path):
        again = super().reload(index, tmp_path)
        self.made.append(again)
        return again
