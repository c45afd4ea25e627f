"""The home is private to the service's user: umask 077 for everything the service and the CLI
write (image, logs, keys, sockets), the home itself 0700, and supervisord told the same."""

from __future__ import annotations

import configparser
import os
import stat
import subprocess
import sys

from telos.bridge.client import BridgeClient
from telos.service import supervisor
from tests.service.conftest import REPO, service_env, short_dir, start_service


def _mode(p) -> int:
    return stat.S_IMODE(os.lstat(p).st_mode)


def test_service_and_cli_leave_nothing_readable_by_others():
    home = short_dir("th")
    os.chmod(home, 0o755)                        # as a shared machine's default would leave it
    (home / "run").mkdir(mode=0o755)
    os.chmod(home / "run", 0o755)
    endpoint = f"ipc://{home}/run/bridge.sock"
    svc = start_service(home, endpoint=endpoint)
    try:
        with BridgeClient(endpoint, curve=None, timeout=30) as c:
            c.set_slot("secret", "only mine", name="Object")
        out = subprocess.run([sys.executable, "-m", "telos.cli", "keys", "list"], cwd=REPO,
                             env=service_env(home), capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert _mode(home) == 0o700
        assert _mode(home / "run") == 0o700
        assert _mode(home / "run" / "bridge.sock") & 0o077 == 0
        exposed = [str(p) for p in home.rglob("*")
                   if p.name != "service.stdout" and _mode(p) & 0o077]   # (the test's own file)
        assert exposed == [], exposed
        assert (home / "telos.fs").exists() and (home / "keys" / "client.key_secret").exists()
        assert any((home / "log").iterdir())
    finally:
        assert svc.stop() == 0, svc.log()[-3000:]


def test_supervisord_conf_sets_umask_077_and_a_private_home(tmp_path):
    home = tmp_path / "shared"
    home.mkdir()
    os.chmod(home, 0o755)
    conf = supervisor.write_supervisord_conf(home, REPO, sys.executable)
    cp = configparser.RawConfigParser(inline_comment_prefixes=(";",))
    cp.read_string(conf.read_text())
    assert cp["supervisord"]["umask"] == "077"
    assert _mode(home) == 0o700
