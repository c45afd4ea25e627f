"""telos/memory/records.py: records keep embeddings as float32 bytes, the bank never reuses an
id, and BankSource enumerates and looks up vectors through a connection."""

from __future__ import annotations

import numpy as np
import pytest

from telos.memory.records import BankSource, ConceptFractal, ContextFractal, MemoryBank


def test_a_context_stores_its_embedding_as_little_endian_float32_bytes():
    rec = ContextFractal(7, "the sky is blue", np.array([1.5, -2.0, 3.25], dtype=np.float64),
                         source="chat", created=12.5)
    assert isinstance(rec.embedding, bytes) and len(rec.embedding) == 12
    assert rec.vector.dtype == np.dtype("<f4")
    np.testing.assert_array_equal(rec.vector, [1.5, -2.0, 3.25])
    assert (rec.id, rec.text, rec.source, rec.created) == (7, "the sky is blue", "chat", 12.5)


def test_a_context_normalises_id_text_and_time():
    rec = ContextFractal("3", 42, [0.0])
    assert rec.id == 3 and rec.text == "42" and isinstance(rec.created, float)
    assert rec.source is None


def test_the_vector_is_a_read_only_view_of_the_stored_bytes():
    rec = ContextFractal(1, "t", [1.0, 2.0])
    with pytest.raises(ValueError):
        rec.vector[0] = 5.0


def test_reprs_cut_long_text():
    long = "x" * 100
    assert repr(ContextFractal(1, long, [0.0])) == f"<ContextFractal 1: {'x' * 40!r}>"
    assert repr(ConceptFractal(2, long)) == f"<ConceptFractal 2: {'x' * 40!r}>"


def test_a_concept_links_contexts_by_integer_id_and_starts_without_a_hypervector():
    concept = ConceptFractal(9, "colours", contexts=("1", 2, 3.0), created=1.0)
    assert list(concept.contexts) == [1, 2, 3]
    assert all(type(c) is int for c in concept.contexts)
    assert (concept.hypervector, concept.hv_dtype, concept.hv_shape) == (None, None, None)
    assert concept.created == 1.0


def test_the_bank_allocates_fresh_ids_and_never_reuses_them():
    bank = MemoryBank()
    assert list(bank.allocate()) == [1]
    assert list(bank.allocate(3)) == [2, 3, 4]
    bank.contexts[2] = ContextFractal(2, "t", [0.0])
    del bank.contexts[2]
    assert list(bank.allocate(2)) == [5, 6]
    assert bank.next_id == 7
    assert list(bank.allocate(0)) == []


@pytest.fixture
def bank():
    bank = MemoryBank()
    for i in bank.allocate(4):
        bank.contexts[i] = ContextFractal(i, f"t{i}", [float(i), 0.0])
    return bank


def test_bank_source_enumerates_every_context_above_min_id(bank):
    conn = object()
    located = []
    source = BankSource(lambda c: located.append(c) or bank)
    assert [(i, v.tolist()) for i, v in source.enumerate(conn)] == [
        (1, [1.0, 0.0]), (2, [2.0, 0.0]), (3, [3.0, 0.0]), (4, [4.0, 0.0])]
    assert located == [conn]
    archived = BankSource(lambda c: bank, min_id=lambda: 2)
    assert [i for i, _ in archived.enumerate(conn)] == [3, 4]


def test_bank_source_looks_up_only_existing_ids(bank):
    source = BankSource(lambda c: bank)
    found = source.lookup(None, [np.int64(2), 4, 99])
    assert sorted(found) == [2, 4] and found[4].tolist() == [4.0, 0.0]


def test_bank_source_without_a_bank_is_empty():
    source = BankSource(lambda c: None)
    assert list(source.enumerate(None)) == [] and source.lookup(None, [1]) == {}
