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
        if request.command not in P.REQUEST_COMMANDS:
            raise ValueError(f"{request.command} is not a request")
        self._bridge.submit(request, sink=self._receive)
        return request.request_id

    def _receive(self, item) -> None:
        # runs in the bridge client's I/O thread: hand over, never touch widgets here
        if self.on_receive is not None:
            self.on_receive(item)
        self.inbox.put(item)

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
