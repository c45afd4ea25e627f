"""The bridge handlers of the image's past (protocol 4): the thoughts timeline, an object's
revisions, a per-slot diff between two thoughts, undo, and the as-of session that
``INSPECT_OBJECT`` and ``SEARCH_MEMORY`` read from when they carry ``as_of``."""

from __future__ import annotations

import datetime as _dt
import difflib
import logging
from typing import TYPE_CHECKING, Any

from telos.bridge import authz
from telos.bridge import protocol as P
from telos.errors import ImageError, RequestRefused
from telos.image_history import ThoughtInfo, author_kind, tid_from
from telos.service import views

if TYPE_CHECKING:
    from telos.bridge.server import HandlerRegistry

log = logging.getLogger(__name__)


def past_tid(when: Any) -> bytes:
    """The tid of a wire ``When`` (a thought id, or unix time); anything else is refused."""
    if isinstance(when, (int, float)):
        when = _dt.datetime.fromtimestamp(float(when), _dt.timezone.utc)
    try:
        return tid_from(when)
    except ImageError as exc:
        raise RequestRefused(str(exc), code=P.BAD_REQUEST,
                             hint="LIST_THOUGHTS shows the thoughts to choose from") from exc


def past_object(view: Any, name: str | None, object_id: str | None) -> Any:
    """The object a request names, as a past view has it (refused when it did not exist yet)."""
    try:
        return views.resolve(view, name, object_id)
    except RequestRefused as exc:
        raise RequestRefused(f"{exc} at that point in time", code=P.NOT_FOUND,
                             hint="OBJECT_HISTORY lists the thoughts that changed it") from None


def thought_view(t: ThoughtInfo) -> P.ThoughtView:
    return P.ThoughtView(thought_id=t.id, time=t.time.timestamp(), author=t.user[: P.MAX_SHORT],
                         author_kind=author_kind(t.user), note=t.note[: P.MAX_SHORT])


def register(reg: "HandlerRegistry", thought) -> None:
    """Add the history handlers to ``reg``; ``thought(ctx, fn, note)`` commits a write."""

    @reg.handler("LIST_THOUGHTS")
    def list_thoughts(ctx):
        r = ctx.request
        obj = None
        if r.name is not None or r.object_id is not None:
            obj = views.resolve(ctx.session, r.name, r.object_id)
        found = ctx.session.thoughts(r.limit, obj=obj, author=r.author, before=r.before)
        return P.ThoughtList(request_id=ctx.request_id, thoughts=[thought_view(t) for t in found])

    @reg.handler("OBJECT_HISTORY")
    def object_history(ctx):
        r = ctx.request
        obj = views.resolve(ctx.session, r.name, r.object_id)
        return P.HistoryList(request_id=ctx.request_id,
                             revisions=revisions(ctx.session, obj, r.limit))

    @reg.handler("DIFF_OBJECT")
    def diff_object(ctx):
        r = ctx.request
        obj = views.resolve(ctx.session, r.name, r.object_id)
        return P.ObjectDiff(request_id=ctx.request_id, object_id=obj._id, before=r.before,
                            after=r.after, changes=diff(ctx.session, obj, r.before, r.after))

    @reg.handler("UNDO_THOUGHT")
    def undo_thought(ctx):
        r = ctx.request
        s = ctx.session
        tid = s.undo(r.thought_id, note=r.note or None, user=ctx.peer.author)
        authz.record(ctx.peer, "UNDO_THOUGHT", r.thought_id, f"thought {tid}")
        return P.Ack(request_id=ctx.request_id, of="UNDO_THOUGHT", thought_id=tid,
                     detail=f"undid thought {r.thought_id}")


def revisions(session: Any, obj: Any, limit: int) -> list[P.RevisionView]:
    """The object as each thought that changed it left it, newest first."""
    out = []
    for t in session.thoughts(limit, obj=obj):
        with session.viewing(t.id) as view:
            out.append(P.RevisionView(thought=thought_view(t),
                                      object=views.object_view(view.connection.get(obj._p_oid))))
    return out


def slot_table(view: P.ObjectView) -> dict[tuple[str, str], tuple[str, str, Any]]:
    """(kind, name) -> (short text, full text, provenance) of every slot of an object view."""
    out: dict[tuple[str, str], tuple[str, str, Any]] = {}
    for p in view.parents:
        out[("parent", p.slot)] = (p.name or p.object_id, p.object_id, None)
    for s in view.slots:
        if s.kind == "data":
            out[("data", s.name)] = (s.value_repr, s.value_repr, None)
    for m in view.methods:
        out[("method", m.selector)] = (m.source.splitlines()[0] if m.source else "", m.source,
                                       m.provenance)
    return out


MAX_STEPS = 500     # revisions of one object a diff walks (the newest, when there are more)


def diff(session: Any, obj: Any, before: str, after: str | None) -> list[P.SlotChange]:
    """Per-slot changes of ``obj`` from thought ``before`` to ``after`` (None: now), each with the
    last thought in between that changed that slot. Reads the object's state at ``before`` and
    at each thought in between that changed it -- the last of those is its state at ``after``."""
    with session.viewing(past_tid(before)) as view:
        try:
            a = slot_table(views.object_view(view.connection.get(obj._p_oid)))
        except KeyError:   # POSKeyError: no state of it before that thought
            raise RequestRefused(f"object {obj._id} did not exist at thought {before}",
                                 code=P.NOT_FOUND,
                                 hint="OBJECT_HISTORY lists its thoughts") from None
    upto = None if after is None else f"{int(after, 16) + 1:016x}"    # ``after`` included
    steps = [t for t in reversed(session.thoughts(MAX_STEPS, obj=obj, before=upto))
             if int(t.id, 16) > int(before, 16)]
    last: dict[tuple[str, str], P.ThoughtView] = {}
    prev = a
    for t in steps:
        with session.viewing(t.id) as view:
            cur = slot_table(views.object_view(view.connection.get(obj._p_oid)))
        for key in set(prev) | set(cur):
            if prev.get(key, (None, None))[1] != cur.get(key, (None, None))[1]:
                last[key] = thought_view(t)
        prev = cur
    return compare(a, prev, before, after or "now", last)


def compare(a: dict, b: dict, before: str = "before", after: str = "after",
            last: dict | None = None) -> list[P.SlotChange]:
    """The slot changes from ``a`` to ``b`` (``slot_table`` results), each with its thought from
    ``last`` ((kind, name) -> ThoughtView) when known; methods with a unified diff."""
    changes = []
    for key in sorted(set(a) | set(b)):
        kind, name = key
        old, new = a.get(key), b.get(key)
        if old is not None and new is not None and old[1] == new[1]:
            continue
        change = "added" if old is None else "removed" if new is None else "changed"
        text = ""
        if kind == "method":
            text = "".join(difflib.unified_diff(
                (old[1] if old else "").splitlines(keepends=True),
                (new[1] if new else "").splitlines(keepends=True),
                fromfile=f"{name} @ {before}", tofile=f"{name} @ {after}"))[: P.MAX_TEXT]
        changes.append(P.SlotChange(
            slot=name, kind=kind, change=change, before=(old[0] if old else "")[: P.MAX_SHORT],
            after=(new[0] if new else "")[: P.MAX_SHORT], diff=text,
            thought=(last or {}).get(key),
            provenance=dict(new[2] or {}) if new and kind == "method" else {}))
    return changes
