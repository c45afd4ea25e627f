"""What the ``thoughts``, ``history NAME`` and ``undo ID`` commands share: the image's past through
the service when it runs (the bridge's LIST_THOUGHTS, OBJECT_HISTORY, UNDO_THOUGHT), else on the
image itself with the same handlers' functions -- one output either way."""

from __future__ import annotations

import datetime as _dt

from telos.bridge import protocol as P
from telos.cli.attach import open_for_cli, service_client


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


def with_image_or_service(args, fn) -> int:
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


def when(t: float) -> str:
    return _dt.datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M:%S")


def line(v: P.ThoughtView) -> str:
    who = v.author if v.author_kind == "person" else f"{v.author} ({v.author_kind})"
    return f"{v.thought_id}  {when(v.time)}  {who:<20}  {v.note}"
