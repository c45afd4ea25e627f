"""Who is asking, and may they: the peer behind a bridge request, its role, and the audit log.

Two roles (see :mod:`telos.bridge.keys` for the allow-list):

``rw``  read-write — every request.
``ro``  read-only — only :data:`telos.bridge.protocol.READ_COMMANDS` (PING, STATUS_REQUEST,
        LIST_PROTOTYPES, INSPECT_OBJECT, SEARCH_MEMORY, VSA_QUERY, LIST_BACKUPS). Anything that
        changes the image, runs code or stops the service (SET_SLOT, DEFINE_METHOD, SEND_MESSAGE,
        REMEMBER, RUN_BACKUP and VERIFY_BACKUP — they record their run in the BackupManager —,
        SHUTDOWN_REQUEST, and USER_QUERY_REQUEST, because a persona's answer is remembered as a
        memory of the turn) gets ERROR ``forbidden``.

Who the peer is:

* on a CURVE endpoint (every tcp one), the ZAP handshake admits allow-listed keys only and
  ZeroMQ stamps each message with the client's key (``User-Id`` metadata); the allow-list names
  the key and gives its role, looked up again for every request, so a key revoked or demoted
  while connected loses its rights at its next request;
* on the ipc socket (no CURVE: the home is private to the service's user, file permissions are
  the boundary), the peer is the local user, ``local:<user>``, read-write.

The author (``key:<name>`` or ``local:<user>``) is the user of every thought a request commits and
the ``author`` in the provenance of the methods it defines; :func:`record` writes one line per
change on the ``telos.audit`` logger.
"""

from __future__ import annotations

import getpass
import logging
from dataclasses import dataclass
from typing import Any, Callable

from telos.bridge import protocol as P
from telos.bridge.keys import RO, RW

log = logging.getLogger(__name__)
audit_log = logging.getLogger("telos.audit")

KEYS_HINT = "python3 master_forge.py keys allow CERT --role rw"


@dataclass(frozen=True)
class Peer:
    """The client behind a request. ``client`` is what the per-client in-flight cap counts by:
    the key on CURVE endpoints (one client may open several connections), None on ipc (each
    connection is then its own client)."""

    author: str
    role: str = RW
    client: bytes | None = None

    def may(self, command: str) -> bool:
        return self.role == RW or command in P.READ_COMMANDS


def _local_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):   # no passwd entry and no LOGNAME/USER
        import os
        return f"uid{os.getuid()}"


LOCAL = Peer(author=f"local:{_local_user()}", role=RW)


@dataclass(frozen=True)
class Curve:
    """CURVE server setup: our key pair, a callable telling whether a client key (Z85) is allowed,
    and one naming the :class:`Peer` behind a key (its role), asked for every
    request; None there: the key was dropped from the allow-list since it connected."""
    public: bytes
    secret: bytes
    is_allowed: Callable[[bytes], bool]
    identify: Callable[[bytes], "Peer | None"] | None = None

    def peer(self, key: bytes) -> "Peer | None":
        if self.identify is None:
            return Peer(author=f"key:{key[:8].decode(errors='replace')}", client=key)
        return self.identify(key)

    def callback(self, domain: str, key: bytes) -> bool:   # pyzmq credentials-provider protocol
        allowed = bool(self.is_allowed(key))
        if not allowed:
            log.warning("CURVE: refused client key %s…", key[:8].decode(errors="replace"))
        return allowed


def forbidden(peer: Peer, command: str) -> tuple[str, str]:
    """(message, hint) of the ERROR ``forbidden`` a read-only peer gets for ``command``."""
    what = "asking a persona records a memory of the turn" if command == "USER_QUERY_REQUEST" \
        else "it changes the image, runs code or stops the service"
    return (f"{command} needs a read-write key ({what}); this client ({peer.author}) has a "
            f"read-only key",
            f"on the service's machine: `{KEYS_HINT}` gives a key read-write rights")


def record(peer: Any, what: str, target: str, detail: str = "", *, level: int = logging.INFO) -> None:
    """One audit line: who, what, which object (and the thought or a detail)."""
    author = getattr(peer, "author", str(peer))
    audit_log.log(level, "%s %s %s%s", author, what, target, f" ({detail})" if detail else "")


__all__ = ["Curve", "LOCAL", "Peer", "RO", "RW", "forbidden", "record", "audit_log"]
