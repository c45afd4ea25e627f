"""The generic transactional index on plain ZODB (no image): 2PC, abort, reopen, files."""

from __future__ import annotations

import numpy as np
import pytest
import transaction
import ZODB
import ZODB.FileStorage

from telos.memory.deltalog import Delta, read_log
from telos.memory.records import BankSource, ContextFractal, MemoryBank
from telos.memory.txindex import TxVectorIndex

DIM = 16


def locate(conn):
    return conn.root().get("bank")


class Env:
    def __init__(self, path):
        self.path = path
        self.rng = np.random.default_rng(7)
        self.open()

    def open(self):
        self.db = ZODB.DB(ZODB.FileStorage.FileStorage(str(self.path / "t.fs")))
        self.tm = transaction.TransactionManager()
        self.conn = self.db.open(self.tm)
        if "bank" not in self.conn.root():
            self.conn.root()["bank"] = MemoryBank()
            self.tm.commit()
        self.ix = TxVectorIndex(self.db, self.path / "ix", name="t", dim=DIM,
                                source=BankSource(locate)).open()

    def close(self):
        self.ix.close()
        self.tm.abort()
        self.conn.close()
        self.db.close()

    def add(self, n, commit=True):
        bank = self.conn.root()["bank"]
        ids = list(bank.allocate(n))
        v = self.rng.standard_normal((n, DIM)).astype("f4")
        for i, x in zip(ids, v):
            bank.contexts[i] = ContextFractal(i, f"t{i}", x)
        self.ix.add(self.tm, ids, v)
        if commit:
            self.tm.commit()
        return ids, v

    def truth(self):
        self.tm.begin()
        return set(self.conn.root()["bank"].contexts.keys())


@pytest.fixture
def env(tmp_path):
    e = Env(tmp_path)
    yield e
    e.close()


def test_commit_adds_and_abort_leaves_no_trace(env):
    ids, v = env.add(5)
    assert env.ix.ids() == set(ids)
    hit, = env.ix.search(v[2], 1)[0]
    assert hit.id == ids[2] and hit.distance < 1e-5
    bad, _ = env.add(3, commit=False)
    env.tm.abort()
    assert env.ix.ids() == set(ids)
    env.close()
    env.open()
    assert env.ix.ids() == env.truth() == set(ids)


def test_failed_vote_aborts_the_thought(env, monkeypatch):
    ids, _ = env.add(2)
    def boom(delta):
        raise OSError("disk full")
    monkeypatch.setattr(env.ix._log, "append", boom)
    with pytest.raises(Exception):
        env.add(2)
    env.tm.abort()
    monkeypatch.undo()
    assert env.truth() == set(ids) == env.ix.ids()


def test_savepoint_rollback(env):
    ids, _ = env.add(1)
    sp = env.tm.savepoint()
    env.add(2, commit=False)
    sp.rollback()
    env.tm.commit()
    assert env.ix.ids() == set(ids) == env.truth()


def test_checkpoint_then_reopen_replays_only_the_tail(env):
    a, _ = env.add(4)
    env.ix.checkpoint()
    assert read_log(env.path / "ix" / "delta.log")[0] == {}
    b, _ = env.add(3)
    assert len(read_log(env.path / "ix" / "delta.log")[0]) == 1
    env.close()
    env.open()
    assert env.ix.ids() == set(a + b)


def test_remove_and_upsert(env):
    ids, v = env.add(4)
    env.conn.root()["bank"].contexts.pop(ids[0])
    env.ix.remove(env.tm, [ids[0]])
    env.tm.commit()
    assert env.ix.ids() == set(ids[1:])
    env.close()
    env.open()
    assert env.ix.ids() == set(ids[1:]) == env.truth()


@pytest.mark.parametrize("damage", ["delete", "truncate", "garbage"])
def test_damaged_checkpoint_is_rebuilt_with_a_warning(env, damage, caplog):
    ids, v = env.add(6)
    env.ix.checkpoint()
    env.add(2)
    ck = next((env.path / "ix").glob("ckpt-*.faiss"))
    env.close()
    if damage == "delete":
        ck.unlink()
    elif damage == "truncate":
        ck.write_bytes(ck.read_bytes()[:100])
    else:
        ck.write_bytes(b"\x00garbage" * 50)
    with caplog.at_level("WARNING"):
        env.open()
    assert "rebuilding from the image" in caplog.text
    assert env.ix.ids() == env.truth() and len(env.truth()) == 8
    assert env.ix.search(v[3], 1)[0][0].id == ids[3]


@pytest.mark.parametrize("damage", ["truncate", "garbage", "delete", "wrong_vectors"])
def test_damaged_delta_log_falls_back_to_zodb(env, damage, caplog):
    env.ix.checkpoint()
    ids, v = env.add(5)
    log_path = env.path / "ix" / "delta.log"
    env.close()
    raw = log_path.read_bytes()
    if damage == "truncate":
        log_path.write_bytes(raw[:-7])
    elif damage == "garbage":
        log_path.write_bytes(raw[:20] + b"\xff" * 40 + raw[60:])
    elif damage == "delete":
        log_path.unlink()
    else:   # a well-formed record whose ids do not match the committed thought
        (tok, d), = read_log(log_path)[0].items()
        log_path.write_bytes(Delta(tok, d.add_ids[:2], d.add_vecs[:2], d.del_ids).encode())
    env.open()
    assert env.ix.ids() == set(ids)
    for k in range(5):   # the vectors come from ZODB, not from the damaged log
        np.testing.assert_allclose(env.ix.vector(ids[k]), v[k], atol=1e-6)


def test_checkpoint_ahead_of_the_image_is_not_trusted(env, tmp_path, caplog):
    import shutil
    env.add(3)
    env.close()
    shutil.copy(env.path / "t.fs", tmp_path / "old.fs")
    env.open()
    env.add(4)
    env.ix.checkpoint()
    env.close()
    shutil.copy(tmp_path / "old.fs", env.path / "t.fs")   # the image went back in time
    (env.path / "t.fs.index").unlink(missing_ok=True)
    with caplog.at_level("WARNING"):
        env.open()
    assert "does not have" in caplog.text
    assert env.ix.ids() == env.truth() and len(env.truth()) == 3


def test_snapshot_is_a_consistent_checkpoint(env, tmp_path):
    ids, _ = env.add(4)
    info = env.ix.snapshot(tmp_path / "snap")
    env.add(2)
    from telos.memory import checkpoint
    index, meta = checkpoint.load(tmp_path / "snap", DIM, "l2")
    assert meta["tid"] == info["tid"] and index.count == 4
    assert all(p.startswith(str(tmp_path / "snap")) for p in info["files"])


def test_second_process_view_catches_up(env):
    """A follower index (another owner holds the directory) picks up commits via the storage."""
    other = TxVectorIndex(env.db, env.path / "ix", name="t", dim=DIM, source=BankSource(locate)).open()
    try:
        assert not other.owner
        ids, v = env.add(3)
        other.catch_up()
        assert other.ids() == set(ids)
        assert other.search(v[1], 1)[0][0].id == ids[1]
    finally:
        other.close()


def test_images_written_with_the_old_short_extension_keys_still_reconcile(env):
    """Thoughts committed before the keys had names carried {"t", "a", "d"}."""
    from telos.memory.datamanager import EXT_ADDED_RUNS, EXT_REMOVED_RUNS, EXT_TOKEN, expand
    env.ix.checkpoint()
    bank = env.conn.root()["bank"]
    ids = list(bank.allocate(3))
    v = env.rng.standard_normal((3, DIM)).astype("f4")
    for i, x in zip(ids, v):
        bank.contexts[i] = ContextFractal(i, f"t{i}", x)
    env.tm.get().extension[env.ix.ext_key] = {"t": "ab" * 16, "a": ids, "d": []}
    env.tm.commit()                        # written as an older image would have
    env.close()
    env.open()                             # replayed from ZODB (no log record for that token)
    assert env.ix.ids() == set(ids) == env.truth()
    ids2, _ = env.add(1)
    ext = next(iter(env.db.storage.iterator(env.db.storage.lastTransaction()))).extension[env.ix.ext_key]
    assert set(ext) == {EXT_TOKEN, EXT_ADDED_RUNS, EXT_REMOVED_RUNS}
    assert expand(ext[EXT_ADDED_RUNS]) == ids2


def test_a_failing_checkpoint_never_escapes_the_commit(env, monkeypatch, caplog):
    """tpc_finish only starts the checkpoint thread; its failure is logged, the commit stands."""
    env.ix.checkpoint_bytes = 1
    def boom():
        raise OSError("disk full")
    monkeypatch.setattr(env.ix, "checkpoint", boom)
    with caplog.at_level("ERROR"):
        ids, _ = env.add(2)
        env.ix._ckpt_thread.join()
    assert "background checkpoint failed" in caplog.text
    assert env.ix.ids() == set(ids) == env.truth()


def test_the_data_manager_asserts_the_protocol_order(env):
    from telos.memory.datamanager import Phase
    env.add(1, commit=False)
    dm = env.ix._dm(env.tm)
    txn = env.tm.get()
    with pytest.raises(AssertionError):
        dm.tpc_vote(txn)                   # before tpc_begin
    dm.tpc_begin(txn)
    with pytest.raises(AssertionError):
        dm.add([1], np.zeros((1, DIM), "f4"))   # no changes during the commit
    dm.tpc_abort(txn)
    assert dm.phase is Phase.ABORTED
    dm.tpc_abort(txn)                      # idempotent
    env.tm.abort()


def test_tpc_finish_survives_a_checkpoint_that_cannot_start(env, monkeypatch, caplog):
    env.ix.checkpoint_bytes = 1
    def cannot_start(self):
        raise RuntimeError("can't start new thread")
    monkeypatch.setattr("threading.Thread.start", cannot_start)
    with caplog.at_level("ERROR"):
        ids, _ = env.add(2)
    assert "could not start a background checkpoint" in caplog.text
    assert env.ix.ids() == set(ids) == env.truth()
