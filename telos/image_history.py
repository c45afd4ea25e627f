"""The image's past: thoughts (the undo log), past states of an object, read-only views at a
point in time, and undo of one thought. :class:`History` is mixed into
:class:`telos.image.Image`; it uses only the session's ``store``, ``connection`` and thoughts.
"""

from __future__ import annotations

import datetime as _dt
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

import ZODB.POSException
from ZODB.utils import p64, u64

from telos.errors import ImageError, UndoError
from telos.reflect import mirror
from telos.uvm import UvmObject


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


class History:
    """The past of an image session (mixed into ``Image``)."""

    def at(self, when: Any) -> Any:
        """A read-only view of the whole image as it was at ``when`` (datetime, thought, tid);
        closed with this session (or by ``view.close()``)."""
        view = self._view(when)
        self._children.append(view)
        return view

    @contextmanager
    def viewing(self, when: Any) -> Iterator[Any]:
        """``at(when)`` for the length of a ``with`` block: the view is closed after it."""
        view = self._view(when)
        try:
            yield view
        finally:
            view.close()

    def _view(self, when: Any) -> Any:
        tid = min(tid_from(when), self.store.db.lastTransaction())
        first = self.store.shared.get(FIRST_TID_KEY)
        if first is None:          # read once per process: the storage's first transaction
            first = self.store.shared.setdefault(FIRST_TID_KEY, _first_tid(self.store.db.storage))
        if first is None or tid < first:
            raise ImageError(f"the image did not exist yet at {tid_time(tid):%Y-%m-%d %H:%M:%S} "
                             "UTC" + (f"; its first thought is {tid_hex(first)} at "
                                      f"{tid_time(first):%Y-%m-%d %H:%M:%S} UTC" if first else ""))
        # `before` is exclusive: the state *at* tid is the state before tid+1
        return type(self)(self.store, at=p64(u64(tid) + 1))

    def thoughts(self, limit: int = 50, *, obj: UvmObject | None = None,
                 author: str | None = None, before: Any = None) -> list[ThoughtInfo]:
        """Recent committed thoughts, newest first: only those that changed ``obj`` when given,
        only those whose author (the thought's user) contains ``author`` when given, only those
        older than thought ``before`` when given (the next page after a list ending there)."""
        older = None if before is None else tid_from(before)
        if obj is not None:
            if obj._p_oid is None:
                return []
            size = limit if older is None else None
            entries = ((e["tid"], e) for e in self.store.db.history(obj._p_oid, size=size or 10**9))
        else:
            entries = ((_undo_tid(e), e) for e in _undo_log(
                self.store.db, limit if author is None and older is None else None))
        out = []
        for tid, entry in entries:
            if older is not None and tid >= older:
                continue
            info = ThoughtInfo(id=tid_hex(tid), time=tid_time(tid),
                               user=_text(entry.get("user_name", b"")),
                               note=_text(entry.get("description", b"")),
                               undo_id=entry.get("id"))
            if author is None or author.lower() in info.user.lower():
                out.append(info)
                if len(out) == limit:
                    break
        return out

    def history(self, obj: UvmObject, limit: int = 50) -> list[Revision]:
        """Past states of ``obj``, newest first, each with the thought that wrote it."""
        if obj._p_oid is None:
            return []
        revisions = []
        for entry in self.store.db.history(obj._p_oid, size=limit):
            tid = entry["tid"]
            with self.viewing(tid) as view:
                past = view.connection.get(obj._p_oid)
                state = {k: _plain(v) for k, v in mirror(past).data().items()}
                methods = {k: m.source for k, m in mirror(past).methods().items()}
            revisions.append(Revision(tid=tid_hex(tid), time=tid_time(tid),
                                      user=_text(entry.get("user_name", b"")),
                                      note=_text(entry.get("description", b"")),
                                      state=state, methods=methods))
        return revisions

    def undo(self, thought: Any, note: str | None = None, user: str | None = None) -> str:
        """Revert one thought. Refused (UndoError) when a later thought changed the same objects."""
        tid = tid_from(thought)
        target = next((t for t in self.thoughts(1000) if t.id == tid_hex(tid)), None)
        if target is None:
            raise UndoError(f"thought {tid_hex(tid)} is not in the undo log (packed away, or not "
                            "a thought of this image)", thought_id=tid_hex(tid))
        self.transaction_manager.abort()
        note = note or f"undo {target.id}: {target.note}"
        try:
            with self.thought(note, user=user):
                self.store.db.undo(target.undo_id, self.transaction_manager.get())
        except ZODB.POSException.UndoError as exc:
            raise UndoError(
                f"cannot undo thought {target.id} ({target.note!r}): a later thought changed "
                "the same objects; undo the later thoughts first, newest first",
                thought_id=target.id) from exc
        self.refresh()
        # the undo changed no object through this connection: find its thought in the log
        mine = next((t for t in self.thoughts(50)
                     if t.note == note and int(t.id, 16) > int(target.id, 16)), None)
        self.last_thought = mine.id if mine is not None else None
        return self.last_thought or ""


# who wrote a thought, by its user: the system's own writers; anyone else is a person
AUTHOR_KINDS = {"kernel": "kernel", "orchestrator": "persona", "curator": "job", "backup": "job",
                "genesis": "job", "maintenance": "job"}


def author_kind(user: str) -> str:
    """"person", "persona", "kernel" or "job" for a thought's user."""
    return AUTHOR_KINDS.get(user.split(":", 1)[0].strip().lower(), "person")


def _undo_log(db, limit: int | None, page: int = 500):
    """The undo log newest first, read ``page`` entries at a time (all of it when ``limit`` is
    None, as a filter may need)."""
    first = 0
    while limit is None or first < limit:
        last = first + page if limit is None else min(first + page, limit)
        entries = db.undoLog(first, last)
        yield from entries
        if len(entries) < last - first:
            return
        first = last


FIRST_TID_KEY = "telos.image.first_tid"


def _first_tid(storage) -> bytes | None:
    it = storage.iterator()
    try:
        for txn in it:
            return txn.tid
        return None
    finally:
        close = getattr(it, "close", None)
        if close:
            close()


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
