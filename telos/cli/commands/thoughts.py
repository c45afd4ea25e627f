"""``thoughts``, ``history NAME`` and ``undo ID``: the image's past from the command line, through
the service when it runs (the bridge's LIST_THOUGHTS, OBJECT_HISTORY, UNDO_THOUGHT), else on the
image itself with the same handlers' functions -- one output either way."""

from __future__ import annotations

import datetime as _dt
import json
import sys

from telos.bridge import protocol as P
from telos.cli.attach import add_local_flag, open_for_cli, service_client


class _Local:
    """The client's history requests answered on an image opened by the command."""

    def __init__(self, image):
        self.image = image

    def thoughts(self, limit, *, name=None, author=None):
        from telos.service.history_handlers import thought_view
        obj = self.image.get(name) if name else None
        return [thought_view(t) for t in self.image.thoughts(limit, obj=obj, author=author)]

    def history(self, name, limit=50):
        from telos.service.history_handlers import revisions
        return revisions(self.image, self.image.get(name), limit)

    def undo(self, thought_id, note=""):
        tid = self.image.undo(thought_id, note=note or None)
        return P.Ack(of="UNDO_THOUGHT", request_id="local", thought_id=tid,
                     detail=f"undid thought {thought_id}")


def _with_image_or_service(args, fn) -> int:
    """``fn(api)`` with the service's client, or with the image opened here (``--local``, or no
    service); a refusal (RemoteError, UndoError, ...) is a TelosError: one sentence from main."""
    client = service_client(args)
    if client is not None:
        with client:
            return fn(client)
    image = open_for_cli()
    try:
        return fn(_Local(image))
    finally:
        image.close()


def _when(t: float) -> str:
    return _dt.datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M:%S")


def _line(v: P.ThoughtView) -> str:
    who = v.author if v.author_kind == "person" else f"{v.author} ({v.author_kind})"
    return f"{v.thought_id}  {_when(v.time)}  {who:<20}  {v.note}"


def run_thoughts(args) -> int:
    def show(api):
        found = api.thoughts(args.n, name=args.object, author=args.author)
        if args.json:
            print(json.dumps([v.model_dump() for v in found], indent=1))
        else:
            for v in found:
                print(_line(v))
            if not found:
                print("no thoughts match", file=sys.stderr)
        return 0
    return _with_image_or_service(args, show)


def run_history(args) -> int:
    from telos.service.history_handlers import compare, slot_table

    def show(api):
        revs = api.history(args.name, limit=args.n + 1)   # one more: what the oldest changed
        if args.json:
            print(json.dumps([r.model_dump() for r in revs[: args.n]], indent=1))
            return 0
        for i, rv in enumerate(revs[: args.n]):
            print(_line(rv.thought))
            older = slot_table(revs[i + 1].object) if i + 1 < len(revs) else {}
            for c in compare(older, slot_table(rv.object)):
                if c.kind == "data" and c.change == "changed":
                    print(f"    {c.slot}: {c.before} -> {c.after}")
                elif c.kind == "data" and c.change == "added":
                    print(f"    {c.slot} = {c.after}")
                else:
                    print(f"    {c.slot}: {c.kind} {c.change}")
        return 0
    return _with_image_or_service(args, show)


def run_undo(args) -> int:
    def do(api):
        ack = api.undo(args.thought_id, note=args.note or "")
        print(f"{ack.detail}; the undo is thought {ack.thought_id}")
        return 0
    return _with_image_or_service(args, do)


def register(sub) -> None:
    p = sub.add_parser("thoughts", help="recent thoughts (the image's timeline)",
                       description="Recent committed thoughts, newest first: id, time, author "
                       "(a person, or the kernel / a persona / a job), note.")
    p.add_argument("-n", type=int, default=20, help="how many (default 20)")
    p.add_argument("--object", metavar="NAME", help="only thoughts that changed this prototype")
    p.add_argument("--author", help="only thoughts whose author contains this")
    p.add_argument("--json", action="store_true", help="print JSON")
    add_local_flag(p)
    p.set_defaults(func=run_thoughts)

    p = sub.add_parser("history", help="an object's past states, thought by thought",
                       description="The thoughts that changed prototype NAME, newest first, each "
                       "with the slots it changed.")
    p.add_argument("name")
    p.add_argument("-n", type=int, default=20, help="how many revisions (default 20)")
    p.add_argument("--json", action="store_true", help="print JSON (each revision's full view)")
    add_local_flag(p)
    p.set_defaults(func=run_history)

    p = sub.add_parser("undo", help="revert one thought (itself a thought)",
                       description="Revert thought ID (from `thoughts`). Refused, with the image "
                       "unchanged, when a later thought changed the same objects: undo those "
                       "first, newest first.")
    p.add_argument("thought_id", metavar="ID")
    p.add_argument("--note", help="the undo thought's note")
    add_local_flag(p)
    p.set_defaults(func=run_undo)
