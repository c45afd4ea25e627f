"""telos/backup/keys.py: keys from the environment, the key file created 0600, clear errors."""

from __future__ import annotations

import base64
import os
import stat

import pytest

from telos.backup.keys import create_key_file, key_file, load_keys, parse_key
from telos.errors import BackupKeyError


def test_key_from_env_hex_and_base64(monkeypatch, telos_home):
    raw = bytes(range(32))
    monkeypatch.setenv("TELOS_BACKUP_KEY", raw.hex())
    a = load_keys(telos_home)
    monkeypatch.setenv("TELOS_BACKUP_KEY", base64.b64encode(raw).decode())
    b = load_keys(telos_home)
    assert a.key_id == b.key_id and a.master == raw
    assert a.mac_key != a.enc_key and raw not in (a.mac_key, a.enc_key)


def test_bad_key_named(monkeypatch, telos_home):
    monkeypatch.setenv("TELOS_BACKUP_KEY", "abcd")
    with pytest.raises(BackupKeyError, match="TELOS_BACKUP_KEY"):
        load_keys(telos_home)
    with pytest.raises(BackupKeyError):
        parse_key("not a key!" * 8, where="x")


def test_key_file_created_0600_on_first_use_only(monkeypatch, telos_home):
    monkeypatch.delenv("TELOS_BACKUP_KEY", raising=False)
    with pytest.raises(BackupKeyError, match="no backup key"):
        load_keys(telos_home)
    k = load_keys(telos_home, create=True)
    path = telos_home / "keys" / "backup.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_keys(telos_home).key_id == k.key_id


def test_key_file_is_0600_whatever_the_umask_whole_and_never_replaced(tmp_path):
    path = tmp_path / "keys" / "backup.key"
    old = os.umask(0)
    try:
        create_key_file(path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = path.read_text()
    assert len(parse_key(first, where="test")) == 32
    with pytest.raises(FileExistsError):
        create_key_file(path)
    assert path.read_text() == first
    assert os.listdir(path.parent) == ["backup.key"]        # no temporary left beside it


def test_key_file_setting(monkeypatch, tmp_path, telos_home):
    monkeypatch.delenv("TELOS_BACKUP_KEY", raising=False)
    monkeypatch.setenv("TELOS_BACKUP_KEY_FILE", str(tmp_path / "elsewhere.key"))
    assert key_file(telos_home) == tmp_path / "elsewhere.key"
    k = load_keys(telos_home, create=True)
    assert k.source == str(tmp_path / "elsewhere.key")
    assert not (telos_home / "keys" / "backup.key").exists()
