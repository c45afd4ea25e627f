"""The cognitive cycle, step by step, for whoever watches (the service pushes it to its clients).

Whoever runs code that may wake the kernel and wants to see it work opens
``with observing(sink):`` around it (the service does, around a ``SEND_MESSAGE``); the kernel
then reports each step of each cycle as a :class:`KernelEvent` to ``sink``. Like
:mod:`telos.scope`, the sink travels in a context variable, so nothing is passed down and a
kernel nobody watches reports nothing (and pays nothing).

Steps: ``request`` (started: who writes it, with which model) -> ``reuse`` (a same-named method
of another prototype copied instead) | ``generation`` (``streaming`` with the code so far, then
ok/failed) -> ``extract`` -> ``policy`` -> ``trial`` (failed ones go back to the model for
another attempt) -> ``install`` -> ``commit`` -> ``done``, or ``refused`` with the reason in one
sentence. A sink that raises is logged and never stops the cycle.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import time
import uuid
from dataclasses import dataclass, replace
from typing import Callable, Iterator

log = logging.getLogger(__name__)

STREAM_EVERY_S = 0.15       # the code so far is reported at most this often while it streams
MAX_CODE = 16_000


@dataclass(frozen=True)
class KernelEvent:
    cycle: str
    selector: str
    step: str
    outcome: str = "ok"             # started | streaming | ok | failed
    request: str = ""               # "Gadget.tripled(2)"
    receiver: str = ""
    persona: str = ""
    model: str = ""
    attempt: int = 0
    seconds: float = 0.0
    code: str = ""
    reason: str = ""
    time: float = 0.0


Sink = Callable[[KernelEvent], None]

_sink: contextvars.ContextVar[Sink | None] = contextvars.ContextVar("telos_kernel_sink",
                                                                    default=None)


@contextlib.contextmanager
def observing(sink: Sink) -> Iterator[None]:
    token = _sink.set(sink)
    try:
        yield
    finally:
        _sink.reset(token)


def one_sentence(reason: str, limit: int = 300) -> str:
    """The first sentence (or line) of ``reason``, ending with a full stop, at most ``limit``."""
    text = " ".join(str(reason).strip().splitlines()[0].split()) if str(reason).strip() else ""
    if ". " in text:
        text = text.split(". ", 1)[0]
    if len(text) > limit:
        text = text[:limit - 1].rsplit(" ", 1)[0] + "…"
    return text if not text or text.endswith((".", "…", "!", "?")) else text + "."


class CycleReport:
    """The events of one cycle (a no-op when nobody observes)."""

    def __init__(self, receiver: str, selector: str, request: str) -> None:
        self.sink = _sink.get()
        self.base = KernelEvent(cycle=uuid.uuid4().hex[:16], selector=selector, step="request",
                                request=request[:500], receiver=receiver[:200])
        self.attempt = 0
        self._last_stream = 0.0

    @property
    def watched(self) -> bool:
        return self.sink is not None

    def writer(self, persona: str, model: str) -> None:
        self.base = replace(self.base, persona=persona, model=model)

    def emit(self, step: str, outcome: str = "ok", *, seconds: float = 0.0, code: str = "",
             reason: str = "") -> None:
        if self.sink is None:
            return
        event = replace(self.base, step=step, outcome=outcome, attempt=self.attempt,
                        seconds=round(max(0.0, seconds), 4), code=code[:MAX_CODE],
                        reason=one_sentence(reason) if reason else "", time=time.time())
        try:
            self.sink(event)
        except Exception:  # noqa: BLE001 - a watcher's failure never stops the cycle
            log.exception("kernel event sink failed on %s/%s", step, outcome)

    def streaming(self, code: str, started: float) -> None:
        """The code so far, throttled to one event every ``STREAM_EVERY_S``."""
        if self.sink is None:
            return
        now = time.monotonic()
        if now - self._last_stream >= STREAM_EVERY_S:
            self._last_stream = now
            self.emit("generation", "streaming", seconds=time.perf_counter() - started, code=code)

    def step(self, name: str, code: str = "") -> "_Step":
        return _Step(self, name, code)


class _Step:
    """``with report.step("policy", code):`` -> ok with its time, or failed with the reason of
    the GenerationError (or any exception) that left it; the exception goes on."""

    def __init__(self, report: CycleReport, name: str, code: str) -> None:
        self.report, self.name, self.code = report, name, code

    def __enter__(self) -> "_Step":
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        seconds = time.perf_counter() - self.t0
        if exc is None:
            self.report.emit(self.name, "ok", seconds=seconds, code=self.code)
        else:
            reason = getattr(exc, "reason", None) or f"{type(exc).__name__}: {exc}"
            self.report.emit(self.name, "failed", seconds=seconds, code=self.code, reason=reason)
