"""Two nodes on one image (RelStorage): each keeps its own indexes and catches up by tid."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.relstorage


def test_each_node_catches_up_with_the_other_by_tid(tmp_path, pg_database, monkeypatch,
                                                    table_embedder, corpus):
    from telos import open_image
    from telos.memory import attach
    texts, _, _ = corpus
    monkeypatch.setenv("TELOS_STORAGE", pg_database)
    a = open_image(home=tmp_path / "node-a")
    b = open_image(home=tmp_path / "node-b")
    try:
        mem_a = attach(a, embedder=table_embedder)
        mem_b = attach(b, embedder=table_embedder)
        ids = mem_a.remember_many(texts[:40], batch_size=10)       # 4 thoughts on node A
        hits = mem_b.search(texts[13], k=1)                         # node B: never told
        assert hits[0].id == ids[13] and hits[0].distance < 1e-4
        assert len(mem_b.engine.l1) == 40
        more = mem_b.remember_many(texts[40:45])                    # and back
        assert mem_a.search(texts[42], k=1)[0].id == more[2]
        gone = mem_a.forget(ids[:5])
        assert gone == 5 and ids[0] not in {h.id for h in mem_b.search(texts[0], k=3)}
        assert len(mem_b.engine.l1) == len(mem_a.engine.l1) == 40
    finally:
        a.close()
        b.close()
    # a node that restarts replays its own delta log, then catches up on what it missed
    b = open_image(home=tmp_path / "node-b")
    a = open_image(home=tmp_path / "node-a")
    try:
        mem_a = attach(a, embedder=table_embedder)
        extra = mem_a.remember_many(texts[45:50])
        mem_b = attach(b, embedder=table_embedder)
        assert mem_b.search(texts[47], k=1)[0].id == extra[2]
        assert len(mem_b.engine.l1) == 45
    finally:
        a.close()
        b.close()
