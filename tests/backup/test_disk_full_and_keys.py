"""Faults an operator understands: a full disk is one sentence and leaves no partial set behind;
a backup key other than the newest set's is refused unless ``--new-key``; ``backups`` marks the
sets the current key cannot open.

Disk full is tested for real on a tiny tmpfs when this machine lets us mount one (as root), and
by fault injection (an ``OSError(ENOSPC)`` from one write) everywhere.
"""

from __future__ import annotations

import errno
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from telos import atomic
from telos.backup import engine
from telos.backup.catalog import chain_problems, foreign_key_id, load_sets
from telos.backup.engine import make_backup
from telos.backup.keys import BackupKeys
from telos.backup.verify import verify
from telos.errors import BackupDiskFullError, BackupKeyError, DiskFullError

from .conftest import KEY_HEX

KEYS = BackupKeys(bytes.fromhex(KEY_HEX), source="test")
OTHER = BackupKeys(bytes.fromhex("a7" * 32), source="other key")
SENTENCE = "; the image is intact; free space and retry"


def _tree(dest: Path) -> set[str]:
    """Every file of the destination except the lock and scratch space."""
    return {str(p.relative_to(dest)) for p in dest.rglob("*")
            if p.is_file() and p.name != ".lock" and ".work" not in p.parts}


def _enospc(path) -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))


@pytest.mark.parametrize("encrypt", [False, True])
@pytest.mark.parametrize("fail_at", ["second file", "manifest", "HEAD"])
def test_injected_disk_full_leaves_no_partial_set(workload, dest, tmp_path, monkeypatch,
                                                  encrypt, fail_at):
    workload.commit(3)
    first = make_backup(workload.path, dest, KEYS, full=True, encrypt=encrypt,
                        staging_root=tmp_path / "stage")
    before = _tree(dest)
    workload.commit(3)
    if fail_at == "second file":
        real, calls = engine._place, []

        def place(src, dst, *a, **kw):
            calls.append(dst)
            if len(calls) == 2:
                raise _enospc(dst)
            return real(src, dst, *a, **kw)
        monkeypatch.setattr(engine, "_place", place)
    elif fail_at == "manifest":
        def write_bytes(path, data):
            with atomic.replacing(path) as f:
                f.write(data[:10])                 # half written, then the disk is full
                raise _enospc(path)
        monkeypatch.setattr(engine.atomic, "write_bytes", write_bytes)
    else:
        monkeypatch.setattr(engine, "write_head", lambda d, ref, k: (_ for _ in ()).throw(
            _enospc(d / "HEAD.json")))
    with pytest.raises(BackupDiskFullError) as e:
        make_backup(workload.path, dest, KEYS, encrypt=encrypt, staging_root=tmp_path / "stage")
    msg = str(e.value)
    assert msg.startswith("disk full writing ") and msg.endswith(SENTENCE), msg
    assert isinstance(e.value, DiskFullError) and "Traceback" not in msg
    assert _tree(dest) == before                     # not one file of the failed set is left
    assert [s.ident for s in load_sets(dest, KEYS)] == [first.set.ident]
    assert chain_problems(dest, load_sets(dest, KEYS), KEYS) == []
    monkeypatch.undo()
    again = make_backup(workload.path, dest, KEYS, encrypt=encrypt, staging_root=tmp_path / "stage")
    assert again.set.seq == 2 and verify(dest, KEYS, drill_sets="none").ok


def test_repozo_reporting_a_full_disk_is_the_same_sentence(workload, dest, monkeypatch):
    from telos.backup import repozo
    workload.commit(2)

    def backup(source, repo, *, full):
        raise repozo.RepozoFailed("repozo backup failed (exit 1): ...",
                                  output="OSError: [Errno 28] No space left on device")
    monkeypatch.setattr(repozo, "backup", backup)
    with pytest.raises(BackupDiskFullError, match=SENTENCE):
        make_backup(workload.path, dest, KEYS)
    assert _tree(dest) == set()


@pytest.fixture
def tiny_disk():
    """A 512 KiB tmpfs, when this machine lets us mount one (root in a sandbox); else skip."""
    mnt = Path(f"/tmp/telos-tiny-{uuid.uuid4().hex[:8]}")
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        mnt.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=False)
        mnt.rmdir()


@pytest.mark.parametrize("encrypt", [False, True])
def test_real_full_disk_on_a_tiny_tmpfs(workload, tiny_disk, tmp_path, encrypt):
    workload.commit(n=5, size=20_000)                 # ~100 KB: the first set fits
    dest = tiny_disk / "dest"
    dest.mkdir()
    staging = tmp_path / "stage" if encrypt else None  # unencrypted: repozo stages on the tmpfs
    first = make_backup(workload.path, dest, KEYS, full=True, encrypt=encrypt, staging_root=staging)
    before = _tree(dest)
    workload.commit(n=30, size=20_000)                # ~600 KB more: it cannot fit
    with pytest.raises(BackupDiskFullError) as e:
        make_backup(workload.path, dest, KEYS, encrypt=encrypt, staging_root=staging)
    assert str(e.value).endswith(SENTENCE)
    assert _tree(dest) == before
    assert [s.ident for s in load_sets(dest, KEYS)] == [first.set.ident]
    assert verify(dest, KEYS, drill_sets="none").ok


def test_another_key_is_refused_unless_new_key(workload, dest):
    workload.commit(2)
    make_backup(workload.path, dest, KEYS, full=True)
    workload.commit(2)
    make_backup(workload.path, dest, KEYS)
    before = _tree(dest)
    workload.commit(2)
    assert foreign_key_id(dest, KEYS) is None
    assert foreign_key_id(dest, OTHER) == KEYS.key_id
    with pytest.raises(BackupKeyError) as e:
        make_backup(workload.path, dest, OTHER)
    assert KEYS.key_id in str(e.value) and OTHER.key_id in str(e.value)
    assert "--new-key" in str(e.value)
    assert _tree(dest) == before                      # nothing written
    r = make_backup(workload.path, dest, OTHER, new_key=True)
    assert r.kind == "full" and r.set.seq == 1 and r.set.manifest["prev"] is None
    sets = load_sets(dest, OTHER)
    assert [s.error is None for s in sets] == [True, False, False]   # the old sets: other key
    assert all("key id" in s.error for s in sets if s.error)
    workload.commit(2)
    assert make_backup(workload.path, dest, OTHER).kind == "incremental"   # no flag needed now
    with pytest.raises(BackupKeyError):               # and now the old key is the stranger
        make_backup(workload.path, dest, KEYS)


def test_backups_command_marks_sets_of_another_key(workload, telos_home, monkeypatch, capsys):
    """``backups`` through the facade on a real image, listing a destination with two keys."""
    from telos.cli import main
    from telos.image import open_image
    dest = telos_home / "backups"
    monkeypatch.setenv("TELOS_BACKUPS", str(dest))
    monkeypatch.setenv("TELOS_BACKUP_KEY", KEY_HEX)
    image = open_image(home=telos_home)
    try:
        image.backups.backup(full=True)
        monkeypatch.setenv("TELOS_BACKUP_KEY", "a7" * 32)
        with pytest.raises(BackupKeyError, match="--new-key"):
            image.backups.backup()
        image.backups.backup(new_key=True)
    finally:
        image.close()
    capsys.readouterr()
    main(["backups"])
    out = capsys.readouterr().out
    assert f"current backup key id: {OTHER.key_id}" in out
    other_lines = [ln for ln in out.splitlines() if "OTHER KEY" in ln]
    assert len(other_lines) == 1 and KEYS.key_id in other_lines[0]
    assert "cannot open" in other_lines[0] and "made with another backup key" in out


def test_cli_says_disk_full_in_one_line(workload, telos_home, monkeypatch, capsys):
    from telos.cli import main
    monkeypatch.setenv("TELOS_BACKUPS", str(telos_home / "backups"))
    monkeypatch.setenv("TELOS_BACKUP_KEY", KEY_HEX)
    monkeypatch.setattr(engine, "_place", lambda src, dst, *a, **kw: (_ for _ in ()).throw(
        _enospc(dst)))
    assert main(["backup", "--full"]) == 1
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and lines[0].endswith(SENTENCE), err
    assert "Traceback" not in err
    assert _tree(telos_home / "backups") == set()
