"""telos/backup/manifest.py: canonical JSON, signing with the MAC key, reading back with clear
errors for a missing, garbled, edited or foreign-key manifest."""

from __future__ import annotations

import hashlib
import json

import pytest

from telos.backup.keys import load_keys
from telos.backup.manifest import canonical, read_signed, sha256_bytes, sha256_file, sign
from telos.errors import BackupCorruptError, BackupKeyError


@pytest.fixture
def keys(monkeypatch, telos_home):
    monkeypatch.setenv("TELOS_BACKUP_KEY", "11" * 32)
    return load_keys(telos_home)


def test_manifest_sign_verify_edit_and_wrong_key(tmp_path, monkeypatch, telos_home):
    monkeypatch.setenv("TELOS_BACKUP_KEY", "11" * 32)
    keys = load_keys(telos_home)
    path = tmp_path / "manifest.json"
    path.write_bytes(sign({"seq": 1, "tid": "00" * 8, "files": {}}, keys))
    body, sha = read_signed(path, keys)
    assert body["seq"] == 1 and len(sha) == 64
    edited = json.loads(path.read_bytes())
    edited["tid"] = "ff" * 8
    path.write_text(json.dumps(edited))
    with pytest.raises(BackupCorruptError, match="fails its MAC check"):
        read_signed(path, keys)
    monkeypatch.setenv("TELOS_BACKUP_KEY", "22" * 32)
    with pytest.raises(BackupKeyError, match="wrong key"):
        read_signed(path, load_keys(telos_home))


def test_canonical_is_sorted_compact_and_ascii():
    assert canonical({"b": 1, "a": "é"}) == b'{"a":"\\u00e9","b":1}'
    assert canonical({"x": [1, 2]}) == canonical({"x": [1, 2]})


def test_sign_adds_the_key_id_and_replaces_an_old_mac(keys):
    signed = json.loads(sign({"seq": 2, "mac": "stale"}, keys))
    assert signed["key_id"] == keys.key_id and signed["mac"] != "stale"
    assert keys.check_mac(canonical({"seq": 2, "key_id": keys.key_id}), signed["mac"])


def test_signed_bytes_are_canonical_with_a_newline(keys):
    data = sign({"z": 1, "a": 2}, keys)
    assert data.endswith(b"\n") and data[:-1] == canonical(json.loads(data))


def test_read_signed_returns_the_sha256_of_the_bytes(keys, tmp_path):
    path = tmp_path / "m.json"
    path.write_bytes(sign({"seq": 1}, keys))
    body, sha = read_signed(path, keys)
    assert sha == hashlib.sha256(path.read_bytes()).hexdigest() == sha256_file(path)
    assert body["seq"] == 1 and "mac" in body


def test_without_keys_the_mac_is_not_checked(keys, tmp_path):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"seq": 1, "mac": "forged"}))
    body, _ = read_signed(path, None)
    assert body["mac"] == "forged"


@pytest.mark.parametrize("content, message", [
    (None, "is missing"),
    (b"{not json", "is not valid JSON"),
    (b"[1, 2]", "is not valid JSON"),
])
def test_unreadable_manifests_are_corrupt(keys, tmp_path, content, message):
    path = tmp_path / "m.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(BackupCorruptError, match=message):
        read_signed(path, keys, what="head")
    with pytest.raises(BackupCorruptError, match="^head "):
        read_signed(path, keys, what="head")


def test_a_missing_mac_fails_the_check(keys, tmp_path):
    path = tmp_path / "m.json"
    signed = json.loads(sign({"seq": 1}, keys))
    del signed["mac"]
    path.write_text(json.dumps(signed))
    with pytest.raises(BackupCorruptError, match="fails its MAC check"):
        read_signed(path, keys)


def test_sha256_helpers_agree(tmp_path):
    data = b"x" * 3000
    path = tmp_path / "f"
    path.write_bytes(data)
    assert sha256_file(path, chunk=1024) == sha256_bytes(data) == hashlib.sha256(data).hexdigest()
