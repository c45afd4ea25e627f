"""telos/bridge/client.py without a service: where it connects, CURVE chosen from the endpoint,
what submit refuses, and a silent endpoint reported as BridgeUnavailable (short timeouts; the
client against a real server: test_server.py, test_call.py)."""

from __future__ import annotations

import pytest

from telos.bridge import keys
from telos.bridge import protocol as P
from telos.bridge.client import BridgeClient, running_service
from telos.errors import AccessRefused, BridgeError, BridgeUnavailable, ProtocolError


@pytest.fixture
def nowhere(tmp_path):
    """An ipc endpoint nothing listens on."""
    return f"ipc://{tmp_path}/nobody.sock"


def test_the_default_endpoint_is_the_homes_socket_without_curve(telos_home):
    c = BridgeClient(home=telos_home, start=False)
    assert c.endpoint == f"ipc://{telos_home}/run/bridge.sock"
    assert c.curve is None


def test_a_wildcard_tcp_endpoint_is_reached_on_loopback_with_curve(telos_home):
    keys.ensure_keys(telos_home)
    c = BridgeClient("tcp://0.0.0.0:5599", home=telos_home, start=False)
    assert c.endpoint == "tcp://127.0.0.1:5599"
    assert c.curve is not None
    assert c.curve.server_public == keys.server_public(telos_home)
    assert c.curve.public == keys.client_keys(telos_home).public


def test_curve_can_be_given_or_turned_off(telos_home, nowhere):
    assert BridgeClient(nowhere, curve=None, start=False).curve is None


def test_a_reply_kind_is_not_submitted(nowhere):
    with BridgeClient(nowhere) as c:
        with pytest.raises(ProtocolError, match="PONG is not a request") as err:
            c.submit(P.Pong(request_id="x"))
        assert err.value.code == P.NOT_A_REQUEST


def test_a_closed_or_unstarted_client_refuses_requests(nowhere):
    c = BridgeClient(nowhere, start=False)
    with pytest.raises(BridgeError, match="the bridge client is closed"):
        c.submit(P.Ping())
    c.start()
    c.close()
    c.close()                                              # closing twice is harmless
    with pytest.raises(BridgeError, match="closed"):
        c.submit(P.Ping())


def test_a_request_id_already_in_flight_is_refused(nowhere):
    with BridgeClient(nowhere) as c:
        first = P.Ping(request_id="same")
        c.submit(first, timeout=5)
        with pytest.raises(BridgeError, match="request_id same is already in flight"):
            c.submit(P.Ping(request_id="same"))


def test_a_client_the_service_refused_says_so_before_sending(nowhere):
    with BridgeClient(nowhere) as c:
        c.refused = "the service refused this client: its CURVE key is not on the allow-list"
        with pytest.raises(AccessRefused, match="not on the allow-list"):
            c.submit(P.Ping())


@pytest.mark.parametrize("direct", [True, False])
def test_silence_is_bridge_unavailable_naming_the_request(nowhere, direct):
    with BridgeClient(nowhere, direct=direct) as c:
        with pytest.raises(BridgeUnavailable) as err:
            c.request(P.Ping(request_id="lonely"), timeout=0.1)
    assert str(err.value).startswith(f"no word about PING lonely for 0.1 s from {nowhere}")
    assert "master_forge.py status" in str(err.value)


def test_wait_ready_gives_up_naming_the_endpoint(nowhere):
    with BridgeClient(nowhere) as c:
        with pytest.raises(BridgeUnavailable, match=f"service at {nowhere} not ready after 0.2 s"):
            c.wait_ready(timeout=0.2, interval=0.05)


def test_running_service_is_none_when_nothing_answers(telos_home):
    assert running_service(telos_home, timeout=0.1) is None
