"""telos/memory/faults.py: a fault point does nothing unless TELOS_MEMORY_FAULT names it, and
then kills the process the n-th time it is reached (the kill is recorded here, not sent)."""

from __future__ import annotations

import signal

import pytest

from telos.memory import faults


@pytest.fixture
def kills(monkeypatch):
    sent = []
    monkeypatch.setattr(faults.os, "kill", lambda pid, sig: sent.append((pid, sig)))
    return sent


def _arm(monkeypatch, target, count):
    monkeypatch.setattr(faults, "_target", target)
    monkeypatch.setattr(faults, "_remaining", count)


def test_unarmed_points_do_nothing(monkeypatch, kills):
    _arm(monkeypatch, "", 0)
    for point in faults.POINTS:
        faults.fault(point)
    assert kills == []


def test_an_armed_point_kills_on_its_nth_hit_and_others_never(monkeypatch, kills):
    _arm(monkeypatch, "dm.tpc_vote.before", 3)
    faults.fault("dm.commit")
    faults.fault("dm.tpc_vote.before")
    faults.fault("dm.tpc_vote.before")
    assert kills == []
    faults.fault("dm.tpc_vote.before")
    assert len(kills) == 1 and kills[0][1] == signal.SIGKILL
    assert kills[0][0] == faults.os.getpid()


def test_the_points_are_unique_and_named_by_area():
    assert len(set(faults.POINTS)) == len(faults.POINTS)
    assert {p.split(".")[0] for p in faults.POINTS} == {"dm", "ckpt", "l2", "lx"}


def test_every_declared_point_is_reached_by_library_code():
    """Each point is either a literal ``fault("...")`` call or one of a data manager's
    ``FAULTS`` table (the vector and the lexical data managers share their phases' code)."""
    from pathlib import Path
    from telos.memory.datamanager import IndexDataManager
    from telos.memory.txtext import TextDataManager
    source = "".join(p.read_text() for p in Path(faults.__file__).parent.glob("*.py")
                     if p.name != "faults.py")
    tables = set(IndexDataManager.FAULTS.values()) | set(TextDataManager.FAULTS.values())
    assert 'fault(self.FAULTS["begin"])' in source
    missing = [p for p in faults.POINTS if f'fault("{p}")' not in source and p not in tables]
    assert missing == []


def test_the_environment_variable_is_the_settings_one():
    assert faults.ENV == "TELOS_MEMORY_FAULT"
