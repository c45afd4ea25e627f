"""CURVE keys for the bridge, kept in ``$TELOS_HOME/keys`` (ZeroMQ's ZPL certificate files).

::

    keys/
      server.key            the service's public key (give it to clients)
      server.key_secret     the service's key pair (0600)
      client.key            the local client's public key
      client.key_secret     the local client's key pair (0600)
      authorized/           the allow-list: one public ``*.key`` per client allowed to connect

:func:`ensure_keys` (called by the forge) creates what is missing and never replaces a key that
exists. CURVE is used when the bridge is bound beyond loopback; a client whose public key is not
in ``authorized/`` is refused by the ZAP handshake and gets nothing.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from telos.errors import BridgeError, ConfigError

log = logging.getLogger(__name__)

SERVER = "server"
CLIENT = "client"
_NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


@dataclass(frozen=True)
class KeyPair:
    public: bytes   # Z85, 40 bytes
    secret: bytes | None


def keys_dir(home: Path) -> Path:
    return Path(home) / "keys"


def authorized_dir(home: Path) -> Path:
    return keys_dir(home) / "authorized"


def _create_pair(directory: Path, name: str) -> None:
    import zmq.auth
    directory.mkdir(parents=True, exist_ok=True)
    try:
        public_file, secret_file = zmq.auth.create_certificates(str(directory), name)
    except OSError as exc:
        raise BridgeError(f"cannot write CURVE keys in {directory}: {exc}") from exc
    os.chmod(secret_file, 0o600)
    log.info("created CURVE key pair %s", public_file)


def ensure_keys(home: Path) -> Path:
    """Create the server pair, a local client pair and the allow-list (with the local client in
    it) when missing. Idempotent; returns the keys directory."""
    d = keys_dir(home)
    d.mkdir(parents=True, exist_ok=True)
    os.chmod(d, 0o700)
    for name in (SERVER, CLIENT):
        if not (d / f"{name}.key_secret").exists():
            _create_pair(d, name)
    allowed = authorized_dir(home)
    allowed.mkdir(exist_ok=True)
    local = allowed / f"{CLIENT}.key"
    if not local.exists():
        shutil.copyfile(d / f"{CLIENT}.key", local)
    return d


def load(path: Path) -> KeyPair:
    import zmq.auth
    try:
        public, secret = zmq.auth.load_certificate(str(path))
    except (OSError, ValueError) as exc:
        raise BridgeError(f"cannot read CURVE certificate {path}: {exc}") from exc
    return KeyPair(public=public, secret=secret)


def server_keys(home: Path) -> KeyPair:
    return load(keys_dir(home) / f"{SERVER}.key_secret")


def server_public(home: Path) -> bytes:
    return load(keys_dir(home) / f"{SERVER}.key").public


def client_keys(home: Path, name: str = CLIENT) -> KeyPair:
    return load(keys_dir(home) / f"{name}.key_secret")


def new_client(home: Path, name: str, *, authorize: bool = True) -> KeyPair:
    """A fresh client key pair ``keys/<name>.key_secret``; added to the allow-list unless told not to."""
    if not _NAME_RE.match(name) or name == SERVER:
        raise ConfigError(f"client key name {name!r}: use letters, digits, '_', '.', '-' (not 'server')")
    d = keys_dir(home)
    if (d / f"{name}.key_secret").exists():
        raise BridgeError(f"a key pair named {name!r} already exists in {d}")
    _create_pair(d, name)
    if authorize:
        authorize_key(home, d / f"{name}.key", name)
    return client_keys(home, name)


def authorize_key(home: Path, public_cert: Path, name: str | None = None) -> Path:
    """Copy a client's public certificate into the allow-list (the service reloads it on start)."""
    pair = load(Path(public_cert))
    allowed = authorized_dir(home)
    allowed.mkdir(parents=True, exist_ok=True)
    target = allowed / f"{name or Path(public_cert).stem}.key"
    shutil.copyfile(public_cert, target)
    log.info("authorized client key %s (%s…)", target.name, pair.public[:8].decode())
    return target


def allowed_keys(home: Path) -> list[bytes]:
    """The public keys in the allow-list (unreadable files are skipped with a warning)."""
    out = []
    allowed = authorized_dir(home)
    if not allowed.is_dir():
        return out
    for cert in sorted(allowed.glob("*.key")):
        try:
            out.append(load(cert).public)
        except BridgeError as exc:
            log.warning("skipping %s", exc)
    return out
