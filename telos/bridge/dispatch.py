"""What a request handler sees: the :class:`HandlerRegistry` (command → handler), the
:class:`RequestContext` it is called with, and :func:`classify`, which turns what a handler raised
into an ``ERROR`` code and hint. :class:`Observer` (metrics hooks) and :class:`SessionPool` (image
sessions) are the two things a :class:`~telos.bridge.server.BridgeServer` is given to call out to.

Handlers: ``fn(ctx) -> reply | None``. Return the final reply, or send it yourself with
``ctx.send``; stream with ``ctx.partial(persona, token)``; raise
:class:`telos.errors.RequestRefused` (or any TelosError) for an ``ERROR`` reply.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from telos import errors
from telos.bridge import authz
from telos.bridge import protocol as P
from telos.scope import RequestScope

Handler = Callable[["RequestContext"], "P._Message | None"]


class Observer:
    """Hooks for metrics; the default does nothing (the service plugs in Prometheus)."""

    def frame_rejected(self, code: str) -> None: ...
    def request_started(self, command: str) -> None: ...
    def request_finished(self, command: str, error_code: str | None, seconds: float) -> None: ...
    def first_token(self, command: str, seconds: float) -> None: ...
    def token(self, persona: str) -> None: ...


class SessionPool(Protocol):
    def checkout(self) -> Any: ...
    def checkin(self, session: Any) -> None: ...
    def close(self) -> None: ...


class HandlerRegistry:
    """command → handler. ``inline=True`` runs the handler on the I/O thread itself (no worker
    hand-off): only for handlers that answer at once from memory (PING, a cached status) and
    never touch the image, block, stream or raise on purpose."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}
        self.inline: set[str] = set()

    def register(self, command: str, fn: Handler, *, inline: bool = False) -> Handler:
        if command not in P.REQUEST_COMMANDS:
            raise ValueError(f"{command!r} is not a request command")
        self._handlers[command] = fn
        (self.inline.add if inline else self.inline.discard)(command)
        return fn

    def handler(self, command: str, *, inline: bool = False) -> Callable[[Handler], Handler]:
        return lambda fn: self.register(command, fn, inline=inline)

    def get(self, command: str) -> Handler | None:
        return self._handlers.get(command)

    def commands(self) -> list[str]:
        return sorted(self._handlers)


@dataclass
class RequestContext:
    request: Any
    identity: bytes
    server: Any                           # the BridgeServer that received it
    peer: authz.Peer = authz.LOCAL        # who asked (author, role); see telos.bridge.authz
    received: float = field(default_factory=time.monotonic)
    cancelled: threading.Event = field(default_factory=threading.Event)
    final_sent: bool = False
    seq: int = 0
    first_token_at: float | None = None
    last_sent: float = field(default_factory=time.monotonic)
    scope: RequestScope | None = None
    _session: Any = None

    @property
    def request_id(self) -> str:
        return self.request.request_id

    @property
    def session(self) -> Any:
        """An image session for this request (checked out on first use, returned at the end)."""
        if self._session is None:
            pool = self.server.sessions
            if pool is None:
                raise errors.RequestRefused("this service has no image", code=P.UNAVAILABLE)
            self._session = pool.checkout()
        return self._session

    def send(self, message: P._Message) -> bool:
        """Send one message to the client that asked; False when the client is gone."""
        if self.cancelled.is_set():
            return False
        if message.command in P.FINAL_REPLIES:
            if self.final_sent:
                raise errors.BridgeError(f"request {self.request_id}: final reply already sent")
            self.final_sent = True
        self.last_sent = time.monotonic()
        return self.server._push(self.identity, P.encode(message))

    def partial(self, persona_id: str, token: str) -> bool:
        """Stream one token; False when the client is gone or the service is stopping."""
        if self.first_token_at is None:
            self.first_token_at = time.monotonic()
            self.server.observer.first_token(self.request.command, self.first_token_at - self.received)
        self.server.observer.token(persona_id)
        ok = self.send(P.PersonaResponsePartial(request_id=self.request_id, persona_id=persona_id,
                                                token=token, seq=self.seq))
        self.seq += 1
        return ok


def classify(exc: BaseException) -> tuple[str, str]:
    """An exception from a handler → (ERROR code, hint)."""
    if isinstance(exc, errors.RequestRefused):
        return exc.code, exc.hint
    if isinstance(exc, errors.ProtocolError):
        return exc.code, exc.hint
    if isinstance(exc, errors.SlotLookupError):
        return P.NOT_FOUND, "LIST_PROTOTYPES / INSPECT_OBJECT show what exists"
    if isinstance(exc, errors.VSAError):
        return P.BAD_REQUEST, "VSA queries look like: currency of the country whose capital is Paris"
    if isinstance(exc, (errors.SlotError, errors.ConfigError, errors.ReadOnlyImageError)):
        return P.BAD_REQUEST, ""
    if isinstance(exc, errors.GenerationCancelled):
        return P.UNAVAILABLE, "the request was cancelled; the image is unchanged"
    if errors.is_disk_full(exc) or isinstance(exc, errors.DiskFullError):
        return P.UNAVAILABLE, "the service's disk is full; the image is intact; free space and retry"
    if isinstance(exc, errors.GenerationError):
        return P.GENERATION_FAILED, "the image is unchanged; rephrase or define the method yourself"
    if isinstance(exc, errors.LLMTimeout):
        return P.TIMEOUT, "the language model did not answer in time"
    if isinstance(exc, (errors.LLMUnavailable, errors.ModelNotFound, errors.ImageUnavailableError,
                        errors.MemoryStoreError)):
        return P.UNAVAILABLE, ""
    if isinstance(exc, errors.UndoError):
        return P.CONFLICT, "the image is unchanged"
    if isinstance(exc, errors.ConflictError):
        return P.CONFLICT, "another thought changed the same objects; try again"
    if isinstance(exc, errors.ImageError):       # e.g. a point in time before the image existed
        return P.BAD_REQUEST, ""
    return P.INTERNAL, "the service log has the traceback"
