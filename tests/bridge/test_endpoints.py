"""telos/bridge/endpoints.py: where the bridge listens, when CURVE is required, metrics on
loopback."""

from __future__ import annotations

import os
import stat

import pytest

from telos.bridge import endpoints
from telos.errors import ConfigError


@pytest.mark.parametrize("endpoint, loop", [
    ("ipc:///tmp/x.sock", True), ("tcp://127.0.0.1:5555", True), ("tcp://localhost:1", True),
    ("tcp://[::1]:5555", True), ("tcp://0.0.0.0:5555", False), ("tcp://*:5555", False),
    ("tcp://10.1.2.3:5555", False), ("tcp://example.org:1", False)])
def test_loopback_and_curve_on_every_tcp_endpoint(endpoint, loop):
    assert endpoints.is_loopback(endpoint) is loop
    # any local user can reach a loopback port: CURVE on every tcp endpoint, never on ipc
    assert endpoints.curve_required(endpoint) is endpoint.startswith("tcp://")


def test_curve_off_is_refused_for_tcp_even_on_loopback(monkeypatch):
    monkeypatch.setenv("TELOS_BRIDGE_CURVE", "off")
    assert endpoints.curve_required("ipc:///tmp/a") is False
    for tcp in ("tcp://0.0.0.0:1", "tcp://127.0.0.1:1"):
        with pytest.raises(ConfigError, match="every tcp endpoint needs CURVE"):
            endpoints.curve_required(tcp)
    monkeypatch.setenv("TELOS_BRIDGE_CURVE", "on")
    assert endpoints.curve_required("tcp://127.0.0.1:1") is True
    assert endpoints.curve_required("ipc:///tmp/a") is True


def test_default_endpoint_and_bad_values(telos_home, monkeypatch):
    assert endpoints.bridge_endpoint() == f"ipc://{telos_home}/run/bridge.sock"
    for bad in ("udp://x:1", "tcp://hostonly", "nonsense"):
        monkeypatch.setenv("TELOS_BRIDGE", bad)
        with pytest.raises(ConfigError):
            endpoints.bridge_endpoint()
    with pytest.raises(ConfigError):
        endpoints.default_endpoint(telos_home / ("d" * 120))
    monkeypatch.setenv("TELOS_METRICS", "0.0.0.0:9000")
    with pytest.raises(ConfigError):
        endpoints.metrics_address()
    assert endpoints.client_endpoint("tcp://0.0.0.0:7") == "tcp://127.0.0.1:7"


@pytest.mark.parametrize("endpoint, message", [
    ("udp://x:1", "expected ipc://PATH or tcp://HOST:PORT"),
    ("ipc://", "expected ipc://PATH or tcp://HOST:PORT"),
    ("nonsense", "expected ipc://PATH or tcp://HOST:PORT"),
    ("tcp://hostonly", "a tcp endpoint needs a port"),
])
def test_check_names_the_setting_and_what_is_wrong(endpoint, message):
    with pytest.raises(ConfigError, match=message) as err:
        endpoints.check(endpoint)
    assert str(err.value).startswith(f"TELOS_BRIDGE={endpoint!r}")


def test_check_returns_a_good_endpoint():
    assert endpoints.check("tcp://127.0.0.1:5555") == "tcp://127.0.0.1:5555"


def test_telos_bridge_overrides_the_default(monkeypatch):
    monkeypatch.setenv("TELOS_BRIDGE", "tcp://127.0.0.1:5555")
    assert endpoints.bridge_endpoint() == "tcp://127.0.0.1:5555"


def test_the_default_socket_is_in_a_private_run_dir(tmp_path):
    home = tmp_path / "h"
    assert endpoints.default_endpoint(home) == f"ipc://{home}/run/bridge.sock"
    assert stat.S_IMODE(os.stat(home / "run").st_mode) == 0o700


def test_run_dir_tightens_an_open_directory_it_owns(tmp_path):
    (tmp_path / "run").mkdir(mode=0o755)
    os.chmod(tmp_path / "run", 0o755)
    d = endpoints.run_dir(tmp_path)
    assert d == tmp_path / "run" and stat.S_IMODE(os.stat(d).st_mode) == 0o700


def test_a_bad_curve_mode_is_named(monkeypatch):
    monkeypatch.setenv("TELOS_BRIDGE_CURVE", "maybe")
    with pytest.raises(ConfigError):
        endpoints.curve_required("ipc:///tmp/a")


@pytest.mark.parametrize("bound, client", [
    ("tcp://*:7", "tcp://127.0.0.1:7"),
    ("tcp://0.0.0.0:7", "tcp://127.0.0.1:7"),
    ("tcp://[::]:7", "tcp://[::1]:7"),
    ("tcp://10.0.0.5:7", "tcp://10.0.0.5:7"),
    ("ipc:///run/x.sock", "ipc:///run/x.sock"),
])
def test_client_endpoint_for_a_bound_endpoint(bound, client):
    assert endpoints.client_endpoint(bound) == client


@pytest.mark.parametrize("value, address", [
    ("off", None), ("OFF", None), ("127.0.0.1:9100", ("127.0.0.1", 9100)),
    (":9100", ("127.0.0.1", 9100)), ("localhost:0", ("localhost", 0)),
    ("::1:9100", ("::1", 9100)),
])
def test_metrics_address(monkeypatch, value, address):
    monkeypatch.setenv("TELOS_METRICS", value)
    assert endpoints.metrics_address() == address


def test_metrics_default_to_any_free_loopback_port():
    assert endpoints.metrics_address() == ("127.0.0.1", 0)


@pytest.mark.parametrize("value", ["10.0.0.1:9100", "example.org:9100"])
def test_metrics_beyond_loopback_are_refused(monkeypatch, value):
    monkeypatch.setenv("TELOS_METRICS", value)
    with pytest.raises(ConfigError, match="loopback only"):
        endpoints.metrics_address()


def test_the_bridge_settings_are_rows_of_the_one_table():
    assert {st.name for st in endpoints.SETTINGS} == {
        "bridge", "bridge_curve", "bridge_in_flight", "bridge_client_in_flight",
        "bridge_max_slot_bytes", "metrics"}
