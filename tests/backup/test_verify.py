"""telos/backup/verify.py at unit level: the report, and which sets are drilled — on hand-made
destinations with the drill, file and repozo checks replaced by recorders (the real ones run in
test_faults.py and test_roundtrip.py)."""

from __future__ import annotations

import importlib

import pytest

from telos.backup.drill import DrillResult
from telos.backup.layout import SetRef
from telos.errors import BackupCorruptError

V = importlib.import_module("telos.backup.verify")   # telos.backup.verify is also the function


@pytest.fixture
def drilled(monkeypatch):
    """Record the drilled sets and the checked files; every check passes unless told."""
    seen = {"drills": [], "files": [], "repos": [], "fail_files": set()}

    def drill(sets, target, keys, work, status):
        seen["drills"].append(target.ident)
        return DrillResult(target, ok=True, seconds=0.0)

    def check_file(ref, rel, info):
        seen["files"].append((ref.ident, rel))
        if rel in seen["fail_files"]:
            raise BackupCorruptError(f"set {ref.describe()}: file {rel} is missing")

    monkeypatch.setattr(V, "drill", drill)
    monkeypatch.setattr(V, "check_file", check_file)
    monkeypatch.setattr(V.repozo, "verify_repo",
                        lambda path: seen["repos"].append(path.parent.name))
    return seen


def _two_chains(d):
    d.add("2026-01-01-00-00-00", "2026-01-01-00-00-00", "full", files={"a.fs": {"role": "data"}})
    d.add("2026-01-01-00-00-00", "2026-01-01-01-00-00", files={"b.deltafs": {"role": "data"}})
    d.add("2026-01-02-00-00-00", "2026-01-02-00-00-00", "full", encrypted=True)
    d.add("2026-01-02-00-00-00", "2026-01-02-01-00-00", encrypted=True)


def test_an_empty_destination_verifies_with_nothing_drilled(handmade, keys, drilled):
    report = V.verify(handmade.path, keys)
    assert report.ok and report.sets == [] and drilled["drills"] == []
    assert report.lines() == ["0 sets authenticated", "verify: OK"]
    assert list((handmade.path / ".work").iterdir()) == []     # the drill's work space is gone


@pytest.mark.parametrize("which, drilled_sets", [
    ("newest", ["2026-01-02-00-00-00/2026-01-02-01-00-00"]),
    ("chains", ["2026-01-01-00-00-00/2026-01-01-01-00-00",
                "2026-01-02-00-00-00/2026-01-02-01-00-00"]),
    ("all", ["2026-01-01-00-00-00/2026-01-01-00-00-00", "2026-01-01-00-00-00/2026-01-01-01-00-00",
             "2026-01-02-00-00-00/2026-01-02-00-00-00", "2026-01-02-00-00-00/2026-01-02-01-00-00"]),
    ("none", []),
])
def test_which_sets_are_drilled(handmade, keys, drilled, which, drilled_sets):
    _two_chains(handmade)
    report = V.verify(handmade.path, keys, drill_sets=which)
    assert drilled["drills"] == drilled_sets
    assert report.ok and len(report.drills) == len(drilled_sets)


def test_every_file_is_checked_and_only_plain_chains_go_to_repozo(handmade, keys, drilled):
    _two_chains(handmade)
    V.verify(handmade.path, keys, drill_sets="none")
    assert [rel for _, rel in drilled["files"]] == ["a.fs", "b.deltafs"]
    assert drilled["repos"] == ["2026-01-01-00-00-00"]         # the encrypted chain is skipped


def test_a_bad_file_is_a_problem_of_the_set_and_of_the_report(handmade, keys, drilled):
    _two_chains(handmade)
    drilled["fail_files"].add("b.deltafs")
    report = V.verify(handmade.path, keys, drill_sets="none")
    assert not report.ok
    assert report.problems == [
        "set #2 2026-01-01-00-00-00/2026-01-01-01-00-00 (incremental): file b.deltafs is missing"]
    bad = [s for s in report.sets if s.problems]
    assert [s.seq for s in bad] == [2]
    assert report.lines()[-1] == "verify: FAILED"
    assert report.lines()[1].startswith("PROBLEM: set #2")


def test_a_repozo_failure_names_the_chain(handmade, keys, drilled, monkeypatch):
    _two_chains(handmade)

    def broken(path):
        raise BackupCorruptError("repozo -V: checksum mismatch")
    monkeypatch.setattr(V.repozo, "verify_repo", broken)
    report = V.verify(handmade.path, keys, drill_sets="none")
    assert report.problems == ["chain 2026-01-01-00-00-00: repozo -V: checksum mismatch"]


def test_chain_problems_are_in_the_report(handmade, keys, drilled):
    handmade.add("2026-01-01-00-00-00", "2026-01-01-00-00-00", "full", head=False)
    report = V.verify(handmade.path, keys, drill_sets="none")
    assert report.problems == [
        "HEAD.json is missing: cannot tell whether the newest sets were removed"]


def test_report_lines_and_ok_follow_the_drills(tmp_path):
    ref = SetRef(tmp_path / "chains" / "c" / "sets" / "s", manifest={"seq": 1, "kind": "full"})
    good = DrillResult(ref, ok=True, seconds=1.234)
    bad = DrillResult(ref, ok=False, seconds=0.5, error="tid mismatch")
    report = V.VerifyReport([ref], drills=[good])
    assert report.ok
    assert report.lines() == ["1 sets authenticated", "drill #1 c/s (full): ok (1.23s)",
                              "verify: OK"]
    report.drills.append(bad)
    assert not report.ok
    assert "drill #1 c/s (full): FAILED: tid mismatch (0.50s)" in report.lines()
