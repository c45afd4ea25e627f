"""A real TelOS stack on a temporary home, for the UI tests and ``bench ui``.

ZEO (``runzeo``) over ``HOME/telos.fs``, the service (``python -m telos.cli serve``) as a child
process attached to it, and the language model answered by the project's Ollama STAND-IN
(``tests/ollama_standin.py``, the only stand-in allowed) through the real ``ollama`` client in
the service. Nothing of the UI's is faked: the UI under test talks to this service over the
real bridge.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from telos.sockets import wait_for_unix_socket

REPO = Path(__file__).resolve().parents[2]
PY = sys.executable


def _env(home: Path, extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env.update({"TELOS_HOME": str(home), "PYTHONPATH": str(REPO), "KIVY_NO_ARGS": "1",
                "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1"})
    env.pop("TELOS_ZEO", None)
    env.pop("TELOS_BRIDGE", None)
    env.update(extra or {})
    return env


class Stack:
    def __init__(self, home: Path, ollama_url: str, *, workers: int = 2, standin=None):
        self.home = Path(home)
        self.standin = standin          # the OllamaStandIn at ollama_url, when the caller owns one
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "run").mkdir(exist_ok=True)
        self.ollama_url = ollama_url
        self.workers = workers
        self.zeo_sock = self.home / "run" / "zeo.sock"
        self.endpoint = f"ipc://{self.home / 'run' / 'bridge.sock'}"
        self.zeo: subprocess.Popen | None = None
        self.service: subprocess.Popen | None = None
        self._logs: list = []

    # --- processes ---------------------------------------------------------------------------
    def _log(self, name: str):
        f = open(self.home / f"{name}.out", "a")
        self._logs.append(f)
        return f

    def start_zeo(self, timeout: float = 60.0) -> None:
        self.zeo = subprocess.Popen([PY, "-m", "ZEO.runzeo", "-a", str(self.zeo_sock),
                                     "-f", str(self.home / "telos.fs")],
                                    stdout=self._log("zeo"), stderr=subprocess.STDOUT)
        wait_for_unix_socket(self.zeo_sock, timeout, alive=lambda: self.zeo.poll() is None,
                             what=f"runzeo (see {self.home}/zeo.out)")

    def configure_image(self) -> None:
        """Awaken the image and point its LLM configuration at the Ollama stand-in (a shell)."""
        code = ("cfg = image.prototypes['Config']\n"
                f"with image.thought('ui tests: use the Ollama stand-in', user='tests'):\n"
                f"    cfg.ollama_host = {self.ollama_url!r}\n"
                "    cfg.llm_backend = 'ollama'\n")
        out = self.shell(code)
        if out.returncode != 0:
            raise RuntimeError(f"configuring the image failed:\n{out.stdout}\n{out.stderr}")

    def start_service(self, timeout: float = 120.0) -> None:
        env = _env(self.home, {"OLLAMA_HOST": self.ollama_url, "TELOS_LLM_BACKEND": "ollama",
                               "TELOS_METRICS": "off"})
        self.service = subprocess.Popen(
            [PY, "-m", "telos.cli", "serve", "--zeo", str(self.zeo_sock), "--workers", str(self.workers),
             "--grace", "2"], cwd=REPO, env=env, stdout=self._log("service"), stderr=subprocess.STDOUT)
        from telos.bridge.client import BridgeClient

        client = BridgeClient(self.endpoint, timeout=5)
        try:
            deadline = time.monotonic() + timeout
            while True:
                if self.service.poll() is not None:
                    raise RuntimeError(f"the service exited with {self.service.returncode}:\n"
                                       + (self.home / "service.out").read_text()[-3000:])
                try:
                    client.wait_ready(timeout=2.0, interval=0.2)
                    return
                except Exception:
                    if time.monotonic() > deadline:
                        raise
        finally:
            client.close()

    def kill_service(self) -> None:
        """SIGKILL: the service gets no chance to say goodbye (a crash, not a shutdown)."""
        if self.service is not None and self.service.poll() is None:
            self.service.send_signal(signal.SIGKILL)
            self.service.wait(30)
        self.service = None

    def stop(self) -> None:
        for proc in (self.service, self.zeo):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(10)
        self.service = self.zeo = None
        for f in self._logs:
            f.close()
        self._logs = []

    # --- a separate process reading the image --------------------------------------------------
    def shell(self, code: str, timeout: float = 180.0) -> subprocess.CompletedProcess:
        """``python -m telos.cli shell -c CODE`` attached to this stack's ZEO."""
        return self.cli("shell", "-c", code, timeout=timeout)

    def cli(self, *args: str, timeout: float = 180.0) -> subprocess.CompletedProcess:
        """``python -m telos.cli ARGS`` (what ``master_forge.py ARGS`` runs) attached to this
        stack's ZEO, e.g. ``cli("backup", "--full")``."""
        env = _env(self.home, {"TELOS_ZEO": str(self.zeo_sock)})
        return subprocess.run([PY, "-m", "telos.cli", *args], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=timeout)


def click(ui, widget) -> None:
    """A real touch (down, up) at the widget's centre, through the window."""
    from kivy.tests.common import UnitTestTouch

    x, y = widget.to_window(*widget.center)
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    ui.frames(1)
    touch.touch_up()
    ui.frames(2)
