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


def test_loading_runs_no_sample_queries_unless_nodes_are_cached(tmp_path, monkeypatch):
    """diskannpy's cache_mechanism 1 searches about a tenth of the points at every load to pick
    the cached nodes, even when none is cached: linear in the archive (6 s of a 6.2 s reopen at
    100,000 records). With no cache, the archive loads with it off."""
    import diskannpy
    import numpy as np
    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((200, DIM)).astype("f4")
    DiskannIndex.build(tmp_path / "ix", np.arange(200), vecs, "l2").close()
    seen = []
    real = diskannpy.StaticDiskIndex

    def spy(*a, **kw):
        seen.append(kw)
        return real(*a, **kw)
    monkeypatch.setattr(diskannpy, "StaticDiskIndex", spy)
    for cache in (0, 50):
        ix = DiskannIndex.load(tmp_path / "ix", cache_nodes=cache)
        assert ix.search(vecs[3:4], 1)[0][0].id == 3
        ix.close()
    assert [(kw["num_nodes_to_cache"], kw["cache_mechanism"]) for kw in seen] == [(0, 0), (50, 1)]
