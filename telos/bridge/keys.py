"""CURVE keys for the bridge, kept in ``$TELOS_HOME/keys`` (ZeroMQ's ZPL certificate files).

::

    keys/
      server.key            the service's public key (give it to clients)
      server.key_secret     the service's key pair (0600)
      client.key            the local client's public key
      client.key_secret     the local client's key pair (0600)
      authorized/           the allow-list, role ``rw``: one public ``*.key`` per client that
                            may read and write (define, set, send, ask, shut down)
      readonly/             the allow-list, role ``ro``: clients that may only read (ping,
                            status, list, inspect, search, VSA queries)

:func:`ensure_keys` (called by the forge) creates what is missing and never replaces a key that
exists. CURVE is used on every tcp endpoint (loopback included); a client whose public key is in
neither directory is refused by the ZAP handshake and gets nothing. A key in both is read-only
(the stricter role wins). The entry's file name (without ``.key``) names the client in the audit
log and in the provenance of what it changes (``key:<name>``).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

from telos.errors import BridgeError, ConfigError

log = logging.getLogger(__name__)

SERVER = "server"
CLIENT = "client"
RW = "rw"
RO = "ro"
ROLES = (RW, RO)
_NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


@dataclass(frozen=True)
class KeyPair:
    public: bytes   # Z85, 40 bytes
    secret: bytes | None


def keys_dir(home: Path) -> Path:
    return Path(home) / "keys"


def authorized_dir(home: Path) -> Path:
    return keys_dir(home) / "authorized"


def readonly_dir(home: Path) -> Path:
    return keys_dir(home) / "readonly"


def role_dir(home: Path, role: str) -> Path:
    if role not in ROLES:
        raise ConfigError(f"key role {role!r}: expected 'rw' (read-write) or 'ro' (read-only)")
    return authorized_dir(home) if role == RW else readonly_dir(home)


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
    readonly_dir(home).mkdir(exist_ok=True)
    local = allowed / f"{CLIENT}.key"
    if not local.exists() and not (readonly_dir(home) / f"{CLIENT}.key").exists():
        shutil.copyfile(d / f"{CLIENT}.key", local)   # the local client is read-write
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


def new_client(home: Path, name: str, *, authorize: bool = True, role: str = RW) -> KeyPair:
    """A fresh client key pair ``keys/<name>.key_secret``; added to the allow-list (with ``role``)
    unless told not to."""
    if not _NAME_RE.match(name) or name == SERVER:
        raise ConfigError(f"client key name {name!r}: use letters, digits, '_', '.', '-' (not 'server')")
    role_dir(home, role)   # a bad role is refused before anything is written
    d = keys_dir(home)
    if (d / f"{name}.key_secret").exists():
        raise BridgeError(f"a key pair named {name!r} already exists in {d}")
    _create_pair(d, name)
    if authorize:
        authorize_key(home, d / f"{name}.key", name, role=role)
    return client_keys(home, name)


def authorize_key(home: Path, public_cert: Path, name: str | None = None, *,
                  role: str = RW) -> Path:
    """Copy a client's public certificate into the allow-list with ``role`` (replacing an entry
    of the same name in the other role). The running service sees it at the next request."""
    target_dir = role_dir(home, role)
    name = name or Path(public_cert).stem
    if not _NAME_RE.match(name) or name == SERVER:
        raise ConfigError(f"client key name {name!r}: use letters, digits, '_', '.', '-' (not 'server')")
    pair = load(Path(public_cert))
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{name}.key"
    try:
        if not (target.exists() and os.path.samefile(public_cert, target)):
            shutil.copyfile(public_cert, target)
    except OSError as exc:
        raise BridgeError(f"cannot write {target}: {exc}") from exc
    other = role_dir(home, RO if role == RW else RW) / f"{name}.key"
    other.unlink(missing_ok=True)
    log.info("authorized client key %s as %s (%s…)", name, role, pair.public[:8].decode())
    return target


def revoke(home: Path, name: str) -> list[Path]:
    """Remove ``name`` from the allow-list (both roles); returns the files removed. Connections
    already open are refused from their next request on."""
    removed = []
    for role in ROLES:
        path = role_dir(home, role) / f"{name}.key"
        if path.exists():
            path.unlink()
            removed.append(path)
    if not removed:
        raise ConfigError(f"no client key named {name!r} in the allow-list "
                          f"({authorized_dir(home)}, {readonly_dir(home)})")
    log.info("revoked client key %s", name)
    return removed


@dataclass(frozen=True)
class Entry:
    """One allow-list entry: the client's name, its role and its public key (Z85)."""
    name: str
    role: str
    public: bytes
    path: Path


def entries(home: Path) -> list[Entry]:
    """Every allow-list entry (unreadable files are skipped with a warning); a key listed in
    both roles appears once, as read-only."""
    found: dict[bytes, Entry] = {}
    for role in (RW, RO):   # RO second: the stricter role wins
        d = role_dir(home, role)
        if not d.is_dir():
            continue
        for cert in sorted(d.glob("*.key")):
            try:
                public = load(cert).public
            except BridgeError as exc:
                log.warning("skipping %s", exc)
                continue
            found[public] = Entry(cert.stem, role, public, cert)
    return list(found.values())


class AllowList:
    """The allow-list of a home, read again only when one of its directories changed (adding or
    removing a file changes the directory's mtime), so a per-request lookup costs two stats."""

    def __init__(self, home: Path) -> None:
        self.home = Path(home)
        self._stamp: tuple | None = None
        self._by_key: dict[bytes, Entry] = {}
        self._lock = threading.Lock()

    def _current_stamp(self) -> tuple:
        out = []
        for role in ROLES:
            try:
                out.append(role_dir(self.home, role).stat().st_mtime_ns)
            except FileNotFoundError:
                out.append(None)
        return tuple(out)

    def lookup(self, public: bytes) -> Entry | None:
        stamp = self._current_stamp()
        with self._lock:
            if stamp != self._stamp:
                self._by_key = {e.public: e for e in entries(self.home)}
                self._stamp = stamp
            return self._by_key.get(bytes(public))


def allowed_keys(home: Path) -> list[bytes]:
    """The public keys in the allow-list, either role (unreadable files are skipped with a warning)."""
    return [e.public for e in entries(home)]


@dataclass(frozen=True)
class ClientCurve:
    """A client's CURVE setup: its own key pair and the service's public key."""
    public: bytes
    secret: bytes
    server_public: bytes
    source: str = ""        # the public certificate's file, named when the service refuses it

    @classmethod
    def from_home(cls, home: Path, name: str = CLIENT) -> "ClientCurve":
        pair = client_keys(home, name)
        return cls(pair.public, pair.secret, server_public(home),
                   str(keys_dir(home) / f"{name}.key"))

    def refused_text(self, endpoint: str) -> str:
        cert = self.source or "CLIENT.key"
        return (f"the service at {endpoint} refused this client: its CURVE key "
                f"({self.public[:8].decode(errors='replace')}…) is not on the allow-list; on the "
                f"service's machine run `python3 master_forge.py keys allow {cert} --name NAME` "
                f"(add `--role ro` for a read-only client)")
