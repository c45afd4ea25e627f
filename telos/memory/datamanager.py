"""The two-phase-commit data manager that keeps a ``TxVectorIndex`` in step with ZODB.

Shaped after ``transaction``'s ``tests/savepointsample.py``: it joins a thought lazily on the
first ``add``/``remove`` of the index, asserts the protocol order, does the risky work in
``tpc_vote`` and nothing that can fail in ``tpc_finish``. One data manager per thought; its
``phase`` is the whole of its state::

    JOINED --tpc_begin--> BEGUN --commit--> BEGUN --tpc_vote--> VOTED --tpc_finish--> FINISHED
      (add/remove only here)         abort / tpc_abort before FINISHED --> ABORTED

* ``tpc_vote``: the thought's changes go to the delta log (``index.vote``; may raise, and the
  thought is then aborted). ``sortKey`` sorts after ZODB's connection, so when our vote runs
  ZODB has already voted.
* ``tpc_finish``: the changes are applied in memory and, if the log has grown enough, a background
  checkpoint thread is started (``index.finish``, which catches and logs every failure of its
  own -- ``catch_up`` repairs a missed apply, the next commit retries the checkpoint). Nothing
  there does I/O or can raise. (Not an after-commit hook: ``transaction`` then aborts every
  resource of the committed transaction, which costs a ZODB connection abort per commit.)
* ``tpc_abort``: the logged delta is forgotten (``index.forget``); idempotent, and harmless after
  ``tpc_finish`` (``transaction`` calls it on every data manager if any ``tpc_finish`` raises).

The thought's ZODB transaction carries, under ``index.ext_key``, a dict with the keys
``EXT_TOKEN`` (hex of the random token naming the thought in the delta log), ``EXT_ADDED_RUNS``
and ``EXT_REMOVED_RUNS``: the sorted ids as runs, a flat list ``[first, last, first, last...]``
(a batch of ``remember_many`` is one run). FileStorage keeps a transaction's extension under
64 KiB, and one id a number cost 3-5 bytes: 10,000 ids listed one by one did not fit. A thought
whose ids need more than ``MAX_RUNS`` runs (thousands of scattered ids) is refused when it makes
the change, in one sentence. Images written before the runs carried ``EXT_ADDED`` /
``EXT_REMOVED`` (id lists), and before those names ``"t"``, ``"a"``, ``"d"``; ``read_extension``
reads all three.

The index surface the data manager uses: ``name``, ``dim``, ``ext_key``, ``vote(delta)``,
``finish(token)``, ``forget(token)``, ``detach(dm)``.
"""

from __future__ import annotations

import enum
import logging
import os

import numpy as np

from telos.errors import MemoryStoreError
from telos.memory.deltalog import Delta
from telos.memory.faults import fault

log = logging.getLogger(__name__)

EXT_TOKEN = "token"
EXT_ADDED = "added"
EXT_REMOVED = "removed"
EXT_ADDED_RUNS = "added_runs"
EXT_REMOVED_RUNS = "removed_runs"
_OLD_KEYS = {EXT_TOKEN: "t", EXT_ADDED: "a", EXT_REMOVED: "d"}   # images written before
#: runs of ids one index may record per thought (two indexes share FileStorage's 64 KiB)
MAX_RUNS = 2000


def runs(ids) -> list[int]:
    """Sorted ``ids`` as a flat list of inclusive runs ``[first, last, first, last, ...]``."""
    out: list[int] = []
    for i in sorted(int(i) for i in ids):
        if out and i == out[-1] + 1:
            out[-1] = i
        elif not out or i > out[-1]:
            out += [i, i]
    return out


def expand(flat) -> list[int]:
    flat = list(flat)
    return [i for a, b in zip(flat[::2], flat[1::2]) for i in range(int(a), int(b) + 1)]


def read_extension(ext: dict) -> tuple[bytes, list[int], list[int]]:
    """(token, added ids, removed ids) of a committed thought's extension, new or old keys."""
    def get(key):
        return ext[key] if key in ext else ext[_OLD_KEYS[key]]
    if EXT_ADDED_RUNS in ext:
        return (bytes.fromhex(ext[EXT_TOKEN]), expand(ext[EXT_ADDED_RUNS]),
                expand(ext[EXT_REMOVED_RUNS]))
    return bytes.fromhex(get(EXT_TOKEN)), list(get(EXT_ADDED)), list(get(EXT_REMOVED))


class Phase(enum.Enum):
    JOINED = "joined"        # changes may still be made
    BEGUN = "begun"          # inside the two-phase commit, before the vote
    VOTED = "voted"          # the delta is in the log; waiting for the outcome
    FINISHED = "finished"    # committed and applied in memory
    ABORTED = "aborted"


class IndexDataManager:
    """Joins a thought that changes the index (see the module docstring).

    ``FAULTS`` names the fault points of each step (``telos.memory.faults``); a subclass for
    another kind of index (``telos.memory.txtext``) names its own and builds its own delta.
    """

    FAULTS = {"begin": "dm.tpc_begin", "commit": "dm.commit", "vote": "dm.tpc_vote.before",
              "voted": "dm.tpc_vote.after_fsync", "finish": "dm.tpc_finish.before",
              "finished": "dm.tpc_finish.after"}

    def __init__(self, index, txn):
        self.index = index
        self.transaction = txn
        self.transaction_manager = None
        self.token = os.urandom(16)
        self.adds: dict[int, np.ndarray] = {}
        self.dels: set[int] = set()
        self.phase = Phase.JOINED
        self._ext = {EXT_TOKEN: self.token.hex(), EXT_ADDED_RUNS: [], EXT_REMOVED_RUNS: []}
        txn.extension[index.ext_key] = self._ext
        txn.join(self)

    def sortKey(self) -> str:
        return f"~~telos-index:{self.index.name}:{id(self)}"

    # -- changes, before the commit ------------------------------------------------------
    def add(self, ids, vecs) -> None:
        assert self.phase is Phase.JOINED, "the index cannot change during its commit"
        pairs = list(zip(ids, vecs))
        new = {i for i, _ in pairs}
        self._check(set(self.adds) | new, self.dels - new)      # before anything changes
        for i, v in pairs:
            self.dels.discard(i)
            self.adds[i] = v
        self._record()

    def remove(self, ids) -> None:
        assert self.phase is Phase.JOINED, "the index cannot change during its commit"
        ids = list(ids)
        self._check(set(self.adds) - set(ids), self.dels | set(ids))
        for i in ids:
            self.adds.pop(i, None)
            self.dels.add(i)
        self._record()

    def _check(self, adds, dels) -> None:
        if len(runs(adds)) + len(runs(dels)) > 2 * MAX_RUNS:
            raise MemoryStoreError(
                f"one thought cannot change {len(adds) + len(dels)} scattered records of the "
                f"{self.index.name} index (at most {MAX_RUNS} runs of consecutive ids fit in a "
                "thought's record): make the change in smaller thoughts")

    def _record(self) -> None:
        self._ext[EXT_ADDED_RUNS] = runs(self.adds)
        self._ext[EXT_REMOVED_RUNS] = runs(self.dels)

    def delta(self) -> Delta:
        ids = np.fromiter(self.adds, dtype=np.int64, count=len(self.adds))
        vecs = (np.stack([self.adds[i] for i in ids.tolist()]).astype(np.float32)
                if len(ids) else np.zeros((0, self.index.dim), np.float32))
        return Delta(self.token, ids, vecs, np.fromiter(self.dels, dtype=np.int64))

    def savepoint(self) -> "_Savepoint":
        return _Savepoint(self, dict(self.adds), set(self.dels))

    # -- IDataManager ----------------------------------------------------------------------
    def abort(self, txn) -> None:
        assert txn is self.transaction, "must not change transactions"
        self._abort()

    def tpc_begin(self, txn) -> None:
        assert txn is self.transaction, "must not change transactions"
        assert self.phase is Phase.JOINED, f"tpc_begin in phase {self.phase.value}"
        fault(self.FAULTS["begin"])
        self.phase = Phase.BEGUN

    def commit(self, txn) -> None:
        assert txn is self.transaction, "must not change transactions"
        assert self.phase is Phase.BEGUN, f"commit in phase {self.phase.value}"
        fault(self.FAULTS["commit"])

    def tpc_vote(self, txn) -> None:
        assert txn is self.transaction, "must not change transactions"
        assert self.phase is Phase.BEGUN, f"tpc_vote in phase {self.phase.value}"
        fault(self.FAULTS["vote"])
        self.index.vote(self.delta())        # may raise: the thought is then aborted
        self.phase = Phase.VOTED
        fault(self.FAULTS["voted"])

    def tpc_finish(self, txn) -> None:
        assert txn is self.transaction, "must not change transactions"
        assert self.phase is Phase.VOTED, f"tpc_finish in phase {self.phase.value}"
        fault(self.FAULTS["finish"])
        self.phase = Phase.FINISHED
        self.index.finish(self.token)        # in memory + maybe a checkpoint thread; never raises
        self.index.detach(self)
        fault(self.FAULTS["finished"])

    def tpc_abort(self, txn) -> None:
        assert txn is self.transaction, "must not change transactions"
        if self.phase is not Phase.FINISHED:  # after finish there is nothing to undo
            self._abort()

    def _abort(self) -> None:
        if self.phase is not Phase.ABORTED:
            self.index.forget(self.token)
            self.phase = Phase.ABORTED
        self.index.detach(self)


class _Savepoint:
    def __init__(self, dm: IndexDataManager, adds: dict, dels: set):
        self.dm, self.adds, self.dels = dm, adds, dels

    def rollback(self) -> None:
        assert self.dm.phase is Phase.JOINED, "rollback during the commit"
        self.dm.adds, self.dm.dels = dict(self.adds), set(self.dels)
        self.dm._record()
