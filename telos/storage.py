"""Which storage holds the image, chosen by configuration; code above this module never knows.

``TELOS_STORAGE`` (setting ``storage``) takes one of::

    file:                FileStorage $TELOS_HOME/telos.fs (the default)
    file:PATH            FileStorage at PATH
    zeo:ADDRESS          a ZEO server (host:port or a unix socket path)
    postgresql://...     RelStorage on PostgreSQL (a libpq URI), history-preserving
    PATH.conf            a ZConfig file with one storage section (e.g. ``<relstorage>``)

Unset, ``TELOS_ZEO`` (older setting) still selects ZEO. :func:`open_db` returns a ``ZODB.DB``;
every storage it opens keeps history, so ``Image.at``, ``history`` and ``undo`` work on all.

RelStorage trap: ``db.storage.lastTransaction()`` is the main storage instance's last *polled*
tid, and commits go through per-connection instances, so it lags behind (and ``DB.open(before=)``
then refuses "the future"). :func:`open_db` gives the main instance a fresh ``lastTransaction``
(a private instance that polls first), so the image's ``at``/``refresh`` and the memory indexes'
reconciliation by tid see every committed thought.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ZODB

from telos import config
from telos.errors import ConfigError, ImageUnavailableError

log = logging.getLogger(__name__)

KINDS = ("file", "zeo", "postgresql", "zconfig")
CONNECT_TIMEOUT_S = 5      # libpq connect_timeout unless the DSN names one


@dataclass(frozen=True)
class StorageSpec:
    """A parsed ``TELOS_STORAGE``: its kind and target (a path, an address, a DSN or a file)."""
    kind: str
    target: Any = None

    def describe(self) -> str:
        if self.kind == "postgresql":
            return redact(self.target)
        if self.kind == "zconfig":
            return f"zconfig:{self.target}"
        return f"{self.kind}:{self.target}"

    @property
    def is_file(self) -> bool:
        return self.kind == "file"

    @property
    def is_zeo(self) -> bool:
        return self.kind == "zeo"

    @property
    def is_relstorage(self) -> bool:
        return self.kind in ("postgresql", "zconfig")


def redact(dsn: str) -> str:
    """A DSN fit for logs: the password replaced by ``***`` (the settings table's own rule)."""
    return config.setting("storage").display(dsn)


def parse(value: str, home: Path | None = None) -> StorageSpec:
    """``file:[PATH]`` | ``zeo:ADDRESS`` | ``postgresql://...`` | a ZConfig file path."""
    value = (value or "").strip()
    if value in ("", "file", "file:"):
        return StorageSpec("file", config.image_path(home).resolve())
    if value.startswith("file:"):
        return StorageSpec("file", Path(value[len("file:"):]).expanduser().resolve())
    if value.startswith("zeo:"):
        return StorageSpec("zeo", config.parse_zeo_address(value[len("zeo:"):]))
    if value.startswith(("postgresql://", "postgres://")):
        return StorageSpec("postgresql", value)
    path = Path(value).expanduser()
    if path.suffix in (".conf", ".cfg") or path.is_file():
        if not path.is_file():
            raise ConfigError(f"TELOS_STORAGE={redact(value)!r}: no such ZConfig file")
        return StorageSpec("zconfig", path.resolve())
    raise ConfigError(f"TELOS_STORAGE={redact(value)!r}: expected file:[PATH], zeo:ADDRESS, "
                      "postgresql://USER@HOST:PORT/DB or the path of a ZConfig file")


def configured(home: Path | None = None) -> StorageSpec:
    """The storage this process is configured for: TELOS_STORAGE, else TELOS_ZEO, else the file."""
    value = config.get("storage")
    if value:
        return parse(value, home)
    zeo = config.get("zeo")
    if zeo:
        return StorageSpec("zeo", config.parse_zeo_address(zeo))
    return StorageSpec("file", config.image_path(home).resolve())


def keyword_dsn(dsn: str) -> str:
    """libpq keyword form of a DSN, with a ``connect_timeout``. RelStorage appends
    ``application_name=...`` and replica ``host=... port=...`` to the DSN string, which a
    ``postgresql://`` URI cannot take."""
    from psycopg2.extensions import make_dsn, parse_dsn
    try:
        params = parse_dsn(dsn)
    except Exception as exc:  # psycopg2.ProgrammingError: a malformed URI
        raise ConfigError(f"TELOS_STORAGE: not a valid PostgreSQL DSN: {redact(dsn)} ({exc})") from exc
    # a database that stops answering must not hang a search or a status probe for minutes
    params.setdefault("connect_timeout", str(CONNECT_TIMEOUT_S))
    return make_dsn(**params)


def open_db(spec: StorageSpec, *, read_only: bool = False, zeo_timeout: float = 10.0,
            replica_conf: str | Path | None = None) -> ZODB.DB:
    """Open the database ``spec`` names; ImageUnavailableError when its server does not answer."""
    if spec.is_file:
        return _open_file(Path(spec.target), read_only)
    if spec.is_zeo:
        return _open_zeo(spec.target, read_only, zeo_timeout)
    from ZODB.POSException import ConflictError
    for attempt in range(5):
        if spec.kind == "postgresql":
            storage = open_relstorage(spec.target, read_only=read_only, replica_conf=replica_conf)
        else:
            storage = open_zconfig(Path(spec.target))
        try:
            return ZODB.DB(storage)
        except ConflictError:
            # nodes opening a new database at once: each tries to create the root object
            storage.close()
            if attempt == 4:
                raise
            log.info("another process created the database root first; opening again")
        except BaseException:
            storage.close()
            raise
    raise AssertionError("unreachable")


def _open_file(path: Path, read_only: bool) -> ZODB.DB:
    from ZODB.FileStorage import FileStorage
    import zc.lockfile
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        storage = FileStorage(str(path), read_only=read_only)
    except zc.lockfile.LockError as exc:
        raise ImageUnavailableError(
            f"{path} is locked by another process (probably the service, through ZEO): "
            "attach with TELOS_ZEO or `python3 master_forge.py shell`, which finds the running "
            "ZEO server") from exc
    return ZODB.DB(storage)


def _open_zeo(address: Any, read_only: bool, timeout: float) -> ZODB.DB:
    import ZEO
    address = config.parse_zeo_address(address) if isinstance(address, str) else address
    try:
        return ZEO.DB(address, wait_timeout=timeout, read_only=read_only)
    except Exception as exc:  # ZEO raises ClientDisconnected / socket errors
        raise ImageUnavailableError(
            f"no ZEO server answers at {address!r} ({type(exc).__name__}: {exc}); start it with "
            "`python3 master_forge.py start` or unset TELOS_ZEO to open the file directly") from exc


def open_relstorage(dsn: str, *, read_only: bool = False, replica_conf: str | Path | None = None):
    """A history-preserving RelStorage on the PostgreSQL database ``dsn`` (schema created if new)."""
    import psycopg2
    from relstorage.adapters.postgresql import PostgreSQLAdapter
    from relstorage.options import Options
    from relstorage.storage import RelStorage
    opts = dict(keep_history=True, read_only=read_only, create_schema=not read_only,
                driver="psycopg2")
    if replica_conf:
        opts.update(replica_conf=str(replica_conf))
    options = Options(**opts)
    for attempt in range(5):
        try:
            adapter = PostgreSQLAdapter(dsn=keyword_dsn(dsn), options=options)
            storage = RelStorage(adapter, options=options)
            break
        except psycopg2.OperationalError as exc:
            raise ImageUnavailableError(
                f"PostgreSQL does not answer at {redact(dsn)} ({type(exc).__name__}: "
                f"{_one_line(exc)}); for the local cluster: `python3 master_forge.py pg start`") from exc
        except psycopg2.Error as exc:
            # processes creating the schema of a new database at once: all but one fail
            # (UniqueViolation); opening again finds the schema the winner made
            if attempt == 4:
                raise ImageUnavailableError(f"PostgreSQL refused to open the image at "
                                            f"{redact(dsn)}: {type(exc).__name__}: {_one_line(exc)}") from exc
            log.info("creating the RelStorage schema raced with another process (%s); again",
                     type(exc).__name__)
            time.sleep(0.2 * (attempt + 1))
    _adapt_main_instance(storage)
    return storage


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def open_zconfig(path: Path):
    import ZODB.config
    try:
        with open(path) as fh:
            storage = ZODB.config.storageFromFile(fh)
    except Exception as exc:  # ZConfig errors, driver errors: one sentence naming the file
        raise ImageUnavailableError(f"cannot open the storage of {path}: {type(exc).__name__}: {exc}") from exc
    if hasattr(storage, "poll_invalidations") and hasattr(storage, "new_instance"):
        _adapt_main_instance(storage)
    return storage


def _adapt_main_instance(storage) -> None:
    """Adapt the main RelStorage instance (per-connection instances are left as they are):

    * ``lastTransaction`` polls the database first (see the module docstring);
    * ``history(oid, size)``: ZODB's ``DB.history`` passes ``size`` positionally, where
      RelStorage 4.3 expects ``version`` (so it always answered one revision), and the main
      instance reads through a stale snapshot; both go through a freshly polled instance;
    * ``iterator`` ends with a plain StopIteration (see :class:`_Iterator`)."""
    probe: list = []
    lock = threading.Lock()
    stale = storage.lastTransaction   # the bound methods of the class
    stale_history = storage.history
    iterate = storage.iterator

    def polled():
        if not probe:
            probe.append(storage.new_instance())
        try:
            probe[0].poll_invalidations()
        except Exception:  # a lost database: start again with a new instance next time
            broken = probe.pop()
            try:
                broken.release()
            except Exception:  # noqa: BLE001 -- it is broken already; the error that matters is raised
                log.debug("releasing a broken RelStorage instance failed", exc_info=True)
            raise
        return probe[0]

    def last_transaction() -> bytes:
        with lock:
            if storage._closed:   # noqa: SLF001 -- RelStorage's own flag; closed: what it knew
                return stale()
            return max(polled().lastTransaction(), stale())

    def history(oid, size=1, filter=None):   # noqa: A002 -- the IStorage signature
        with lock:
            if storage._closed:   # noqa: SLF001
                return stale_history(oid, None, size, filter)
            return polled().history(oid, None, size, filter)

    storage.lastTransaction = last_transaction
    storage.history = history
    storage.iterator = lambda start=None, stop=None: _Iterator(iterate(start, stop))


class _Iterator:
    """RelStorage's transaction iterator ends with ``ZODB.interfaces.StorageStopIteration``
    (IndexError + StopIteration); ``yield from`` over it crashes CPython 3.11 (a segfault in
    ``_PyGen_FetchStopIterationValue``). This one ends with a plain StopIteration."""

    def __init__(self, it):
        self._it = it

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return next(self._it)
        except StopIteration:
            raise StopIteration from None

    def close(self) -> None:
        self._it.close()


def probe(db) -> str | None:
    """None when the database answers, else one line saying why not (for the service's status).
    FileStorage always answers; ZEO: the client is connected; RelStorage: PostgreSQL is polled."""
    try:
        connected = getattr(db.storage, "is_connected", None)
        if callable(connected) and not connected():
            return "the ZEO server is not connected"
        db.lastTransaction()
        return None
    except Exception as exc:  # noqa: BLE001 -- any failure to reach it is the answer
        return f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
