"""telos/backup/repozo.py: repozo's .dat index read and written, the last tid found from a data
file's tail, stamps, and a failing tool reported with what it said."""

from __future__ import annotations

import re

import pytest

from telos.backup import repozo
from telos.backup.repozo import DatLine, RepozoFailed, last_tid, read_dat, write_dat
from telos.errors import BackupError


def test_dat_lines_round_trip_with_the_repository_path(tmp_path):
    lines = [DatLine("2026-01-01-00-00-00.fs", 0, 4096, "a" * 32),
             DatLine("2026-01-01-01-00-00.deltafs", 4096, 5000, "b" * 32)]
    dat = tmp_path / "2026-01-01-00-00-00.dat"
    write_dat(dat, tmp_path / "repo", lines)
    text = dat.read_text()
    assert text.splitlines()[0] == f"{tmp_path / 'repo' / lines[0].file} 0 4096 {'a' * 32}"
    assert read_dat(dat) == lines


def test_read_dat_skips_blank_lines(tmp_path):
    dat = tmp_path / "x.dat"
    dat.write_text("/r/a.fs 0 10 m1\n\n/r/b.deltafs 10 20 m2\n")
    assert [line.file for line in read_dat(dat)] == ["a.fs", "b.deltafs"]


def test_last_tid_of_a_file_storage_and_of_a_prefix(workload):
    first = workload.commit(1)
    size_after_first = workload.path.stat().st_size
    second = workload.commit(1)
    assert last_tid(workload.path).hex() == second
    assert last_tid(workload.path, end=size_after_first).hex() == first


@pytest.mark.parametrize("content, message", [
    (b"short", "too short to hold a transaction"),
    (b"\0" * 8 + b"\xff" * 8, "bad transaction length at its end"),
])
def test_last_tid_of_garbage_is_a_backup_error(tmp_path, content, message):
    path = tmp_path / "bad.fs"
    path.write_bytes(content)
    with pytest.raises(BackupError, match=message):
        last_tid(path)


def test_last_tid_notices_a_length_that_does_not_repeat(tmp_path):
    path = tmp_path / "bad.fs"
    # a "transaction" of 16 bytes whose header length (8..16) says 99, the trailer says 16
    path.write_bytes(b"T" * 8 + (99).to_bytes(8, "big") + (16).to_bytes(8, "big"))
    with pytest.raises(BackupError, match="transaction length mismatch"):
        last_tid(path)


def test_stamps_are_what_repozo_names_its_files():
    stamp = repozo.stamp_now()
    assert re.fullmatch(r"\d{4}(-\d\d){5}", stamp)
    assert repozo.STAMP_RE.match(f"{stamp}.fs") and repozo.STAMP_RE.match(f"{stamp}.deltafs")
    assert not repozo.STAMP_RE.match(f"{stamp}.dat")


def test_wait_past_nothing_returns_at_once():
    repozo.wait_past(None)
    repozo.wait_past("")
    repozo.wait_past("2000-01-01-00-00-00")                 # long past


def test_a_failing_tool_says_what_it_printed():
    with pytest.raises(RepozoFailed) as err:
        repozo._run(["telos_no_such_tool_module"], what="the missing tool")
    assert str(err.value).startswith("the missing tool failed (exit 1): ")
    assert "No module named telos_no_such_tool_module" in err.value.output
    assert isinstance(err.value, BackupError)
