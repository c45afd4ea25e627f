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


def test_roles_in_the_allow_list(telos_home):
    keys.ensure_keys(telos_home)
    local = keys.client_keys(telos_home).public
    viewer = keys.new_client(telos_home, "viewer", role=keys.RO)
    allow = keys.AllowList(telos_home)
    assert allow.lookup(local).role == keys.RW and allow.lookup(local).name == "client"
    assert allow.lookup(viewer.public).role == keys.RO
    assert allow.lookup(b"x" * 40) is None
    # promote: the entry moves to the rw directory; the cached lookup sees it at once
    keys.authorize_key(telos_home, keys.keys_dir(telos_home) / "viewer.key", role=keys.RW)
    assert allow.lookup(viewer.public).role == keys.RW
    assert not (keys.readonly_dir(telos_home) / "viewer.key").exists()
    # same file again (rw → rw) is not an error
    keys.authorize_key(telos_home, keys.authorized_dir(telos_home) / "viewer.key", role=keys.RW)
    # listed in both roles: the stricter wins
    import shutil
    shutil.copy(keys.authorized_dir(telos_home) / "viewer.key", keys.readonly_dir(telos_home))
    assert allow.lookup(viewer.public).role == keys.RO
    assert {p.parent.name for p in keys.revoke(telos_home, "viewer")} == {"authorized", "readonly"}
    assert allow.lookup(viewer.public) is None
    with pytest.raises(ConfigError, match="no client key named"):
        keys.revoke(telos_home, "viewer")
    with pytest.raises(ConfigError, match="role"):
        keys.new_client(telos_home, "x", role="admin")
    # a demoted local client is not re-promoted by ensure_keys
    keys.authorize_key(telos_home, keys.keys_dir(telos_home) / "client.key", role=keys.RO)
    keys.ensure_keys(telos_home)
    assert allow.lookup(local).role == keys.RO
