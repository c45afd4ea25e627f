"""A checkpoint of L1 holds the index lock only while it copies the arrays: a search and a
commit go through while it serializes, and the commit's log record survives the log's cut."""

from __future__ import annotations

import threading

import faiss
import numpy as np

from telos.memory.deltalog import read_log
from tests.memory.test_txindex import env  # noqa: F401 - the fixture


def test_search_and_commit_go_through_while_a_checkpoint_serializes(env, monkeypatch):  # noqa: F811
    a, va = env.add(20)
    serializing, release = threading.Event(), threading.Event()
    real = faiss.serialize_index

    def held(index):
        serializing.set()
        assert release.wait(60), "the test never released the serialization"
        return real(index)
    monkeypatch.setattr(faiss, "serialize_index", held)
    ckpt = threading.Thread(target=env.ix.checkpoint, name="checkpoint")
    ckpt.start()
    found = []
    try:
        assert serializing.wait(60)
        search = threading.Thread(target=lambda: found.append(env.ix.search(va[3], 1)[0][0].id))
        search.start()
        search.join(60)
        assert not search.is_alive(), "a search waited for the checkpoint's serialization"
        assert found == [a[3]]
        b, vb = env.add(2)                      # commits while the checkpoint is under way
    finally:
        release.set()
        ckpt.join(60)
    monkeypatch.undo()
    assert not ckpt.is_alive()
    records, _ = read_log(env.path / "ix" / "delta.log")
    assert [sorted(d.add_ids.tolist()) for d in records.values()] == [sorted(b)]
    env.close()
    env.open()
    assert env.ix.ids() == set(a + b) == env.truth()
    hit = env.ix.search(vb[1], 1)[0][0]
    assert hit.id == b[1] and hit.distance < 1e-5


def test_the_serializer_gives_the_bytes_of_the_index_when_it_was_taken():
    from telos.index.faiss_index import FaissIndex
    rng = np.random.default_rng(3)
    for metric in ("l2", "ip"):
        ix = FaissIndex(8, metric)
        ix.add(range(10, 40), rng.standard_normal((30, 8)).astype("f4"))
        ix.remove([12, 30])
        before = ix.to_bytes()
        later = ix.serializer()
        ix.add([99], rng.standard_normal((1, 8)).astype("f4"))
        assert later() == before != ix.to_bytes()
        assert FaissIndex(8, metric).serializer()() == FaissIndex(8, metric).to_bytes()
