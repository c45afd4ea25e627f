"""Where the bridge listens, and whether that needs CURVE.

Default: a local socket ``ipc://$TELOS_HOME/run/bridge.sock``: the home is private to the
service's user (mode 0700, umask 077), so file permissions are the boundary and whoever reaches the
socket is the local user, with read-write rights. ``TELOS_BRIDGE`` overrides it, e.g.
``tcp://127.0.0.1:5555``; every tcp endpoint, loopback included, requires CURVE (keys and the
allow-list with roles in ``$TELOS_HOME/keys``, see :mod:`telos.bridge.keys`): on a shared machine
any local user can reach a loopback port.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from telos import config
from telos.errors import ConfigError

# the bridge's settings live in the one table, telos.config.SETTINGS
SETTINGS = tuple(st for st in config.SETTINGS if st.name in (
    "bridge", "bridge_curve", "bridge_in_flight", "bridge_client_in_flight",
    "bridge_max_slot_bytes", "metrics"))

_IPC_MAX = 100   # sun_path is 108 bytes on Linux


def _get(name: str) -> str | None:
    return config.get(name)


def run_dir(home: Path) -> Path:
    """``$TELOS_HOME/run`` (sockets, service.json), private to its owner (0700)."""
    d = Path(home) / "run"
    d.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = d.stat()
    if st.st_mode & 0o077 and st.st_uid == os.getuid():
        os.chmod(d, 0o700)
    return d


def default_endpoint(home: Path) -> str:
    path = run_dir(home) / "bridge.sock"
    if len(str(path)) > _IPC_MAX:
        raise ConfigError(f"TELOS_HOME={home} is too deep for a local socket ({len(str(path))} "
                          f"bytes > {_IPC_MAX}); use a shorter home or set TELOS_BRIDGE=tcp://127.0.0.1:PORT")
    return f"ipc://{path}"


def bridge_endpoint(home: Path | None = None) -> str:
    """``TELOS_BRIDGE`` or the default local socket of ``home``."""
    value = _get("bridge")
    if value:
        check(value)
        return value
    return default_endpoint(home or config.telos_home())


def check(endpoint: str) -> str:
    scheme, sep, rest = endpoint.partition("://")
    if not sep or scheme not in ("ipc", "tcp") or not rest:
        raise ConfigError(f"TELOS_BRIDGE={endpoint!r}: expected ipc://PATH or tcp://HOST:PORT")
    if scheme == "tcp" and ":" not in rest:
        raise ConfigError(f"TELOS_BRIDGE={endpoint!r}: a tcp endpoint needs a port")
    return endpoint


def is_loopback(endpoint: str) -> bool:
    """True for local sockets and tcp on 127.0.0.0/8, ::1 or localhost."""
    scheme, _, rest = check(endpoint).partition("://")
    if scheme == "ipc":
        return True
    host = rest.rsplit(":", 1)[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False   # a name or '*': beyond loopback


def curve_required(endpoint: str) -> bool:
    mode = (_get("bridge_curve") or "auto").lower()
    if mode not in ("auto", "on", "off"):
        raise ConfigError(f"TELOS_BRIDGE_CURVE={mode!r}: expected auto, on or off")
    if mode == "on":
        return True
    if check(endpoint).startswith("tcp://"):
        if mode == "off":
            raise ConfigError(f"TELOS_BRIDGE_CURVE=off is refused for {endpoint}: every tcp endpoint "
                              "needs CURVE (any local user can reach a loopback port); use the "
                              "default ipc socket for keyless local access")
        return True
    return False


def client_endpoint(endpoint: str) -> str:
    """The address a client connects to for a bound endpoint (``tcp://0.0.0.0:P`` → 127.0.0.1)."""
    scheme, _, rest = endpoint.partition("://")
    if scheme == "tcp":
        host, _, port = rest.rpartition(":")
        if host in ("*", "0.0.0.0"):
            return f"tcp://127.0.0.1:{port}"
        if host in ("[::]", "::"):
            return f"tcp://[::1]:{port}"
    return endpoint


def metrics_address() -> tuple[str, int] | None:
    value = _get("metrics") or "off"
    if value.lower() == "off":
        return None
    host, sep, port = value.rpartition(":")
    try:
        port_n = int(port)
    except ValueError as exc:
        raise ConfigError(f"TELOS_METRICS={value!r}: expected HOST:PORT or off") from exc
    host = host or "127.0.0.1"
    try:
        loop = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loop = host == "localhost"
    if not loop:
        raise ConfigError(f"TELOS_METRICS={value!r}: health and metrics are served on loopback only")
    return host, port_n
