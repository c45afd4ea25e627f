"""CURVE on every tcp endpoint, loopback included: only allow-listed client keys get answers, a
read-only key only reads, and every change names its author (thought user, provenance, audit log)."""

from __future__ import annotations


import pytest
import zmq

from telos.bridge import keys
from telos.bridge import protocol as P
from telos.bridge.client import BridgeClient, ClientCurve
from telos.errors import AccessRefused, BridgeUnavailable, RemoteError
from tests.service.conftest import start_service
from tests.conftest import free_port



@pytest.fixture(scope="module")
def curve_service(tmp_path_factory):
    home = tmp_path_factory.mktemp("curve") / "home"
    home.mkdir()
    keys.ensure_keys(home)                      # what the forge does
    port = free_port()
    svc = start_service(home, endpoint=f"tcp://127.0.0.1:{port}", ready=False)   # loopback
    svc.client_endpoint = f"tcp://127.0.0.1:{port}"
    with BridgeClient(svc.client_endpoint, curve=ClientCurve.from_home(home), timeout=5) as c:
        c.wait_ready(120)
    yield svc
    assert svc.stop() == 0


def test_allowed_key_is_served(curve_service):
    assert curve_service.info()["curve"] is True
    with BridgeClient(curve_service.client_endpoint, curve=ClientCurve.from_home(curve_service.home),
                      timeout=10) as c:
        assert c.ping().command == "PONG"
        assert c.status().status_text == "ready"


def test_unknown_key_gets_nothing(curve_service):
    public, secret = zmq.curve_keypair()
    stranger = ClientCurve(public, secret, keys.server_public(curve_service.home))
    with BridgeClient(curve_service.client_endpoint, curve=stranger, timeout=2) as c:
        with pytest.raises((AccessRefused, BridgeUnavailable)):
            c.ping()
        assert c.connected is False
        refused = []
        while not c.events.empty():
            refused.append(c.events.get())
        assert any("authentication" in getattr(e, "detail", "") for e in refused), refused


def test_plain_client_gets_nothing(curve_service):
    with BridgeClient(curve_service.client_endpoint, curve=None, timeout=2) as c:
        with pytest.raises((AccessRefused, BridgeUnavailable)):
            c.ping()


def test_key_added_to_the_allow_list_works_at_once(curve_service):
    pair = keys.new_client(curve_service.home, "laptop")          # authorized while running
    curve = ClientCurve(pair.public, pair.secret, keys.server_public(curve_service.home))
    with BridgeClient(curve_service.client_endpoint, curve=curve, timeout=10) as c:
        assert c.ping().command == "PONG"
    pair2 = keys.new_client(curve_service.home, "not-yet", authorize=False)
    curve2 = ClientCurve(pair2.public, pair2.secret, keys.server_public(curve_service.home))
    with BridgeClient(curve_service.client_endpoint, curve=curve2, timeout=2) as c:
        with pytest.raises((AccessRefused, BridgeUnavailable)):
            c.ping()


SRC = "def twice(self, n):\n    return 2 * n\n"


def _curve_of(svc, name):
    return ClientCurve.from_home(svc.home, name)


def test_unauthenticated_client_cannot_define_set_or_send(curve_service):
    keys.new_client(curve_service.home, "intruder", authorize=False)
    with BridgeClient(curve_service.client_endpoint, curve=_curve_of(curve_service, "intruder"),
                      timeout=5) as c:
        for call in (lambda: c.define_method(SRC, name="Object"),
                     lambda: c.set_slot("owner", "intruder", name="Object"),
                     lambda: c.send_message("twice", 2, name="Object").result()):
            with pytest.raises(AccessRefused) as e:
                call()
            assert "not on the allow-list" in str(e.value)
            assert "python3 master_forge.py keys allow" in str(e.value)
    with BridgeClient(curve_service.client_endpoint, curve=ClientCurve.from_home(curve_service.home),
                      timeout=10) as c:
        view = c.inspect(name="Object")
        assert not any(s.name == "owner" for s in view.slots)
        assert not any(m.selector == "twice" for m in view.methods)


def test_authorized_key_defines_sets_and_sends_as_its_author(curve_service):
    keys.new_client(curve_service.home, "operator")
    with BridgeClient(curve_service.client_endpoint, curve=_curve_of(curve_service, "operator"),
                      timeout=20) as c:
        ack = c.define_method(SRC, name="Object", note="teach twice")
        method = next(m for m in ack.object.methods if m.selector == "twice")
        assert method.provenance["author"] == "key:operator"
        c.set_slot("owner", "operator", name="Object")
        assert c.send_message("twice", 21, name="Object").result().value == 42
    log = (curve_service.home / "log" / "service.log").read_text()
    audit = [ln for ln in log.splitlines() if "telos.audit" in ln]
    assert any("key:operator DEFINE_METHOD Object.twice (thought" in ln for ln in audit), audit
    assert any("key:operator SET_SLOT Object.owner (thought" in ln for ln in audit), audit
    assert any("key:operator SEND_MESSAGE Object.twice (thought" in ln for ln in audit), audit


def test_read_only_key_reads_and_is_refused_writes(curve_service):
    keys.new_client(curve_service.home, "dashboard", role=keys.RO)
    with BridgeClient(curve_service.client_endpoint, curve=_curve_of(curve_service, "dashboard"),
                      timeout=20) as c:
        assert c.status().status_text == "ready"
        assert any(p.name == "Object" for p in c.list_prototypes().prototypes)
        assert c.inspect(name="Object").name == "Object"
        for call in (lambda: c.define_method(SRC, name="Object"),
                     lambda: c.set_slot("owner", "dashboard", name="Object"),
                     lambda: c.send_message("twice", 2, name="Object").result(),
                     lambda: c.ask("hello", persona="BRICK").result(),
                     lambda: c.shutdown("no")):
            with pytest.raises(RemoteError) as e:
                call()
            assert e.value.code == P.FORBIDDEN, e.value
            assert "read-only" in e.value.remote_message
    assert curve_service.proc.poll() is None          # the shutdown was refused
