"""telos/bridge/keys.py: the CURVE key files, created once and secret; the allow-list with roles."""

from __future__ import annotations

import os
import stat

import pytest

from telos.bridge import keys
from telos.errors import BridgeError, ConfigError


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
