"""Layered search over L1 (FAISS) and L2 (DiskANN): recall, swap under load, damaged archives."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from .verify import check_m1


@pytest.mark.usefixtures("storage")   # FileStorage, and RelStorage under -m relstorage
def test_remember_search_real_model(mem_image, corpus, embedder):
    """With the real model: a paraphrase query finds the matching docstring."""
    from telos.memory import attach
    texts, _, _ = corpus
    mem = attach(mem_image, embedder=embedder)
    ids = mem.remember_many(texts[:50], batch_size=16)
    hits = mem.search(texts[7], k=3)
    assert hits[0].id == ids[7] and hits[0].tier == "L1" and hits[0].distance < 1e-4
    assert mem.stats()["records"] == 50


@pytest.mark.usefixtures("storage")   # FileStorage, and RelStorage under -m relstorage
def test_recall_at_10_layered_vs_brute_force(mem_image, corpus):
    texts, vecs, _ = corpus
    mem = mem_image.memory
    ids = mem.remember_many(texts[:500], batch_size=100)
    assert mem.archive() is not None            # first 500 go to DiskANN
    more = mem.remember_many(texts[500:600])    # the rest stay in L1
    st = mem.stats()
    assert st["l2"] == 500 and st["l1"] == len(more)
    all_ids = np.array(ids + more)
    queries = vecs[::7][:80] + 0.02 * np.random.default_rng(0).standard_normal((80, vecs.shape[1])).astype("f4")
    recall = []
    for q in queries:
        exact = all_ids[np.argsort(((vecs[:600] - q) ** 2).sum(1))[:10]]
        got = [h.id for h in mem.search(q, k=10)]
        recall.append(len(set(got) & set(exact.tolist())) / 10)
    assert np.mean(recall) >= 0.95, np.mean(recall)
    tiers = {h.tier for q in queries[:20] for h in mem.search(q, k=10)}
    assert tiers == {"L1", "L2"}
    check_m1(mem)


def test_swap_while_threads_search(mem_image, corpus):
    texts, vecs, _ = corpus
    mem = mem_image.memory
    ids = mem.remember_many(texts[:300], batch_size=100)
    stop, errors, checks = threading.Event(), [], [0]
    probe = list(range(0, 300, 10))

    def searcher():
        session = mem_image.session()
        from telos.memory import attach
        m = attach(session, embedder=mem.engine.embedder)
        try:
            while not stop.is_set():
                for j in probe:
                    hits = m.search(vecs[j], k=5)
                    if not hits or hits[0].id != ids[j]:
                        errors.append((j, [(h.id, h.tier) for h in hits]))
                    checks[0] += 1
        except Exception as exc:   # noqa: BLE001 -- the test reports any failure
            errors.append(repr(exc))

    threads = [threading.Thread(target=searcher) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        mem.archive()                              # build + swap + L1 eviction
        mem.remember_many(texts[300:330])
        mem.archive()                              # a second swap replaces the first archive
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors[:5]
    assert checks[0] > 0
    assert mem.stats()["l2"] == 330 and mem.stats()["l1"] == 0


@pytest.mark.parametrize("damage", ["delete_pointer", "truncate", "garbage", "delete_file"])
def test_damaged_archive_is_dropped_and_served_from_l1(telos_home, corpus, table_embedder,
                                                       damage, caplog):
    from telos import open_image
    from telos.memory import attach
    texts, vecs, _ = corpus
    im = open_image()
    mem = attach(im, embedder=table_embedder)
    mem.remember_many(texts[:100])
    meta = mem.archive()
    mem.remember_many(texts[100:120])
    im.close()
    l2 = telos_home / "index" / "l2"
    target = l2 / meta["dir"] / "ann_disk.index"
    if damage == "delete_pointer":
        (l2 / "CURRENT").unlink()
    elif damage == "truncate":
        target.write_bytes(target.read_bytes()[:1000])
    elif damage == "garbage":
        target.write_bytes(b"\x13" * target.stat().st_size)
    else:
        target.unlink()
    with caplog.at_level("WARNING"):
        im = open_image()
        mem = attach(im, embedder=table_embedder)
    try:
        if damage != "delete_pointer":
            assert "unusable" in caplog.text
        assert mem.stats()["l1"] == 120 and mem.stats()["l2"] == 0
        check_m1(mem)
        mem.archive()
        assert mem.stats()["l2"] == 120
        check_m1(mem)
    finally:
        im.close()


def test_diskann_chatter_stays_off_stdout(mem_image, corpus, capfd):
    texts, _, _ = corpus
    mem = mem_image.memory
    mem.remember_many(texts[:60])
    capfd.readouterr()
    mem.archive()
    mem.search(texts[0] and corpus[1][0], k=3)
    mem.engine.l2.close()
    out, err = capfd.readouterr()
    assert "DiskANN" not in out + err and "Reading" not in out + err and "Clearing" not in out, out[:500]


def test_index_state_reports_a_rebuild_for_the_status_bar(mem_image, corpus):
    texts, _, _ = corpus
    mem = mem_image.memory
    assert mem.index_state() == {"state": "idle", "detail": "no L2 archive yet",
                                 "last_rebuild": None}
    mem.remember_many(texts[:64])
    seen = []
    builder = threading.Thread(target=mem.archive)
    builder.start()
    while builder.is_alive():
        seen.append(mem.index_state()["state"])
    builder.join()
    assert "rebuilding" in seen
    after = mem.index_state()
    assert after["state"] == "idle" and after["detail"] == "L2 archive 64 records"
    assert after["last_rebuild"] is not None
