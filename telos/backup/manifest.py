"""Manifests: what a backup set holds, hash-chained to the previous set and authenticated.

A manifest is canonical JSON (sorted keys, no spaces) with an ``mac`` field: HMAC-SHA256 under
the backup MAC key over the canonical form of every other field. ``prev`` is the sha256 of the
previous manifest file's bytes (``None`` for the first set ever made, or the pruning anchor).
Manifests are authenticated, not encrypted: they reveal times, sizes, tids and checksums.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from telos.backup.keys import BackupKeys
from telos.errors import BackupCorruptError, BackupKeyError

FORMAT = "telos-backup-manifest/1"


def canonical(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def sign(body: dict[str, Any], keys: BackupKeys) -> bytes:
    """The bytes of a signed manifest (body + ``mac``)."""
    body = {k: v for k, v in body.items() if k != "mac"}
    body["key_id"] = keys.key_id
    signed = dict(body, mac=keys.mac(canonical(body)))
    return canonical(signed) + b"\n"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def read_signed(path: Path, keys: BackupKeys | None, *, what: str = "manifest") -> tuple[dict, str]:
    """Parse and authenticate a signed JSON file → (body, sha256 of its bytes).

    Raises BackupCorruptError (unreadable, not JSON, MAC mismatch) or BackupKeyError (made with
    another key). With ``keys=None`` the MAC is not checked (listing only).
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise BackupCorruptError(f"{what} {path} is missing") from exc
    except OSError as exc:
        raise BackupCorruptError(f"{what} {path} cannot be read: {exc}") from exc
    try:
        obj = json.loads(raw)
        if not isinstance(obj, dict):
            raise ValueError("not an object")
    except ValueError as exc:
        raise BackupCorruptError(f"{what} {path} is not valid JSON: {exc}") from exc
    if keys is not None:
        mac = obj.get("mac")
        body = {k: v for k, v in obj.items() if k != "mac"}
        if obj.get("key_id") != keys.key_id:
            raise BackupKeyError(
                f"{what} {path} was signed with key id {obj.get('key_id')!r} but the current "
                f"backup key ({keys.source}) has id {keys.key_id!r}: wrong key, or the "
                f"{what} was edited")
        if not isinstance(mac, str) or not keys.check_mac(canonical(body), mac):
            raise BackupCorruptError(
                f"{what} {path} fails its MAC check: it was edited or damaged")
    return obj, sha256_bytes(raw)
