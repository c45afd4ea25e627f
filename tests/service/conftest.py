"""A real service process (``python -m telos.cli serve``) on a temporary home, attached to a real
ZEO server, answering queries with the scripted test responder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from telos.sockets import wait_for_unix_socket

REPO = Path(__file__).resolve().parents[2]
PY = sys.executable
SCRIPTED = "tests.service.scripted:factory"


def short_dir(prefix: str = "tb") -> Path:
    """ipc:// paths must stay under ~100 bytes: sockets live in a short /tmp directory."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))


def service_env(home: Path, **extra: str) -> dict:
    env = dict(os.environ)
    env.update({"TELOS_HOME": str(home), "PYTHONPATH": str(REPO), "TELOS_RESPONDER": SCRIPTED,
                "TELOS_METRICS": "127.0.0.1:0", "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1",
                "TRANSFORMERS_OFFLINE": "1", "KIVY_NO_ARGS": "1"})
    env.pop("TELOS_ZEO", None)
    env.update(extra)
    return env


class ServiceProc:
    def __init__(self, home: Path, endpoint: str, args: list[str], env: dict):
        self.home, self.endpoint = home, endpoint
        self.out = open(home / "service.stdout", "ab")
        self.proc = subprocess.Popen([PY, "-m", "telos.cli", "serve", *args], cwd=REPO, env=env,
                                     stdout=self.out, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def wait_ready(self, timeout: float = 120.0) -> None:
        from telos.bridge.client import BridgeClient
        with BridgeClient(self.endpoint, curve=None if "tcp" not in self.endpoint else "auto",
                          home=self.home, timeout=2) as c:
            deadline = time.monotonic() + timeout
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"service exited {self.proc.returncode}: {self.log()[-3000:]}")
                try:
                    c.wait_ready(timeout=2, interval=0.2)
                    return
                except Exception:
                    if time.monotonic() > deadline:
                        raise

    def info(self) -> dict:
        return json.loads((self.home / "run" / "service.json").read_text())

    def log(self) -> str:
        self.out.flush()
        return (self.home / "service.stdout").read_text(errors="replace")

    def stop(self, timeout: float = 30.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.out.close()
        return self.proc.returncode


def start_service(home: Path, *, zeo: str | None = None, endpoint: str | None = None,
                  args: tuple[str, ...] = (), ready: bool = True, storage: str | None = None,
                  **env: str) -> ServiceProc:
    """``zeo``: attach to that ZEO server; ``storage``: TELOS_STORAGE (e.g. a postgresql:// DSN:
    the service opens it itself); neither: ``--file``."""
    home.mkdir(parents=True, exist_ok=True)
    endpoint = endpoint or f"ipc://{short_dir()}/bridge.sock"
    argv = ["--endpoint", endpoint, *args]
    if storage:
        env["TELOS_STORAGE"] = storage
    else:
        argv += ["--zeo", zeo] if zeo else ["--file"]
    svc = ServiceProc(home, endpoint, argv, service_env(home, **env))
    if ready:
        svc.wait_ready()
    return svc


@pytest.fixture(scope="module")
def zeo_module(tmp_path_factory):
    """A real runzeo for the whole module (unix socket in a short directory)."""
    d = short_dir("tz")
    sock = d / "zeo.sock"
    data = tmp_path_factory.mktemp("zeo") / "Data.fs"
    log = open(d / "zeo.log", "w")
    proc = subprocess.Popen([PY, "-m", "ZEO.runzeo", "-a", str(sock), "-f", str(data)],
                            stdout=log, stderr=subprocess.STDOUT)
    wait_for_unix_socket(sock, 60, alive=lambda: proc.poll() is None, what="runzeo")
    yield str(sock)
    proc.terminate()
    proc.wait(20)
    log.close()


@pytest.fixture(scope="module")
def service(tmp_path_factory, zeo_module):
    """One real service process per test module, attached to ``zeo_module``."""
    svc = start_service(tmp_path_factory.mktemp("svc") / "home", zeo=zeo_module)
    yield svc
    assert svc.stop() == 0, svc.log()[-3000:]


@pytest.fixture
def client(service):
    from telos.bridge.client import BridgeClient
    with BridgeClient(service.endpoint, curve=None, timeout=60) as c:
        yield c
