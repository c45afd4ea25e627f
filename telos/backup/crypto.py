"""Chunked AES-256-GCM file encryption that cannot be reordered, spliced or truncated.

File format (version 1)::

    header  = MAGIC(8) | version(1) | chunk_size(4, big endian) | salt(32) | name_len(2) | name
    chunk_i = AESGCM(file_key).encrypt(nonce_i, plaintext_i, aad_i)      (ciphertext + 16-byte tag)

* ``file_key = HKDF(enc_key, salt)`` with a fresh random 32-byte salt per file, so every file has
  its own key and the nonce can be a plain counter: ``nonce_i = 0x00000000 | i (8 bytes)``. A
  (key, nonce) pair is never reused: one key encrypts one file, once.
* ``aad_i = header | i (8 bytes) | final (1 byte)``: the header (and the file's logical name) is
  bound to every chunk, each chunk to its position, and the last chunk is marked, so swapped,
  spliced, dropped or appended chunks all fail authentication.
* Chunks are ``chunk_size`` bytes of plaintext (default 1 MiB), far below GCM's 64 GiB limit per
  call and its ~2^32 calls-per-key guidance (one key per file).
"""

from __future__ import annotations

import hashlib
import secrets
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from telos import atomic
from telos.errors import BackupCorruptError, BackupKeyError

MAGIC = b"TELOSENC"
VERSION = 1
DEFAULT_CHUNK = 1 << 20
TAG = 16
_FIXED = struct.Struct(">8sBI32sH")


@dataclass(frozen=True)
class Sealed:
    """What encrypting a file produced: sizes and sha256 of both sides."""

    plain_size: int
    plain_sha256: str
    size: int
    sha256: str


def _file_key(enc_key: bytes, salt: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"telos-file-key").derive(enc_key)


def _nonce(i: int) -> bytes:
    return b"\x00\x00\x00\x00" + i.to_bytes(8, "big")


def _aad(header: bytes, i: int, final: bool) -> bytes:
    return header + i.to_bytes(8, "big") + (b"\x01" if final else b"\x00")


def encrypt_file(src: Path, dst: Path, enc_key: bytes, *, name: str,
                 chunk_size: int = DEFAULT_CHUNK,
                 on_bytes: Callable[[int], None] | None = None) -> Sealed:
    """Encrypt ``src`` into ``dst`` (replaced atomically: :mod:`telos.atomic`)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    name_b = name.encode()
    salt = secrets.token_bytes(32)
    header = _FIXED.pack(MAGIC, VERSION, chunk_size, salt, len(name_b)) + name_b
    gcm = AESGCM(_file_key(enc_key, salt))
    plain_h, out_h = hashlib.sha256(), hashlib.sha256()
    plain_n = out_n = 0
    with open(src, "rb") as fin, atomic.replacing(dst) as fout:
        fout.write(header)
        out_h.update(header)
        out_n += len(header)
        i = 0
        chunk = fin.read(chunk_size)
        while True:
            nxt = fin.read(chunk_size) if len(chunk) == chunk_size else b""
            final = not nxt
            plain_h.update(chunk)
            plain_n += len(chunk)
            ct = gcm.encrypt(_nonce(i), chunk, _aad(header, i, final))
            fout.write(ct)
            out_h.update(ct)
            out_n += len(ct)
            if on_bytes:
                on_bytes(len(chunk))
            if final:
                break
            chunk, i = nxt, i + 1
    return Sealed(plain_n, plain_h.hexdigest(), out_n, out_h.hexdigest())


def read_header(fh) -> tuple[bytes, int, bytes, str]:
    fixed = fh.read(_FIXED.size)
    if len(fixed) < _FIXED.size:
        raise BackupCorruptError("encrypted file is truncated inside its header")
    magic, version, chunk_size, salt, name_len = _FIXED.unpack(fixed)
    if magic != MAGIC:
        raise BackupCorruptError("not a TelOS encrypted file (bad magic)")
    if version != VERSION:
        raise BackupCorruptError(f"unknown encrypted file version {version}")
    if not 0 < chunk_size <= 1 << 30:
        raise BackupCorruptError(f"implausible chunk size {chunk_size} in header")
    name_b = fh.read(name_len)
    return fixed + name_b, chunk_size, salt, name_b.decode(errors="replace")


def decrypt_file(src: Path, dst: Path, enc_key: bytes, *, name: str | None = None,
                 on_bytes: Callable[[int], None] | None = None) -> Sealed:
    """Decrypt ``src`` into ``dst``; any alteration raises BackupCorruptError and leaves no ``dst``.

    ``name`` (when given) must equal the name sealed into the header: a file cannot be passed
    off as another one.
    """
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    plain_h, in_h = hashlib.sha256(), hashlib.sha256()
    plain_n = in_n = 0
    with open(src, "rb") as fin, atomic.replacing(dst) as fout:
        header, chunk_size, salt, sealed_name = read_header(fin)
        in_h.update(header)
        in_n += len(header)
        if name is not None and sealed_name != name:
            raise BackupCorruptError(
                f"{src.name}: holds the encrypted file {sealed_name!r}, expected {name!r}")
        gcm = AESGCM(_file_key(enc_key, salt))
        block = chunk_size + TAG
        i = 0
        ct = fin.read(block)
        while True:
            nxt = fin.read(block) if len(ct) == block else b""
            final = not nxt
            if len(ct) < TAG:
                raise BackupCorruptError(f"{src.name}: truncated at chunk {i}")
            try:
                pt = gcm.decrypt(_nonce(i), ct, _aad(header, i, final))
            except InvalidTag as exc:
                raise BackupCorruptError(
                    f"{src.name}: chunk {i} fails authentication — the file was altered, "
                    f"truncated, its chunks reordered or spliced, or the key is wrong") from exc
            fout.write(pt)
            plain_h.update(pt)
            plain_n += len(pt)
            in_h.update(ct)
            in_n += len(ct)
            if on_bytes:
                on_bytes(len(pt))
            if final:
                break
            ct, i = nxt, i + 1
    return Sealed(plain_n, plain_h.hexdigest(), in_n, in_h.hexdigest())


def require_key(enc_key: bytes | None) -> bytes:
    if not enc_key:
        raise BackupKeyError("this backup set is encrypted and no backup key is available")
    return enc_key
