"""``ask``, ``search`` and ``remember`` on the command line go through the bridge when the
service runs (and open the image themselves with ``--local`` or when it doesn't)."""

from __future__ import annotations

import json

from tests.conftest import run_cli
from tests.service.conftest import service_env, short_dir, start_service


def test_cli_commands_go_through_the_running_service(zeo_module):
    home = short_dir("th")
    svc = start_service(home, zeo=zeo_module)
    env = service_env(home, TELOS_BRIDGE=svc.endpoint, TELOS_ZEO=zeo_module)
    try:
        r = run_cli("remember", "the kettle is in the left cupboard", env=env)
        assert r.returncode == 0, r.stderr
        assert "through the service" in r.stdout
        r = run_cli("search", "where is the kettle", "-k", "3", "--json", env=env)
        assert r.returncode == 0, r.stderr
        hits = json.loads(r.stdout)
        assert hits[0]["text"] == "the kettle is in the left cupboard" and hits[0]["tier"]
        r = run_cli("ask", "tick", "3", "--persona", "BABS", env=env)
        assert r.returncode == 0, r.stderr
        assert "BABS (through the service)" in r.stderr
        assert r.stdout.split() == ["tick:0", "tick:1", "tick:2"]   # the service's scripted stream
    finally:
        assert svc.stop() == 0


def test_cli_without_a_service_opens_the_image_itself(telos_home):
    env = {"TELOS_HOME": str(telos_home)}
    r = run_cli("remember", "a note kept locally", env=env)
    assert r.returncode == 0, r.stderr
    assert "through the service" not in r.stdout
    r = run_cli("search", "note", "--json", env=env)
    assert json.loads(r.stdout)[0]["text"] == "a note kept locally"
