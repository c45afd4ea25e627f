"""telos/backup/drill.py at unit level: a set's file checked against its manifest (missing,
resized, damaged), and a restored file checked against the manifest's tid and object count
(real FileStorage in tmp_path; the whole drill: test_faults.py)."""

from __future__ import annotations

import hashlib

import pytest

from telos.backup.drill import check_file, check_restored
from telos.backup.layout import SetRef
from telos.errors import BackupCorruptError


def _ref(tmp_path, **manifest):
    path = tmp_path / "chains" / "c1" / "sets" / "s1"
    path.mkdir(parents=True)
    return SetRef(path, manifest={"seq": 1, "kind": "full", **manifest})


@pytest.fixture
def one_file(tmp_path):
    ref = _ref(tmp_path)
    data = b"repozo data" * 50
    (ref.chain_dir / "repozo").mkdir()
    (ref.chain_dir / "repozo" / "a.fs").write_bytes(data)
    info = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "role": "data"}
    return ref, "repozo/a.fs", info


def test_a_file_that_matches_its_manifest_is_returned(one_file):
    ref, rel, info = one_file
    assert check_file(ref, rel, info) == ref.chain_dir / rel


def test_a_missing_file(one_file):
    ref, rel, info = one_file
    (ref.chain_dir / rel).unlink()
    with pytest.raises(BackupCorruptError,
                       match=r"set #1 c1/s1 \(full\): file repozo/a.fs is missing"):
        check_file(ref, rel, info)


def test_a_truncated_file_names_both_sizes(one_file):
    ref, rel, info = one_file
    path = ref.chain_dir / rel
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(BackupCorruptError,
                       match=f"is {info['size'] - 1} bytes, the manifest says {info['size']}"):
        check_file(ref, rel, info)


def test_a_damaged_file_of_the_same_size(one_file):
    ref, rel, info = one_file
    path = ref.chain_dir / rel
    data = bytearray(path.read_bytes())
    data[3] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(BackupCorruptError, match="does not match its sha256"):
        check_file(ref, rel, info)


def test_a_restored_file_that_matches(workload, tmp_path):
    tid = workload.commit(2)
    workload.close()
    objects = _objects(workload.path)
    ref = _ref(tmp_path, tid=tid, objects=objects)
    assert check_restored(workload.path, ref) == (tid, objects)


def _objects(path):
    from ZODB.FileStorage import FileStorage
    fs = FileStorage(str(path), read_only=True)
    try:
        return len(fs)
    finally:
        fs.close()


def test_a_restored_file_at_another_tid(workload, tmp_path):
    workload.commit(1)
    workload.close()
    ref = _ref(tmp_path, tid="00" * 8, objects=_objects(workload.path))
    with pytest.raises(BackupCorruptError,
                       match="restored image ends at tid .* manifest says 0000"):
        check_restored(workload.path, ref)


def test_a_restored_file_with_another_object_count(workload, tmp_path):
    tid = workload.commit(1)
    workload.close()
    ref = _ref(tmp_path, tid=tid, objects=_objects(workload.path) + 1)
    with pytest.raises(BackupCorruptError, match="objects, manifest says"):
        check_restored(workload.path, ref)


def test_a_restored_file_that_does_not_open(tmp_path):
    path = tmp_path / "garbage.fs"
    path.write_bytes(b"not a FileStorage at all")
    ref = _ref(tmp_path, tid="00" * 8, objects=0)
    with pytest.raises(BackupCorruptError, match="the restored file does not open"):
        check_restored(path, ref)
