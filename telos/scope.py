"""The request in whose name this thread works: its cancellation and what it is waiting on.

The bridge server opens a :class:`RequestScope` around every handler it runs. Code far below —
a language-model backend asked for tokens by the orchestrator, or by the kernel inside a
``SEND_MESSAGE`` — finds it with :func:`current` without any parameter being passed down:

- ``scope.cancelled`` is set when the client leaves, the request times out or the service stops;
  a backend stops generating for a cancelled scope within one token;
- ``scope.watch(source)`` names what the request is waiting on (anything with a
  ``progress() -> Progress`` method); the server reports it to the client while the request is
  silent ("queued: 2 ahead", "loading the embedded model", "generating"), so a client measures
  silence, not total time.

Outside a request (the shell, a CLI run with ``--local``, tests) :func:`current` is ``None``.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from dataclasses import dataclass
from typing import Iterator, Protocol


@dataclass(frozen=True)
class Progress:
    """What a piece of long work is doing: a ``stage`` word and one sentence for a person."""

    stage: str                      # queued | converting | loading | generating | working | ...
    detail: str = ""
    position: int | None = None     # place in a queue (1 = next)
    fraction: float | None = None   # 0..1 when the work knows how far it is

    def text(self) -> str:
        pct = f": {self.fraction * 100:.0f} %" if self.fraction is not None else ""
        return (self.detail or self.stage) + pct


class ProgressSource(Protocol):
    def progress(self) -> Progress: ...


class RequestScope:
    def __init__(self, name: str = "", cancelled: threading.Event | None = None) -> None:
        self.name = name
        self.cancelled = cancelled if cancelled is not None else threading.Event()
        self.started = time.monotonic()
        self._sources: list[ProgressSource] = []
        self._lock = threading.Lock()

    def watch(self, source: ProgressSource) -> None:
        with self._lock:
            self._sources.append(source)

    def unwatch(self, source: ProgressSource) -> None:
        with self._lock:
            if source in self._sources:
                self._sources.remove(source)

    def progress(self) -> Progress:
        """The newest watched source's progress, else "working"."""
        with self._lock:
            source = self._sources[-1] if self._sources else None
        if source is not None:
            return source.progress()
        return Progress("working", "working")     # readers add the elapsed time themselves


_current: contextvars.ContextVar[RequestScope | None] = contextvars.ContextVar(
    "telos_request_scope", default=None)


def current() -> RequestScope | None:
    return _current.get()


@contextlib.contextmanager
def request_scope(scope: RequestScope) -> Iterator[RequestScope]:
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)
