"""One conformance suite for every cleanup index: torchhd brute force, FAISS flat, FAISS HNSW."""

import numpy as np
import pytest

from telos.errors import DimensionMismatchError, VSAError
from telos.vsa import algebra as A
from telos.vsa.cleanup import FaissCleanup, TorchhdCleanup

DIM = 512
FACTORIES = {
    "torchhd": lambda d: TorchhdCleanup(d, capacity=4),
    "faiss-flat": lambda d: FaissCleanup(d, "flat"),
    "faiss-hnsw": lambda d: FaissCleanup(d, "hnsw"),
}


@pytest.fixture(params=sorted(FACTORIES))
def index(request):
    idx = FACTORIES[request.param](DIM)
    idx.name = request.param
    return idx


def _symbols(n, seed=0):
    return [A.named_symbol(seed, f"s{i}", DIM) for i in range(n)]


def test_noisy_vectors_clean_up_to_their_source(index):
    vecs = _symbols(200)
    index.add(range(1000, 1200), vecs)
    assert len(index) == 200 and 1000 in index and 999 not in index
    noise = _symbols(3, seed=99)
    for i in (0, 57, 199):
        noisy = A.bundle([vecs[i]] + noise)       # the source is 1 of 4 superposed vectors
        hits = index.search(noisy, k=3)
        assert hits[0].label == 1000 + i
        assert hits[0].score == pytest.approx(A.similarity(noisy, vecs[i]), abs=1e-4)
        assert hits[0].score > hits[1].score >= hits[2].score


def test_results_agree_with_the_torchhd_reference(index):
    vecs = _symbols(100)
    ref = TorchhdCleanup(DIM)
    for idx in (index, ref):
        idx.add(range(100), vecs)
    q = A.bundle(vecs[:3])
    got = [h.label for h in index.search(q, k=3)]
    assert sorted(got) == sorted(h.label for h in ref.search(q, k=3)) == [0, 1, 2]


def test_remove_and_readd(index):
    vecs = _symbols(10)
    index.add(range(10), vecs)
    index.remove([3, 42])
    assert len(index) == 9 and 3 not in index
    assert index.search(vecs[3], k=1)[0].label != 3
    index.add([3], [vecs[3]])
    assert index.search(vecs[3], k=1)[0].label == 3
    index.add([3], [vecs[4]])                     # re-adding a label replaces its vector
    assert len(index) == 10
    assert index.search(vecs[4], k=2)[1].score == pytest.approx(1.0, abs=1e-4)


def test_empty_index_and_wrong_dimension(index):
    assert index.search(_symbols(1)[0], k=5) == []
    with pytest.raises(DimensionMismatchError):
        index.add([1], [A.named_symbol(0, "x", DIM + 1)])
    with pytest.raises(DimensionMismatchError):
        index.search(A.named_symbol(0, "x", DIM - 1))


def test_torchhd_cleanup_baseline_returns_the_clean_vector():
    vecs = _symbols(20)
    idx = TorchhdCleanup(DIM)
    idx.add(range(20), vecs)
    clean = idx.cleanup(A.bundle([vecs[5], vecs[6], vecs[5]]))
    np.testing.assert_array_equal(np.asarray(clean).reshape(-1), vecs[5])


def test_unknown_index_kind():
    with pytest.raises(VSAError, match="'ivf'"):
        FaissCleanup(DIM, "ivf")
