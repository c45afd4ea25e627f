"""telos/vsa/codebook.py: symbols created once and deterministic from the seed, records with
their fields, labels never reused, removal, and the cleanup index's vector source."""

from __future__ import annotations

import numpy as np
import pytest

from telos.errors import DimensionMismatchError, UnknownSymbolError, VSAError
from telos.vsa import algebra
from telos.vsa.codebook import CONCEPT, RECORD, SYMBOL, Codebook, CodebookSource
from telos.vsa.hypervector import Hypervector

D = 256


@pytest.fixture
def cb():
    return Codebook(seed=5, dimension=D)


def test_a_codebook_needs_at_least_16_dimensions():
    with pytest.raises(VSAError, match="dimension 8 is too small"):
        Codebook(dimension=8)
    assert Codebook(dimension="16").dimension == 16


def test_a_symbol_is_created_once_with_a_label(cb):
    hv, label = cb.symbol("Paris")
    assert label == 1 and cb.knows("Paris")
    again, no_label = cb.symbol("Paris")
    assert again is hv and no_label is None
    assert cb.entries[1] == (SYMBOL, "Paris", hv)
    assert hv._name == "Paris" and hv.dimension == D


def test_symbols_depend_on_the_seed_not_the_order(cb):
    cb.symbol("a")
    b_here = cb.symbol("b")[0]
    other = Codebook(seed=5, dimension=D)
    b_there = other.symbol("b")[0]
    assert np.array_equal(b_here.array, b_there.array)
    assert np.array_equal(b_here.array, algebra.named_symbol(5, "b", D))
    assert not np.array_equal(b_here.array, Codebook(seed=6, dimension=D).symbol("b")[0].array)


def test_an_unknown_symbol_without_create(cb):
    with pytest.raises(UnknownSymbolError, match="unknown symbol 'Atlantis'"):
        cb.symbol("Atlantis", create=False)
    assert not cb.knows("Atlantis")


@pytest.mark.parametrize("name", ["", None, 3])
def test_a_symbol_name_is_a_non_empty_string(cb, name):
    with pytest.raises(VSAError, match="a symbol name is a non-empty string"):
        cb.symbol(name)


def test_a_record_creates_its_symbols_and_reports_every_changed_label(cb):
    cb.symbol("capital")
    hv, changed = cb.record("France", {"capital": "Paris", "currency": "Euro"})
    # Paris, currency, Euro are new symbols (labels 2..4); the record is label 5
    assert changed == [2, 3, 4, 5]
    assert cb.records["France"] is hv and dict(hv.fields) == {"capital": "Paris",
                                                              "currency": "Euro"}
    assert cb.entries[5] == (RECORD, "France", hv)


def test_replacing_a_record_keeps_its_label(cb):
    cb.record("France", {"capital": "Paris"})
    label = cb.labels[(RECORD, "France")]
    hv, changed = cb.record("France", {"capital": "Lyon"})
    assert changed[-1] == label and cb.entries[label][2] is hv


def test_a_concept_of_another_dimension_is_refused(cb):
    with pytest.raises(DimensionMismatchError, match=f"codebook is {D}-d, concept 'c' is 32-d"):
        cb.concept("c", Hypervector.random(32, 0, "c"))
    label = cb.concept("c", Hypervector.random(D, 0, "c"))
    assert cb.entries[label][0] == CONCEPT


def test_labels_are_never_reused_after_removal(cb):
    cb.symbol("a")
    cb.record("r", {"role": "filler"})
    assert cb.remove(RECORD, "r") == cb.next_label - 1
    assert "r" not in cb.records
    assert cb.remove(SYMBOL, "a") == 1 and not cb.knows("a")
    assert cb.remove(SYMBOL, "a") is None
    _, label = cb.symbol("a")
    assert label == cb.next_label - 1 and label > 4


class FakeConn:
    def __init__(self, prototypes):
        self._root = {} if prototypes is None else {"prototypes": prototypes}

    def root(self):
        return self._root


def test_the_source_enumerates_every_entry_as_real_vectors(cb):
    cb.symbol("a")
    cb.record("r", {"role": "filler"})
    source = CodebookSource()
    rows = dict(source.enumerate(FakeConn({"Codebook": cb})))
    assert sorted(rows) == sorted(cb.entries.keys())
    assert all(v.dtype.kind == "f" and v.shape == (2 * D,) for v in rows.values())
    assert np.allclose(rows[1], algebra.to_real(cb.symbols["a"].array))


def test_the_source_looks_up_existing_labels_only(cb):
    cb.symbol("a")
    found = CodebookSource().lookup(FakeConn({"Codebook": cb}), [1, 99])
    assert list(found) == [1]


@pytest.mark.parametrize("prototypes", [None, {}])
def test_the_source_without_a_codebook_is_empty(prototypes):
    conn = FakeConn(prototypes)
    assert list(CodebookSource().enumerate(conn)) == []
    assert CodebookSource().lookup(conn, [1]) == {}


def test_the_source_reads_a_codebook_by_name(cb):
    cb.symbol("a")
    assert list(CodebookSource("Other").enumerate(FakeConn({"Other": cb})))[0][0] == 1
