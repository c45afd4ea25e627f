"""telos/bridge/server.py: the bridge server in one process with handlers written for the test, seen
through a real client (the client alone, without a server: test_client.py)."""

from __future__ import annotations

import tempfile
import threading
import time

import pytest

from telos.bridge import protocol as P
from telos.bridge.client import BridgeClient
from telos.bridge.server import BridgeServer, HandlerRegistry
from telos.errors import (BridgeError, BridgeUnavailable, GenerationError, RemoteError,
                          RequestRefused, SlotNotFound)


@pytest.fixture
def endpoint():
    return f"ipc://{tempfile.mkdtemp(prefix='tb', dir='/tmp')}/b.sock"


def registry(gate: threading.Event | None = None, seen: list | None = None) -> HandlerRegistry:
    reg = HandlerRegistry()
    reg.register("PING", lambda ctx: P.Pong(request_id=ctx.request_id))

    def ask(ctx):
        q = ctx.request.query_text
        if q == "refuse":
            raise RequestRefused("no thanks", code=P.BUSY, hint="later")
        if q == "missing":
            raise SlotNotFound("no slot")
        if q == "generate":
            raise GenerationError("policy", "imports os")
        if q == "bug":
            raise ZeroDivisionError("oops")
        if q == "silent":
            return None
        n = 0
        while True:
            if gate is not None and gate.is_set():
                break
            if not ctx.partial("T", f"{n} "):
                if seen is not None:
                    seen.append(n)
                return None
            n += 1
            if gate is None and n == 5:
                break
            time.sleep(0.005)
        return P.PersonaResponseComplete(request_id=ctx.request_id, persona_id="T", full_text="done")
    reg.register("USER_QUERY_REQUEST", ask)
    return reg


def _next_reply(sock):
    """The next reply that is not a REQUEST_PROGRESS (sent while a request is silent)."""
    while True:
        msg = P.decode(sock.recv())
        if msg.command != "REQUEST_PROGRESS":
            return msg


def test_registry_refuses_reply_kinds():
    with pytest.raises(ValueError):
        HandlerRegistry().register("PONG", lambda ctx: None)


def test_handler_errors_become_error_replies(endpoint):
    srv = BridgeServer(endpoint, registry(), workers=2).start()
    try:
        with BridgeClient(endpoint, curve=None, timeout=10) as c:
            for query, code in [("refuse", P.BUSY), ("missing", P.NOT_FOUND),
                                ("generate", P.GENERATION_FAILED), ("bug", P.INTERNAL),
                                ("silent", P.INTERNAL)]:
                with pytest.raises(RemoteError) as e:
                    c.ask(query).result()
                assert e.value.code == code, query
            with pytest.raises(RemoteError) as e:
                c.status()
            assert e.value.code == P.UNKNOWN_COMMAND and "PING" in e.value.hint
            assert [p.token for p in c.ask("count")] == [f"{i} " for i in range(5)]
    finally:
        srv.stop()


def test_busy_and_duplicate_ids(endpoint):
    import zmq
    gate = threading.Event()
    srv = BridgeServer(endpoint, registry(gate), workers=2, max_in_flight=2).start()
    raw = zmq.Context.instance().socket(zmq.DEALER)
    raw.setsockopt(zmq.LINGER, 0)
    raw.setsockopt(zmq.RCVTIMEO, 10_000)
    raw.connect(endpoint)
    try:
        with BridgeClient(endpoint, curve=None, timeout=10) as c:
            raw.send(P.encode(P.UserQueryRequest(request_id="same", query_text="long")))
            assert _next_reply(raw).command == "PERSONA_RESPONSE_PARTIAL"
            raw.send(P.encode(P.UserQueryRequest(request_id="same", query_text="again")))
            b = c.ask("long")
            b.next_message()
            with pytest.raises(RemoteError) as e:       # two in flight: the limit
                c.ask("third").result()
            assert e.value.code == P.BUSY
            gate.set()
            assert b.result().full_text == "done"
        replies = []
        while not any(m.command == "PERSONA_RESPONSE_COMPLETE" for m in replies):
            replies.append(P.decode(raw.recv()))
        dup = [m for m in replies if m.command == "ERROR"]
        assert len(dup) == 1 and dup[0].request_id == "same" and "already in flight" in dup[0].message
    finally:
        raw.close()
        srv.stop()


def test_client_gone_cancels_its_stream(endpoint):
    gate = threading.Event()
    seen: list = []
    srv = BridgeServer(endpoint, registry(gate, seen), workers=1).start()
    try:
        c = BridgeClient(endpoint, curve=None, timeout=10)
        call = c.ask("long")
        call.next_message()
        c.close()
        deadline = time.monotonic() + 30
        while not seen:
            assert time.monotonic() < deadline, "the stream was never cancelled"
            time.sleep(0.05)
        assert srv.in_flight() == 0
        with BridgeClient(endpoint, curve=None, timeout=10) as c2:   # the worker is free again
            assert c2.ping().command == "PONG"
    finally:
        gate.set()
        srv.stop()


def test_reconnect_after_restart_and_lost_calls_fail(endpoint):
    gate = threading.Event()
    srv = BridgeServer(endpoint, registry(gate), workers=2).start()
    with BridgeClient(endpoint, curve=None, timeout=20) as c:
        assert c.ping().command == "PONG"
        call = c.ask("long")
        call.next_message()
        srv.stop(grace=0.2)               # the server goes away with the stream in flight
        with pytest.raises(BridgeUnavailable):
            for _ in call:
                pass
        srv2 = BridgeServer(endpoint, registry(), workers=2).start()
        try:
            assert c.wait_ready(30).command == "PONG"
            assert [p.token for p in c.ask("count")] == [f"{i} " for i in range(5)]
        finally:
            srv2.stop()
    gate.set()


def test_bind_failure_is_our_error(endpoint):
    with pytest.raises(BridgeError):
        BridgeServer("ipc:///nonexistent-dir/x/y.sock", registry()).start()


def test_timeout_names_the_request(endpoint):
    with BridgeClient(endpoint, curve=None, timeout=0.3) as c:   # nobody listens
        with pytest.raises(BridgeUnavailable) as e:
            c.ping()
        assert "PING" in str(e.value) and "status" in str(e.value)


def test_submit_with_a_sink_hands_over_every_reply_and_the_loss(endpoint):
    import queue as _queue
    got: _queue.SimpleQueue = _queue.SimpleQueue()
    srv = BridgeServer(endpoint, registry(), workers=2).start()
    try:
        with BridgeClient(endpoint, curve=None, timeout=20) as c:
            done = c.submit(P.UserQueryRequest(query_text="count"), sink=got.put)
            items = [got.get(timeout=10)]
            while items[-1].command != "PERSONA_RESPONSE_COMPLETE":
                items.append(got.get(timeout=10))
            assert [m.token for m in items[:-1] if m.command != "REQUEST_PROGRESS"] == \
                [f"{i} " for i in range(5)]
            assert all(m.request_id == done.request_id for m in items)
    finally:
        srv.stop()
    gate = threading.Event()
    srv = BridgeServer(endpoint, registry(gate), workers=2).start()
    try:
        with BridgeClient(endpoint, curve=None, timeout=20) as c:
            c.submit(P.UserQueryRequest(query_text="long"), sink=got.put)
            assert got.get(timeout=10).command == "PERSONA_RESPONSE_PARTIAL"
            srv.stop(grace=0.2)                  # the service goes away mid-stream
            last = got.get(timeout=20)
            while last.command in ("PERSONA_RESPONSE_PARTIAL", "REQUEST_PROGRESS"):
                last = got.get(timeout=20)
            assert last.command == "ERROR" and last.code == P.UNAVAILABLE
    finally:
        gate.set()
        srv.stop()


def test_a_silent_request_is_reported_and_the_client_waits_past_its_timeout(endpoint):
    """The timeout measures silence: a request the service keeps reporting never expires."""
    from telos.scope import Progress, current

    class Waiting:
        def progress(self):
            return Progress("loading", "loading the model", fraction=0.4)

    reg = HandlerRegistry()

    @reg.handler("USER_QUERY_REQUEST")
    def slow(ctx):
        current().watch(Waiting())
        time.sleep(3.5)                                  # silent, longer than the client timeout
        ctx.partial("P", "done")
        return P.PersonaResponseComplete(request_id=ctx.request_id, persona_id="P", full_text="done")

    srv = BridgeServer(endpoint, reg, workers=1).start()
    try:
        with BridgeClient(endpoint, curve=None, timeout=2.0) as c:
            seen = []
            call = c.ask("x", on_progress=seen.append)
            assert [p.token for p in call] == ["done"]
            assert seen and seen[-1].stage == "loading" and seen[-1].fraction == 0.4
            assert "loading the model" in seen[-1].detail and seen[-1].elapsed > 0
    finally:
        srv.stop()


def test_a_client_that_leaves_cancels_its_silent_request(endpoint):
    """Progress reports find out that a client left even before the first token."""
    cancelled = threading.Event()
    reg = HandlerRegistry()

    @reg.handler("USER_QUERY_REQUEST")
    def wait_for_cancel(ctx):
        if ctx.cancelled.wait(30):
            cancelled.set()
        return None

    srv = BridgeServer(endpoint, reg, workers=1).start()
    try:
        c = BridgeClient(endpoint, curve=None, timeout=5)
        c.ask("x")
        time.sleep(0.5)
        c.close()
        assert cancelled.wait(15)
        deadline = time.monotonic() + 5
        while srv.in_flight() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert srv.in_flight() == 0
    finally:
        srv.stop()


def test_clients_counts_the_connections_heard_from_recently():
    srv = BridgeServer("inproc://clients-count", HandlerRegistry())
    now = time.monotonic()
    srv._peers.update({b"a": now, b"b": now - 5.0, b"c": now - 120.0})
    assert srv.clients() == 2 and srv.clients(within=1.0) == 1 and srv.clients(within=600) == 3
