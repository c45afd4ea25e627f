"""Hybrid memory search: words and meanings fused by reciprocal rank, each hit naming its tiers."""

from __future__ import annotations

import pytest

from telos.errors import MemoryStoreError
from telos.memory.fusion import fuse


def test_fuse_adds_weighted_reciprocal_ranks_and_names_the_lists():
    out = fuse({"vector": [7, 3, 9], "lexical": [3, 12]}, weights={"vector": 1.0, "lexical": 1.0}, k=60)
    assert [i for i, _, _ in out] == [3, 7, 12, 9]
    assert out[0][2] == ("vector", "lexical") and out[1][2] == ("vector",)
    assert out[0][1] == pytest.approx(1 / 62 + 1 / 61)
    heavy = fuse({"vector": [7], "lexical": [12]}, weights={"vector": 1.0, "lexical": 3.0}, k=60)
    assert heavy[0][0] == 12


def test_hybrid_by_default_with_tiers_modes_phrases_and_sources(mem_image, corpus):
    texts, vecs, _ = corpus
    mem = mem_image.memory
    ids = mem.remember_many(texts[:40], sources=["alpha" if i % 2 else None for i in range(40)])
    hits = mem.search(texts[7], k=5)
    assert hits[0].id == ids[7] and hits[0].tier == "L1"
    assert hits[0].tiers == ("L1", "lexical") and hits[0].as_dict()["tiers"] == ["L1", "lexical"]
    assert all(set(h.tiers) <= {"L1", "L2", "lexical"} and h.tier == h.tiers[0] for h in hits)
    assert [h.distance for h in hits] == sorted(h.distance for h in hits)

    vector = mem.search(texts[7], k=5, mode="vector")
    assert vector[0].id == ids[7] and all(h.tiers == ("L1",) for h in vector)
    assert vector[0].distance < 1e-4

    words = texts[7].split()
    phrase = '"' + " ".join(words[1:4]) + '"'
    lexical = mem.search(phrase, k=5, mode="lexical")
    assert ids[7] in [h.id for h in lexical] and all(h.tiers == ("lexical",) for h in lexical)

    only = mem.search(texts[8], k=10, source="alpha", vector=vecs[8])
    assert only and all(h.record.source == "alpha" for h in only)
    assert mem.search(texts[8], k=10, source="nobody", vector=vecs[8]) == []

    with pytest.raises(MemoryStoreError, match="search mode"):
        mem.search(texts[7], mode="fuzzy")
    assert mem.stats()["lexical"] == 40


def test_forgotten_records_leave_every_tier(mem_image, corpus):
    texts, _, _ = corpus
    mem = mem_image.memory
    ids = mem.remember_many(texts[:10])
    mem.forget([ids[3]])
    assert ids[3] not in {h.id for h in mem.search(texts[3], k=10)}
    assert mem.engine.lexical.ids() == set(ids) - {ids[3]}


def test_the_bridge_hit_carries_the_tiers(mem_image, corpus):
    from telos.bridge import protocol as P
    from telos.service.handlers import _hit
    texts, _, _ = corpus
    mem = mem_image.memory
    mem.remember_many(texts[:5], sources=["bridge"] * 5)
    wire = _hit(mem.search(texts[2], k=1)[0])
    assert wire.tiers == ["L1", "lexical"] and wire.tier == "L1" and wire.source == "bridge"
    assert P.MemoryHit(record_id="1", text="t", score=0.1).tiers == []    # older services


def test_the_backup_snapshot_carries_the_lexical_index(mem_image, corpus, tmp_path):
    from telos.index import TantivyIndex
    texts, _, _ = corpus
    mem = mem_image.memory
    ids = mem.remember_many(texts[:12])
    info = mem.snapshot(tmp_path / "snap")
    assert str(tmp_path / "snap" / "lexical" / "stamp.json") in info["files"]
    copy = TantivyIndex.load(tmp_path / "snap" / "lexical" / "tantivy")
    assert copy.ids().tolist() == ids
    copy.close()


@pytest.mark.parametrize("mode", ["hybrid", "vector", "lexical"])
def test_a_time_window_keeps_only_records_remembered_in_it(mem_image, corpus, mode):
    import datetime as dt
    texts, _, _ = corpus
    mem = mem_image.memory
    early = mem.remember_many(texts[:10])
    records = [mem.get(i) for i in early]
    cut = max(r.created for r in records)
    late = mem.remember_many(texts[10:20])
    assert min(mem.get(i).created for i in late) >= cut     # the window has records on both sides
    after = mem.search(texts[3], k=10, mode=mode, since=cut + 1e-6)
    assert after and all(h.id in late for h in after), [h.id for h in after]
    before = mem.search(texts[13], k=10, mode=mode,
                        until=dt.datetime.fromtimestamp(cut, dt.timezone.utc))
    assert before and all(h.id in early for h in before), [h.id for h in before]
    assert mem.search(texts[3], k=10, mode=mode, since=cut + 1e-6, until=cut + 1e-6 / 2) == []
