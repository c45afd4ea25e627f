"""telos/vsa/hypervector.py: the persistent prototype around an FHRR array — construction,
the read-only stored array, the volatile tensor view, and the algebra returning new vectors."""

from __future__ import annotations

import numpy as np
import pytest

from telos.errors import DimensionMismatchError, VSAError
from telos.reflect import mirror
from telos.vsa import algebra
from telos.vsa.hypervector import Hypervector

D = 512


def test_an_array_is_required():
    with pytest.raises(VSAError, match="needs an array"):
        Hypervector()


@pytest.mark.parametrize("bad", [[], [[1, 2], [3, 4]], [1.0, float("nan")]])
def test_bad_arrays_are_refused(bad):
    with pytest.raises(VSAError):
        Hypervector(bad)


def test_the_stored_array_is_a_read_only_complex64_copy_with_its_dimension():
    source = np.ones(8)
    hv = Hypervector(source, _name="ones", note="kept")
    assert hv.array.dtype == np.complex64 and hv.dimension == 8
    assert not hv.array.flags.writeable
    source[0] = 5
    assert hv.array[0] == 1
    assert mirror(hv).get("note") == "kept" and mirror(hv).name == "ones"


def test_random_is_deterministic_in_seed_and_name():
    a = Hypervector.random(D, seed=1, name="Paris")
    assert np.array_equal(a.array, Hypervector.random(D, seed=1, name="Paris").array)
    assert not np.array_equal(a.array, Hypervector.random(D, seed=2, name="Paris").array)
    assert not np.array_equal(a.array, Hypervector.random(D, seed=1, name="Rome").array)
    assert np.allclose(np.abs(a.array), 1.0, atol=1e-5)          # FHRR: unit phasors


def test_identity_binds_to_the_same_vector():
    a = Hypervector.random(D, seed=3)
    ident = Hypervector.identity(D)
    assert a.bind(ident).similarity(a) == pytest.approx(1.0, abs=1e-5)


def test_of_takes_a_hypervector_or_anything_array_like():
    a = Hypervector.random(16, seed=1)
    assert Hypervector.of(a) is a.array
    assert Hypervector.of([1, 2]).dtype == np.complex64


def test_bind_then_unbind_recovers_the_vector():
    a, b = Hypervector.random(D, 0, "a"), Hypervector.random(D, 0, "b")
    bound = a.bind(b)
    assert isinstance(bound, Hypervector) and bound is not a
    assert bound.similarity(a) < 0.2
    assert bound.unbind(b).similarity(a) == pytest.approx(1.0, abs=1e-4)
    assert bound.bind(b.inverse()).similarity(a) == pytest.approx(1.0, abs=1e-4)


def test_operations_accept_plain_arrays_too():
    a, b = Hypervector.random(D, 0, "a"), Hypervector.random(D, 0, "b")
    assert np.allclose(a.bind(b.array).array, a.bind(b).array)


def test_a_bundle_is_similar_to_each_member():
    a, b, c = (Hypervector.random(D, 0, n) for n in "abc")
    s = a.bundle(b)
    assert s.similarity(a) > 0.5 and s.similarity(b) > 0.5 and s.similarity(c) < 0.3
    normalized = a.bundle(b, normalize=True)
    assert np.allclose(np.abs(normalized.array), 1.0, atol=1e-5)


def test_permute_is_invertible_and_dissimilar():
    a = Hypervector.random(D, 0, "a")
    p = a.permute(3)
    assert p.similarity(a) < 0.2
    assert np.allclose(p.permute(-3).array, a.array)


def test_operations_on_different_dimensions_are_refused():
    with pytest.raises(DimensionMismatchError):
        Hypervector.random(32, 0, "a").bind(Hypervector.random(64, 0, "b"))


def test_the_tensor_view_is_cached_and_volatile():
    hv = Hypervector.random(32, 0, "a")
    t = hv.tensor
    assert hv.tensor is t and hv.__dict__["_v_tensor"] is t
    assert np.allclose(algebra.from_tensor(t), hv.array)
    assert "_v_tensor" not in mirror(hv).data()


def test_to_real_doubles_the_dimension_into_floats():
    real = Hypervector.random(32, 0, "a").to_real()
    assert real.dtype.kind == "f" and real.shape == (64,)


def test_repr_names_the_vector_and_its_dimension():
    assert repr(Hypervector.random(32, 0, "a")).endswith("D=32>")
    assert repr(Hypervector(np.ones(4), _name="four")) == "<Hypervector four D=4>"
