"""One conformance suite for every vector index (``telos.index.base`` states the semantics).

A test module instantiates it by subclassing ``MutableConformance`` or ``ReadOnlyConformance`` and defining ``make``
(ZODB's storage test mixins work the same way)::

    class TestNumpy(MutableConformance):
        def make(self, tmp_path, metric, ids=(), vectors=()):
            index = NumpyIndex(DIM, metric); index.add(ids, vectors); return index

``make`` returns an index holding exactly ``ids`` -> ``vectors``. What an index class declares
chooses its tests, so nothing is skipped: the metric parameter runs over the class's ``metrics``
(``pytest_generate_tests`` below); a mutable index's test subclasses ``MutableConformance`` (the
writing tests), a read-only one ``ReadOnlyConformance`` (writes are refused), and each checks
that the class declares what its suite assumes.
``exact = False`` relaxes neighbour checks to the first hit (DiskANN).
"""

from __future__ import annotations

import numpy as np
import pytest

from telos.index.base import Hit, METRICS, VectorIndex

DIM = 8
N = 48


def data(n=N, seed=0, start=100):
    rng = np.random.default_rng(seed)
    return np.arange(start, start + n, dtype=np.int64), rng.standard_normal((n, DIM)).astype("f4")


def brute(ids, vecs, q, metric, k):
    d = ((vecs - q) ** 2).sum(1) if metric == "l2" else -(vecs @ q)
    order = np.lexsort((ids, d))[:k]
    return [int(ids[j]) for j in order], d[order]


class IndexConformance:
    kind: type[VectorIndex]
    exact = True

    def make(self, tmp_path, metric, ids=(), vectors=()) -> VectorIndex:
        raise NotImplementedError

    def reload(self, index: VectorIndex, tmp_path) -> VectorIndex:
        path = tmp_path / "saved"
        index.save(path)
        return type(index).load(path)

    @classmethod
    def pytest_generate_tests(cls, metafunc):
        if "metric" in metafunc.fixturenames:
            metafunc.parametrize("metric", [m for m in METRICS if m in cls.kind.metrics])

    # -- reading --------------------------------------------------------------------------
    def test_count_ids_contains(self, tmp_path, metric):
        ids, vecs = data()
        index = self.make(tmp_path, metric, ids, vecs)
        assert index.count == len(index) == N
        assert index.ids().dtype == np.int64 and index.ids().tolist() == sorted(ids.tolist())
        assert int(ids[5]) in index and 99 not in index

    def test_nearest_neighbours_match_brute_force(self, tmp_path, metric):
        ids, vecs = data()
        index = self.make(tmp_path, metric, ids, vecs)
        rng = np.random.default_rng(1)
        queries = vecs[:10] + 0.01 * rng.standard_normal((10, DIM)).astype("f4")
        got = index.search(queries, 5)
        assert len(got) == 10
        for q, hits in zip(queries, got):
            want, dist = brute(ids, vecs, q, metric, 5)
            assert all(isinstance(h, Hit) and type(h.id) is int for h in hits)
            assert hits[0].id == want[0]
            assert hits[0].distance == pytest.approx(float(dist[0]), rel=1e-4, abs=1e-4)
            if self.exact:
                assert [h.id for h in hits] == want
            assert [(h.distance, h.id) for h in hits] == sorted((h.distance, h.id) for h in hits)

    def test_a_1d_query_is_one_row(self, tmp_path, metric):
        ids, vecs = data()
        index = self.make(tmp_path, metric, ids, vecs)
        got = index.search(vecs[3], 1)
        assert len(got) == 1 and got[0][0].id == brute(ids, vecs, vecs[3], metric, 1)[0][0]

    def test_k_larger_than_count_answers_everything_once(self, tmp_path, metric):
        ids, vecs = data()
        index = self.make(tmp_path, metric, ids, vecs)
        hits = index.search(vecs[0], 3 * N)[0]
        assert sorted(h.id for h in hits) == sorted(ids.tolist())

    def test_empty_index_answers_nothing(self, tmp_path, metric):
        index = self.make(tmp_path, metric)
        assert index.count == 0 and index.ids().tolist() == []
        assert index.search(np.ones((2, DIM), np.float32), 5) == [[], []]

    def test_distance_convention(self, tmp_path, metric):
        ids, vecs = data()
        index = self.make(tmp_path, metric, ids, vecs)
        q = vecs[7]
        hit = index.search(q, 1)[0][0]
        expect = 0.0 if metric == "l2" else -float(q @ q)
        assert hit.id == ids[7] and hit.distance == pytest.approx(expect, abs=1e-3)

    def test_ties_come_in_id_order(self, tmp_path, metric):
        ids, vecs = data()
        vecs[10] = vecs[20] = vecs[30] = vecs[5]      # four equal vectors
        index = self.make(tmp_path, metric, ids, vecs)
        hits = index.search(vecs[5], 4)[0] if metric == "l2" else None
        if metric == "ip":   # with ip the tie is on the query's own score: take the four equal ones
            hits = [h for h in index.search(vecs[5], N)[0] if h.id in {int(ids[j]) for j in (5, 10, 20, 30)}]
        assert [h.id for h in hits] == [int(ids[j]) for j in (5, 10, 20, 30)]

    def test_save_and_load(self, tmp_path, metric):
        ids, vecs = data()
        index = self.make(tmp_path, metric, ids, vecs)
        before = index.search(vecs[:4], 3)
        again = self.reload(index, tmp_path)      # may close ``index``
        assert type(again) is type(index) and again.metric == metric and again.dim == DIM
        assert again.ids().tolist() == sorted(ids.tolist())
        assert again.search(vecs[:4], 3) == before



class ReadOnlyConformance(IndexConformance):
    """The suite for an index built once and then only read (DiskANN)."""

    def test_declares_read_only(self):
        assert self.kind.mutable is False

    def test_read_only_refuses_writes(self, tmp_path, metric):
        from telos.index.base import ReadOnlyIndexError
        ids, vecs = data()
        index = self.make(tmp_path, metric, ids, vecs)
        with pytest.raises(ReadOnlyIndexError):
            index.add([1], vecs[:1])
        with pytest.raises(ReadOnlyIndexError):
            index.remove([int(ids[0])])


class MutableConformance(IndexConformance):
    """The suite for an index that can be written after it is made."""

    def test_declares_mutable(self):
        assert self.kind.mutable is True

    def test_removed_ids_are_never_returned(self, tmp_path, metric):
        ids, vecs = data()
        index = self.make(tmp_path, metric, ids, vecs)
        gone = [int(i) for i in ids[:10]]
        assert index.remove(gone + [99]) == 10
        assert index.count == N - 10 and not set(gone) & set(index.ids().tolist())
        for hits in index.search(vecs[:10], N):
            assert not {h.id for h in hits} & set(gone) and len(hits) == N - 10
        assert index.remove(gone) == 0

    def test_add_is_an_upsert(self, tmp_path, metric):
        ids, vecs = data()
        index = self.make(tmp_path, metric, ids, vecs)
        index.add([int(ids[0])], vecs[1:2] * 3)
        vecs[0] = vecs[1] * 3
        assert index.count == N
        for q in vecs[:5]:
            assert [h.id for h in index.search(q, 5)[0]] == brute(ids, vecs, q, metric, 5)[0]

    def test_add_after_remove_and_reload(self, tmp_path, metric):
        ids, vecs = data()
        index = self.make(tmp_path, metric, ids[:20], vecs[:20])
        index.remove([int(ids[3])])
        index.add(ids[20:], vecs[20:])
        again = self.reload(index, tmp_path)
        assert again.count == N - 1 and int(ids[3]) not in again
        assert again.search(vecs[30], 1)[0][0].id == ids[30]
