"""The service process's life: waiting for ZEO in slices, SIGTERM, SHUTDOWN_REQUEST."""

from __future__ import annotations

import signal
import subprocess
import time

import pytest

from telos.bridge.client import BridgeClient
from telos.errors import BridgeUnavailable, RemoteError
from tests.service.conftest import PY, short_dir, start_service
from tests.service.scripted import expected


def _logs(svc) -> str:
    path = svc.home / "log" / "service.log"
    return svc.log() + (path.read_text(errors="replace") if path.exists() else "")


def _wait_log(svc, text: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while text not in _logs(svc):
        assert svc.proc.poll() is None, svc.log()[-2000:]
        assert time.monotonic() < deadline, f"{text!r} never logged: {svc.log()[-2000:]}"
        time.sleep(0.1)


def test_sigterm_lets_the_stream_finish_then_exits_cleanly(tmp_path):
    svc = start_service(tmp_path / "home", args=("--grace", "20"))
    with BridgeClient(svc.endpoint, curve=None, timeout=30) as c:
        call = c.ask("slow 30 50")
        first = call.next_message()
        svc.proc.send_signal(signal.SIGTERM)
        rest = [p.token for p in call]
        assert [first.token] + rest == expected("slow", 30)
        assert call.final.full_text == "".join(expected("slow", 30))
        assert svc.proc.wait(60) == 0
    assert not (svc.home / "run" / "service.json").exists()
    assert "service stopped" in (svc.home / "log" / "service.log").read_text()


def test_sigterm_cancels_what_outlives_the_grace(tmp_path):
    svc = start_service(tmp_path / "home", args=("--grace", "1"))
    with BridgeClient(svc.endpoint, curve=None, timeout=30) as c:
        call = c.ask("endless 100000 20")
        call.next_message()
        svc.proc.send_signal(signal.SIGTERM)
        assert svc.proc.wait(60) == 0
        with pytest.raises(BridgeUnavailable):
            for _ in call:
                pass
        assert call.final is None
    assert "cancelled 1 request(s)" in _logs(svc)


def test_waits_for_zeo_and_serves_once_it_appears(tmp_path):
    d = short_dir("tz")
    sock = d / "zeo.sock"
    svc = start_service(tmp_path / "home", zeo=str(sock), ready=False)
    _wait_log(svc, "waiting for ZEO")
    zeo = subprocess.Popen([PY, "-m", "ZEO.runzeo", "-a", str(sock), "-f", str(tmp_path / "Data.fs")],
                           stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        svc.wait_ready(120)
        with BridgeClient(svc.endpoint, curve=None, timeout=30) as c:
            assert c.status().connection == f"zeo:{sock}"
        assert svc.stop() == 0
    finally:
        zeo.terminate()
        zeo.wait(20)


def test_sigterm_while_waiting_for_zeo(tmp_path):
    svc = start_service(tmp_path / "home", zeo=str(short_dir("tz") / "absent.sock"), ready=False)
    _wait_log(svc, "waiting for ZEO")
    svc.proc.send_signal(signal.SIGTERM)
    assert svc.proc.wait(30) == 0


def test_shutdown_request(tmp_path):
    svc = start_service(tmp_path / "home")
    with BridgeClient(svc.endpoint, curve=None, timeout=30) as c:
        ack = c.shutdown("test over")
        assert ack.of == "SHUTDOWN_REQUEST"
        assert svc.proc.wait(60) == 0
        with pytest.raises((BridgeUnavailable, RemoteError)):
            c.request(__import__("telos.bridge.protocol", fromlist=["Ping"]).Ping(), timeout=1)
