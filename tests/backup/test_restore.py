"""telos/backup/restore.py at unit level: candidates by time, the lock check, installing beside
the old image, and the fallback to older sets with the reasons — the drill replaced by a stand-in
that writes a tiny real FileStorage (the real drill: test_faults.py, test_roundtrip.py)."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
import zc.lockfile
from ZODB.FileStorage import FileStorage

from telos.backup.drill import DrillResult
from telos.backup.layout import SetRef
from telos.errors import RestoreError

R = importlib.import_module("telos.backup.restore")   # telos.backup.restore is also the function

UTC = dt.timezone.utc


def _sets(handmade):
    handmade.add("2026-01-01-00-00-00", "2026-01-01-00-00-00", "full")
    handmade.add("2026-01-01-00-00-00", "2026-01-01-06-00-00")
    handmade.add("2026-01-02-00-00-00", "2026-01-02-00-00-00", "full")


def _tiny_storage(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    FileStorage(str(path)).close()


@pytest.fixture
def drills(monkeypatch):
    """A stand-in drill: refuses the sets named in ``refuse``, else leaves a restored image."""
    state = {"refuse": {}, "tried": []}

    def drill(sets, target, keys, work, status):
        state["tried"].append(target.stamp)
        if target.stamp in state["refuse"]:
            return DrillResult(target, ok=False, seconds=0, error=state["refuse"][target.stamp])
        _tiny_storage(work / "restored" / "telos.fs")
        return DrillResult(target, ok=True, seconds=0, memory_reason="no memory snapshot")
    monkeypatch.setattr(R, "drill", drill)
    return state


# -- candidates ---------------------------------------------------------------------------------

def test_candidates_are_newest_first_and_skip_broken_sets(handmade, keys):
    from telos.backup.catalog import load_sets
    _sets(handmade)
    sets = load_sets(handmade.path, keys)
    sets.append(SetRef(handmade.path / "x", error="broken"))
    assert [s.stamp for s in R.candidates(sets, None)] == [
        "2026-01-02-00-00-00", "2026-01-01-06-00-00", "2026-01-01-00-00-00"]


def test_candidates_at_a_time_keep_the_sets_at_or_before_it(handmade, keys):
    from telos.backup.catalog import load_sets
    _sets(handmade)
    sets = load_sets(handmade.path, keys)
    at = dt.datetime(2026, 1, 1, 6, 0, tzinfo=UTC)
    assert [s.stamp for s in R.candidates(sets, at)] == [
        "2026-01-01-06-00-00", "2026-01-01-00-00-00"]
    assert R.candidates(sets, dt.datetime(2025, 12, 31, tzinfo=UTC)) == []


def test_a_naive_time_is_local_time(handmade, keys, monkeypatch):
    from telos.backup.catalog import load_sets
    _sets(handmade)
    sets = load_sets(handmade.path, keys)
    naive = dt.datetime(2026, 1, 1, 12, 0)
    aware = naive.astimezone()
    assert R.candidates(sets, naive) == R.candidates(sets, aware)


# -- the lock -----------------------------------------------------------------------------------

def test_is_locked_only_while_another_holds_the_lock(tmp_path):
    image = tmp_path / "telos.fs"
    assert R._is_locked(image) is False                  # no image: nothing to lock
    _tiny_storage(image)
    assert R._is_locked(image) is False
    lock = zc.lockfile.LockFile(str(tmp_path / "telos.fs.lock"))
    try:
        assert R._is_locked(image) is True
    finally:
        lock.close()


def test_restore_refuses_an_image_in_use(handmade, keys, tmp_path, drills):
    image = tmp_path / "img" / "telos.fs"
    _tiny_storage(image)
    storage = FileStorage(str(image))                    # holds the lock
    try:
        with pytest.raises(RestoreError, match="is in use"):
            R.restore(handmade.path, keys, image)
    finally:
        storage.close()
    assert drills["tried"] == []


# -- installing ---------------------------------------------------------------------------------

def test_install_moves_the_old_image_and_its_companions_aside(tmp_path):
    restored = tmp_path / "work"
    _tiny_storage(restored / "telos.fs")
    (restored / "telos.fs.index").write_bytes(b"index")
    (restored / "memory").mkdir()
    (restored / "memory" / "faiss.bin").write_bytes(b"vectors")
    image = tmp_path / "img" / "telos.fs"
    image.parent.mkdir()
    image.write_bytes(b"old image")
    image.with_name("telos.fs.index").write_bytes(b"old index")
    moved, mem = R._install(restored, image, "STAMP")
    assert sorted(p.name for p in moved) == ["telos.fs.before-restore-STAMP",
                                             "telos.fs.index.before-restore-STAMP"]
    assert image.with_name("telos.fs.before-restore-STAMP").read_bytes() == b"old image"
    assert image.exists() and image.read_bytes() != b"old image"
    assert image.with_name("telos.fs.index").read_bytes() == b"index"
    assert mem == image.with_name("memory-snapshot")
    assert (mem / "faiss.bin").read_bytes() == b"vectors"


def test_install_into_an_empty_place_moves_nothing_aside(tmp_path):
    restored = tmp_path / "work"
    _tiny_storage(restored / "telos.fs")
    image = tmp_path / "new" / "deeper" / "telos.fs"
    moved, mem = R._install(restored, image, "S")
    assert moved == [] and mem is None and image.exists()


# -- restore ------------------------------------------------------------------------------------

def test_restore_takes_the_newest_set_that_drills(handmade, keys, tmp_path, drills):
    _sets(handmade)
    image = tmp_path / "img" / "telos.fs"
    result = R.restore(handmade.path, keys, image)
    assert result.set.stamp == "2026-01-02-00-00-00" and result.refused == []
    assert drills["tried"] == ["2026-01-02-00-00-00"]
    FileStorage(str(image), read_only=True).close()      # a real storage was installed
    assert not any((handmade.path / ".work").iterdir())   # the work space is cleaned


def test_restore_falls_back_and_says_why(handmade, keys, tmp_path, drills):
    _sets(handmade)
    drills["refuse"] = {"2026-01-02-00-00-00": "byte flipped in the full"}
    result = R.restore(handmade.path, keys, tmp_path / "img" / "telos.fs")
    assert result.set.stamp == "2026-01-01-06-00-00"
    assert result.refused == [("#3 2026-01-02-00-00-00/2026-01-02-00-00-00 (full)",
                               "byte flipped in the full")]
    lines = result.lines()
    assert lines[0] == ("refused #3 2026-01-02-00-00-00/2026-01-02-00-00-00 (full): "
                        "byte flipped in the full")
    assert lines[1].startswith("restored #2 2026-01-01-00-00-00/2026-01-01-06-00-00")
    assert lines[-1] == "memory indexes: rebuild (no memory snapshot)"


def test_restore_with_nothing_to_restore_names_every_reason(handmade, keys, tmp_path, drills):
    with pytest.raises(RestoreError, match="no backup sets found"):
        R.restore(handmade.path, keys, tmp_path / "telos.fs")
    _sets(handmade)
    drills["refuse"] = {s: f"bad {s[-8:]}" for s in (
        "2026-01-01-00-00-00", "2026-01-01-06-00-00", "2026-01-02-00-00-00")}
    at = dt.datetime(2026, 1, 1, 7, tzinfo=UTC)
    with pytest.raises(RestoreError) as err:
        R.restore(handmade.path, keys, tmp_path / "telos.fs", at=at)
    message = str(err.value)
    assert message.startswith(f"no backup set at or before {at.isoformat()} in {handmade.path}")
    assert "bad 06-00-00" in message and "bad 00-00-00" in message
    assert drills["tried"] == ["2026-01-01-06-00-00", "2026-01-01-00-00-00"]
    assert not (tmp_path / "telos.fs").exists()
