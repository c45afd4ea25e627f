"""telos/vsa/space.py: the in-memory knowledge base — the same symbols as an image codebook of
the same seed, records refused twice, and cleanup that widens until it finds enough of a kind
(with the exact torchhd cleanup and the FAISS default)."""

from __future__ import annotations

import numpy as np
import pytest

from telos.errors import UnknownSymbolError, VSAError
from telos.vsa import algebra, records
from telos.vsa.cleanup import FaissCleanup, TorchhdCleanup
from telos.vsa.qtl import RECORD, SYMBOL, Match
from telos.vsa.space import MemorySpace

D = 512


@pytest.fixture(params=[TorchhdCleanup, FaissCleanup], ids=["torchhd", "faiss"])
def space(request):
    return MemorySpace(D, seed=4, index_factory=request.param)


def test_symbols_are_deterministic_and_created_once(space):
    vec = space.symbol("Paris")
    assert np.array_equal(vec, algebra.named_symbol(4, "Paris", D))
    assert space.symbol("Paris") is vec and space.knows("Paris") and len(space) == 1


def test_vector_of_an_unknown_symbol(space):
    with pytest.raises(UnknownSymbolError, match="unknown symbol 'Atlantis'"):
        space.vector_of("Atlantis")
    assert not space.knows("Atlantis")


def test_a_record_creates_its_symbols_and_is_stored_once(space):
    vec = space.add_record("france", {"capital": "Paris", "currency": "Euro"})
    assert all(space.knows(n) for n in ("capital", "Paris", "currency", "Euro"))
    assert len(space) == 5
    expected = records.encode({"capital": "Paris", "currency": "Euro"}, space.vector_of)
    assert np.allclose(space.record_vector("france"), expected) and np.allclose(vec, expected)
    with pytest.raises(VSAError, match="record 'france' exists"):
        space.add_record("france", {"capital": "Lyon"})


def test_an_unknown_record(space):
    with pytest.raises(VSAError, match="unknown record 'mars'"):
        space.record_vector("mars")


def test_cleanup_finds_the_symbol_behind_a_noisy_filler(space):
    space.add_record("france", {"capital": "Paris", "currency": "Euro", "language": "French"})
    space.add_record("japan", {"capital": "Tokyo", "currency": "Yen", "language": "Japanese"})
    noisy = records.noisy_filler(space.record_vector("france"), space.vector_of("currency"))
    best = space.cleanup(noisy, SYMBOL)
    assert [m.key for m in best] == ["Euro"] and isinstance(best[0], Match)
    assert best[0].kind == SYMBOL and best[0].score > 0.2


def test_cleanup_of_a_kind_skips_the_other_kind(space):
    for i in range(6):
        space.add_record(f"r{i}", {"role": f"filler{i}"})
    query = space.vector_of("filler3")                     # closest entry: a symbol
    assert space.cleanup(query, SYMBOL)[0].key == "filler3"
    records_only = space.cleanup(query, RECORD, k=2)
    assert len(records_only) == 2 and all(m.kind == RECORD for m in records_only)
    probe = records.probe({"role": space.vector_of("filler3")}, space.vector_of)
    assert space.cleanup(probe, RECORD)[0].key == "r3"


def test_cleanup_asks_for_no_more_than_there_is(space):
    space.symbol("only")
    assert [m.key for m in space.cleanup(space.vector_of("only"), SYMBOL, k=5)] == ["only"]
    assert space.cleanup(space.vector_of("only"), RECORD, k=1) == []
