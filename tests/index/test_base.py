"""telos/index/base.py: Hit, the shared argument checks (as_queries, as_batch) and the result
conversion every FAISS/DiskANN-style index uses (hits_from_arrays); the base class refuses an
unknown metric and writes to a read-only index."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from telos.errors import ReadOnlyIndexError, VectorIndexError
from telos.index import base
from telos.index.base import Hit, as_batch, as_queries, hits_from_arrays


def test_hit_is_a_frozen_value_ordered_by_distance_then_id():
    assert Hit(3, 0.5) == Hit(3, 0.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        Hit(1, 0.0).id = 2
    hits = [Hit(2, 0.5), Hit(1, 0.5), Hit(9, 0.1)]
    assert sorted(hits, key=lambda h: (h.distance, h.id)) == [Hit(9, 0.1), Hit(1, 0.5), Hit(2, 0.5)]


def test_the_public_names():
    assert set(base.__all__) == {"Hit", "Index", "VectorIndex", "TextIndex", "VectorIndexError",
                                 "ReadOnlyIndexError",
                                 "METRICS", "as_queries", "as_batch", "hits_from_arrays"}
    assert base.METRICS == ("l2", "ip")


# -- as_queries ---------------------------------------------------------------------------------

def test_a_single_query_becomes_one_float32_row():
    q = as_queries([1, 2, 3], 3)
    assert q.shape == (1, 3) and q.dtype == np.float32 and q.flags.c_contiguous


def test_query_rows_are_made_contiguous():
    wide = np.arange(12, dtype=np.float64).reshape(3, 4)[:, ::2]     # a strided view
    q = as_queries(wide, 2)
    assert q.flags.c_contiguous and q.tolist() == wide.tolist()


@pytest.mark.parametrize("queries", [np.zeros((2, 4)), np.zeros(4), np.zeros((1, 2, 3))])
def test_queries_of_the_wrong_shape_are_named(queries):
    with pytest.raises(VectorIndexError, match=r"queries of shape .* for a 3-d index"):
        as_queries(queries, 3)


# -- as_batch -----------------------------------------------------------------------------------

def test_a_batch_is_int64_ids_and_float32_rows():
    ids, vecs = as_batch([1, 2], [[1, 2], [3, 4]], 2)
    assert ids.dtype == np.int64 and vecs.dtype == np.float32 and vecs.flags.c_contiguous
    assert ids.tolist() == [1, 2] and vecs.tolist() == [[1, 2], [3, 4]]


def test_one_id_with_a_flat_vector():
    ids, vecs = as_batch(7, [1, 2, 3], 3)
    assert ids.tolist() == [7] and vecs.shape == (1, 3)


def test_an_empty_batch_has_the_dimension():
    ids, vecs = as_batch([], [], 5)
    assert ids.shape == (0,) and vecs.shape == (0, 5)


def test_a_repeated_id_keeps_its_last_vector_in_first_seen_order_of_the_last():
    ids, vecs = as_batch([1, 2, 1], [[1, 1], [2, 2], [3, 3]], 2)
    assert ids.tolist() == [2, 1] and vecs.tolist() == [[2, 2], [3, 3]]


def test_more_vectors_than_ids_is_refused():
    with pytest.raises(VectorIndexError, match="2 ids for 3 vectors"):
        as_batch([1, 2], np.zeros((3, 4)), 4)


@pytest.mark.parametrize("vectors", [np.zeros((2, 3)), np.zeros((3, 4)), np.zeros((2, 2, 3))])
def test_vectors_of_another_dimension_are_refused(vectors):
    # (3, 4) holds 12 numbers: two rows of 6 -- never silently reinterpreted as such
    with pytest.raises(VectorIndexError, match="6-d index"):
        as_batch([1, 2], vectors, 6)


# -- hits_from_arrays ---------------------------------------------------------------------------

def test_hits_are_sorted_by_distance_then_id_and_padding_dropped():
    d = np.array([[0.5, 0.1, 0.5, 9.0]], np.float32)
    i = np.array([[4, 8, 2, -1]], np.int64)
    assert hits_from_arrays(d, i, "l2") == [[Hit(8, pytest.approx(0.1)), Hit(2, 0.5), Hit(4, 0.5)]]


def test_ip_similarities_become_negated_distances():
    d = np.array([[0.9, 0.2]], np.float32)
    i = np.array([[1, 2]], np.int64)
    hits = hits_from_arrays(d, i, "ip")[0]
    assert [h.id for h in hits] == [1, 2]
    assert hits[0].distance == pytest.approx(-0.9)


def test_an_id_is_returned_once_with_its_best_distance():
    d = np.array([[0.7, 0.3, 0.5]], np.float32)
    i = np.array([[5, 5, 6]], np.int64)
    assert [(h.id, round(h.distance, 3)) for h in hits_from_arrays(d, i, "l2")[0]] == [
        (5, 0.3), (6, 0.5)]


def test_one_row_of_hits_per_query_and_ids_are_python_ints():
    d = np.array([[0.0], [1.0]], np.float32)
    i = np.array([[-1], [3]], np.int64)
    rows = hits_from_arrays(d, i, "l2")
    assert rows == [[], [Hit(3, 1.0)]] and type(rows[1][0].id) is int


# -- the base class -----------------------------------------------------------------------------

class Minimal(base.VectorIndex):
    def __init__(self, dim, metric="l2"):
        super().__init__(dim, metric)
        self.dim, self.metric, self._ids = dim, metric, []

    def add(self, ids, vectors):
        self._writable()
        self._ids += as_batch(ids, vectors, self.dim)[0].tolist()

    def remove(self, ids):
        self._writable()
        return 0

    def search(self, queries, k):
        return [[] for _ in as_queries(queries, self.dim)]

    @property
    def count(self):
        return len(self._ids)

    def ids(self):
        return np.asarray(self._ids, np.int64)

    def save(self, path):
        pass

    @classmethod
    def load(cls, path):
        return cls(1)


class Frozen(Minimal):
    mutable = False


def test_an_unknown_metric_is_named_with_the_choices():
    with pytest.raises(VectorIndexError, match=r"Minimal: metric 'cosine' is not one of l2, ip"):
        Minimal(3, "cosine")


def test_len_and_contains_come_from_count_and_ids():
    ix = Minimal(2)
    ix.add([4, 5], np.zeros((2, 2)))
    assert len(ix) == 2 and 4 in ix and 6 not in ix


def test_a_read_only_index_refuses_writes():
    ix = Frozen(2)
    with pytest.raises(ReadOnlyIndexError, match="Frozen is built once and read-only"):
        ix.add([1], np.zeros((1, 2)))
    with pytest.raises(ReadOnlyIndexError):
        ix.remove([1])
    assert issubclass(ReadOnlyIndexError, VectorIndexError)
