"""Shared fixtures: every test runs on its own temporary TELOS_HOME, never on ./var."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from telos.sockets import wait_for_unix_socket
from tests.ollama_standin import OllamaStandIn

REPO = Path(__file__).resolve().parent.parent
PY = sys.executable


@pytest.fixture(autouse=True)
def telos_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("TELOS_HOME", str(home))
    monkeypatch.delenv("TELOS_ZEO", raising=False)
    monkeypatch.delenv("TELOS_STORAGE", raising=False)
    monkeypatch.setenv("KIVY_NO_ARGS", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return home


@pytest.fixture
def image(telos_home):
    from telos import open_image
    im = open_image()
    yield im
    im.close()


@pytest.fixture
def standin_options() -> dict:
    """Keyword arguments of the :func:`standin` server. None by default: it answers only what a
    test scripts, and an unscripted request fails the test. A directory's conftest overrides
    this fixture to give its tests a default reply (tests/llm: ``"ok"``)."""
    return {}


@pytest.fixture
def standin(standin_options):
    """The Ollama stand-in (tests/ollama_standin.py), fresh for each test: the real ``ollama``
    client talks to it; it records every request, keep_alive and model load."""
    with OllamaStandIn(**standin_options) as srv:
        yield srv


@pytest.fixture
def zeo_server(tmp_path):
    """A real ZEO server (runzeo) on a unix socket over a fresh FileStorage; yields its address."""
    sock = tmp_path / "zeo.sock"
    fs = tmp_path / "zeo-data" / "Data.fs"
    fs.parent.mkdir()
    log = open(tmp_path / "zeo.log", "w")
    proc = subprocess.Popen([PY, "-m", "ZEO.runzeo", "-a", str(sock), "-f", str(fs)],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_unix_socket(sock, 30, alive=lambda: proc.poll() is None, what="ZEO server")
        yield str(sock)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def run_cli(*args: str, env: dict | None = None, input: str | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``python -m telos.cli ARGS`` in a child process (as master_forge.py does)."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = str(REPO)
    full_env.update(env or {})
    return subprocess.run([PY, "-m", "telos.cli", *args], cwd=REPO, env=full_env, input=input,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def cli():
    return run_cli


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# --- RelStorage on a real PostgreSQL (marker `relstorage`; run with -m relstorage) -------------

@pytest.fixture(scope="session")
def pg_cluster():
    """A private PostgreSQL cluster for the session (telos.pg), in a short /tmp home of its own:
    the test homes under pytest's 0700 tmp root are out of the postgres user's reach."""
    import shutil
    import tempfile
    from telos import pg
    if not pg.available():
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) are not installed: "
                    "apt-get install postgresql-15")
    home = Path(tempfile.mkdtemp(prefix="tpg", dir="/tmp"))
    pg.init(home)
    pg.start(home)
    try:
        yield home
    finally:
        pg.stop(home)
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def pg_database(pg_cluster, request):
    """A fresh database in the session cluster; yields its DSN, dropped afterwards."""
    import re
    from telos import pg
    name = "t_" + re.sub(r"\W", "_", request.node.name)[:40].lower() + "_" + os.urandom(3).hex()
    pg.create_database(pg_cluster, name)
    yield pg.dsn(pg_cluster, name)
    pg.drop_database(pg_cluster, name)


@pytest.fixture(params=["file", pytest.param("relstorage", marks=pytest.mark.relstorage)])
def storage(request, monkeypatch):
    """Run a test on FileStorage and (marker ``relstorage``) on RelStorage/PostgreSQL: sets
    TELOS_STORAGE for it. Use it with ``pytestmark = pytest.mark.usefixtures("storage")``."""
    if request.param == "relstorage":
        dsn = request.getfixturevalue("pg_database")
        monkeypatch.setenv("TELOS_STORAGE", dsn)
        return dsn
    return "file:"
