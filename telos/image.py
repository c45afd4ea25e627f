"""The living image: a ZODB database seen through sessions.

* :class:`Store` — one opened database (FileStorage or ZEO) plus per-process shared services
  (indexes, models) in ``store.shared``. Code above this layer never knows which storage it is.
* :class:`Image` — a *session*: one ZODB connection with its own transaction manager. Use one per
  thread (``image.session()``). ``open_image()`` returns the first session and owns the store.

A *thought* is a transaction: ``with image.thought("note"):`` commits on success and aborts on
any exception, recording the note and the user in the transaction metadata. A thought inside a
thought is a savepoint: its failure rolls back only its own changes and re-raises.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import getpass
import logging
import random
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import transaction as _transaction
import ZODB
import ZODB.POSException
from ZODB.utils import p64, tid_repr, u64

from telos import config
from telos.errors import ImageError, ReadOnlyImageError, UndoError
from telos.uvm import UvmObject

log = logging.getLogger(__name__)

CONFLICT_DEADLINE_S = 30.0     # how long one write keeps retrying ZODB conflicts before failing

# id(connection) -> Image session; lets an object find the session that loaded it.
_SESSIONS: "weakref.WeakValueDictionary[int, Image]" = weakref.WeakValueDictionary()

AREAS = ("memory", "kernel", "backups", "vsa")
_AREA_MODULES = {"memory": "telos.memory", "kernel": "telos.kernel",
                 "backups": "telos.backup", "vsa": "telos.vsa"}


def image_of(obj: Any) -> "Image | None":
    """The session whose connection holds ``obj`` (None for new or foreign objects)."""
    jar = getattr(obj, "_p_jar", None)
    if jar is None:
        return None
    return _SESSIONS.get(id(jar))


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def tid_hex(tid: bytes) -> str:
    return tid.hex()


def tid_from(value: Any) -> bytes:
    """A tid from bytes, a 16-digit hex string, a :class:`ThoughtInfo` or a datetime."""
    if isinstance(value, ThoughtInfo):
        return bytes.fromhex(value.id)
    if isinstance(value, bytes) and len(value) == 8:
        return value
    if isinstance(value, str) and len(value) == 16:
        return bytes.fromhex(value)
    if isinstance(value, _dt.datetime):
        from persistent.timestamp import TimeStamp
        # the last tid within that microsecond, so a thought's own time includes the thought
        t = value.astimezone(_dt.timezone.utc) + _dt.timedelta(microseconds=1)
        ts = TimeStamp(t.year, t.month, t.day, t.hour, t.minute, t.second + t.microsecond / 1e6)
        return p64(u64(ts.raw()) - 1)
    raise ImageError(f"not a point in time: {value!r} (use a datetime, a thought id or a tid)")


def tid_time(tid: bytes) -> _dt.datetime:
    from persistent.timestamp import TimeStamp
    return _dt.datetime.fromtimestamp(TimeStamp(tid).timeTime(), _dt.timezone.utc)


@dataclass(frozen=True)
class ThoughtInfo:
    """One committed thought (transaction) as the undo log sees it."""
    id: str                 # the tid in hex
    time: _dt.datetime
    user: str
    note: str
    undo_id: Any = field(repr=False, default=None)


@dataclass(frozen=True)
class Revision:
    """One past state of an object."""
    tid: str
    time: _dt.datetime
    user: str
    note: str
    state: dict             # data slots as plain Python values
    methods: dict           # method name -> source


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
        except BaseException:
            image.close()
            raise
    return image


class Image:
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
        cfg = self.config
        if cfg is None:
            return False
        if cfg._p_state < 0:
            cfg._p_activate()
        # read the slot directly: this runs on every unknown message, and a missing slot must
        # not itself become an unknown message
        return bool(cfg.__dict__.get("kernel_enabled", False))

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
        except BaseException:
            tm.abort()
            raise
        finally:
            self._depth = 0

    def run(self, fn: Callable[[], Any], note: str = "", *, user: str | None = None,
            deadline: float = CONFLICT_DEADLINE_S, retries: int | None = None,
            on_conflict: Callable[[], None] | None = None) -> Any:
        """Run ``fn`` in a thought, retrying on a ZODB conflict until ``deadline`` seconds have
        passed (or, when given, after ``retries`` retries); ``fn`` must be re-runnable.

        A single write should not fail because others write too: between attempts a random
        back-off ("full jitter": 0 … min(0.5 s, 5 ms · 2^attempt), so writers of one hot object
        do not keep colliding in lock-step), then a fresh transaction that has seen the commit
        we lost to. The conflict is reported only when the deadline passes."""
        end = time.monotonic() + deadline
        attempt = 0
        while True:
            try:
                with self.thought(note, user=user):
                    return fn()
            except ZODB.POSException.ConflictError as exc:
                if on_conflict is not None:
                    on_conflict()
                attempt += 1
                pause = random.uniform(0.0, min(0.5, 0.005 * 2 ** min(attempt, 10)))
                if time.monotonic() + pause >= end or (retries is not None and attempt > retries):
                    log.warning("thought %r: still conflicting after %d attempts in %.1f s",
                                note, attempt, deadline - (end - time.monotonic()))
                    raise
                log.info("conflict in thought %r, retrying (attempt %d)", note, attempt + 1)
                time.sleep(pause)
                self.refresh_after_conflict(exc)

    def refresh_after_conflict(self, exc: ZODB.POSException.ConflictError) -> None:
        """Begin again once this client has seen the commit that beat us.

        Over ZEO the invalidation for that commit may still be on its way: without waiting, a
        retry would start from the same stale state and conflict again."""
        serials = getattr(exc, "serials", None)
        committed = serials[0] if serials and isinstance(serials[0], bytes) else None
        try:
            self.refresh(wait_for=committed)
        except ImageError:
            log.warning("the commit that conflicted with us (%s) has not reached this client",
                        committed.hex() if committed else "?")
            self.refresh()

    def commit(self, note: str = "") -> None:
        txn = self.transaction_manager.get()
        if note:
            txn.note(note)
        self.transaction_manager.commit()

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

    def at(self, when: Any) -> "Image":
        """A read-only view of the whole image as it was at ``when`` (datetime, thought, tid)."""
        tid = min(tid_from(when), self.store.db.lastTransaction())
        # `before` is exclusive: the state *at* tid is the state before tid+1
        view = Image(self.store, at=p64(u64(tid) + 1))
        self._children.append(view)
        return view

    def thoughts(self, limit: int = 50) -> list[ThoughtInfo]:
        """Recent committed thoughts, newest first."""
        out = []
        for entry in self.store.db.undoLog(0, limit):
            tid = _undo_tid(entry)
            out.append(ThoughtInfo(id=tid_hex(tid), time=tid_time(tid),
                                   user=_text(entry.get("user_name", b"")),
                                   note=_text(entry.get("description", b"")),
                                   undo_id=entry["id"]))
        return out

    def history(self, obj: UvmObject, limit: int = 50) -> list[Revision]:
        """Past states of ``obj``, newest first, each with the thought that wrote it."""
        if obj._p_oid is None:
            return []
        revisions = []
        for entry in self.store.db.history(obj._p_oid, size=limit):
            tid = entry["tid"]
            view = Image(self.store, at=p64(u64(tid) + 1))
            try:
                past = view.connection.get(obj._p_oid)
                state = {k: _plain(v) for k, v in past._data.items()}
                methods = {k: m.source for k, m in past._methods.items()}
            finally:
                view.close()
            revisions.append(Revision(tid=tid_hex(tid), time=tid_time(tid),
                                      user=_text(entry.get("user_name", b"")),
                                      note=_text(entry.get("description", b"")),
                                      state=state, methods=methods))
        return revisions

    def undo(self, thought: Any, note: str | None = None) -> str:
        """Revert one thought. Refused (UndoError) when a later thought changed the same objects."""
        tid = tid_from(thought)
        target = next((t for t in self.thoughts(1000) if t.id == tid_hex(tid)), None)
        if target is None:
            raise UndoError(f"thought {tid_hex(tid)} is not in the undo log (packed away, or not "
                            "a thought of this image)", thought_id=tid_hex(tid))
        self.transaction_manager.abort()
        try:
            with self.thought(note or f"undo {target.id}: {target.note}"):
                self.store.db.undo(target.undo_id, self.transaction_manager.get())
        except ZODB.POSException.UndoError as exc:
            raise UndoError(
                f"cannot undo thought {target.id} ({target.note!r}): a later thought changed "
                f"the same objects ({exc}); undo the later thoughts first, newest first",
                thought_id=target.id) from exc
        self.refresh()
        return self.last_thought or ""

    # -- areas -----------------------------------------------------------------------------
    def _area(self, name: str) -> Any:
        facade = self._areas.get(name)
        if facade is None:
            import importlib
            module = importlib.import_module(_AREA_MODULES[name])
            facade = module.attach(self)
            self._areas[name] = facade
        return facade

    memory = property(lambda self: self._area("memory"), doc="fractal memory (telos.memory)")
    kernel = property(lambda self: self._area("kernel"), doc="generative kernel (telos.kernel)")
    backups = property(lambda self: self._area("backups"), doc="BackupManager (telos.backup)")
    vsa = property(lambda self: self._area("vsa"), doc="hypervectors (telos.vsa)")

    # -- closing ---------------------------------------------------------------------------
    def close(self) -> None:
        for child in self._children:
            child.close()
        self._children.clear()
        for facade in self._areas.values():
            closer = getattr(facade, "close", None)
            if callable(closer):
                closer()
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


def _undo_tid(entry: dict) -> bytes:
    import base64
    uid = entry["id"]
    if isinstance(uid, str):
        uid = uid.encode()
    if len(uid) == 8:
        return uid
    return base64.decodebytes(uid)[:8]


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _plain(value: Any) -> Any:
    from persistent.list import PersistentList
    from persistent.mapping import PersistentMapping
    if isinstance(value, PersistentList):
        return [_plain(v) for v in value]
    if isinstance(value, PersistentMapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if isinstance(value, UvmObject):
        return f"<{value._name or value._id[:8]}>"
    return value
