"""telos/memory/datamanager.py with a recording index and a real ``transaction`` transaction:
joins on creation, asserts the phase order, votes the delta, finishes without raising, aborts
idempotently; savepoints; the extension keys old and new."""

from __future__ import annotations

import numpy as np
import pytest
import transaction

from telos.memory.datamanager import (
    EXT_ADDED, EXT_ADDED_RUNS, EXT_REMOVED, EXT_REMOVED_RUNS, EXT_TOKEN, MAX_RUNS,
    IndexDataManager, Phase, read_extension, runs,
)

DIM = 2


class RecordingIndex:
    name = "probe"
    dim = DIM
    ext_key = "probe-index"

    def __init__(self):
        self.calls: list[tuple] = []
        self.fail_vote = False

    def vote(self, delta):
        self.calls.append(("vote", delta))
        if self.fail_vote:
            raise OSError("disk full")

    def finish(self, token):
        self.calls.append(("finish", token))

    def forget(self, token):
        self.calls.append(("forget", token))

    def detach(self, dm):
        self.calls.append(("detach", dm))

    def names(self):
        return [c[0] for c in self.calls]


@pytest.fixture
def tm():
    manager = transaction.TransactionManager()
    yield manager
    manager.abort()


@pytest.fixture
def index():
    return RecordingIndex()


def _vec(x):
    return np.array([x, x], dtype=np.float32)


def test_it_joins_the_transaction_and_names_itself_in_the_extension(tm, index):
    txn = tm.get()
    dm = IndexDataManager(index, txn)
    assert dm.phase is Phase.JOINED
    assert dm in txn._resources
    ext = txn.extension["probe-index"]
    assert ext == {EXT_TOKEN: dm.token.hex(), EXT_ADDED_RUNS: [], EXT_REMOVED_RUNS: []}
    assert len(dm.token) == 16


def test_sort_key_sorts_after_zodb_connections(tm, index):
    dm = IndexDataManager(index, tm.get())
    assert dm.sortKey().startswith("~~telos-index:probe:")
    # ZODB's connections sort by their storage's key (a path, a name): letters, digits, '/'
    for zodb_key in ("/home/u/var/telos.fs:140", "zeo:localhost:8100", "zzzz"):
        assert dm.sortKey() > zodb_key


def test_adds_and_removes_cancel_and_are_recorded_sorted(tm, index):
    dm = IndexDataManager(index, tm.get())
    dm.add([5, 3], [_vec(5), _vec(3)])
    dm.remove([3, 8])
    dm.add([8], [_vec(8)])
    assert sorted(dm.adds) == [5, 8] and dm.dels == {3}
    ext = tm.get().extension["probe-index"]
    assert ext[EXT_ADDED_RUNS] == [5, 5, 8, 8] and ext[EXT_REMOVED_RUNS] == [3, 3]
    assert read_extension(ext)[1:] == ([5, 8], [3])


def test_the_delta_holds_float32_rows_in_id_order_of_insertion(tm, index):
    dm = IndexDataManager(index, tm.get())
    dm.add([2, 1], [_vec(2), _vec(1)])
    dm.remove([7])
    delta = dm.delta()
    assert delta.token == dm.token
    assert delta.add_ids.tolist() == [2, 1]
    assert delta.add_vecs.dtype == np.float32 and delta.add_vecs[:, 0].tolist() == [2.0, 1.0]
    assert delta.del_ids.tolist() == [7]


def test_an_empty_delta_has_the_index_dimension(tm, index):
    delta = IndexDataManager(index, tm.get()).delta()
    assert delta.add_vecs.shape == (0, DIM) and len(delta.add_ids) == 0


def test_a_commit_runs_begin_vote_finish_in_order(tm, index):
    dm = IndexDataManager(index, tm.get())
    dm.add([1], [_vec(1)])
    tm.commit()
    assert index.names() == ["vote", "finish", "detach"]
    assert index.calls[1][1] == dm.token and dm.phase is Phase.FINISHED
    assert index.calls[0][1].add_ids.tolist() == [1]


def test_a_failing_vote_aborts_the_thought_and_forgets_the_delta(tm, index):
    dm = IndexDataManager(index, tm.get())
    dm.add([1], [_vec(1)])
    index.fail_vote = True
    with pytest.raises(OSError, match="disk full"):
        tm.commit()
    tm.abort()
    assert "finish" not in index.names() and "forget" in index.names()
    assert dm.phase is Phase.ABORTED


@pytest.mark.parametrize("step", ["commit", "tpc_vote", "tpc_finish"])
def test_a_step_before_tpc_begin_is_refused(tm, index, step):
    txn = tm.get()
    dm = IndexDataManager(index, txn)
    with pytest.raises(AssertionError, match=f"{step} in phase joined"):
        getattr(dm, step)(txn)
    assert index.calls == []


def test_tpc_finish_before_the_vote_is_refused(tm, index):
    txn = tm.get()
    dm = IndexDataManager(index, txn)
    dm.tpc_begin(txn)
    with pytest.raises(AssertionError, match="tpc_finish in phase begun"):
        dm.tpc_finish(txn)
    with pytest.raises(AssertionError, match="tpc_begin in phase begun"):
        dm.tpc_begin(txn)


def test_no_change_during_the_commit(tm, index):
    txn = tm.get()
    dm = IndexDataManager(index, txn)
    dm.tpc_begin(txn)
    with pytest.raises(AssertionError, match="cannot change during its commit"):
        dm.add([1], [_vec(1)])
    with pytest.raises(AssertionError, match="cannot change during its commit"):
        dm.remove([1])


def test_another_transaction_is_refused(tm, index):
    dm = IndexDataManager(index, tm.get())
    other = transaction.TransactionManager().get()
    for step in ("abort", "tpc_begin", "commit", "tpc_vote", "tpc_finish", "tpc_abort"):
        with pytest.raises(AssertionError, match="must not change transactions"):
            getattr(dm, step)(other)


def test_abort_is_idempotent_and_forgets_once(tm, index):
    txn = tm.get()
    dm = IndexDataManager(index, txn)
    dm.abort(txn)
    dm.abort(txn)
    dm.tpc_abort(txn)
    assert index.names().count("forget") == 1
    assert dm.phase is Phase.ABORTED


def test_tpc_abort_after_finish_changes_nothing(tm, index):
    txn = tm.get()
    dm = IndexDataManager(index, txn)
    dm.tpc_begin(txn)
    dm.commit(txn)
    dm.tpc_vote(txn)
    dm.tpc_finish(txn)
    before = list(index.calls)
    dm.tpc_abort(txn)
    assert index.calls == before and dm.phase is Phase.FINISHED


def test_savepoint_rollback_restores_the_changes_and_the_extension(tm, index):
    txn = tm.get()
    dm = IndexDataManager(index, txn)
    dm.add([1], [_vec(1)])
    sp = dm.savepoint()
    dm.add([2], [_vec(2)])
    dm.remove([1])
    sp.rollback()
    assert sorted(dm.adds) == [1] and dm.dels == set()
    assert txn.extension["probe-index"][EXT_ADDED_RUNS] == [1, 1]
    dm.add([3], [_vec(3)])
    sp.rollback()                                   # a savepoint can be rolled back again
    assert sorted(dm.adds) == [1]


def test_rollback_during_the_commit_is_refused(tm, index):
    txn = tm.get()
    dm = IndexDataManager(index, txn)
    sp = dm.savepoint()
    dm.tpc_begin(txn)
    with pytest.raises(AssertionError, match="rollback during the commit"):
        sp.rollback()


@pytest.mark.parametrize("ext", [
    {EXT_TOKEN: "ab" * 16, EXT_ADDED_RUNS: [1, 2], EXT_REMOVED_RUNS: [3, 3]},
    {EXT_TOKEN: "ab" * 16, EXT_ADDED: [1, 2], EXT_REMOVED: [3]},
    {"t": "ab" * 16, "a": [1, 2], "d": [3]},
])
def test_read_extension_reads_new_and_old_keys(ext):
    assert read_extension(ext) == (bytes.fromhex("ab" * 16), [1, 2], [3])


def test_a_large_batch_is_one_run_and_commits_where_an_id_list_did_not_fit(tmp_path):
    """FileStorage refuses a transaction extension over 64 KiB ("too much extension data"):
    10,000 ids listed one by one under two indexes did not fit; as runs they are four numbers."""
    import transaction
    import ZODB
    import ZODB.FileStorage
    db = ZODB.DB(ZODB.FileStorage.FileStorage(str(tmp_path / "x.fs")))
    tm = transaction.TransactionManager()
    conn = db.open(tm)
    for name in ("memory", "lexical"):
        tm.get().extension[f"telos-{name}"] = {EXT_TOKEN: "ab" * 16,
                                                EXT_ADDED_RUNS: runs(range(10**6, 10**6 + 10_000)),
                                                EXT_REMOVED_RUNS: []}
    conn.root()["x"] = 1
    tm.commit()
    ext = next(iter(db.storage.iterator(db.storage.lastTransaction()))).extension
    assert ext["telos-memory"][EXT_ADDED_RUNS] == [10**6, 10**6 + 9_999]
    assert len(read_extension(ext["telos-lexical"])[1]) == 10_000
    db.close()


def test_too_many_scattered_ids_for_one_thought_are_refused_before_anything_changes(tm, index):
    from telos.errors import MemoryStoreError
    dm = IndexDataManager(index, tm.get())
    dm.remove(range(0, 2 * MAX_RUNS, 2))                 # MAX_RUNS scattered ids: they fit
    with pytest.raises(MemoryStoreError, match="make the change in smaller thoughts"):
        dm.remove(range(10**6, 10**6 + 2 * MAX_RUNS, 2))
    assert len(dm.dels) == MAX_RUNS
    assert len(tm.get().extension["probe-index"][EXT_REMOVED_RUNS]) == 2 * MAX_RUNS


def test_runs_are_inclusive_and_sorted():
    assert runs([5, 3, 4, 9, 9, 10]) == [3, 5, 9, 10] and runs([]) == []
