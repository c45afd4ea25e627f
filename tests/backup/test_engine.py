"""telos/backup/engine.py at unit level: one run per destination, which chain a new incremental
extends (and why not), the staging repository repozo sees, HEAD, the result's summary (whole
runs with real repozo: test_roundtrip.py, test_faults.py, test_disk_full_and_keys.py)."""

from __future__ import annotations

import pytest

from telos.backup import engine
from telos.backup.catalog import load_sets, read_head
from telos.backup.engine import BackupResult, dest_lock
from telos.backup.layout import SetRef
from telos.backup.repozo import read_dat
from telos.errors import BackupError


def test_one_run_per_destination(dest):
    with dest_lock(dest):
        with pytest.raises(BackupError, match=f"another backup is running on {dest}"):
            with dest_lock(dest):
                pass
    with dest_lock(dest):                    # released: the next run goes ahead
        pass


def test_summary_of_a_set_and_of_no_change(tmp_path):
    ref = SetRef(tmp_path / "chains" / "c" / "sets" / "s", manifest={"seq": 3, "kind": "full"})
    assert BackupResult(ref, "full", 2048, 1.5).summary() == \
        "full backup #3 c/s (full): 2048 bytes in 1.50s"
    assert BackupResult(None, "incremental", 0, 0.1, reason="tid unchanged").summary() == \
        "no changes since the last backup (tid unchanged)"


def _repozo(file, start, end):
    return {"file": file, "start": start, "end": end, "md5": "0" * 32}


def test_a_new_incremental_extends_the_newest_chain(handmade, keys):
    handmade.add("c1", "2026-01-01-00-00-00", "full")
    handmade.add("c2", "2026-01-02-00-00-00", "full")
    handmade.add("c2", "2026-01-02-01-00-00")
    chain, why = engine._extendable(load_sets(handmade.path, keys), encrypt=False)
    assert [s.stamp for s in chain] == ["2026-01-02-00-00-00", "2026-01-02-01-00-00"]
    assert why == ""


@pytest.mark.parametrize("setup, encrypt, why", [
    (lambda d: None, False, "no earlier set"),
    (lambda d: d.add("c1", "s1", "full"), True, "encryption setting changed"),
    (lambda d: d.add("c1", "s1", "incremental"), False, "the newest chain has no full backup"),
])
def test_when_a_full_backup_is_needed(handmade, keys, setup, encrypt, why):
    setup(handmade)
    assert engine._extendable(load_sets(handmade.path, keys), encrypt) == ([], why)


def test_a_missing_or_resized_chain_file_needs_a_full(handmade, keys):
    handmade.add("c1", "s1", "full", files={"repozo/a.fs": {"role": "data", "size": 10,
                                                            "sha256": "x"}})
    (handmade.path / "chains" / "c1" / "repozo").mkdir()
    sets = load_sets(handmade.path, keys)
    assert engine._extendable(sets, False) == (
        [], "repozo/a.fs of c1/s1 is missing or has the wrong size")
    (handmade.path / "chains" / "c1" / "repozo" / "a.fs").write_bytes(b"x" * 9)
    assert engine._extendable(sets, False)[1].endswith("is missing or has the wrong size")
    (handmade.path / "chains" / "c1" / "repozo" / "a.fs").write_bytes(b"x" * 10)
    assert [s.stamp for s in engine._extendable(sets, False)[0]] == ["s1"]


def test_the_staging_repository_holds_placeholders_and_the_dat(handmade, keys, tmp_path):
    handmade.add("c1", "s1", "full", repozo=_repozo("2026-01-01-00-00-00.fs", 0, 100))
    handmade.add("c1", "s2", repozo=_repozo("2026-01-01-01-00-00.deltafs", 100, 150))
    staging = tmp_path / "staging"
    engine._stage(staging, load_sets(handmade.path, keys))
    assert sorted(p.name for p in staging.iterdir()) == [
        "2026-01-01-00-00-00.dat", "2026-01-01-00-00-00.fs", "2026-01-01-01-00-00.deltafs"]
    assert (staging / "2026-01-01-00-00-00.fs").stat().st_size == 0
    lines = read_dat(staging / "2026-01-01-00-00-00.dat")
    assert [(x.file, x.start, x.end) for x in lines] == [
        ("2026-01-01-00-00-00.fs", 0, 100), ("2026-01-01-01-00-00.deltafs", 100, 150)]


def test_an_empty_chain_stages_an_empty_repository(tmp_path):
    engine._stage(tmp_path / "staging", [])
    assert list((tmp_path / "staging").iterdir()) == []


def test_head_names_the_newest_set(handmade, keys):
    handmade.add("c1", "s1", "full", head=False)
    ref = load_sets(handmade.path, keys)[0]
    engine.write_head(handmade.path, ref, keys)
    head = read_head(handmade.path, keys)
    assert (head["seq"], head["sha256"], head["set"]) == (1, ref.sha256, "c1/s1")


@pytest.mark.parametrize("tid, text", [(None, None), (b"\x00" * 7 + b"\x01", "00" * 7 + "01"),
                                       (bytearray(b"\xff" * 8), "ff" * 8), (1, "00" * 7 + "01"),
                                       ("03e1", "03e1")])
def test_tid_hex(tid, text):
    assert engine._tid_hex(tid) == text


def test_an_unreadable_repozo_index_is_a_backup_error(tmp_path):
    bad = tmp_path / "x.index"
    bad.write_bytes(b"not an index")
    with pytest.raises(BackupError, match="repozo's index x.index cannot be read"):
        engine._count_objects(bad)
