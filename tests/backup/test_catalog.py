"""telos/backup/catalog.py on destinations built by hand from signed manifests (no repozo): sets
ordered and authenticated, the hash chain, HEAD and ANCHOR checks, chain_of, foreign keys."""

from __future__ import annotations

import json
import shutil

import pytest

from telos.backup import catalog
from telos.backup.catalog import (
    chain_of, chain_problems, foreign_key_id, key_id_of, load_sets, read_anchor, read_head,
    set_aside_anchor,
)
from telos.backup.keys import load_keys
from telos.backup.layout import SetRef
from telos.backup.manifest import sign
from telos.errors import BackupCorruptError, BackupKeyError


@pytest.fixture
def d(handmade):
    return handmade


def _chain_ab(d):
    d.add("2026-01-01-00-00-00", "2026-01-01-00-00-00", "full")
    d.add("2026-01-01-00-00-00", "2026-01-01-01-00-00")
    d.add("2026-01-02-00-00-00", "2026-01-02-00-00-00", "full")
    d.add("2026-01-02-00-00-00", "2026-01-02-01-00-00")


def test_an_empty_destination_has_no_sets_and_no_problems(d, keys):
    assert load_sets(d.path, keys) == []
    assert chain_problems(d.path, [], keys) == []
    assert read_head(d.path, keys) is None and read_anchor(d.path, keys) is None


def test_sets_are_authenticated_and_ordered_by_seq(d, keys):
    _chain_ab(d)
    sets = load_sets(d.path, keys)
    assert [s.seq for s in sets] == [1, 2, 3, 4]
    assert all(s.error is None and len(s.sha256) == 64 for s in sets)
    assert [s.chain for s in sets] == ["2026-01-01-00-00-00"] * 2 + ["2026-01-02-00-00-00"] * 2
    assert chain_problems(d.path, sets, keys) == []


def test_a_broken_set_comes_last_with_its_error(d, keys):
    _chain_ab(d)
    broken = d.path / "chains" / "2026-01-01-00-00-00" / "sets" / "2026-01-01-01-00-00"
    (broken / "manifest.json").write_text("{garbage")
    sets = load_sets(d.path, keys)
    assert [s.seq for s in sets][:3] == [1, 3, 4] and sets[-1].path == broken
    assert "not valid JSON" in sets[-1].error
    problems = chain_problems(d.path, sets, keys)
    assert any(p.startswith("set 2026-01-01-00-00-00/2026-01-01-01-00-00:") for p in problems)
    assert any("sets #2..#2 are missing" in p for p in problems)


def test_a_replaced_set_breaks_the_hash_chain(d, keys):
    d.add("c1", "s1", "full")
    d.add("c1", "s2", prev="00" * 32)
    problems = chain_problems(d.path, load_sets(d.path, keys), keys)
    assert problems == ["set #2 c1/s2 (incremental): its previous-manifest hash does not match "
                        "#1 c1/s1 (full): a set was removed or replaced"]


def test_a_missing_head_is_a_problem_when_there_are_sets(d, keys):
    d.add("c1", "s1", "full", head=False)
    problems = chain_problems(d.path, load_sets(d.path, keys), keys)
    assert problems == ["HEAD.json is missing: cannot tell whether the newest sets were removed"]


def test_a_head_ahead_of_the_newest_set_says_sets_were_removed(d, keys):
    d.add("c1", "s1", "full")
    d.add("c1", "s2")
    d.head()
    sets = load_sets(d.path, keys)
    (sets[-1].path / "manifest.json").unlink()
    sets[-1].path.rmdir()
    problems = chain_problems(d.path, load_sets(d.path, keys), keys)
    assert len(problems) == 1 and problems[0].startswith("HEAD names set #2 (x)")
    assert "the newest sets were removed or replaced" in problems[0]


def test_an_edited_head_is_reported(d, keys):
    d.add("c1", "s1", "full")
    head = json.loads((d.path / "HEAD.json").read_bytes())
    head["seq"] = 9
    (d.path / "HEAD.json").write_text(json.dumps(head))
    problems = chain_problems(d.path, load_sets(d.path, keys), keys)
    assert any("HEAD" in p and "fails its MAC check" in p for p in problems)


def test_the_anchor_starts_the_chain_after_retention(d, keys):
    d.add("c1", "s1", "full")
    first_sha = d.prev
    d.add("c2", "s2", "full")
    shutil.rmtree(d.path / "chains" / "c1")
    sets = load_sets(d.path, keys)
    assert chain_problems(d.path, sets, keys) == [
        "set #2 c2/s2 (full): sets #1..#1 are missing (the chain jumps from #0 to #2)"]
    (d.path / "ANCHOR.json").write_bytes(sign({"seq": 1, "sha256": first_sha, "set": "c1/s1"},
                                              keys))
    assert read_anchor(d.path, keys)["seq"] == 1
    assert chain_problems(d.path, sets, keys) == []


def test_chain_of_returns_the_full_and_incrementals_up_to_the_target(d, keys):
    _chain_ab(d)
    sets = load_sets(d.path, keys)
    assert chain_of(sets, sets[1]) == sets[:2]
    assert chain_of(sets, sets[3]) == sets[2:]
    assert chain_of(sets, sets[2]) == [sets[2]]


def test_chain_of_without_its_full_is_corrupt(d, keys):
    d.add("c1", "s1", "full")
    d.add("c1", "s2")
    sets = load_sets(d.path, keys)
    with pytest.raises(BackupCorruptError, match="the full backup of its chain is missing"):
        chain_of(sets[1:], sets[1])


def test_chain_of_with_a_gap_is_corrupt(d, keys):
    d.add("c1", "s1", "full")
    d.add("c1", "s2")
    d.add("c1", "s3")
    sets = load_sets(d.path, keys)
    with pytest.raises(BackupCorruptError, match="the chain is broken between #1 c1/s1"):
        chain_of([sets[0], sets[2]], sets[2])


def test_chain_of_an_unauthenticated_target_is_refused(d, keys):
    d.add("c1", "s1", "full")
    sets = load_sets(d.path, keys)
    outsider = SetRef(sets[0].path, manifest=dict(sets[0].manifest), sha256=sets[0].sha256)
    with pytest.raises(BackupCorruptError, match="is not authenticated"):
        chain_of(sets, outsider)


def test_key_ids_and_a_foreign_newest_set(d, keys, monkeypatch, telos_home):
    d.add("c1", "2026-01-01-00-00-00", "full")
    assert key_id_of(load_sets(d.path, keys)[0]) == keys.key_id
    assert foreign_key_id(d.path, keys) is None
    monkeypatch.setenv("TELOS_BACKUP_KEY", "77" * 32)
    other = load_keys(telos_home)
    d.add("c2", "2026-02-01-00-00-00", "full", keys=other)
    assert foreign_key_id(d.path, keys) == other.key_id
    assert foreign_key_id(d.path, other) is None
    unread = SetRef(d.path / "chains" / "nowhere" / "sets" / "x")
    assert key_id_of(unread) is None


def test_sets_signed_with_another_key_load_as_errors(d, keys, monkeypatch, telos_home):
    d.add("c1", "s1", "full")
    monkeypatch.setenv("TELOS_BACKUP_KEY", "77" * 32)
    sets = load_sets(d.path, load_keys(telos_home))
    assert sets[0].error and "wrong key" in sets[0].error
    assert load_sets(d.path, None)[0].error is None       # listing only: no MAC check


def test_set_aside_anchor_renames_an_anchor_of_another_key(d, keys, monkeypatch, telos_home):
    assert set_aside_anchor(d.path, keys) is None          # no anchor: nothing to do
    (d.path / "ANCHOR.json").write_bytes(sign({"seq": 1, "sha256": "00", "set": "x"}, keys))
    assert set_aside_anchor(d.path, keys) is None          # same key: kept
    monkeypatch.setenv("TELOS_BACKUP_KEY", "77" * 32)
    aside = set_aside_anchor(d.path, load_keys(telos_home))
    assert aside == d.path / f"ANCHOR.key-{keys.key_id}.json" and aside.exists()
    assert not (d.path / "ANCHOR.json").exists()


def test_a_head_of_another_key_is_a_key_error(d, keys, monkeypatch, telos_home):
    d.add("c1", "s1", "full")
    monkeypatch.setenv("TELOS_BACKUP_KEY", "77" * 32)
    with pytest.raises(BackupKeyError):
        catalog.read_head(d.path, load_keys(telos_home))
