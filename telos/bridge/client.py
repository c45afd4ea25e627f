"""The client side of the bridge: a DEALER owned by a background thread.

Any thread may call :meth:`BridgeClient.submit` (or the helpers built on it); the frame is handed
to the I/O thread through a lock-guarded inproc pipe, and replies come back on a per-request
thread-safe queue (:class:`Call`). The UI drains :attr:`BridgeClient.events` (pushed status
updates, connection changes) on its own clock; nothing here ever blocks the caller's loop unless
it asks for a result.

ZeroMQ reconnects the DEALER by itself after the service restarts. When the connection drops,
every request already sent fails with :class:`~telos.errors.BridgeUnavailable` (its outcome is
unknown: it may or may not have been committed); requests submitted while disconnected wait in
the DEALER's queue and go out once the service is back.

::

    with BridgeClient() as c:                         # TELOS_BRIDGE / $TELOS_HOME/run/bridge.sock
        print(c.status().status_text)
        call = c.submit(UserQueryRequest(query_text="hello", persona="BRICK"))
        for part in call:                             # PERSONA_RESPONSE_PARTIAL, in order
            print(part.token, end="")
        print(call.final.full_text)

Timeouts measure *silence*: every reply to a request — a partial, or the ``REQUEST_PROGRESS``
the service sends about once a second while the request waits (queued, model loading) — starts
the timeout again. ``call.progress`` holds the newest progress, and ``on_progress`` (a
:meth:`BridgeClient.submit` argument) sees each one as it comes.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import zmq
from zmq.utils.monitor import recv_monitor_message

from telos import config, errors
from telos.bridge import endpoints
from telos.bridge import protocol as P
from telos.bridge.call import Call, Lost
from telos.bridge.keys import ClientCurve

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class ConnectionEvent:
    """Put on :attr:`BridgeClient.events` when the connection comes up or goes down."""
    connected: bool
    endpoint: str
    detail: str = ""
    at: float = 0.0


class BridgeClient:
    """A DEALER in a background thread. Thread-safe; use one per process (or per test)."""

    def __init__(self, endpoint: str | None = None, *, home: Path | None = None,
                 curve: ClientCurve | None | str = "auto", timeout: float = DEFAULT_TIMEOUT,
                 context: zmq.Context | None = None, start: bool = True, direct: bool = True) -> None:
        self.home = Path(home) if home else None
        bound = endpoint or endpoints.bridge_endpoint(self.home)
        self.endpoint = endpoints.client_endpoint(bound)
        if curve == "auto":
            curve = None
            if endpoints.curve_required(bound):
                curve = ClientCurve.from_home(self.home or config.telos_home())
        self.curve: ClientCurve | None = curve  # type: ignore[assignment]
        self.timeout = timeout
        self.events: queue.Queue = queue.Queue()
        self.connected = False
        self.refused: str | None = None   # why the service refused us at the handshake, if it did
        self._ctx = context or zmq.Context.instance()
        self._calls: dict[str, Call] = {}
        self._calls_lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._in_addr = f"inproc://telos-client-{id(self)}"
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._push: zmq.Socket | None = None
        self.direct = direct
        self._local = threading.local()
        self._direct: list[zmq.Socket] = []
        self._epoch = 0            # bumped by the I/O thread on every disconnect
        if start:
            self.start()

    # --- life cycle ----------------------------------------------------------------------------

    def start(self) -> "BridgeClient":
        if self._thread is not None:
            return self
        self._thread = threading.Thread(target=self._io_loop, name="bridge-client", daemon=True)
        self._thread.start()
        self._ready.wait(5)
        push = self._ctx.socket(zmq.PUSH)
        push.setsockopt(zmq.LINGER, 0)
        push.connect(self._in_addr)
        self._push = push
        return self

    def close(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        with self._send_lock:
            try:
                self._push.send(b"", zmq.NOBLOCK)   # wake the I/O thread
            except zmq.ZMQError:
                pass
        self._thread.join(timeout=5)
        with self._send_lock:
            self._push.close(linger=0)
        self._thread = None
        with self._calls_lock:
            direct, self._direct = self._direct, []
        for sock in direct:
            sock.close(linger=0)
        self._local = threading.local()
        self._lose_all("client closed")

    def __enter__(self) -> "BridgeClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- requests ------------------------------------------------------------------------------

    def submit(self, request: P._Message, timeout: float | None = None, *,
               sink: Callable[[P._Message], None] | None = None,
               on_progress: Callable[[P.RequestProgress], None] | None = None) -> Call:
        """Send a request; returns at once with the :class:`Call` its replies arrive on.

        With ``sink``, every reply (partials, the final one, and an ERROR ``unavailable`` when
        the connection is lost) is handed to ``sink(message)`` in the client's I/O thread
        instead (the UI puts them on its own queue); the Call is then not iterated."""
        if request.command not in P.REQUEST_COMMANDS:
            raise errors.ProtocolError(f"{request.command} is not a request", code=P.NOT_A_REQUEST)
        if self._thread is None:
            raise errors.BridgeError("the bridge client is closed")
        if self.refused:
            raise errors.AccessRefused(self.refused)
        data = P.encode(request)
        call = Call(self, request, self.timeout if timeout is None else timeout, sink, on_progress)
        with self._calls_lock:
            if request.request_id in self._calls:
                raise errors.BridgeError(f"request_id {request.request_id} is already in flight")
            self._calls[request.request_id] = call
        with self._send_lock:
            self._push.send(data)
        return call

    def request(self, request: P._Message, timeout: float | None = None) -> P._Message:
        """Send and wait for the final reply (RemoteError on ERROR; partials are skipped;
        ``timeout`` is the longest silence, progress reports start it again).

        Synchronous requests go through the calling thread's own DEALER (no hand-off to the I/O
        thread and back: about half the round-trip time); a connection loss seen by the I/O
        thread still fails them at once."""
        if not self.direct:
            return self.submit(request, timeout).result()
        if request.command not in P.REQUEST_COMMANDS:
            raise errors.ProtocolError(f"{request.command} is not a request", code=P.NOT_A_REQUEST)
        if self._thread is None:
            raise errors.BridgeError("the bridge client is closed")
        wait = self.timeout if timeout is None else timeout
        sock = self._direct_socket()
        epoch = self._epoch
        deadline = time.monotonic() + wait
        self._send_direct(sock, P.encode(request), request, deadline)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise errors.BridgeUnavailable(
                    f"no word about {request.command} {request.request_id} for {wait:g} s "
                    f"from {self.endpoint}; is the service running? (python3 master_forge.py status)")
            if self.refused:
                raise errors.AccessRefused(self.refused)
            if self._epoch != epoch:
                # a refused handshake shows up as a disconnect too, and its own event may come
                # a moment later: give it that moment so the caller learns *why*
                settle = time.monotonic() + 0.5
                while not self.refused and time.monotonic() < settle:
                    time.sleep(0.02)
                if self.refused:
                    raise errors.AccessRefused(self.refused)
                raise errors.BridgeUnavailable(
                    f"connection to the service lost while {request.command} {request.request_id} "
                    "was in flight; its outcome is unknown")
            try:
                frame = sock.recv()    # RCVTIMEO slices: cheaper than a poll() per call
            except zmq.Again:
                continue
            try:
                msg = P.decode(frame)
            except errors.ProtocolError as exc:
                log.warning("bridge client: dropped an invalid reply: %s", exc)
                continue
            if getattr(msg, "request_id", None) != request.request_id:
                continue   # a pushed status, or a late answer to a request that timed out
            deadline = time.monotonic() + wait     # the service spoke: silence starts again
            if msg.command in P.FINAL_REPLIES:
                if isinstance(msg, P.Error):
                    raise errors.RemoteError(msg.message, code=msg.code, request_id=msg.request_id,
                                             hint=msg.hint)
                return msg

    def _send_direct(self, sock: zmq.Socket, data: bytes, request: P._Message,
                     deadline: float) -> None:
        """Send without blocking forever: a DEALER whose handshake was refused has no pipe left,
        and a plain send() on it would wait for ever."""
        while True:
            if self.refused:
                raise errors.AccessRefused(self.refused)
            try:
                sock.send(data, zmq.NOBLOCK)
                return
            except zmq.Again:
                if time.monotonic() >= deadline:
                    raise errors.BridgeUnavailable(
                        f"cannot send {request.command} to {self.endpoint}: no connection to the "
                        "service; is it running? (python3 master_forge.py status)") from None
                time.sleep(0.02)

    def _direct_socket(self) -> zmq.Socket:
        sock = getattr(self._local, "sock", None)
        if sock is None:
            sock = self._make_dealer()
            sock.setsockopt(zmq.RCVTIMEO, 100)
            sock.connect(self.endpoint)
            self._local.sock = sock
            with self._calls_lock:
                self._direct.append(sock)
        return sock

    def send_raw(self, frame: bytes) -> None:
        """Send an arbitrary frame (tests); any answer lands on :attr:`events`."""
        with self._send_lock:
            self._push.send(frame)

    def _forget(self, request_id: str) -> None:
        with self._calls_lock:
            self._calls.pop(request_id, None)

    def wait_ready(self, timeout: float = 30.0, interval: float = 0.5) -> P.Pong:
        """Ping until the service answers (e.g. after a restart)."""
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                return self.request(P.Ping(), timeout=min(interval * 4, max(0.05, deadline - time.monotonic())))
            except (errors.BridgeUnavailable, errors.RemoteError) as exc:
                last = exc
                time.sleep(min(interval, max(0.0, deadline - time.monotonic())))
        raise errors.BridgeUnavailable(f"service at {self.endpoint} not ready after {timeout:g} s: {last}")

    # helpers ------------------------------------------------------------------------------------

    def ping(self, timeout: float | None = None) -> P.Pong:
        return self.request(P.Ping(), timeout)

    def status(self, timeout: float | None = None) -> P.SystemStatusUpdate:
        return self.request(P.StatusRequest(), timeout)

    def ask(self, text: str, persona: str | None = None, timeout: float | None = None,
            on_progress: Callable[[P.RequestProgress], None] | None = None,
            max_tokens: int | None = None) -> Call:
        return self.submit(P.UserQueryRequest(query_text=text, persona=persona,
                                              max_tokens=max_tokens), timeout,
                           on_progress=on_progress)

    def list_prototypes(self) -> P.PrototypeList:
        return self.request(P.ListPrototypes())

    def inspect(self, name: str | None = None, object_id: str | None = None) -> P.ObjectView:
        return self.request(P.InspectObject(name=name, object_id=object_id)).object

    def set_slot(self, slot: str, value: Any, *, name: str | None = None,
                 object_id: str | None = None, note: str = "") -> P.Ack:
        return self.request(P.SetSlot(name=name, object_id=object_id, slot=slot, value=value, note=note))

    def define_method(self, source: str, *, name: str | None = None, object_id: str | None = None,
                      selector: str | None = None, note: str = "") -> P.Ack:
        return self.request(P.DefineMethod(name=name, object_id=object_id, source=source,
                                           selector=selector, note=note))

    def send_message(self, selector: str, *args: Any, name: str | None = None,
                     object_id: str | None = None, timeout: float | None = None,
                     on_progress: Callable[[P.RequestProgress], None] | None = None,
                     **kwargs: Any) -> Call:
        return self.submit(P.SendMessage(name=name, object_id=object_id, selector=selector,
                                         args=list(args), kwargs=kwargs), timeout,
                           on_progress=on_progress)

    def search(self, query: str, k: int = 5) -> P.SearchResults:
        return self.request(P.SearchMemory(query=query, k=k))

    def vsa_query(self, query: str) -> P.VsaAnswer:
        return self.request(P.VsaQuery(query=query))

    def remember(self, text: str, source: str = "bridge") -> P.Ack:
        return self.request(P.Remember(text=text, source=source))

    def shutdown(self, reason: str = "") -> P.Ack:
        return self.request(P.ShutdownRequest(reason=reason))

    def list_backups(self) -> P.BackupList:
        return self.request(P.ListBackups())

    def run_backup(self, full: bool | None = None, *, timeout: float | None = None,
                   on_progress: Callable[[P.RequestProgress], None] | None = None) -> Call:
        """A backup set now; ``.result()`` is the BACKUP_DONE (progress: ``on_progress``)."""
        return self.submit(P.RunBackup(full=full), timeout, on_progress=on_progress)

    def verify_backups(self, drill: str = "newest", *, timeout: float | None = None,
                       on_progress: Callable[[P.RequestProgress], None] | None = None) -> Call:
        return self.submit(P.VerifyBackup(drill=drill), timeout, on_progress=on_progress)

    # --- I/O thread ----------------------------------------------------------------------------

    def _make_dealer(self) -> zmq.Socket:
        d = self._ctx.socket(zmq.DEALER)
        d.setsockopt(zmq.LINGER, 0)
        d.setsockopt(zmq.MAXMSGSIZE, P.SOCKET_MAX_MSG_BYTES)
        d.setsockopt(zmq.RECONNECT_IVL, 100)
        d.setsockopt(zmq.RECONNECT_IVL_MAX, 1_000)
        d.setsockopt(zmq.HEARTBEAT_IVL, 2_000)
        d.setsockopt(zmq.HEARTBEAT_TIMEOUT, 10_000)
        d.setsockopt(zmq.HEARTBEAT_TTL, 10_000)
        if self.curve is not None:
            d.curve_secretkey = self.curve.secret
            d.curve_publickey = self.curve.public
            d.curve_serverkey = self.curve.server_public
        return d

    def _io_loop(self) -> None:
        inbox = self._ctx.socket(zmq.PULL)
        inbox.bind(self._in_addr)
        dealer = self._make_dealer()
        monitor = dealer.get_monitor_socket(zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_DISCONNECTED
                                            | zmq.EVENT_HANDSHAKE_FAILED_AUTH
                                            | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL)
        dealer.connect(self.endpoint)
        self._ready.set()
        poller = zmq.Poller()
        for s in (inbox, dealer, monitor):
            poller.register(s, zmq.POLLIN)
        try:
            while not self._stop.is_set():
                events = dict(poller.poll(200))
                if inbox in events:
                    for _ in range(1_000):
                        try:
                            frame = inbox.recv(zmq.NOBLOCK)
                        except zmq.Again:
                            break
                        if frame:
                            self._send_queued(dealer, frame)
                if dealer in events:
                    for _ in range(1_000):
                        try:
                            frames = dealer.recv_multipart(zmq.NOBLOCK)
                        except zmq.Again:
                            break
                        self._on_reply(frames)
                if monitor in events:
                    while True:
                        try:
                            ev = recv_monitor_message(monitor, zmq.NOBLOCK)
                        except zmq.Again:
                            break
                        self._on_monitor(ev)
        finally:
            dealer.disable_monitor()
            monitor.close(linger=0)
            dealer.close(linger=0)
            inbox.close(linger=0)

    def _send_queued(self, dealer: zmq.Socket, frame: bytes) -> None:
        try:
            dealer.send(frame, zmq.NOBLOCK)   # never block the I/O thread (a refused peer has no pipe)
        except zmq.Again:
            if self.refused:
                self._lose_all(self.refused, refused=True)
            else:
                log.warning("bridge client: request dropped, the send queue to %s is full",
                            self.endpoint)

    def _on_monitor(self, ev: dict) -> None:
        kind = ev["event"]
        if kind == zmq.EVENT_HANDSHAKE_SUCCEEDED:
            self.connected = True
            self.refused = None
            self.events.put(ConnectionEvent(True, self.endpoint, "connected", time.time()))
        elif kind == zmq.EVENT_DISCONNECTED:
            self._epoch += 1
            was = self.connected
            self.connected = False
            n = self._lose_all("disconnected")
            if was:
                log.info("bridge client: disconnected from %s (%d request(s) lost)", self.endpoint, n)
                self.events.put(ConnectionEvent(False, self.endpoint, "disconnected", time.time()))
        else:
            self.connected = False
            detail = "authentication refused (CURVE key not allowed?)" \
                if kind == zmq.EVENT_HANDSHAKE_FAILED_AUTH else "handshake failed"
            log.info("bridge client: %s at %s", detail, self.endpoint)   # the caller gets AccessRefused
            self.refused = self._refusal(kind)
            self._lose_all(self.refused, refused=True)
            self.events.put(ConnectionEvent(False, self.endpoint, detail, time.time()))

    def _refusal(self, kind: int) -> str:
        """One sentence saying why the service refused us and what to do."""
        if kind == zmq.EVENT_HANDSHAKE_FAILED_AUTH and self.curve is not None:
            return self.curve.refused_text(self.endpoint)
        if self.curve is None:
            return (f"the handshake with the service at {self.endpoint} failed: it requires "
                    "CURVE (every tcp endpoint does) and this client has no key (a client key pair and the "
                    "server's public key are in $TELOS_HOME/keys)")
        return (f"the handshake with the service at {self.endpoint} failed: it does not speak "
                "CURVE with this client's key (wrong server public key, or the service is not "
                "using CURVE on this endpoint)")

    def _lose_all(self, detail: str, refused: bool = False) -> int:
        with self._calls_lock:
            calls = list(self._calls.values())
            self._calls.clear()
        for call in calls:
            call._deliver(Lost(detail, refused))
        return len(calls)

    def _on_reply(self, frames: list[bytes]) -> None:
        if len(frames) != 1:
            log.warning("bridge client: dropped a %d-frame message", len(frames))
            return
        try:
            msg = P.decode(frames[0])
        except errors.ProtocolError as exc:
            log.warning("bridge client: dropped an invalid reply: %s", exc)
            return
        rid = getattr(msg, "request_id", None)
        if rid is None:
            self.events.put(msg)
            return
        with self._calls_lock:
            call = self._calls.get(rid)
            if call is not None and msg.command in P.FINAL_REPLIES:
                del self._calls[rid]
        if call is None:
            self.events.put(msg)   # a reply to a raw frame, or to a request we gave up on
            return
        call._deliver(msg)


def running_service(home: Path | None = None, timeout: float = 0.5) -> BridgeClient | None:
    """A started client when the service for this home answers a PING within ``timeout``, else
    None (the caller then opens the image itself). Close the client when done."""
    try:
        client = BridgeClient(home=home, timeout=max(timeout, 5.0))
    except (errors.TelosError, zmq.ZMQError) as exc:
        log.debug("no bridge client: %s", exc)
        return None
    try:
        client.request(P.Ping(), timeout=timeout)
        return client
    except errors.AccessRefused:
        client.close()
        raise   # the service runs but refuses us: say so rather than open the image behind its back
    except errors.BridgeError:
        client.close()
        return None
