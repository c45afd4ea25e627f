"""Every setting of TelOS, declared once: one table of :class:`Setting` (name, environment
variable, default, help, converter, scope), and the functions every reader goes through.

Two scopes:

- ``process`` — settings of one process and its files (where the home is, which ZEO to attach
  to, the bridge endpoint). Read with :func:`get` (environment variable, else the default).
- ``image`` — settings of the living system itself, slots of the ``Config`` prototype in the image
  (kernel on/off, the LLM backend, index sizes), so they are versioned and shared by every process
  on the image. Genesis seeds the missing slots from this table (:func:`seed_config`); code reads
  them with :func:`image_setting`. Some have an environment variable too, which overrides the
  image *for this process* (``TELOS_LLM_BACKEND``, ``OLLAMA_HOST``).

Precedence, the same for every setting: environment variable, then the image's ``Config`` slot
(image settings; a slot holding ``None`` counts as unset), then the default. Every value goes
through the setting's converter (:mod:`telos.settings.converters`), so a bad one is a single
:class:`~telos.errors.ConfigError` sentence naming where it came from, the value and what is
expected: ``TELOS_BRIDGE_IN_FLIGHT='lots': expected a whole number``. ``master_forge.py config``
lists them all with their current values and sources.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, NamedTuple

from telos.errors import ConfigError
from telos.settings import converters as C
from telos.settings.converters import Converter

REPO_ROOT = Path(__file__).resolve().parent.parent

PROCESS = "process"
IMAGE = "image"


@dataclass(frozen=True)
class Setting:
    name: str
    env: str | None           # environment variable (process settings; optional for image ones)
    default: Any               # raw, converted like any other value; None: unset
    help: str
    convert: Converter = C.text
    scope: str = PROCESS      # PROCESS | IMAGE (a slot of the image's Config, named as the setting)
    secret: bool = False      # never shown or copied anywhere (config listing, backup sets)
    shown: Callable[[Any], Any] | None = None   # what may be shown or recorded of a value

    def display(self, value: Any) -> Any:
        """``value`` as it may be shown or recorded (secrets: whether set; ``shown`` applied)."""
        if self.secret:
            return None if value is None else "(set)"
        return self.shown(value) if self.shown is not None and value is not None else value

    @property
    def slot(self) -> str | None:
        return self.name if self.scope == IMAGE else None


SETTINGS: tuple[Setting, ...] = (
    # -- process: where things are ---------------------------------------------------------
    Setting("home", "TELOS_HOME", str(REPO_ROOT / "var"),
            "directory holding the image (telos.fs), index files, logs and sockets", C.path),
    Setting("zeo", "TELOS_ZEO", None,
            "attach to this ZEO server (host:port or a unix socket path) instead of the file",
            C.address),
    Setting("storage", "TELOS_STORAGE", None,
            "where the image lives: file:[PATH] (default $TELOS_HOME/telos.fs), zeo:ADDRESS, a "
            "postgresql://USER@HOST:PORT/DB DSN (RelStorage) or a ZConfig file; unset: TELOS_ZEO, "
            "else the file", C.text, shown=C.redact_dsn),
    Setting("backups", "TELOS_BACKUPS", None,
            "backup destination; default backups/ for the default home, else HOME/backups", C.path),
    Setting("model_cache", "TELOS_MODEL_CACHE", str(Path.home() / ".cache" / "telos"),
            "per-machine cache of converted model weights (shared by every home)", C.path),
    Setting("log_level", "TELOS_LOG_LEVEL", "INFO", "level of the log file",
            C.choice("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")),
    # -- process: the service and its bridge -------------------------------------------------
    Setting("bridge", "TELOS_BRIDGE", None,
            "bridge endpoint; default ipc://$TELOS_HOME/run/bridge.sock", C.endpoint),
    Setting("bridge_curve", "TELOS_BRIDGE_CURVE", "auto",
            "CURVE on the bridge: auto (on every tcp endpoint, loopback included; off on the "
            "ipc socket), on, off (refused for tcp)", C.choice("auto", "on", "off")),
    Setting("bridge_in_flight", "TELOS_BRIDGE_IN_FLIGHT", "64",
            "requests the service runs or queues at once, all clients together; beyond it: "
            "ERROR busy",
            C.integer(minimum=1)),
    Setting("bridge_client_in_flight", "TELOS_BRIDGE_CLIENT_IN_FLIGHT", "16",
            "requests one client may have in flight (a CURVE key, or one ipc connection); beyond "
            "it that client gets ERROR busy and the others are still served", C.integer(minimum=1)),
    Setting("bridge_max_slot_bytes", "TELOS_BRIDGE_MAX_SLOT_BYTES", "65536",
            "largest slot value SET_SLOT accepts over the bridge, in bytes of its JSON; larger: "
            "ERROR too_large", C.integer(minimum=1)),
    Setting("metrics", "TELOS_METRICS", "127.0.0.1:0",
            "health/Prometheus HTTP address of the service (port 0: any free port), or 'off'",
            C.address_or_off),
    Setting("responder", "TELOS_RESPONDER", None,
            "package.module:factory answering user queries in the service (tests inject one); "
            "default: the persona orchestrator", C.factory),
    # -- process: safety and secrets ---------------------------------------------------------
    Setting("sandbox_no_drop", "TELOS_SANDBOX_NO_DROP", False,
            "1: let kernel trials run as the calling user when they cannot drop privileges to "
            "nobody (a development machine that is not root); default: such trials are refused",
            C.boolean),
    Setting("backup_key", "TELOS_BACKUP_KEY", None,
            "backup MAC/encryption key (64 hex digits or base64 of 32 bytes); else "
            "TELOS_BACKUP_KEY_FILE, else HOME/keys/backup.key", secret=True),
    Setting("backup_key_file", "TELOS_BACKUP_KEY_FILE", None,
            "file holding the backup key in hex; default HOME/keys/backup.key (created 0600 on "
            "the first backup)", C.path),
    Setting("memory_fault", "TELOS_MEMORY_FAULT", None,
            "crash tests only: POINT[:N] makes the process SIGKILL itself the N-th time it "
            "reaches that fault point (telos.memory.faults)"),
    # -- image: slots of Config (the environment variable, if any, overrides for one process) --
    Setting("kernel_enabled", None, True,
            "an unknown message starts the generative kernel (false: it raises as usual)",
            C.boolean, IMAGE),
    Setting("kernel_levers", None, "constrained,receiver_prompt,analogy,rerank,examples",
            "the generative kernel's levers that are on (telos.kernel.levers; bench kernel "
            "--eval --ablation measures each): constrained, receiver_prompt, analogy, "
            "candidates, rerank, examples",
            C.subset("constrained", "receiver_prompt", "analogy", "candidates", "rerank",
                     "examples"), IMAGE),
    Setting("kernel_max_attempts", None, 3,
            "generations per unknown message (each failure is fed back to the model)",
            C.integer(minimum=1), IMAGE),
    Setting("torch_threads", "TELOS_TORCH_THREADS", None,
            "threads of the embedded model and the memory's embedder; default the CPUs this "
            "process may use less one, at least 1 (so work on another core cannot stall "
            "decoding: with 2 threads on 2 cores and one core busy it fell from ~12 to ~1 token/s)",
            C.integer(minimum=1)),
    Setting("llm_backend", "TELOS_LLM_BACKEND", "auto",
            "LLM backend: auto (Ollama when configured or reachable, else embedded) | ollama | "
            "embedded", C.choice("auto", "ollama", "embedded"), IMAGE),
    Setting("embedded_model", "TELOS_EMBEDDED_MODEL", "smollm2",
            "the model the embedded backend runs with no server (telos/llm/models.py): smollm2 "
            "(SmolLM2-135M-Instruct) | gemma3-270m (Gemma 3 270M base); each converted once per "
            "machine", C.choice("smollm2", "gemma3-270m"), IMAGE),
    Setting("ollama_host", "OLLAMA_HOST", None,
            "Ollama server (URL or host[:port]); set means: use Ollama in auto mode; default: "
            "probe http://127.0.0.1:11434", C.text, IMAGE),
    Setting("vram_budget_gb", None, 8.0,
            "the orchestrator keeps the loaded models within this many GB",
            C.number(above=0), IMAGE),
    Setting("l1_capacity", None, 50_000,
            "records the in-memory L1 index holds before older ones are archived into L2",
            C.integer(minimum=1), IMAGE),
    Setting("memory_search_mode", None, "hybrid",
            "what image.memory.search asks by default: hybrid (words and meanings fused by "
            "reciprocal rank) | vector | lexical", C.choice("hybrid", "vector", "lexical"), IMAGE),
    Setting("memory_rrf_k", None, 60,
            "reciprocal-rank fusion constant: a hit ranked r by a tier scores weight / (k + r)",
            C.integer(minimum=1), IMAGE),
    Setting("memory_vector_weight", None, 1.0,
            "weight of the vector tiers (L1, L2) in hybrid memory search", C.number(above=0), IMAGE),
    Setting("memory_lexical_weight", None, 1.5,
            "weight of the lexical (Tantivy) tier in hybrid memory search (1.5: chosen by the "
            "fusion sweep of bench memory --retrieval)", C.number(above=0), IMAGE),
    Setting("vsa_dimension", None, 10_000,
            "dimension of the FHRR hypervectors (read once, when the Codebook is created)",
            C.integer(minimum=1), IMAGE),
    Setting("vsa_seed", None, 0,
            "seed of the codebook's symbols (read once, when the Codebook is created)",
            C.whole_or_text, IMAGE),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def setting(name: str) -> Setting:
    """The declaration of ``name`` (KeyError: no such setting — a programming error)."""
    return _BY_NAME[name]


class Value(NamedTuple):
    """A setting's current value and where it came from (``source``: ``env``, ``image``,
    ``default``); ``where`` names it for people (``TELOS_ZEO``, ``Config.l1_capacity``)."""
    setting: Setting
    value: Any
    source: str
    where: str


def _convert(s: Setting, raw: Any, where: str, convert: Converter | None = None) -> Any:
    if raw is None:
        return None
    try:
        return (convert or s.convert)(raw)
    except ValueError as exc:
        shown = "(secret)" if s.secret else repr(raw)
        raise ConfigError(f"{where}={shown}: {exc}") from None


def _env(s: Setting) -> str | None:
    if s.env is None:
        return None
    value = os.environ.get(s.env)
    return None if value is None or value.strip() == "" else value


_MISSING = object()


def _config_slot_of(cfg: Any, slot: str, default: Any = None) -> Any:
    # the slot itself, never the delegation chain: a missing slot is unset, not a message (the
    # same read as ``mirror(cfg).get``, which this bottom layer cannot import)
    if getattr(cfg, "_p_state", 0) < 0:
        cfg._p_activate()
    return cfg.__dict__.get(slot, default)


def _config_slot(image: Any, slot: str) -> Any:
    cfg = getattr(image, "config", None)
    return None if cfg is None else _config_slot_of(cfg, slot)


def lookup(name: str, image: Any = None, *, convert: Converter | None = None) -> Value:
    """``name``'s value and source: environment variable, else (image settings, when ``image``
    is given) the image's ``Config`` slot, else the default; converted."""
    s = setting(name)
    raw = _env(s)
    if raw is not None:
        return Value(s, _convert(s, raw, s.env, convert), "env", s.env)
    if s.scope == IMAGE and image is not None:
        raw = _config_slot(image, s.name)
        if raw is not None:
            where = f"Config.{s.name}"
            return Value(s, _convert(s, raw, where, convert), "image", where)
    return Value(s, _convert(s, s.default, f"default of {s.name}", convert), "default",
                 s.env or f"Config.{s.name}")


def get(name: str) -> Any:
    """A setting's value for this process: its environment variable, else its default,
    converted (None when unset). Image settings: use :func:`image_setting`."""
    return lookup(name).value


def get_int(name: str, minimum: int = 1) -> int:
    """An integer setting; a clear ConfigError naming the variable and the bad value otherwise."""
    return lookup(name, convert=C.integer(minimum)).value


def image_setting(image: Any, name: str) -> Any:
    """An image setting (a ``Config`` slot) as the code should use it: the environment override,
    else the slot, else the table's default; converted. ``image`` may be None (no image)."""
    s = setting(name)
    if s.scope != IMAGE:
        raise KeyError(f"{name} is a process setting: read it with config.get")
    return lookup(name, image).value


def check_image_slot(slot: str, value: Any) -> Any:
    """The value to store in ``Config.<slot>``: when ``slot`` is an image setting, ``value``
    converted (a ConfigError naming the slot when it is not valid; None unsets it); a process
    setting's name refused (it would have no effect); any other slot's value unchanged. For editors of the image (SET_SLOT over the bridge)."""
    s = _BY_NAME.get(slot)
    if s is None:
        return value
    if s.scope != IMAGE:
        raise ConfigError(f"Config.{slot}: {slot} is a setting of each process, not of the "
                          f"image: set {s.env} in the environment of the process instead")
    return _convert(s, value, f"Config.{slot}")


def seed_config(cfg: Any) -> list[str]:
    """Give the image's ``Config`` every image setting it lacks, with its default (genesis);
    slots already there keep their value. Returns the names added."""
    added = []
    for s in SETTINGS:
        if s.scope == IMAGE and _config_slot_of(cfg, s.name, _MISSING) is _MISSING:
            setattr(cfg, s.name, s.default)
            added.append(s.name)
    return added


def snapshot() -> dict[str, Any]:
    """This process's settings as they stand (environment or default), secrets left out: what a
    backup set records beside the image."""
    out: dict[str, Any] = {}
    for s in SETTINGS:
        raw = _env(s)
        out[s.name] = s.display(raw if raw is not None else s.default)
    return out


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
