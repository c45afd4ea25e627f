"""Where the bridge listens, when CURVE is required, and the key files."""

from __future__ import annotations

import os
import stat

import pytest

from telos.bridge import endpoints, keys
from telos.errors import BridgeError, ConfigError


@pytest.mark.parametrize("endpoint, loop", [
    ("ipc:///tmp/x.sock", True), ("tcp://127.0.0.1:5555", True), ("tcp://localhost:1", True),
    ("tcp://[::1]:5555", True), ("tcp://0.0.0.0:5555", False), ("tcp://*:5555", False),
    ("tcp://10.1.2.3:5555", False), ("tcp://example.org:1", False)])
def test_loopback(endpoint, loop):
    assert endpoints.is_loopback(endpoint) is loop
    assert endpoints.curve_required(endpoint) is (not loop)


def test_curve_off_is_refused_beyond_loopback(monkeypatch):
    monkeypatch.setenv("TELOS_BRIDGE_CURVE", "off")
    assert endpoints.curve_required("ipc:///tmp/a") is False
    with pytest.raises(ConfigError):
        endpoints.curve_required("tcp://0.0.0.0:1")
    monkeypatch.setenv("TELOS_BRIDGE_CURVE", "on")
    assert endpoints.curve_required("tcp://127.0.0.1:1") is True


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


def test_keys_are_created_once_and_secret(telos_home):
    d = keys.ensure_keys(telos_home)
    first = keys.server_keys(telos_home)
    keys.ensure_keys(telos_home)
    assert keys.server_keys(telos_home) == first                       # never replaced
    assert stat.S_IMODE(os.stat(d / "server.key_secret").st_mode) == 0o600
    assert keys.client_keys(telos_home).public in keys.allowed_keys(telos_home)
    assert first.public not in keys.allowed_keys(telos_home)
    pair = keys.new_client(telos_home, "ui-laptop")
    assert pair.public in keys.allowed_keys(telos_home)
    with pytest.raises(BridgeError):
        keys.new_client(telos_home, "ui-laptop")
    with pytest.raises(ConfigError):
        keys.new_client(telos_home, "../evil")
    (keys.authorized_dir(telos_home) / "broken.key").write_text("garbage")
    assert len(keys.allowed_keys(telos_home)) == 2                     # skipped with a warning
