"""The service side of the bridge: a ZeroMQ ROUTER owned by one I/O thread, and a worker pool.

One I/O thread owns the ROUTER (ZeroMQ sockets are not thread-safe). It decodes each frame;
anything unreadable is answered at once with ``ERROR`` and the loop goes on. A valid request is
queued for a worker thread, which runs the registered handler (:mod:`telos.bridge.dispatch`)
with a :class:`~telos.bridge.dispatch.RequestContext`.
Workers never touch the ROUTER: every reply (streamed partials and the final reply) goes back
through an inproc PUSH → PULL pipe to the I/O thread, tagged with the identity of the client that
asked, so a client only ever receives answers to its own requests.

Handlers: ``fn(ctx) -> reply | None``. Return the final reply, or send it yourself with
``ctx.send``; stream with ``ctx.partial(persona, token)``; raise
:class:`telos.errors.RequestRefused` (or any TelosError) for an ``ERROR`` reply. ``ctx.session``
checks an image session out of the server's :class:`SessionPool` (own ZODB connection and own
transaction manager; returned and aborted when the request ends).

Each handler runs inside a :class:`telos.scope.RequestScope` whose ``cancelled`` event is the
request's: a language model asked for tokens anywhere below the handler stops when the client
leaves. While a request is silent for :data:`~telos.bridge.protocol.PROGRESS_INTERVAL_S`, the
I/O thread sends ``REQUEST_PROGRESS`` with what the scope waits for; a send that fails because
the client is gone cancels the request.
"""

from __future__ import annotations

import errno
import itertools
import logging
import queue
import threading
import time
from typing import Any

import zmq

from telos import errors
from telos.bridge import authz
from telos.bridge import protocol as P
from telos.bridge.authz import Curve
from telos.bridge.dispatch import (Handler, HandlerRegistry, Observer, RequestContext, SessionPool,
                                   classify)
from telos.scope import RequestScope, request_scope

log = logging.getLogger(__name__)

HEARTBEAT_IVL_MS = 2_000
HEARTBEAT_TIMEOUT_MS = 10_000
_ids = itertools.count()


class BridgeServer:
    """ROUTER + worker pool. ``start()`` binds (raising BridgeError when it cannot), ``stop()``
    stops accepting, lets in-flight requests finish (or cancels them after ``grace``), closes."""

    def __init__(self, endpoint: str, registry: HandlerRegistry, *, workers: int = 4,
                 max_in_flight: int = 64, max_per_client: int = 16, curve: Curve | None = None,
                 sessions: SessionPool | None = None, observer: Observer | None = None,
                 context: zmq.Context | None = None) -> None:
        self.endpoint = endpoint
        self.registry = registry
        self.workers = max(1, workers)
        self.max_in_flight = max_in_flight
        self.max_per_client = max(1, max_per_client)   # one flooding client gets busy, not others
        self.curve = curve
        self.sessions = sessions
        self.observer = observer or Observer()
        # a CURVE server gets a context of its own: ZeroMQ's ZAP handler binds one fixed inproc
        # address per context, so two servers (or a stopping and a starting one) must not share
        self._own_ctx = context is None and curve is not None
        self._ctx = context or (zmq.Context() if self._own_ctx else zmq.Context.instance())
        self._out_addr = f"inproc://telos-bridge-out-{id(self)}-{next(_ids)}"
        self._jobs: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._active: dict[tuple[bytes, str], RequestContext] = {}
        self._peers: dict[bytes, float] = {}
        self._local = threading.local()
        self._pushes: list[zmq.Socket] = []
        self._accepting = threading.Event()
        self._stop_io = threading.Event()
        self._ready = threading.Event()
        self._start_error: BaseException | None = None
        self._threads: list[threading.Thread] = []
        self._auth = None
        self.bound: str | None = None
        self.started_at = time.time()

    # --- life cycle ------------------------------------------------------------------------

    def start(self) -> "BridgeServer":
        if self.curve is not None:
            from zmq.auth.thread import ThreadAuthenticator
            self._auth = ThreadAuthenticator(self._ctx, log=logging.getLogger(__name__ + ".zap"))
            self._auth.start()
            self._auth.configure_curve_callback(domain="*", credentials_provider=self.curve)
        io = threading.Thread(target=self._io_loop, name="bridge-io", daemon=True)
        io.start()
        self._threads.append(io)
        self._ready.wait(10)
        if self._start_error is not None or not self._ready.is_set():
            self._stop_auth()
            err = self._start_error
            raise errors.BridgeError(f"cannot bind the bridge at {self.endpoint}: {err}") from err
        for i in range(self.workers):
            t = threading.Thread(target=self._worker, name=f"bridge-worker-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        self._accepting.set()
        log.info("bridge listening on %s (%s, %d workers)", self.bound,
                 "CURVE" if self.curve else "no CURVE", self.workers)
        return self

    @property
    def accepting(self) -> bool:
        return self._accepting.is_set()

    def in_flight(self) -> int:
        with self._lock:
            return len(self._active)

    def clients(self, within: float = 60.0) -> int:
        """How many connections (DEALER identities: a client process may hold several) sent
        something in the last ``within`` seconds."""
        now = time.monotonic()
        return sum(1 for seen in list(self._peers.values()) if now - seen <= within)

    def stop_accepting(self) -> None:
        self._accepting.clear()

    def stop(self, grace: float = 10.0) -> None:
        """Stop accepting; wait up to ``grace`` s for in-flight requests, then cancel the rest."""
        self._accepting.clear()
        deadline = time.monotonic() + grace
        while self.in_flight() and time.monotonic() < deadline:
            time.sleep(0.02)
        with self._lock:
            left = list(self._active.values())
        for ctx in left:
            ctx.cancelled.set()
        if left:
            log.warning("bridge stop: cancelled %d request(s) still in flight", len(left))
            end = time.monotonic() + 2.0
            while self.in_flight() and time.monotonic() < end:
                time.sleep(0.02)
        for _ in range(self.workers):
            self._jobs.put(None)
        self._stop_io.set()
        for t in self._threads:
            t.join(timeout=3.0)
        with self._lock:
            for s in self._pushes:
                s.close(linger=0)
            self._pushes.clear()
        if self.sessions is not None:
            self.sessions.close()
        self._stop_auth()
        if self._own_ctx:
            self._ctx.destroy(linger=0)
        log.info("bridge stopped")

    def _stop_auth(self) -> None:
        if self._auth is not None:
            self._auth.stop()
            self._auth = None

    def broadcast(self, message: P._Message) -> None:
        """Push a message (e.g. SYSTEM_STATUS_UPDATE) to every client seen recently."""
        self._push(b"", P.encode(message))

    # --- worker side -------------------------------------------------------------------------

    def _push(self, identity: bytes, data: bytes) -> bool:
        sock = getattr(self._local, "push", None)
        if sock is None:
            sock = self._ctx.socket(zmq.PUSH)
            sock.setsockopt(zmq.SNDTIMEO, 5_000)
            sock.setsockopt(zmq.LINGER, 1_000)
            sock.connect(self._out_addr)
            self._local.push = sock
            with self._lock:
                self._pushes.append(sock)
        try:
            sock.send_multipart([identity, data])
            return True
        except zmq.ZMQError as exc:
            log.warning("bridge: reply dropped (%s)", exc)
            return False

    def _worker(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            ctx, handler = job
            self._run(ctx, handler)

    def _run(self, ctx: RequestContext, handler: Handler) -> None:
        command = ctx.request.command
        code: str | None = None
        ctx.scope = RequestScope(f"{command} {ctx.request_id}", ctx.cancelled)
        try:
            with request_scope(ctx.scope):
                reply = handler(ctx)
            if reply is not None:
                ctx.send(reply)
            elif not ctx.final_sent and not ctx.cancelled.is_set():
                raise errors.BridgeError(f"handler for {command} sent no reply")
        except BaseException as exc:  # one request's failure must not take the worker down
            code, hint = classify(exc)
            if code == P.INTERNAL:
                log.exception("bridge: %s %s failed", command, ctx.request_id)
            else:
                log.info("bridge: %s %s → %s: %s", command, ctx.request_id, code, exc)
            if not ctx.final_sent:
                ctx.send(P.error_reply(ctx.request_id, code, str(exc) or type(exc).__name__, hint))
            if not isinstance(exc, Exception):
                raise
        finally:
            if ctx._session is not None:
                try:
                    self.sessions.checkin(ctx._session)
                except Exception:
                    log.exception("bridge: returning an image session failed")
            with self._lock:
                self._active.pop((ctx.identity, ctx.request_id), None)
            self.observer.request_finished(command, code, time.monotonic() - ctx.received)

    # --- I/O thread ----------------------------------------------------------------------------

    def _make_router(self) -> zmq.Socket:
        r = self._ctx.socket(zmq.ROUTER)
        r.setsockopt(zmq.LINGER, 500)
        r.setsockopt(zmq.MAXMSGSIZE, P.SOCKET_MAX_MSG_BYTES)
        r.setsockopt(zmq.ROUTER_MANDATORY, 1)
        r.setsockopt(zmq.SNDHWM, 10_000)
        r.setsockopt(zmq.RCVHWM, 10_000)
        r.setsockopt(zmq.HEARTBEAT_IVL, HEARTBEAT_IVL_MS)
        r.setsockopt(zmq.HEARTBEAT_TIMEOUT, HEARTBEAT_TIMEOUT_MS)
        r.setsockopt(zmq.HEARTBEAT_TTL, HEARTBEAT_TIMEOUT_MS)
        if self.curve is not None:
            r.curve_secretkey = self.curve.secret
            r.curve_publickey = self.curve.public
            r.curve_server = True
        return r

    def _io_loop(self) -> None:
        try:
            router = self._make_router()
            router.bind(self.endpoint)
            self.bound = router.getsockopt_string(zmq.LAST_ENDPOINT) or self.endpoint
            outbox = self._ctx.socket(zmq.PULL)
            outbox.bind(self._out_addr)
        except zmq.ZMQError as exc:
            self._start_error = exc
            self._ready.set()
            return
        self._ready.set()
        poller = zmq.Poller()
        poller.register(router, zmq.POLLIN)
        poller.register(outbox, zmq.POLLIN)
        next_tick = time.monotonic() + P.PROGRESS_INTERVAL_S / 2
        try:
            while True:
                if self._stop_io.is_set():
                    self._drain_outbox(router, outbox)
                    break
                events = dict(poller.poll(50))
                if outbox in events:
                    self._drain_outbox(router, outbox)
                if router in events:
                    # ask EVENTS instead of catching zmq.Again: an exception per wake-up is dear
                    for _ in range(256):
                        if not router.getsockopt(zmq.EVENTS) & zmq.POLLIN:
                            break
                        self._on_frames(router, router.recv_multipart(zmq.NOBLOCK, copy=False))
                now = time.monotonic()
                if now >= next_tick:
                    next_tick = now + P.PROGRESS_INTERVAL_S / 2
                    self._report_silent(router, now)
        except Exception:
            log.exception("bridge I/O loop crashed")
            raise
        finally:
            router.close()
            outbox.close(linger=0)

    def _drain_outbox(self, router: zmq.Socket, outbox: zmq.Socket) -> None:
        for _ in range(10_000):
            if not outbox.getsockopt(zmq.EVENTS) & zmq.POLLIN:
                return
            identity, data = outbox.recv_multipart(zmq.NOBLOCK)
            targets = list(self._peers) if identity == b"" else [identity]
            for ident in targets:
                self._send(router, ident, data)

    def _send(self, router: zmq.Socket, identity: bytes, data: bytes) -> None:
        try:
            router.send_multipart([identity, data], zmq.NOBLOCK)
        except zmq.ZMQError as exc:
            if exc.errno not in (errno.EHOSTUNREACH, zmq.EAGAIN):
                raise
            # the client is gone (or not reading): cancel what we are doing for it
            self._peers.pop(identity, None)
            with self._lock:
                gone = [c for (ident, _), c in self._active.items() if ident == identity]
            for ctx in gone:
                ctx.cancelled.set()
            if gone:
                log.info("bridge: client gone, cancelled %d request(s)", len(gone))

    def _report_silent(self, router: zmq.Socket, now: float) -> None:
        """REQUEST_PROGRESS for every request that has been silent for a while (I/O thread)."""
        with self._lock:
            silent = [c for c in self._active.values()
                      if not c.final_sent and not c.cancelled.is_set()
                      and now - c.last_sent >= P.PROGRESS_INTERVAL_S]
        for ctx in silent:
            scope = ctx.scope
            try:
                p = scope.progress() if scope is not None else None
            except Exception:  # noqa: BLE001 - a progress source must not take the I/O thread down
                log.exception("bridge: progress of %s failed", ctx.request_id)
                p = None
            msg = P.RequestProgress(
                request_id=ctx.request_id, stage=(p.stage if p else "queued")[: P.MAX_NAME] or "working",
                detail=(p.detail if p else "waiting for a worker")[: P.MAX_SHORT],
                position=p.position if p and p.position and p.position >= 1 else None,
                fraction=None if not p or p.fraction is None else min(1.0, max(0.0, float(p.fraction))),
                elapsed=round(now - ctx.received, 3))
            ctx.last_sent = now
            self._send(router, ctx.identity, P.encode(msg))

    def _run_inline(self, router: zmq.Socket, identity: bytes, request: Any, handler: Handler) -> None:
        t0 = time.monotonic()
        self.observer.request_started(request.command)
        code = None
        try:
            reply = handler(RequestContext(request=request, identity=identity, server=self))
            data = P.encode(reply)
        except Exception as exc:   # an inline handler must not take the I/O thread down
            code, hint = classify(exc)
            log.exception("bridge: inline %s failed", request.command)
            data = P.encode(P.error_reply(request.request_id, code, str(exc), hint))
        self._send(router, identity, data)
        self.observer.request_finished(request.command, code, time.monotonic() - t0)

    def _refuse(self, router: zmq.Socket, identity: bytes, request: Any,
                peer: authz.Peer | None) -> None:
        """ERROR ``forbidden``: a read-only key asked for a write, or the key left the allow-list."""
        if peer is None:
            message = (f"{request.command} refused: this client's CURVE key is no longer on the "
                       "allow-list")
            hint = f"on the service's machine: `{authz.KEYS_HINT}`"
        else:
            message, hint = authz.forbidden(peer, request.command)
        authz.record(peer or "unknown-key", "REFUSED", request.command, request.request_id,
                     level=logging.WARNING)
        self._reject(router, identity, request.request_id, P.FORBIDDEN, message, hint)

    def _reject(self, router: zmq.Socket, identity: bytes, rid: str | None, code: str,
                message: str, hint: str = "") -> None:
        self.observer.frame_rejected(code)
        self._send(router, identity, P.encode(P.error_reply(rid, code, message, hint)))

    def _peer_of(self, frame: zmq.Frame) -> authz.Peer | None:
        """The peer behind a message: the local user without CURVE, else its key's allow-list
        entry (ZeroMQ stamps the key the ZAP handshake admitted as ``User-Id``)."""
        if self.curve is None:
            return authz.LOCAL
        try:
            user_id = frame.get("User-Id")
        except zmq.ZMQError:
            return None
        return self.curve.peer(user_id.encode() if isinstance(user_id, str) else user_id)

    def _on_frames(self, router: zmq.Socket, frames: list) -> None:
        peer = self._peer_of(frames[-1])
        frames = [f.bytes if isinstance(f, zmq.Frame) else f for f in frames]
        identity = frames[0]
        now = time.monotonic()
        self._peers[identity] = now
        if len(self._peers) > 10_000:   # forget the quietest peers
            for ident, _ in sorted(self._peers.items(), key=lambda kv: kv[1])[:5_000]:
                self._peers.pop(ident, None)
        if len(frames) != 2:
            self._reject(router, identity, None, P.BAD_FRAME,
                         f"expected exactly one frame per message, got {len(frames) - 1}",
                         "a DEALER sends one JSON frame per request")
            return
        try:
            request = P.decode_request(frames[1])
        except errors.ProtocolError as exc:
            self._reject(router, identity, exc.request_id, exc.code, str(exc), exc.hint)
            return
        rid = request.request_id
        if not self._accepting.is_set():
            self._reject(router, identity, rid, P.SHUTTING_DOWN, "the service is stopping",
                         "retry after it restarts")
            return
        handler = self.registry.get(request.command)
        if handler is None:
            self._reject(router, identity, rid, P.UNKNOWN_COMMAND,
                         f"{request.command} is not served here",
                         f"served: {', '.join(self.registry.commands())}")
            return
        if peer is None or not peer.may(request.command):
            self._refuse(router, identity, request, peer)
            return
        if request.command in self.registry.inline:
            self._run_inline(router, identity, request, handler)
            return
        key = (identity, rid)
        client = peer.client or identity
        with self._lock:
            mine = sum(1 for c in self._active.values() if (c.peer.client or c.identity) == client)
            if key in self._active:
                busy = "request_id already in flight from this client"
            elif mine >= self.max_per_client:
                busy = (f"this client has {mine} requests in flight (at most "
                        f"{self.max_per_client} per client)")
            elif len(self._active) >= self.max_in_flight:
                busy = f"{len(self._active)} requests in flight"
            else:
                busy = ""
                ctx = RequestContext(request=request, identity=identity, server=self, peer=peer)
                self._active[key] = ctx
        if busy:
            self._reject(router, identity, rid, P.BUSY, busy, "wait for your earlier answers")
            return
        self.observer.request_started(request.command)
        self._jobs.put((ctx, handler))
