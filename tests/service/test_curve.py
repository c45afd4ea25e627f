"""CURVE when the bridge is bound beyond loopback: only allow-listed client keys get answers."""

from __future__ import annotations

import socket

import pytest
import zmq

from telos.bridge import keys
from telos.bridge.client import BridgeClient, ClientCurve
from telos.errors import BridgeUnavailable
from tests.service.conftest import start_service


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture(scope="module")
def curve_service(tmp_path_factory):
    home = tmp_path_factory.mktemp("curve") / "home"
    home.mkdir()
    keys.ensure_keys(home)                      # what the forge does
    port = _free_port()
    svc = start_service(home, endpoint=f"tcp://0.0.0.0:{port}", ready=False)
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
        with pytest.raises(BridgeUnavailable):
            c.ping()
        assert c.connected is False
        refused = []
        while not c.events.empty():
            refused.append(c.events.get())
        assert any("authentication" in getattr(e, "detail", "") for e in refused), refused


def test_plain_client_gets_nothing(curve_service):
    with BridgeClient(curve_service.client_endpoint, curve=None, timeout=2) as c:
        with pytest.raises(BridgeUnavailable):
            c.ping()


def test_key_added_to_the_allow_list_works_at_once(curve_service):
    pair = keys.new_client(curve_service.home, "laptop")          # authorized while running
    curve = ClientCurve(pair.public, pair.secret, keys.server_public(curve_service.home))
    with BridgeClient(curve_service.client_endpoint, curve=curve, timeout=10) as c:
        assert c.ping().command == "PONG"
    pair2 = keys.new_client(curve_service.home, "not-yet", authorize=False)
    curve2 = ClientCurve(pair2.public, pair2.secret, keys.server_public(curve_service.home))
    with BridgeClient(curve_service.client_endpoint, curve=curve2, timeout=2) as c:
        with pytest.raises(BridgeUnavailable):
            c.ping()
