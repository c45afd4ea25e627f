"""The living image: a ZODB database seen through sessions.

* :class:`Store` — one opened database (FileStorage or ZEO) plus per-process shared services
  (indexes, models) in ``store.shared``. Code above this layer never knows which storage it is.
* :class:`Image` — a *session*: one ZODB connection with its own transaction manager. Use one per
  thread (``image.session()``). ``open_image()`` returns the first session and owns the store.

A *thought* is a transaction: ``with image.thought("note"):`` commits on success and aborts on
any exception, recording the note and the user in the transaction metadata. A thought inside a
thought is a savepoint: its failure rolls back only its own changes and re-raises.

The past (thoughts, an object's revisions, ``at(time)`` views, undo) is :mod:`telos.image_history`.
"""

from __future__ import annotations

import contextlib
import getpass
import logging
import random
import threading
import time
import weakref
from pathlib import Path
from typing import Any, Callable, Iterator

import transaction as _transaction
import ZODB
import ZODB.POSException
from ZODB.utils import tid_repr

from telos import config
from telos.errors import ConfigError, ConflictError, ImageError, ImageUnavailableError, ReadOnlyImageError
from telos import uvm
from telos.areas import REGISTRY
from telos.image_history import (  # noqa: F401 - re-exported
    History,
    Revision,
    ThoughtInfo,
    tid_from,
    tid_hex,
    tid_time,
)
from telos.uvm import UvmObject

log = logging.getLogger(__name__)

CONFLICT_DEADLINE_S = 30.0     # how long one write keeps retrying ZODB conflicts before failing

# id(connection) -> Image session; lets an object find the session that loaded it.
_SESSIONS: "weakref.WeakValueDictionary[int, Image]" = weakref.WeakValueDictionary()


def image_of(obj: Any) -> "Image | None":
    """The session whose connection holds ``obj`` (None for new or foreign objects)."""
    jar = getattr(obj, "_p_jar", None)
    if jar is None:
        return None
    return _SESSIONS.get(id(jar))


def _kernel_for(obj: Any):
    """How an unknown message of ``obj`` reaches the generative kernel (None: it does not)."""
    image = image_of(obj)
    if image is None or not image.kernel_enabled:
        return None
    return lambda receiver, message: image.kernel.handle(receiver, message)


uvm.install_kernel(_kernel_for)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


class Store:
    """One opened database and the services this process shares over it."""

    def __init__(self, db: ZODB.DB, *, home: Path, path: Path | None, zeo: Any = None,
                 spec: Any = None):
        self.db = db
        self.spec = spec        # telos.storage.StorageSpec: what TELOS_STORAGE chose
        self.home = home
        self.path = path
        self.zeo = zeo
        self.shared: dict[str, Any] = {}
        self.lock = threading.RLock()
        self.closed = False

    @property
    def is_zeo(self) -> bool:
        return self.zeo is not None

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        for name, service in list(self.shared.items()):
            closer = getattr(service, "close", None)
            if callable(closer):
                try:
                    closer()
                except Exception:  # one failing service must not keep the database open
                    log.exception("closing shared service %s failed", name)
        self.shared.clear()
        self.db.close()


def open_image(path: str | Path | None = None, *, zeo: Any = None, home: str | Path | None = None,
               read_only: bool = False, awaken: bool = True, zeo_timeout: float = 10.0) -> "Image":
    """Open the living image.

    With no arguments: the storage ``TELOS_STORAGE`` names (:mod:`telos.storage`), else
    ``TELOS_ZEO`` if set, else the FileStorage ``$TELOS_HOME/telos.fs``.
    ``path`` opens that FileStorage; ``zeo`` ("host:port", a socket path or an address tuple)
    attaches to a ZEO server. The genesis prototypes are awakened (idempotently) unless
    ``awaken=False`` or the storage is read-only.
    """
    from telos import storage
    home_path = Path(home).resolve() if home is not None else config.telos_home()
    if zeo is not None:
        spec = storage.StorageSpec("zeo", zeo)
    elif path is not None:
        spec = storage.StorageSpec("file", Path(path).resolve())
    else:
        spec = storage.configured(home_path)
    db = storage.open_db(spec, read_only=read_only, zeo_timeout=zeo_timeout)
    store = Store(db, home=home_path, path=spec.target if spec.is_file else None,
                  zeo=zeo if zeo is not None else (spec.target if spec.is_zeo else None), spec=spec)
    image = Image(store, owns_store=True)
    if awaken and not read_only:
        from telos import genesis
        try:
            genesis.awaken(image)
        except BaseException as exc:
            image.close()
            if store.is_zeo and _disconnected(exc):
                raise ImageUnavailableError(
                    f"the ZEO server at {zeo!r} went away while the image was opening "
                    f"({exc}); open it again when the server is back") from exc
            raise
    return image


def _disconnected(exc: BaseException) -> bool:
    from ZEO.Exceptions import ClientDisconnected
    return isinstance(exc, ClientDisconnected)


class Image(History):
    """A session on the living image: one connection, one transaction manager."""

    def __init__(self, store: Store, *, owns_store: bool = False, at: bytes | None = None):
        self.store = store
        self.transaction_manager = _transaction.TransactionManager()
        self.connection = store.db.open(transaction_manager=self.transaction_manager, before=at)
        self.before = at
        self._owns_store = owns_store
        self._depth = 0
        self._areas: dict[str, Any] = {}
        self._children: list[Image] = []
        self.last_thought: str | None = None
        _SESSIONS[id(self.connection)] = self

    # -- the graph -------------------------------------------------------------------------
    @property
    def root(self):
        return self.connection.root()

    @property
    def prototypes(self):
        """The name registry: name -> prototype (an OOBTree in the root)."""
        try:
            return self.root["prototypes"]
        except KeyError:
            raise ImageError("this image has not been awakened (no prototype registry)") from None

    @property
    def read_only(self) -> bool:
        return self.before is not None or self.connection.isReadOnly()

    @property
    def config(self) -> UvmObject | None:
        try:
            return self.prototypes.get("Config")
        except ImageError:
            return None

    @property
    def kernel_enabled(self) -> bool:
        if self.config is None:
            return False
        # reads the slot itself (never a message send): this runs on every unknown message, so
        # a bad value must not turn every missing attribute into a ConfigError: off, logged
        try:
            return config.image_setting(self, "kernel_enabled")
        except ConfigError as exc:
            log.warning("the generative kernel is off: %s", exc)
            return False

    def register(self, name: str, obj: UvmObject) -> UvmObject:
        """Put ``obj`` in the registry under ``name`` (and give it that name)."""
        if self.read_only:
            raise ReadOnlyImageError("cannot register prototypes in a read-only view")
        if obj._name is None:
            obj._name = name
            obj._p_changed = True
        self.prototypes[name] = obj
        return obj

    def get(self, ref: str) -> UvmObject:
        """A prototype by registry name, or any registered object by id prefix."""
        protos = self.prototypes
        if ref in protos:
            return protos[ref]
        for obj in protos.values():
            if obj._id.startswith(ref):
                return obj
        raise KeyError(f"no prototype named {ref!r} and no registered object with id {ref!r}")

    # -- thoughts --------------------------------------------------------------------------
    @contextlib.contextmanager
    def thought(self, note: str = "", user: str | None = None) -> Iterator["Image"]:
        """One transaction: commit on success, abort on any exception (nested: a savepoint)."""
        if self.read_only:
            raise ReadOnlyImageError(
                "this is a read-only view of the image (image.at() or a read-only storage); "
                "thoughts happen in the live image")
        tm = self.transaction_manager
        if self._depth > 0:
            savepoint = tm.savepoint()
            self._depth += 1
            try:
                yield self
            except BaseException:
                savepoint.rollback()
                raise
            finally:
                self._depth -= 1
            return
        txn = tm.get()
        if note:
            txn.note(note)
        txn.user = user or _user()
        self._depth = 1
        try:
            yield self
            # private: the objects this thought changed, to learn the tid they were stored at
            changed = list(self.connection._registered_objects)
            tm.commit()
            self.last_thought = tid_hex(changed[0]._p_serial) if changed else None
        except ZODB.POSException.ConflictError as exc:
            tm.abort()
            raise _conflict(exc, f"thought {note!r}") from exc
        except BaseException:
            tm.abort()
            raise
        finally:
            self._depth = 0

    def run(self, fn: Callable[[], Any], note: str = "", *, user: str | None = None,
            deadline: float = CONFLICT_DEADLINE_S, retries: int | None = None,
            on_conflict: Callable[[], None] | None = None) -> Any:
        """Run ``fn`` in a thought, retrying on a conflict until ``deadline`` seconds have
        passed (or, when given, after ``retries`` retries); ``fn`` must be re-runnable.

        A single write should not fail because others write too: between attempts a random
        back-off ("full jitter": 0 … min(0.5 s, 5 ms · 2^attempt), so writers of one hot object
        do not keep colliding in lock-step), then a fresh transaction that has seen the commit
        we lost to. The conflict is reported (:class:`~telos.errors.ConflictError`) only when
        the deadline passes."""
        end = time.monotonic() + deadline
        attempt = 0
        while True:
            try:
                with self.thought(note, user=user):
                    return fn()
            except ConflictError as exc:
                if on_conflict is not None:
                    on_conflict()
                attempt += 1
                pause = random.uniform(0.0, min(0.5, 0.005 * 2 ** min(attempt, 10)))
                if time.monotonic() + pause >= end or (retries is not None and attempt > retries):
                    spent = deadline - (end - time.monotonic())
                    log.warning("thought %r: still conflicting after %d attempts in %.1f s",
                                note, attempt, spent)
                    raise ConflictError(
                        f"thought {note!r} kept meeting other writers of the same objects "
                        f"({attempt} attempts in {spent:.1f} s); retry it later",
                        committed=exc.committed) from exc
                log.info("conflict in thought %r, retrying (attempt %d)", note, attempt + 1)
                time.sleep(pause)
                self.refresh_after_conflict(exc)

    def refresh_after_conflict(self, exc: ConflictError) -> None:
        """Begin again once this client has seen the commit that beat us.

        Over ZEO the invalidation for that commit may still be on its way: without waiting, a
        retry would start from the same stale state and conflict again."""
        committed = exc.committed
        try:
            self.refresh(wait_for=committed)
        except ImageError:
            log.warning("the commit that conflicted with us (%s) has not reached this client",
                        committed.hex() if committed else "?")
            self.refresh()

    def commit(self, note: str = "") -> None:
        """Commit the open transaction (the shell's ``commit(note)``); a write conflict aborts it
        and raises TelOS's ConflictError, as a thought does."""
        txn = self.transaction_manager.get()
        if note:
            txn.note(note)
        if not txn.user:
            txn.user = _user()      # the timeline names who committed it, as for a thought
        try:
            self.transaction_manager.commit()
        except ZODB.POSException.ConflictError as exc:
            self.transaction_manager.abort()
            raise _conflict(exc, f"commit {note!r}") from exc

    def abort(self) -> None:
        self.transaction_manager.abort()

    def refresh(self, wait_for: str | bytes | None = None, timeout: float = 10.0) -> None:
        """See other processes' commits: abort and begin a new transaction.

        Over ZEO, invalidations arrive asynchronously; ``wait_for`` (a thought id / tid known to
        be committed elsewhere) waits until this client has heard of it first.
        """
        if wait_for is not None:
            tid = tid_from(wait_for)
            deadline = time.monotonic() + timeout
            while self.store.db.storage.lastTransaction() < tid:
                if time.monotonic() > deadline:
                    raise ImageError(f"thought {tid_hex(tid)} did not reach this client within "
                                     f"{timeout} s")
                time.sleep(0.01)
        self.transaction_manager.abort()
        self.transaction_manager.begin()

    @property
    def in_thought(self) -> bool:
        """True inside ``with image.thought(...)`` (never begin/abort the transaction then)."""
        return self._depth > 0

    def has_changes(self) -> bool:
        """True when this session holds uncommitted changes."""
        return bool(self.connection._registered_objects) or bool(self.connection._added)

    # -- sessions and views ----------------------------------------------------------------
    def session(self) -> "Image":
        """Another session on the same store (own connection and transaction manager)."""
        child = Image(self.store)
        self._children.append(child)
        return child

    # -- areas (telos.area; the registry: telos.areas) ---------------------------------
    def area(self, name: str) -> Any:
        """The facade of area ``name`` for this session (attached on first use)."""
        facade = self._areas.get(name)
        if facade is None:
            area = REGISTRY.get(name)
            if area is None:
                raise AttributeError(f"the image has no area {name!r} (areas: "
                                     f"{', '.join(REGISTRY.names())})")
            facade = self._areas[name] = area.attach(self)
        return facade

    def __getattr__(self, name: str) -> Any:
        # only for names not found otherwise: ``image.memory``, ``image.kernel``, ... (areas).
        # A property of the image that raised AttributeError lands here too: run it again so
        # its own error shows, not "no area".
        prop = getattr(type(self), name, None)
        if isinstance(prop, property):
            return prop.fget(self)
        if name.startswith("_") or REGISTRY.get(name) is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return self.area(name)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(REGISTRY.names()))   # tab completion

    # -- closing ---------------------------------------------------------------------------
    def close(self) -> None:
        for child in self._children:
            child.close()
        self._children.clear()
        for name, facade in self._areas.items():
            area = REGISTRY.get(name)
            try:
                if area is not None:
                    area.close(facade)
            except Exception:  # one failing area must not keep the session open
                log.exception("closing area %s failed", name)
        self._areas.clear()
        if self.connection is not None:
            _SESSIONS.pop(id(self.connection), None)
            try:
                self.transaction_manager.abort()
            finally:
                self.connection.close()
                self.connection = None  # type: ignore[assignment]
        if self._owns_store:
            self.store.close()

    def __enter__(self) -> "Image":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        where = self.store.spec.describe() if self.store.spec is not None else str(self.store.path)
        view = f" at {tid_repr(self.before)}" if self.before else ""
        return f"<Image {where}{view}>"


def _conflict(exc: Exception, what: str) -> ConflictError:
    """ZODB's write conflict as TelOS's (``committed``: the winning tid, when ZODB said)."""
    serials = getattr(exc, "serials", None)
    committed = serials[0] if serials and isinstance(serials[0], bytes) else None
    return ConflictError(f"{what}: another thought changed the same objects first; retry it",
                         committed=committed)


# image.<area> must reach the area: its name may not be one of the image's own attributes
REGISTRY.reserve({n for n in dir(Image) if not n.startswith("_")}
                 | {"before", "connection", "last_thought", "store", "transaction_manager"})
