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
import time
from collections import deque
from dataclasses import replace
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
        """Report every kernel step run inside this block (in this thread) to every client.

        The block is the request's thought: a cycle inside it installs in a savepoint and says
        ``commit started``; when the block ends, its commit is reported (ok, or failed and the
        cycle refused) with the time it took, then ``done``."""
        pending: dict[str, tuple[events.KernelEvent, float, float]] = {}
        first: dict[str, float] = {}

        def sink(e: events.KernelEvent) -> None:
            first.setdefault(e.cycle, time.monotonic())
            if e.step == "commit" and e.outcome == "started":
                pending[e.cycle] = (e, time.monotonic(), first[e.cycle])
            self.publish(e, request_id)
        try:
            with events.observing(sink):
                yield
        except BaseException as exc:
            for e, t0, _start in pending.values():
                self._after(e, request_id, "failed", time.monotonic() - t0,
                            f"{type(exc).__name__}: {exc}")
            raise
        for e, t0, start in pending.values():
            self._after(e, request_id, "ok", time.monotonic() - t0, "", time.monotonic() - start)

    def _after(self, e: events.KernelEvent, request_id: str, outcome: str, seconds: float,
               reason: str, total: float = 0.0) -> None:
        now = time.time()
        self.publish(replace(e, outcome=outcome, seconds=round(seconds, 4), time=now,
                             reason=events.one_sentence(reason) if reason else ""), request_id)
        if outcome == "ok":
            self.publish(replace(e, step="done", outcome="ok", seconds=round(total, 4), time=now),
                         request_id)
        else:
            self.publish(replace(e, step="refused", outcome="failed", code="", time=now,
                                 reason=events.one_sentence(f"the commit failed: {reason}")),
                         request_id)

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
