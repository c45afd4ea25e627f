"""Capabilities on the bridge: CURVE on loopback tcp, roles (rw / ro), and the per-client cap.

An in-process server with the service's key setup (allow-list with roles) and stub handlers.
"""

from __future__ import annotations

import logging
import tempfile
import threading

import pytest
import zmq

from telos.bridge import authz, keys
from telos.bridge import protocol as P
from telos.bridge.client import BridgeClient, ClientCurve
from telos.bridge.server import BridgeServer, Curve, HandlerRegistry
from telos.errors import AccessRefused, RemoteError
from tests.conftest import free_port



def _curve(home) -> Curve:
    """What the service does (telos.service.process.Service._curve)."""
    allow = keys.AllowList(home)
    pair = keys.server_keys(home)

    def identify(key):
        e = allow.lookup(key)
        return None if e is None else authz.Peer(f"key:{e.name}", e.role, key)
    return Curve(pair.public, pair.secret, lambda k: allow.lookup(k) is not None, identify)


def _registry(seen: list, gate: threading.Event) -> HandlerRegistry:
    reg = HandlerRegistry()
    reg.register("PING", lambda ctx: P.Pong(request_id=ctx.request_id), inline=True)

    def write(ctx):
        seen.append((ctx.request.command, ctx.peer.author))
        return P.Ack(request_id=ctx.request_id, of=ctx.request.command, detail=ctx.peer.author)

    def inspect(ctx):
        return P.ObjectDescription(request_id=ctx.request_id,
                                   object=P.ObjectView(object_id="1", name=ctx.request.name))

    def slow(ctx):                      # holds its worker until the gate opens
        gate.wait(30)
        return P.PersonaResponseComplete(request_id=ctx.request_id, persona_id="T", full_text="ok")
    def backups(ctx):
        if ctx.request.command != "LIST_BACKUPS":
            return write(ctx)
        return P.BackupList(request_id=ctx.request_id, destination="/nowhere")
    for cmd in ("SET_SLOT", "DEFINE_METHOD", "SEND_MESSAGE", "SHUTDOWN_REQUEST", "REMEMBER"):
        reg.register(cmd, write)
    for cmd in ("LIST_BACKUPS", "RUN_BACKUP", "VERIFY_BACKUP"):
        reg.register(cmd, backups)
    reg.register("INSPECT_OBJECT", inspect)
    reg.register("USER_QUERY_REQUEST", slow)
    return reg


@pytest.fixture
def home(tmp_path):
    keys.ensure_keys(tmp_path)
    return tmp_path


@pytest.fixture
def server(home):
    seen: list = []
    gate = threading.Event()
    endpoint = f"tcp://127.0.0.1:{free_port()}"      # loopback, and still CURVE
    srv = BridgeServer(endpoint, _registry(seen, gate), workers=4, max_per_client=2,
                       curve=_curve(home)).start()
    srv.seen, srv.gate = seen, gate
    yield srv
    gate.set()
    srv.stop(grace=1)


def _client(srv, home, name=keys.CLIENT, **kw) -> BridgeClient:
    return BridgeClient(srv.endpoint, curve=ClientCurve.from_home(home, name), timeout=10, **kw)


def test_read_commands_are_requests():
    assert P.READ_COMMANDS < P.REQUEST_COMMANDS
    assert "USER_QUERY_REQUEST" not in P.READ_COMMANDS     # it remembers the turn: a write
    assert P.FORBIDDEN in P.ERROR_CODES


def test_unknown_key_on_loopback_is_refused_with_a_clear_message(server, home):
    pair = keys.new_client(home, "stranger", authorize=False)
    with _client(server, home, "stranger") as c:
        with pytest.raises(AccessRefused) as e:
            c.set_slot("x", 1, name="Counter")
        assert "not on the allow-list" in str(e.value)
        assert "python3 master_forge.py keys allow" in str(e.value)
        assert pair.public[:8].decode() in str(e.value)
        with pytest.raises(AccessRefused):       # every later request fails at once, too
            c.send_message("run", name="Counter").result()
    assert server.seen == []


def test_plain_client_on_loopback_tcp_gets_nothing(server):
    with BridgeClient(server.endpoint, curve=None, timeout=3) as c:
        with pytest.raises(AccessRefused) as e:
            c.define_method("def f(self):\n    return 1\n", name="Counter")
        assert "requires CURVE" in str(e.value)
    assert server.seen == []


def test_rw_key_writes_as_its_author(server, home, caplog):
    keys.new_client(home, "laptop")
    with _client(server, home, "laptop") as c:
        assert c.set_slot("x", 1, name="Counter").detail == "key:laptop"
        assert c.define_method("def f(self):\n    return 1\n", name="Counter").of == "DEFINE_METHOD"
    assert server.seen == [("SET_SLOT", "key:laptop"), ("DEFINE_METHOD", "key:laptop")]


def test_ro_key_reads_and_is_forbidden_to_write(server, home, caplog):
    keys.new_client(home, "viewer", role=keys.RO)
    caplog.set_level(logging.WARNING, logger="telos.audit")
    with _client(server, home, "viewer") as c:
        assert c.ping().command == "PONG"
        assert c.inspect(name="Counter").name == "Counter"
        for call in (lambda: c.set_slot("x", 1, name="Counter"),
                     lambda: c.define_method("def f(self):\n    return 1\n", name="Counter"),
                     lambda: c.send_message("f", name="Counter").result(),
                     lambda: c.ask("hello").result(),
                     lambda: c.remember("note"),
                     lambda: c.shutdown("bye")):
            with pytest.raises(RemoteError) as e:
                call()
            assert e.value.code == P.FORBIDDEN
            assert "read-only" in e.value.remote_message and "keys allow" in e.value.hint
    assert server.seen == []
    assert sum("key:viewer REFUSED" in r.getMessage() for r in caplog.records) == 6


def test_ro_key_lists_backups_but_may_not_run_or_verify_one(server, home):
    keys.new_client(home, "viewer", role=keys.RO)
    with _client(server, home, "viewer") as c:
        assert c.list_backups().destination == "/nowhere"        # a read
        for call in (lambda: c.run_backup().result(), lambda: c.run_backup(full=True).result(),
                     lambda: c.verify_backups().result()):
            with pytest.raises(RemoteError) as e:
                call()
            assert e.value.code == P.FORBIDDEN and "read-only" in e.value.remote_message
    assert server.seen == []
    keys.new_client(home, "operator")
    with _client(server, home, "operator") as c:               # a read-write key may
        assert c.run_backup().result().of == "RUN_BACKUP"
        assert c.verify_backups().result().of == "VERIFY_BACKUP"
    assert server.seen == [("RUN_BACKUP", "key:operator"), ("VERIFY_BACKUP", "key:operator")]


def test_demoted_or_revoked_key_loses_rights_at_its_next_request(server, home):
    keys.new_client(home, "laptop")
    with _client(server, home, "laptop") as c:
        c.set_slot("x", 1, name="Counter")
        keys.authorize_key(home, keys.keys_dir(home) / "laptop.key", role=keys.RO)
        with pytest.raises(RemoteError) as e:
            c.set_slot("x", 2, name="Counter")
        assert e.value.code == P.FORBIDDEN
        keys.revoke(home, "laptop")
        with pytest.raises(RemoteError) as e:     # the connection is open, the key is gone
            c.inspect(name="Counter")
        assert e.value.code == P.FORBIDDEN and "no longer on the allow-list" in e.value.remote_message


def test_one_flooding_client_gets_busy_and_the_others_are_served(server, home):
    keys.new_client(home, "flood")
    keys.new_client(home, "calm")
    with _client(server, home, "flood") as flood, _client(server, home, "calm") as calm:
        held = [flood.ask(f"q{i}") for i in range(2)]       # the per-client cap: 2
        assert flood.ping().command == "PONG"                # inline reads are not queued work
        with pytest.raises(RemoteError) as e:
            flood.ask("one too many").result()
        assert e.value.code == P.BUSY and "per client" in e.value.remote_message
        # another thread of the same client (another connection, same key): still busy
        with pytest.raises(RemoteError) as e:
            flood.set_slot("x", 1, name="Counter")
        assert e.value.code == P.BUSY
        other = calm.ask("mine")                             # the other client is served
        assert calm.set_slot("x", 1, name="Counter").of == "SET_SLOT"
        server.gate.set()
        assert other.result().full_text == "ok"
        assert [h.result().full_text for h in held] == ["ok", "ok"]
        assert flood.set_slot("x", 2, name="Counter").of == "SET_SLOT"   # free again


def test_ipc_peer_is_the_local_user_with_rw(tmp_path):
    seen: list = []
    endpoint = f"ipc://{tempfile.mkdtemp(prefix='tb', dir='/tmp')}/b.sock"
    srv = BridgeServer(endpoint, _registry(seen, threading.Event()), workers=1).start()
    try:
        with BridgeClient(endpoint, curve=None, timeout=10) as c:
            assert c.set_slot("x", 1, name="Counter").detail == authz.LOCAL.author
        assert authz.LOCAL.author.startswith("local:")
    finally:
        srv.stop()


def test_zmq_stamps_the_curve_key_on_each_message(server, home):
    """The mechanism the server relies on: ``User-Id`` is the client's Z85 public key."""
    ctx = zmq.Context.instance()
    pair = keys.client_keys(home)
    d = ctx.socket(zmq.DEALER)
    d.curve_secretkey, d.curve_publickey = pair.secret, pair.public
    d.curve_serverkey = keys.server_public(home)
    d.setsockopt(zmq.LINGER, 0)
    d.setsockopt(zmq.RCVTIMEO, 10_000)
    d.connect(server.endpoint)
    try:
        d.send(P.encode(P.SetSlot(name="Counter", slot="x", value=1)))
        assert P.decode(d.recv()).detail == "key:client"
    finally:
        d.close()
