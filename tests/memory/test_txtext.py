"""The lexical index on plain ZODB (no image): 2PC, abort, replay on open, damage, snapshot."""

from __future__ import annotations

import json
import logging

import pytest
import transaction
import ZODB
import ZODB.FileStorage
from ZODB.utils import p64

from telos.index import TantivyIndex
from telos.memory.records import BankTextSource, ContextFractal, MemoryBank
from telos.memory.txtext import STAMP, TxTextIndex

WORDS = ["kettle", "lighthouse", "archimedes", "cupboard", "harbour", "lantern", "teapot", "stairs"]


def locate(conn):
    return conn.root().get("bank")


class Env:
    def __init__(self, path):
        self.path = path
        self.n = 0
        self.open()

    def open(self):
        self.db = ZODB.DB(ZODB.FileStorage.FileStorage(str(self.path / "t.fs")))
        self.tm = transaction.TransactionManager()
        self.conn = self.db.open(self.tm)
        if "bank" not in self.conn.root():
            self.conn.root()["bank"] = MemoryBank()
            self.tm.commit()
        self.ix = TxTextIndex(self.db, self.path / "lx", source=BankTextSource(locate)).open()

    def close(self):
        self.ix.close()
        self.tm.abort()
        self.conn.close()
        self.db.close()

    def add(self, n, commit=True, source=None):
        bank = self.conn.root()["bank"]
        ids = list(bank.allocate(n))
        texts = [f"the {WORDS[i % len(WORDS)]} number w{i}" for i in ids]
        for i, t in zip(ids, texts):
            bank.contexts[i] = ContextFractal(i, t, [0.0], source)
        self.ix.add(self.tm, ids, texts, [source] * n)
        if commit:
            self.tm.commit()
        return ids

    def forget(self, ids):
        bank = self.conn.root()["bank"]
        for i in ids:
            del bank.contexts[i]
        self.ix.remove(self.tm, ids)
        self.tm.commit()

    def truth(self):
        self.tm.begin()
        return set(self.conn.root()["bank"].contexts.keys())


@pytest.fixture
def env(tmp_path):
    e = Env(tmp_path)
    yield e
    e.close()


def found(ix, word, k=50):
    return {h.id for h in ix.search(word, k)}


def test_committed_found_aborted_never(env):
    ids = env.add(3)
    assert found(env.ix, f"w{ids[1]}") == {ids[1]}
    gone = env.add(2, commit=False)
    env.tm.abort()
    assert not any(found(env.ix, f"w{i}") for i in gone)
    env.forget([ids[0]])
    assert found(env.ix, f"w{ids[0]}") == set() and env.ix.ids() == env.truth()


def test_a_commit_stages_only_the_flush_makes_it_durable(env):
    """M2: a commit writes nothing of the lexical index; a flush commits Tantivy once."""
    env.add(2)
    stamp = (env.ix.directory / STAMP).read_text()
    env.add(3)
    assert env.ix._index.dirty and (env.ix.directory / STAMP).read_text() == stamp
    env.ix.flush()
    assert not env.ix._index.dirty
    assert json.loads((env.ix.directory / STAMP).read_text())["count"] == 5


def test_reopen_replays_what_the_stamp_does_not_cover(env):
    env.add(4)
    env.ix.flush()
    old = json.loads((env.ix.directory / STAMP).read_text())
    more = env.add(3)
    env.forget(more[:1])
    env.close()
    (env.path / "lx" / STAMP).write_text(json.dumps(old))     # as if killed before the stamp
    env.open()
    assert env.ix.ids() == env.truth() and found(env.ix, f"w{more[0]}") == set()
    assert found(env.ix, f"w{more[2]}") == {more[2]}


@pytest.mark.parametrize("damage", ["missing", "garbage_meta", "stamp_ahead", "no_stamp"])
def test_damaged_or_missing_files_rebuild_with_one_warning(env, damage, caplog):
    env.add(5)
    env.close()
    lx = env.path / "lx"
    if damage == "missing":
        import shutil
        shutil.rmtree(lx)
    elif damage == "garbage_meta":
        (lx / "tantivy" / "meta.json").write_text("garbage")
    elif damage == "stamp_ahead":
        (lx / STAMP).write_text(json.dumps({"tid": p64(2 ** 62).hex()}))
    else:
        (lx / STAMP).unlink()
    with caplog.at_level(logging.WARNING, logger="telos.memory.txtext"):
        env.open()
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "rebuil" in warnings[0].getMessage()
    assert env.ix.ids() == env.truth() and len(env.ix) == 5


def test_snapshot_is_a_loadable_copy_of_the_committed_state(env, tmp_path):
    ids = env.add(6, source="notes")
    env.forget(ids[:2])
    info = env.ix.snapshot(tmp_path / "snap")
    assert info["files"] and all(str(tmp_path / "snap") in f for f in info["files"])
    copy = TantivyIndex.load(tmp_path / "snap" / "tantivy")
    assert set(copy.ids().tolist()) == set(ids[2:]) == env.truth()
    assert {h.id for h in copy.search("number", 10, source="notes")} == set(ids[2:])
    copy.close()


def test_a_second_process_follows_in_ram(env):
    env.add(2)
    follower = TxTextIndex(env.db, env.path / "lx", source=BankTextSource(locate)).open()
    try:
        assert not follower.owner and follower.ids() == env.truth()
        ids = env.add(2)
        assert found(follower, f"w{ids[1]}") == {ids[1]}
    finally:
        follower.close()


def test_a_failed_tantivy_commit_is_rebuilt_from_the_image_and_search_goes_on(env, monkeypatch):
    """A flush that fails (a full disk, say) is logged and the index rebuilt from ZODB; the
    replaced index is closed without flushing again, so the next searches and commits work."""
    from telos.errors import VectorIndexError
    from telos.index.tantivy_index import TantivyIndex
    first = env.add(2)
    real = TantivyIndex.flush
    failures = []

    def failing(self):
        if self.dirty and not failures:
            failures.append(1)
            raise VectorIndexError("disk full")
        return real(self)
    monkeypatch.setattr(TantivyIndex, "flush", failing)
    later = env.add(2)
    assert found(env.ix, f"w{later[1]}") == {later[1]} and failures == [1]
    again = env.add(1)
    assert found(env.ix, f"w{again[0]}") == {again[0]}
    assert env.ix.ids() == env.truth() == set(first + later + again)


def test_close_releases_the_index_even_when_the_last_flush_fails(env, monkeypatch):
    from telos.errors import VectorIndexError
    from telos.index.tantivy_index import TantivyIndex
    env.add(2)
    monkeypatch.setattr(TantivyIndex, "flush", lambda self: (_ for _ in ()).throw(
        VectorIndexError("disk full")))
    env.ix.close()                     # logged, not raised
    assert env.ix._lockfd == -1 and env.ix._conn is None
    monkeypatch.undo()
    env.tm.abort()
    env.conn.close()
    env.db.close()
    env.open()                         # the next open replays what the stamp did not cover
    assert env.ix.ids() == env.truth()
