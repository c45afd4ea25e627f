"""Search as of a past thought: the records the image held then, forgotten ones included, and
none remembered later -- the same records as ``image.at(T)``."""

from __future__ import annotations

import pytest

from telos.memory.asof import forgotten_since

MODES = ("hybrid", "vector", "lexical")


@pytest.fixture
def timeline(mem_image, corpus):
    """Ten records; then, after thought T, record 3 forgotten and ten more remembered."""
    texts, _, _ = corpus
    mem = mem_image.memory
    before = mem.remember_many(texts[:10])
    t = mem_image.last_thought
    mem.forget([before[3]])
    after = mem.remember_many(texts[10:20])
    return mem, texts, before, after, t


@pytest.mark.parametrize("mode", MODES)
def test_as_of_t_includes_what_was_forgotten_since_and_excludes_what_came_later(timeline, mode):
    mem, texts, before, after, t = timeline
    q = texts[3] if mode != "lexical" else " ".join(texts[3].split()[:8])
    past = mem.search(q, k=5, mode=mode, as_of=t)
    assert past[0].id == before[3] and past[0].text == texts[3]
    assert past[0].tier in ("forgotten", "lexical")
    now = mem.search(q, k=5, mode=mode)
    assert before[3] not in {h.id for h in now}

    q_new = texts[14] if mode != "lexical" else " ".join(texts[14].split()[:8])
    assert mem.search(q_new, k=5, mode=mode)[0].id == after[4]
    assert after[4] not in {h.id for h in mem.search(q_new, k=20, mode=mode, as_of=t)}


def test_as_of_answers_for_exactly_the_records_of_image_at(timeline, mem_image):
    mem, texts, before, after, t = timeline
    view = mem_image.at(t)
    held = set(view.memory.bank.contexts.keys())
    assert held == set(before)
    found = {h.id for h in mem.search(texts[0], k=50, mode="vector", as_of=t)}
    assert found == held
    # the past view's own facade answers the same
    assert [h.id for h in view.memory.search(texts[5], k=5)] == \
        [h.id for h in mem.search(texts[5], k=5, as_of=t)]
    # now: the forgotten record is gone, the later ones are there
    assert {h.id for h in mem.search(texts[0], k=50, mode="vector")} == \
        (set(before) - {before[3]}) | set(after)


def test_filters_apply_to_forgotten_records_too(mem_image, corpus):
    texts, vecs, _ = corpus
    mem = mem_image.memory
    ids = mem.remember_many(texts[:6], sources=["alpha", None] * 3)
    t = mem_image.last_thought
    mem.forget([ids[0], ids[1]])
    hits = mem.search(texts[0], k=10, source="alpha", as_of=t, vector=vecs[0])
    assert {h.id for h in hits} == {ids[0], ids[2], ids[4]}
    assert ids[1] not in {h.id for h in mem.search(texts[1], k=10, as_of=t, source="alpha")}


def test_forgotten_since_reads_the_removed_lists_of_later_thoughts(timeline, mem_image):
    mem, _, before, _, t = timeline
    storage = mem.engine.db.storage
    assert forgotten_since(storage, bytes.fromhex(t), mem.engine.l1.ext_key) == {before[3]}
    assert forgotten_since(storage, bytes.fromhex(mem_image.last_thought),
                           mem.engine.l1.ext_key) == set()


def test_archived_records_are_found_once_as_of_a_past_thought(mem_image, corpus):
    texts, _, _ = corpus
    mem = mem_image.memory
    ids = mem.remember_many(texts[:120])
    t = mem_image.last_thought
    assert mem.archive() is not None                   # L1 -> L2: removed from L1, still exist
    mem.forget([ids[2]])
    hits = mem.search(texts[2], k=120, mode="vector", as_of=t)
    assert [h.id for h in hits].count(ids[2]) == 1 and hits[0].id == ids[2]
    assert {h.id for h in hits} == set(ids) and len(hits) == 120
    assert {h.tier for h in hits} <= {"L1", "L2", "forgotten"} and "L2" in {h.tier for h in hits}
