"""One request in flight, as the client sees it: :class:`Call` receives the replies the
client's I/O thread hands it (on a thread-safe queue, or straight to a ``sink``), skips and
notes ``REQUEST_PROGRESS``, and turns an ``ERROR`` or a lost connection into an exception.
Its timeout measures *silence*: every reply starts it again.
"""

from __future__ import annotations

import queue
import time
from typing import Any, Callable, Iterator

from telos import errors
from telos.bridge import protocol as P


class Lost:
    """What the I/O thread tells every call in flight when the connection drops (or the
    service refuses this client's key)."""

    def __init__(self, detail: str, refused: bool = False) -> None:
        self.detail = detail
        self.refused = refused


class Call:
    """One request in flight. Iterate for streamed partials; :meth:`result` for the final reply."""

    def __init__(self, client: Any, request: P._Message, timeout: float,
                 sink: Callable[[P._Message], None] | None = None,
                 on_progress: Callable[[P.RequestProgress], None] | None = None) -> None:
        self.client = client
        self.progress: P.RequestProgress | None = None
        self.on_progress = on_progress
        self.request = request
        self.timeout = timeout
        self.final: P._Message | None = None
        self._q: queue.Queue = queue.Queue()
        self._sink = sink
        self.sent_at = time.monotonic()

    @property
    def request_id(self) -> str:
        return self.request.request_id

    def _deliver(self, item: Any) -> None:
        if self._sink is None:
            self._q.put(item)
        elif isinstance(item, Lost) and item.refused:
            self._sink(P.error_reply(self.request_id, P.FORBIDDEN, item.detail))
        elif isinstance(item, Lost):
            self._sink(P.error_reply(
                self.request_id, P.UNAVAILABLE,
                f"connection to the service lost ({item.detail}); the outcome of this request "
                "is unknown", "it reconnects by itself; check and send again once connected"))
        else:
            self._sink(item)

    def next_message(self, timeout: float | None = None) -> P._Message:
        """The next reply (partial or final); progress reports are noted (``self.progress``,
        ``on_progress``) and waited past. Raises RemoteError on ERROR, BridgeUnavailable after
        ``timeout`` seconds of silence or on a lost connection."""
        if self.final is not None:
            raise StopIteration
        wait = self.timeout if timeout is None else timeout
        while True:
            try:
                item = self._q.get(timeout=wait)
            except queue.Empty:
                self.client._forget(self.request_id)
                raise errors.BridgeUnavailable(
                    f"no word about {self.request.command} {self.request_id} for {wait:g} s "
                    f"from {self.client.endpoint}; is the service running? "
                    f"(python3 master_forge.py status)") from None
            if isinstance(item, P.RequestProgress):
                self._noted(item)
                continue
            break
        if isinstance(item, Lost) and item.refused:
            raise errors.AccessRefused(item.detail)
        if isinstance(item, Lost):
            raise errors.BridgeUnavailable(
                f"connection to the service lost while {self.request.command} {self.request_id} "
                f"was in flight ({item.detail}); its outcome is unknown")
        if item.command in P.FINAL_REPLIES:
            self.final = item
            if isinstance(item, P.Error):
                raise errors.RemoteError(item.message, code=item.code, request_id=item.request_id,
                                         hint=item.hint)
        return item

    def _noted(self, progress: P.RequestProgress) -> None:
        self.progress = progress
        if self.on_progress is not None:
            self.on_progress(progress)

    def __iter__(self) -> Iterator[P.PersonaResponsePartial]:
        while self.final is None:
            msg = self.next_message()
            if self.final is None:
                yield msg   # a partial
        return

    def tokens(self) -> Iterator[str]:
        for part in self:
            yield part.token

    def result(self, timeout: float | None = None) -> P._Message:
        """Wait for the final reply (discarding partials not yet read)."""
        if timeout is not None:
            self.timeout = timeout
        for _ in self:
            pass
        return self.final  # type: ignore[return-value]
