"""telos.atomic: replacing a file is all or nothing."""

import os

import pytest

from telos import atomic


def test_write_replaces_and_leaves_no_temporary(tmp_path):
    tmp_path = tmp_path / "d"
    tmp_path.mkdir()
    target = tmp_path / "f.json"
    target.write_text("old")
    atomic.write_text(target, "new")
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.json"]
    atomic.write_bytes(target, b"\x00bytes")
    assert target.read_bytes() == b"\x00bytes"


def test_failure_inside_the_block_keeps_the_old_file(tmp_path):
    tmp_path = tmp_path / "d"
    tmp_path.mkdir()
    target = tmp_path / "f"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic.replacing(target) as f:
            f.write(b"half")
            raise RuntimeError("disk said no")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def test_new_file_and_append_mode_refused(tmp_path):
    atomic.write_text(tmp_path / "new.txt", "x")
    assert (tmp_path / "new.txt").read_text() == "x"
    with pytest.raises(ValueError):
        with atomic.replacing(tmp_path / "new.txt", "ab"):
            pass
    atomic.fsync_dir(tmp_path)      # a directory fsync on a real directory works
    with pytest.raises(OSError):
        atomic.fsync_dir(tmp_path / "missing")


def test_create_only_never_replaces_and_files_are_private(tmp_path):
    tmp_path = tmp_path / "d"
    tmp_path.mkdir()
    target = tmp_path / "key"
    with atomic.replacing(target, "w", overwrite=False) as f:
        f.write("first\n")
    assert (target.stat().st_mode & 0o777) == 0o600        # mkstemp's mode, whatever the umask
    with pytest.raises(FileExistsError):
        with atomic.replacing(target, "w", overwrite=False) as f:
            f.write("second\n")
    assert target.read_text() == "first\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key"]


def test_a_temporary_left_by_a_crash_is_recognisable(tmp_path, monkeypatch):
    seen = []
    real_sync = atomic._Writer.sync

    def spy(self, f):
        seen.append(os.path.basename(f.name))
        real_sync(self, f)
    monkeypatch.setattr(atomic._Writer, "sync", spy)
    atomic.write_text(tmp_path / "manifest.json", "{}")
    assert seen[0].startswith(".manifest.json.") and seen[0].endswith(".tmp")


def test_fsync_tree_walks_files_and_directories(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "w.bin").write_bytes(b"x")
    atomic.fsync_tree(tmp_path / "a")
    atomic.fsync_tree(tmp_path / "a" / "b" / "w.bin")
    with pytest.raises(OSError):
        atomic.fsync_tree(tmp_path / "missing")
