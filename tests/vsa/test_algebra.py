"""Algebraic identities of the FHRR operations (property-based), and their error cases."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from telos.errors import DimensionMismatchError, VSAError
from telos.vsa import algebra as A

DIM = 2048
names = st.text(min_size=1, max_size=12)
seeds = st.integers(min_value=0, max_value=2**32)
prop = settings(max_examples=40, deadline=None)


@prop
@given(seeds, names, names)
def test_unbind_inverts_bind(seed, x, y):
    a, b = A.named_symbol(seed, x, DIM), A.named_symbol(seed, "role:" + y, DIM)
    back = A.unbind(A.bind(a, b), b)
    assert A.similarity(back, a) > 0.999
    np.testing.assert_allclose(back, a, atol=1e-5)


@prop
@given(seeds, st.lists(names, min_size=2, max_size=4, unique=True))
def test_bind_is_dissimilar_to_its_inputs(seed, ns):
    a, b = A.named_symbol(seed, ns[0], DIM), A.named_symbol(seed, ns[1], DIM)
    c = A.bind(a, b)
    assert abs(A.similarity(c, a)) < 0.12
    assert abs(A.similarity(c, b)) < 0.12


@prop
@given(seeds, st.lists(names, min_size=2, max_size=7, unique=True))
def test_bundle_is_similar_to_members_not_to_others(seed, ns):
    vecs = [A.named_symbol(seed, n, DIM) for n in ns]
    s = A.bundle(vecs)
    outsider = A.named_symbol(seed, "\x00outsider", DIM)
    floor = 1.0 / np.sqrt(len(ns))
    for v in vecs:
        assert A.similarity(s, v) > floor - 0.1
    assert abs(A.similarity(s, outsider)) < 0.12
    assert A.similarity(A.bundle(vecs, normalize=True), vecs[0]) > 0.5 * floor


@prop
@given(seeds, names, st.integers(min_value=-5000, max_value=5000))
def test_permute_is_invertible_and_scrambles(seed, x, k):
    a = A.named_symbol(seed, x, DIM)
    np.testing.assert_array_equal(A.permute(A.permute(a, k), -k), a)
    if k % DIM:
        assert abs(A.similarity(A.permute(a, k), a)) < 0.12


@prop
@given(seeds, names, names)
def test_real_mapping_preserves_similarity(seed, x, y):
    a = A.named_symbol(seed, x, DIM)
    b = A.bundle([a, A.named_symbol(seed, "other" + y, DIM)])
    assert float(A.to_real(a) @ A.to_real(b)) == pytest.approx(A.similarity(a, b), abs=1e-5)


def test_symbols_are_deterministic_and_seeded():
    a1 = A.named_symbol(7, "Paris", 1000)
    a2 = A.named_symbol(7, "Paris", 1000)
    np.testing.assert_array_equal(a1, a2)
    assert a1.dtype == np.complex64
    np.testing.assert_allclose(np.abs(a1), 1.0, atol=1e-6)
    assert abs(A.similarity(a1, A.named_symbol(8, "Paris", 1000))) < 0.2
    assert abs(A.similarity(a1, A.named_symbol(7, "Pariss", 1000))) < 0.2


def test_dimension_mismatch_is_a_clear_error():
    a, b = A.named_symbol(0, "a", 100), A.named_symbol(0, "b", 101)
    for op in (A.bind, A.unbind, A.similarity, lambda x, y: A.bundle([x, y])):
        with pytest.raises(DimensionMismatchError, match=r"\[100, 101\]"):
            op(a, b)


def test_bad_vectors_are_refused():
    with pytest.raises(VSAError):
        A.as_array([])
    with pytest.raises(VSAError):
        A.as_array([[1, 2], [3, 4]])
    with pytest.raises(VSAError):
        A.as_array([1.0, float("nan")])
    with pytest.raises(VSAError):
        A.bundle([])
    with pytest.raises(VSAError):
        A.similarity(np.zeros(4, np.complex64), A.named_symbol(0, "a", 4))
