"""Process settings: one table of (name, environment variable, default, help).

Settings that belong to a process and its files live here (where the home is, which ZEO to
attach to). Settings of the living system itself (kernel on/off, the Ollama host, index sizes)
live *in the image*, in the ``Config`` prototype, so they are versioned and shared.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from telos.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    default: str | None
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("home", "TELOS_HOME", str(REPO_ROOT / "var"),
            "directory holding the image (telos.fs), index files, logs and sockets"),
    Setting("zeo", "TELOS_ZEO", None,
            "attach to this ZEO server (host:port or a unix socket path) instead of the file"),
    Setting("storage", "TELOS_STORAGE", None,
            "where the image lives: file:[PATH] (default $TELOS_HOME/telos.fs), zeo:ADDRESS, a "
            "postgresql://USER@HOST:PORT/DB DSN (RelStorage) or a ZConfig file; unset: TELOS_ZEO, else the file"),
    Setting("backups", "TELOS_BACKUPS", None,
            "backup destination; default backups/ for the default home, else HOME/backups"),
    Setting("model_cache", "TELOS_MODEL_CACHE", str(Path.home() / ".cache" / "telos"),
            "per-machine cache of converted model weights (shared by every home)"),
    Setting("log_level", "TELOS_LOG_LEVEL", "INFO", "level of the log file"),
    Setting("llm_backend", "TELOS_LLM_BACKEND", None,
            "force the LLM backend for this process: auto | ollama | embedded "
            "(default: the image's Config.llm_backend)"),
    Setting("bridge", "TELOS_BRIDGE", None,
            "bridge endpoint; default ipc://$TELOS_HOME/run/bridge.sock"),
    Setting("bridge_curve", "TELOS_BRIDGE_CURVE", "auto",
            "CURVE on the bridge: auto (on every tcp endpoint, loopback included; off on the "
            "ipc socket), on, off (refused for tcp)"),
    Setting("bridge_in_flight", "TELOS_BRIDGE_IN_FLIGHT", "64",
            "requests the service runs or queues at once, all clients together; beyond it: ERROR busy"),
    Setting("bridge_client_in_flight", "TELOS_BRIDGE_CLIENT_IN_FLIGHT", "16",
            "requests one client may have in flight (a CURVE key, or one ipc connection); beyond "
            "it that client gets ERROR busy and the others are still served"),
    Setting("bridge_max_slot_bytes", "TELOS_BRIDGE_MAX_SLOT_BYTES", "65536",
            "largest slot value SET_SLOT accepts over the bridge, in bytes of its JSON; larger: "
            "ERROR too_large"),
    Setting("metrics", "TELOS_METRICS", "127.0.0.1:0",
            "health/Prometheus HTTP address of the service (port 0: any free port), or 'off'"),
    Setting("responder", "TELOS_RESPONDER", None,
            "package.module:factory answering user queries in the service (tests inject one); "
            "default: the persona orchestrator"),
    Setting("sandbox_no_drop", "TELOS_SANDBOX_NO_DROP", None,
            "1: let kernel trials run as the calling user when they cannot drop privileges to "
            "nobody (a development machine that is not root); default: such trials are refused"),
    Setting("backup_key", "TELOS_BACKUP_KEY", None,
            "backup MAC/encryption key (64 hex digits or base64 of 32 bytes); else "
            "TELOS_BACKUP_KEY_FILE, else HOME/keys/backup.key"),
)


def _setting(name: str) -> Setting:
    for s in SETTINGS:
        if s.name == name:
            return s
    raise KeyError(name)


def get(name: str) -> str | None:
    """The value of a setting: its environment variable, else its default."""
    s = _setting(name)
    value = os.environ.get(s.env)
    if value is None or value == "":
        return s.default
    return value


def telos_home() -> Path:
    """``TELOS_HOME`` (default ``./var`` of the repository), created if missing."""
    home = Path(get("home")).expanduser().resolve()
    try:
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"TELOS_HOME={home} cannot be created: {exc}") from exc
    return home


PRIVATE_UMASK = 0o077   # every file TelOS creates is its user's alone (image, logs, keys, backups)


def make_private(home: Path) -> Path:
    """Restrict new files to their owner (umask 077) and the home to its owner (mode 0700).

    Called by the entry points only (CLI, forge, service): the umask is process-wide state. The
    image, logs, keys, sockets and backups under the home are then private to the service's user,
    which is what makes the ipc socket's "whoever reaches it is the local user" true."""
    os.umask(PRIVATE_UMASK)
    home = Path(home)
    try:
        mode = home_mode(home)
        if home.stat().st_uid == os.getuid() and home.stat().st_mode & 0o777 != mode:
            os.chmod(home, mode)
    except OSError as exc:
        raise ConfigError(f"TELOS_HOME={home} cannot be made private (chmod 0700): {exc}") from exc
    return home


def home_mode(home: Path) -> int:
    """0700; 0711 while the home holds a PostgreSQL cluster (``pg/``, run by the ``postgres``
    user, who must traverse the home to reach it; others still cannot list it, and everything
    inside stays private to its owner)."""
    return 0o711 if (Path(home) / "pg").is_dir() else 0o700


def is_default_home(home: Path | None = None) -> bool:
    home = (home or telos_home()).resolve()
    return home == (REPO_ROOT / "var").resolve()


def image_path(home: Path | None = None) -> Path:
    return (home or telos_home()) / "telos.fs"


def zeo_socket(home: Path | None = None) -> Path:
    """Where the ZEO server that supervisord runs for this home listens."""
    return (home or telos_home()) / "run" / "zeo.sock"


def log_dir(home: Path | None = None) -> Path:
    d = (home or telos_home()) / "log"
    d.mkdir(parents=True, exist_ok=True)
    return d


def model_cache() -> Path:
    d = Path(get("model_cache")).expanduser()
    d.mkdir(parents=True, exist_ok=True)
    return d


def parse_zeo_address(value: str) -> str | tuple[str, int]:
    """``host:port`` → ``(host, port)``; anything with a ``/`` is a unix socket path."""
    value = value.strip()
    if "/" in value:
        return value
    host, sep, port = value.rpartition(":")
    if not sep or not host:
        raise ConfigError(f"TELOS_ZEO={value!r}: expected host:port or a socket path")
    try:
        return (host, int(port))
    except ValueError as exc:
        raise ConfigError(f"TELOS_ZEO={value!r}: port {port!r} is not a number") from exc


def zeo_address() -> str | tuple[str, int] | None:
    value = get("zeo")
    return parse_zeo_address(value) if value else None


def get_int(name: str, minimum: int = 1) -> int:
    """An integer setting; a clear ConfigError naming the variable and the bad value otherwise."""
    s = _setting(name)
    value = get(name)
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{s.env}={value!r}: expected a whole number") from exc
    if n < minimum:
        raise ConfigError(f"{s.env}={value!r}: must be at least {minimum}")
    return n


def converter(kind: type) -> Callable[[str, object], object]:
    """A converter that names the setting and the bad value (supervisor's datatypes style)."""
    def convert(name: str, value: object):
        try:
            return kind(value)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"setting {name}: {value!r} is not a valid {kind.__name__}") from exc
    return convert
