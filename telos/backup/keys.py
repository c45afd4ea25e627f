"""The backup key: where it comes from, and the two keys derived from it.

One secret (32 random bytes) authenticates manifests (HMAC-SHA256) and encrypts sets
(AES-256-GCM). It is never stored in the image or in a backup set. It comes from, in order:

1. ``TELOS_BACKUP_KEY`` — hex (64 digits) or base64 of at least 32 bytes;
2. ``TELOS_BACKUP_KEY_FILE`` — a file holding the key in hex;
3. ``$TELOS_HOME/keys/backup.key`` — created with mode 0600 on the first backup.

Keep a copy of the key somewhere else than the machine and the backups: without it nothing
can be verified or decrypted (unencrypted sets still restore with plain ``repozo -R``).
Purpose-specific keys are derived with HKDF-SHA256, so the MAC key never doubles as the
encryption key; ``key_id`` (a hash of a third derivation) names the key in manifests without
revealing it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from telos import atomic, config
from telos.errors import BackupKeyError

log = logging.getLogger(__name__)

ENV_KEY = config.setting("backup_key").env
ENV_KEY_FILE = config.setting("backup_key_file").env
KEY_BYTES = 32


def _hkdf(master: bytes, info: bytes, length: int = 32, salt: bytes = b"telos-backup") -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(master)


@dataclass(frozen=True)
class BackupKeys:
    """Keys derived from one master secret. ``source`` says where the secret came from."""

    master: bytes = field(repr=False)
    source: str = ""

    @property
    def mac_key(self) -> bytes:
        return _hkdf(self.master, b"manifest-mac")

    @property
    def enc_key(self) -> bytes:
        return _hkdf(self.master, b"set-encryption")

    @property
    def key_id(self) -> str:
        return hashlib.sha256(_hkdf(self.master, b"key-id")).hexdigest()[:16]

    def mac(self, data: bytes) -> str:
        return hmac.new(self.mac_key, data, hashlib.sha256).hexdigest()

    def check_mac(self, data: bytes, mac: str) -> bool:
        return hmac.compare_digest(self.mac(data), str(mac))


def parse_key(text: str, *, where: str) -> bytes:
    """Hex (64+ digits) or base64 (32+ bytes) → bytes; a clear error naming ``where`` otherwise."""
    text = text.strip()
    raw: bytes | None = None
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raw = None
    if raw is None or len(raw) < KEY_BYTES:
        raise BackupKeyError(
            f"backup key in {where} is not usable: expected {KEY_BYTES} bytes as hex "
            f"(64 hex digits) or base64")
    return raw


def key_file(home: Path) -> Path:
    return config.get("backup_key_file") or home / "keys" / "backup.key"


def create_key_file(path: Path) -> None:
    """Write a fresh random key (hex) with mode 0600, whole or not at all; never overwrites an
    existing file (FileExistsError)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    with atomic.replacing(path, "w", overwrite=False) as fh:
        os.fchmod(fh.fileno(), 0o600)
        fh.write(secrets.token_bytes(KEY_BYTES).hex() + "\n")
    log.warning("created a new backup key at %s — keep a copy of it away from this machine", path)


def load_keys(home: Path, *, create: bool = False) -> BackupKeys:
    """The backup keys from the environment or the key file (created when ``create``)."""
    env = config.get("backup_key")
    if env:
        return BackupKeys(parse_key(env, where=ENV_KEY), source=ENV_KEY)
    path = key_file(home)
    if not path.exists():
        if not create:
            raise BackupKeyError(
                f"no backup key: {ENV_KEY} is not set and {path} does not exist. Restore the key "
                f"file (or set {ENV_KEY}) that was used to make the backups")
        create_key_file(path)
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        log.warning("backup key file %s is readable by others (mode %o); use chmod 600", path, mode)
    try:
        text = path.read_text()
    except OSError as exc:
        raise BackupKeyError(f"backup key file {path} cannot be read: {exc}") from exc
    return BackupKeys(parse_key(text, where=str(path)), source=str(path))
