"""The UI's view of :class:`telos.bridge.client.BridgeClient`: one inbox, drained once per frame.

The bridge client hands each request's replies to its own :class:`~telos.bridge.client.Call`
queue (made for callers that block on one request). A UI must not block, and wants every reply of
every request in arrival order, on its own clock. :class:`InboxClient` therefore routes each
call's deliveries into one shared thread-safe inbox and adds the client's ``events`` (pushed
status updates, connection changes). A request lost with the connection becomes an ``ERROR``
(``unavailable``) for that request, so the views can say what happened.
"""

from __future__ import annotations

import logging
import queue
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from telos.bridge import client as bridge_client
from telos.bridge import protocol as P

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Connection:
    """The connection came up (``connected``) or went down; ``detail`` says how."""
    connected: bool
    detail: str = ""


class _InboxCall(bridge_client.Call):
    """A call whose replies go to the shared inbox instead of its own queue."""

    def __init__(self, client, request, timeout, inbox: queue.SimpleQueue, on_receive=None):
        super().__init__(client, request, timeout)
        self._inbox = inbox
        self._on_receive = on_receive

    def _deliver(self, item) -> None:
        if self._on_receive is not None:
            self._on_receive(item)
        if isinstance(item, bridge_client._Lost):
            self._inbox.put(P.error_reply(self.request_id, P.UNAVAILABLE,
                                          f"connection to the service lost ({item.detail}); "
                                          "the outcome of this request is unknown",
                                          "it reconnects by itself; check and send again once connected"))
        else:
            self._inbox.put(item)


class InboxClient:
    """start / send / drain / close — all a :class:`ui.link.Link` needs. Thread-safe."""

    def __init__(self, endpoint: str | None = None, *, home: Path | None = None,
                 timeout: float = 600.0, on_receive: Callable[[object], None] | None = None):
        """``on_receive(item)`` runs in the client's I/O thread as each reply arrives (the bench
        timestamps tokens there); it must be quick and must not touch widgets."""
        self.on_receive = on_receive
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()
        self._bridge = bridge_client.BridgeClient(endpoint, home=home, timeout=timeout, start=False)
        self.endpoint = self._bridge.endpoint

    def start(self) -> None:
        self._bridge.start()

    def close(self) -> None:
        self._bridge.close()

    @property
    def connected(self) -> bool:
        return self._bridge.connected

    def send(self, request) -> str:
        """Hand a request to the client's I/O thread; never waits for the network."""
        b = self._bridge
        if request.command not in P.REQUEST_COMMANDS:
            raise ValueError(f"{request.command} is not a request")
        data = P.encode(request)
        call = _InboxCall(b, request, b.timeout, self.inbox, self.on_receive)
        with b._calls_lock:
            b._calls[request.request_id] = call
        with b._send_lock:
            b._push.send(data)
        return request.request_id

    def drain(self, limit: int = 20_000) -> list:
        """Everything that arrived since the last call (replies and events), oldest first."""
        out: list = []
        events = self._bridge.events
        while len(out) < limit:
            try:
                item = events.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, bridge_client.ConnectionEvent):
                out.append(Connection(item.connected, item.detail))
            else:
                out.append(item)
        while len(out) < limit:
            try:
                out.append(self.inbox.get_nowait())
            except queue.Empty:
                break
        return out
