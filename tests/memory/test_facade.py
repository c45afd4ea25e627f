"""telos/memory/facade.py (``image.memory``) with the stand-in embedder: remember in thoughts,
search merged and hydrated from ZODB, forget, get, stats, and the size policy (the real model
and the L2 archive: test_layered.py)."""

from __future__ import annotations

import numpy as np
import pytest

from telos.errors import MemoryStoreError
from telos.memory.hits import Hit

TEXTS = ["the sky is blue", "grass is green", "the sea is salty", "snow is cold"]


@pytest.fixture
def memory(image, standin_embedder):
    return image.memory


def test_remember_returns_fresh_ids_in_one_thought_per_batch(image, memory):
    before = len(image.thoughts(1000))
    ids = memory.remember_many(TEXTS, sources=["a", "b", "c", "d"], batch_size=3)
    assert ids == [1, 2, 3, 4]
    assert len(image.thoughts(1000)) == before + 2             # batches of 3 and 1
    assert memory.get(2).text == "grass is green" and memory.get(2).source == "b"
    assert memory.remember("one more") == 5


def test_a_batch_whose_embedding_fails_stops_the_run_and_keeps_the_batches_before(image, memory,
                                                                                   standin_embedder):
    from telos.errors import EmbeddingError
    real = standin_embedder.encode
    calls = []

    def encode(texts):                     # the pipeline embeds batch n+1 while n commits
        calls.append(list(texts))
        if "poison" in texts:
            raise EmbeddingError("the model failed on this batch")
        return real(texts)
    standin_embedder.encode = encode
    before = len(image.thoughts(1000))
    with pytest.raises(EmbeddingError, match="failed on this batch"):
        memory.remember_many(["a1", "a2", "b1", "poison", "c1"], batch_size=2)
    assert calls == [["a1", "a2"], ["b1", "poison"]]          # "c1" never embedded
    assert len(image.thoughts(1000)) == before + 1          # only the first batch committed
    assert [r.text for r in memory.bank.contexts.values()] == ["a1", "a2"]
    assert len(memory.engine.l1) == 2 and memory.engine.lexical.ids() == {1, 2}


def test_a_remembered_text_is_found_first_by_its_own_text(memory):
    memory.remember_many(TEXTS)
    hits = memory.search("the sea is salty", k=2)
    assert [type(h) for h in hits] == [Hit, Hit]
    assert hits[0].text == "the sea is salty" and hits[0].tier == "L1"
    assert hits[0].distance <= hits[1].distance
    assert hits[0].as_dict() == {"id": 3, "text": "the sea is salty",
                                 "distance": hits[0].distance, "tier": "L1",
                                 "tiers": ["L1", "lexical"]}
    assert hits[0].record is memory.get(3)


def test_search_by_vector(memory, standin_embedder):
    memory.remember_many(TEXTS)
    vec = standin_embedder.encode(["snow is cold"])[0]
    assert memory.search(vec, k=1)[0].id == 4


def test_k_caps_the_hits_and_an_empty_memory_answers_nothing(memory):
    assert memory.search("anything", k=3) == []
    memory.remember_many(TEXTS)
    assert len(memory.search("anything", k=3)) == 3
    assert len(memory.search("anything", k=10)) == 4


def test_forget_removes_records_and_their_vectors(memory):
    memory.remember_many(TEXTS)
    assert memory.forget([2, 99]) == 1
    assert memory.get(2) is None
    assert 2 not in {h.id for h in memory.search("grass is green", k=4)}
    assert memory.stats()["records"] == 3 and memory.stats()["l1"] == 3


def test_an_aborted_thought_remembers_nothing(image, memory):
    with pytest.raises(RuntimeError):
        with image.thought("changed my mind"):
            memory.remember("nested remember inside a failing thought")
            raise RuntimeError("abort")
    assert memory.stats()["records"] == 0 and memory.search("nested", k=1) == []


def test_stats_and_capacity(image, memory):
    memory.remember_many(TEXTS)
    stats = memory.stats()
    assert (stats["records"], stats["concepts"], stats["l1"], stats["l2"]) == (4, 0, 4, 0)
    assert stats["l1_capacity"] == memory.l1_capacity > 0


def test_maintain_does_nothing_under_capacity(memory):
    memory.remember_many(TEXTS)
    assert memory.maintain() is None


def test_without_a_memory_manager_the_facade_says_so(image, memory):
    with image.thought("lose the manager"):
        del image.root["prototypes"]["MemoryManager"]
    with pytest.raises(MemoryStoreError, match="no MemoryManager"):
        memory.bank


def test_stored_embeddings_are_the_embedders_vectors(memory, standin_embedder):
    memory.remember("the sky is blue")
    np.testing.assert_array_equal(memory.get(1).vector,
                                  standin_embedder.encode(["the sky is blue"])[0])


def test_a_bank_from_before_the_record_counter_is_counted_once_at_awakening(image, memory):
    from telos import genesis
    memory.remember_many(TEXTS)
    with image.thought("a bank as made before the counter"):
        del memory.bank.size
    assert memory.bank.size is None and memory.stats()["records"] == 4    # counted the slow way
    genesis.awaken(image)
    assert memory.bank.size() == 4
    memory.forget([1])
    memory.remember("one more")
    assert memory.stats()["records"] == 4 == len(memory.bank.contexts)
