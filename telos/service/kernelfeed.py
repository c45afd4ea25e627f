"""The kernel at work, for every client: each step of a cognitive cycle the service runs is pushed
as ``KERNEL_EVENT`` (``request_id`` null) and the recent ones are kept for ``KERNEL_EVENTS``, so a
client that connects late still sees them.

A ``SEND_MESSAGE`` handler runs its send inside :meth:`KernelFeed.watching` (the kernel reports
through :mod:`telos.kernel.events`); the streamed code of a generation is pushed but not kept —
the ``generation ok`` event that follows carries the whole reply.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import deque
from typing import TYPE_CHECKING, Callable, Iterator

from telos.bridge import protocol as P
from telos.kernel import events

if TYPE_CHECKING:
    from telos.bridge.dispatch import HandlerRegistry

log = logging.getLogger(__name__)

KEEP = 400          # events kept for KERNEL_EVENTS (a cycle is about 8 to 30 of them)


class KernelFeed:
    def __init__(self, broadcast: Callable[[P._Message], None] | None, keep: int = KEEP) -> None:
        self.broadcast = broadcast
        self._recent: deque[P.KernelEvent] = deque(maxlen=keep)
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def watching(self, request_id: str = "") -> Iterator[None]:
        """Report every kernel step run inside this block (in this thread) to every client."""
        with events.observing(lambda e: self.publish(e, request_id)):
            yield

    def publish(self, e: events.KernelEvent, request_id: str = "") -> None:
        msg = to_message(e, request_id)
        if e.outcome != "streaming":
            with self._lock:
                self._recent.append(msg)
        if self.broadcast is not None:
            self.broadcast(msg)

    def recent(self, limit: int = 200) -> list[P.KernelEvent]:
        with self._lock:
            return list(self._recent)[-limit:]

    def register(self, reg: "HandlerRegistry") -> None:
        @reg.handler("KERNEL_EVENTS", inline=True)       # a copy of a small in-memory list
        def kernel_events(ctx):
            return P.KernelEventList(request_id=ctx.request_id,
                                     events=self.recent(ctx.request.limit))


def to_message(e: events.KernelEvent, request_id: str = "") -> P.KernelEvent:
    return P.KernelEvent(
        cycle=e.cycle[: P.MAX_ID], for_request=request_id[: P.MAX_ID], request=e.request[:500],
        receiver=e.receiver[:200], selector=(e.selector or "-")[: P.MAX_NAME],
        persona=e.persona[:200], model=e.model[:200], step=e.step, outcome=e.outcome,
        attempt=max(0, int(e.attempt)), seconds=max(0.0, float(e.seconds)),
        code=e.code[: P.MAX_TEXT], reason=e.reason[: P.MAX_SHORT], time=float(e.time))
