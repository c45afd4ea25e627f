"""telos.service.metrics: the bridge's observer hooks as Prometheus metrics, and /health."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from telos.service.metrics import HealthServer, ServiceMetrics


_open = urllib.request.build_opener(urllib.request.ProxyHandler({})).open   # loopback: no proxy


def _value(m: ServiceMetrics, name: str, **labels) -> float | None:
    return m.registry.get_sample_value(name, labels or None)


def test_the_observer_hooks_count_requests_errors_tokens_and_latency():
    m = ServiceMetrics()
    m.request_started("PING")
    m.request_started("USER_QUERY_REQUEST")
    assert _value(m, "telos_bridge_in_flight") == 2
    m.first_token("USER_QUERY_REQUEST", 0.2)
    m.token("BRICK")
    m.token("BRICK")
    m.request_finished("USER_QUERY_REQUEST", None, 1.5)
    m.request_finished("PING", "busy", 0.001)
    m.frame_rejected("bad_json")
    m.commit()
    m.conflict()
    assert _value(m, "telos_bridge_in_flight") == 0
    assert _value(m, "telos_bridge_requests_total", command="PING") == 1
    assert _value(m, "telos_bridge_errors_total", code="busy") == 1
    assert _value(m, "telos_bridge_errors_total", code="bad_json") == 1
    assert _value(m, "telos_tokens_total", persona="BRICK") == 2
    assert _value(m, "telos_time_to_first_token_seconds_count") == 1
    assert _value(m, "telos_bridge_request_seconds_sum", command="USER_QUERY_REQUEST") == 1.5
    assert _value(m, "telos_commits_total") == 1 and _value(m, "telos_conflicts_total") == 1


def test_each_service_has_its_own_registry():
    a, b = ServiceMetrics(), ServiceMetrics()
    a.commit()
    assert _value(a, "telos_commits_total") == 1 and _value(b, "telos_commits_total") == 0


@pytest.fixture
def health_server():
    state = {"ok": True, "state": "serving"}
    m = ServiceMetrics()
    srv = HealthServer(m, lambda: dict(state), "127.0.0.1", 0).start()
    try:
        yield srv, m, state
    finally:
        srv.stop()


def test_health_is_200_when_ok_and_503_otherwise(health_server):
    srv, _m, state = health_server
    assert srv.host == "127.0.0.1" and srv.port > 0
    with _open(srv.url + "/health", timeout=10) as r:
        assert r.status == 200 and json.loads(r.read()) == {"ok": True, "state": "serving"}
    state.update(ok=False, state="stopping")
    with pytest.raises(urllib.error.HTTPError) as info:
        _open(srv.url + "/health", timeout=10)
    assert info.value.code == 503 and json.loads(info.value.read())["state"] == "stopping"


def test_any_other_path_is_the_prometheus_exposition(health_server):
    srv, m, _state = health_server
    m.token("ALFRED")
    with _open(srv.url + "/metrics", timeout=10) as r:
        text = r.read().decode()
    assert 'telos_tokens_total{persona="ALFRED"} 1.0' in text
