"""Chunked AES-256-GCM: round trip, and every kind of tampering refused with a clear error."""

from __future__ import annotations

import os

import pytest

from telos.backup.crypto import TAG, _FIXED, decrypt_file, encrypt_file
from telos.errors import BackupCorruptError

KEY = bytes(range(32))
CHUNK = 1000


@pytest.fixture
def sealed(tmp_path):
    src = tmp_path / "plain.bin"
    src.write_bytes(os.urandom(CHUNK * 4 + 123))
    enc = tmp_path / "plain.bin.enc"
    info = encrypt_file(src, enc, KEY, name="repozo/plain.bin", chunk_size=CHUNK)
    return src, enc, info


def _header_len(enc):
    return _FIXED.size + len("repozo/plain.bin")


def test_round_trip_multi_chunk(sealed, tmp_path):
    src, enc, info = sealed
    out = tmp_path / "out.bin"
    back = decrypt_file(enc, out, KEY, name="repozo/plain.bin")
    assert out.read_bytes() == src.read_bytes()
    assert back.plain_sha256 == info.plain_sha256 and back.sha256 == info.sha256
    assert enc.stat().st_size == info.size == _header_len(enc) + 5 * TAG + src.stat().st_size


def test_exact_multiple_and_empty_files(tmp_path):
    for size in (0, CHUNK, 3 * CHUNK):
        src = tmp_path / f"p{size}"
        src.write_bytes(os.urandom(size))
        encrypt_file(src, tmp_path / "e", KEY, name="x", chunk_size=CHUNK)
        decrypt_file(tmp_path / "e", tmp_path / "o", KEY, name="x")
        assert (tmp_path / "o").read_bytes() == src.read_bytes()


def test_same_plaintext_never_same_ciphertext(sealed, tmp_path):
    src, enc, _ = sealed
    encrypt_file(src, tmp_path / "again.enc", KEY, name="repozo/plain.bin", chunk_size=CHUNK)
    assert (tmp_path / "again.enc").read_bytes()[_FIXED.size:] != enc.read_bytes()[_FIXED.size:]


def _blocks(enc):
    raw = enc.read_bytes()
    h = _header_len(enc)
    body = raw[h:]
    step = CHUNK + TAG
    return raw[:h], [body[i:i + step] for i in range(0, len(body), step)]


def _refused(enc, tmp_path, match, **kw):
    out = tmp_path / "out.bin"
    with pytest.raises(BackupCorruptError, match=match):
        decrypt_file(enc, out, kw.pop("key", KEY), **kw)
    assert not out.exists() and not (tmp_path / "out.bin.tmp").exists()


def test_swapped_chunks_refused(sealed, tmp_path):
    _, enc, _ = sealed
    head, blocks = _blocks(enc)
    blocks[1], blocks[2] = blocks[2], blocks[1]
    enc.write_bytes(head + b"".join(blocks))
    _refused(enc, tmp_path, "chunk 1 fails authentication")


def test_dropped_last_chunk_refused(sealed, tmp_path):
    _, enc, _ = sealed
    head, blocks = _blocks(enc)
    enc.write_bytes(head + b"".join(blocks[:-1]))
    _refused(enc, tmp_path, "chunk 3 fails authentication")


def test_spliced_chunk_from_another_file_refused(sealed, tmp_path):
    src, enc, _ = sealed
    other = tmp_path / "other.enc"
    encrypt_file(src, other, KEY, name="repozo/plain.bin", chunk_size=CHUNK)
    head, blocks = _blocks(enc)
    _, oblocks = _blocks(other)
    blocks[2] = oblocks[2]
    enc.write_bytes(head + b"".join(blocks))
    _refused(enc, tmp_path, "chunk 2 fails authentication")


def test_flipped_byte_and_wrong_key_refused(sealed, tmp_path):
    _, enc, _ = sealed
    _refused(enc, tmp_path, "chunk 0 fails", key=bytes(32))
    raw = bytearray(enc.read_bytes())
    raw[-5] ^= 1
    enc.write_bytes(bytes(raw))
    _refused(enc, tmp_path, "chunk 4 fails authentication")


def test_file_passed_off_under_another_name_refused(sealed, tmp_path):
    _, enc, _ = sealed
    _refused(enc, tmp_path, "expected 'repozo/other.bin'", name="repozo/other.bin")


def test_garbage_and_truncated_header_refused(tmp_path):
    bad = tmp_path / "bad.enc"
    bad.write_bytes(b"not encrypted at all" * 10)
    _refused(bad, tmp_path, "bad magic")
    bad.write_bytes(b"TELOS")
    _refused(bad, tmp_path, "truncated inside its header")
