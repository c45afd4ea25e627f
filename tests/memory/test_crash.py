"""M1 for real: SIGKILL a writer at fault points inside each 2PC step and at random moments."""

from __future__ import annotations

import logging
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from telos.memory.faults import ENV

from .verify import check_m1

CHILD = Path(__file__).with_name("crash_child.py")
REPO = Path(__file__).resolve().parents[2]

DM_POINTS = ("dm.tpc_begin", "dm.commit", "dm.tpc_vote.before", "dm.tpc_vote.torn",
             "dm.tpc_vote.after_fsync", "dm.tpc_finish.before", "dm.tpc_finish.after")
CKPT_POINTS = ("ckpt.serialized", "ckpt.file_written", "ckpt.meta_replaced", "ckpt.log_rotated")
L2_POINTS = ("l2.exported", "l2.swapped")
LX_POINTS = ("lx.tpc_begin", "lx.commit", "lx.tpc_vote.before", "lx.tpc_vote.after",
             "lx.tpc_finish.before", "lx.tpc_finish.after", "lx.flushed", "lx.stamped")
# the lexical index's 8 points x 3 hit counts = 24 more kill points, in 3 groups
LEXICAL = [(p, n) for p in LX_POINTS for n in (1, 3, 6)]

# 7 points x 6 hit counts + 4 checkpoint points x 2 = 50 kill points in the default suite
DEFAULT = [(p, n) for p in DM_POINTS for n in (1, 2, 4, 7, 11, 16)] + \
          [(p, n) for p in CKPT_POINTS for n in (1, 3)]


def run_child(home: Path, table: Path, start: int, fault: str | None, *, rounds=40,
              ckpt_every=4, archive_at=-1, kill_after: float | None = None):
    env = dict(os.environ, TELOS_HOME=str(home), PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    env.pop(ENV, None)
    if fault:
        env[ENV] = fault
    proc = subprocess.Popen([sys.executable, str(CHILD), str(home), str(table), str(start),
                             str(rounds), str(ckpt_every), str(archive_at)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=kill_after) if kill_after else proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate()
    acked = [int(x) for line in out.splitlines() if line.startswith("ACK") for x in line.split()[1:]]
    forgot = [int(line.split()[1]) for line in out.splitlines() if line.startswith("FORGOT")]
    return proc.returncode, acked, forgot, err


class _Warnings(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def reopen_and_check(home: Path, table_embedder, acked, forgot, *, replay_only=False):
    """Reopen after a crash and check M1. ``replay_only``: recovery must come from replaying
    the storage after the stamp, never from a rebuild that would hide a replay bug."""
    from telos import open_image
    from telos.memory import attach
    os.environ["TELOS_HOME"] = str(home)
    seen = _Warnings()
    logging.getLogger("telos.memory").addHandler(seen)
    im = open_image()
    try:
        mem = attach(im, embedder=table_embedder)
        committed = set(mem.bank.contexts.keys())
        assert set(acked) - set(forgot) <= committed, "an acknowledged memory was lost"
        result = check_m1(mem)
    finally:
        im.close()
        logging.getLogger("telos.memory").removeHandler(seen)
    if replay_only:
        assert not [m for m in seen.messages if "rebuil" in m], seen.messages
    return result


@pytest.mark.parametrize("group", range(5))
def test_sigkill_at_fault_points(group, corpus, table_embedder, tmp_path):
    """10 kill points per group on one image: each crash is recovered by the next open."""
    _, _, table = corpus
    home = tmp_path / "crash"
    home.mkdir()
    acked_all, forgot_all = [], []
    for j, (point, n) in enumerate(DEFAULT[group * 10:(group + 1) * 10]):
        rc, acked, forgot, err = run_child(home, table, start=group * 97 + j * 31,
                                           fault=f"{point}:{n}",
                                           rounds=n + 4 if point.startswith("dm.") else 4 * n + 4)
        assert rc == -signal.SIGKILL, f"{point}:{n} did not kill the child (rc={rc}): {err[-2000:]}"
        acked_all += acked
        forgot_all += forgot
        reopen_and_check(home, table_embedder, acked_all, forgot_all)


@pytest.mark.parametrize("group", range(3))
def test_sigkill_at_lexical_fault_points(group, corpus, table_embedder, tmp_path):
    """8 kill points per group inside the lexical index's commit and flush: nothing acknowledged
    lost, nothing of an aborted thought kept, the lexical and vector tiers agree (check_m1)."""
    _, _, table = corpus
    home = tmp_path / "crash"
    home.mkdir()
    acked_all, forgot_all = [], []
    for j, (point, n) in enumerate(LEXICAL[group * 8:(group + 1) * 8]):
        # a flush happens every 4th round: reach the n-th one before the rounds run out
        rounds = 4 * n + 4 if point in ("lx.flushed", "lx.stamped") else n + 4
        rc, acked, forgot, err = run_child(home, table, start=group * 89 + j * 29,
                                           fault=f"{point}:{n}", rounds=rounds)
        assert rc == -signal.SIGKILL, f"{point}:{n} did not kill the child (rc={rc}): {err[-2000:]}"
        acked_all += acked
        forgot_all += forgot
        reopen_and_check(home, table_embedder, acked_all, forgot_all, replay_only=True)


def test_kill_during_l2_build_and_swap(corpus, table_embedder, tmp_path):
    _, _, table = corpus
    home = tmp_path / "crash"
    home.mkdir()
    acked_all, forgot_all = [], []
    for j, point in enumerate(L2_POINTS):
        rc, acked, forgot, err = run_child(home, table, start=j * 50, fault=point,
                                           rounds=30, archive_at=25)
        assert rc == -signal.SIGKILL, err[-2000:]
        acked_all += acked
        forgot_all += forgot
        reopen_and_check(home, table_embedder, acked_all, forgot_all)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(40))
def test_sigkill_at_random_moments(seed, corpus, table_embedder, tmp_path):
    _, _, table = corpus
    rnd = random.Random(seed)
    home = tmp_path / "crash"
    home.mkdir()
    rc, acked, forgot, err = run_child(home, table, start=seed * 13, fault=None, rounds=400,
                                       ckpt_every=5, archive_at=rnd.choice([-1, 30]),
                                       kill_after=rnd.uniform(1.0, 6.0))
    reopen_and_check(home, table_embedder, acked, forgot)


@pytest.mark.slow
@pytest.mark.parametrize("point", DM_POINTS + CKPT_POINTS + LX_POINTS)
@pytest.mark.parametrize("n", (3, 5, 9, 13, 21, 30))
def test_sigkill_more_points(point, n, corpus, table_embedder, tmp_path):
    _, _, table = corpus
    home = tmp_path / "crash"
    home.mkdir()
    # a checkpoint happens every 3rd round: reach the n-th one before the rounds run out
    rounds = n + 40 if point.startswith(("dm.", "lx.tpc")) else 3 * n + 6
    rc, acked, forgot, err = run_child(home, table, start=n, fault=f"{point}:{n}", rounds=rounds,
                                       ckpt_every=3)
    assert rc == -signal.SIGKILL, err[-2000:]
    reopen_and_check(home, table_embedder, acked, forgot)
