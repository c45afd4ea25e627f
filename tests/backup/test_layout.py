"""telos.backup.layout: where backups go, and naming what is found on disk."""

from __future__ import annotations

import datetime as dt
import os
import stat

from persistent.TimeStamp import TimeStamp

from telos.backup import layout
from telos.backup.layout import SetRef


def test_the_destination_is_the_override_else_telos_backups_else_home_backups(telos_home, tmp_path,
                                                                              monkeypatch):
    assert layout.destination(telos_home) == (telos_home / "backups").resolve()
    monkeypatch.setenv("TELOS_BACKUPS", str(tmp_path / "env-dest"))
    assert layout.destination(telos_home) == (tmp_path / "env-dest").resolve()
    assert layout.destination(telos_home, tmp_path / "given") == (tmp_path / "given").resolve()


def test_a_new_destination_is_private(tmp_path):
    dest = layout.destination(override=tmp_path / "a" / "b")
    assert dest.is_dir() and stat.S_IMODE(dest.stat().st_mode) == 0o700


def test_stamp_and_tid_times_are_utc():
    assert layout.stamp_time("2024-05-01-13-02-03") == dt.datetime(2024, 5, 1, 13, 2, 3,
                                                                   tzinfo=dt.timezone.utc)
    tid = TimeStamp(2024, 5, 1, 13, 2, 3.0).raw().hex()
    when = layout.tid_time(tid)
    assert when.tzinfo == dt.timezone.utc
    assert when.replace(microsecond=0) == dt.datetime(2024, 5, 1, 13, 2, 3, tzinfo=dt.timezone.utc)


def test_a_set_ref_names_its_chain_stamp_and_sequence(tmp_path):
    path = tmp_path / "chains" / "2024-05-01-13-00-00" / "sets" / "2024-05-01-14-00-00"
    ref = SetRef(path, manifest={"seq": "7", "kind": "incremental", "encrypted": True})
    assert ref.chain == "2024-05-01-13-00-00" and ref.stamp == "2024-05-01-14-00-00"
    assert ref.chain_dir == tmp_path / "chains" / "2024-05-01-13-00-00"
    assert ref.seq == 7 and ref.ident == "2024-05-01-13-00-00/2024-05-01-14-00-00"
    assert ref.describe() == "#7 2024-05-01-13-00-00/2024-05-01-14-00-00 (incremental encrypted)"
    assert ref.when() == dt.datetime(2024, 5, 1, 14, tzinfo=dt.timezone.utc)   # no tid: the stamp


def test_an_unreadable_set_has_no_sequence(tmp_path):
    ref = SetRef(tmp_path / "chains" / "c" / "sets" / "2024-01-01-00-00-00", error="bad signature")
    assert ref.seq == -1 and ref.describe().startswith("#? ") and "(?)" in ref.describe()


def test_the_when_of_a_set_with_a_tid_is_its_commit_time(tmp_path):
    tid = TimeStamp(2023, 1, 2, 3, 4, 5.0).raw().hex()
    ref = SetRef(tmp_path / "chains" / "c" / "sets" / "2024-01-01-00-00-00", manifest={"seq": 1, "tid": tid})
    assert ref.when().replace(microsecond=0) == dt.datetime(2023, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)


def test_manifests_and_set_directories_are_listed_in_order(tmp_path):
    for chain, sets in {"c2": ["s3"], "c1": ["s2", "s1"]}.items():
        for s in sets:
            d = tmp_path / "chains" / chain / "sets" / s
            d.mkdir(parents=True)
            if s != "s2":
                (d / "manifest.json").write_text("{}")
    (tmp_path / "chains" / "c1" / "sets" / "stray-file").write_text("x")
    assert [p.parent.name for p in layout.manifest_paths(tmp_path)] == ["s1", "s3"]
    assert [p.name for p in layout.set_dirs(tmp_path)] == ["s1", "s2", "s3"]


def test_work_dirs_are_per_process_under_dot_work(tmp_path):
    d = layout.work_dir(tmp_path, "drill")
    assert d == tmp_path / ".work" / f"drill-{os.getpid()}" and d.is_dir()
    assert layout.work_dir(tmp_path, "drill") == d                    # again: the same, no error
