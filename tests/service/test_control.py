"""telos/service/control.py without supervisord: start/stop/status/health decide from what the
supervisor module, the service file and the bridge report (each replaced by a recorder here; the
real ones run in test_supervisor.py and test_lifecycle.py)."""

from __future__ import annotations

import io
import json
import subprocess
import types
import urllib.error

import pytest

from telos.bridge import client as client_module
from telos.errors import BridgeUnavailable, ServiceError
from telos.service import control, supervisor


@pytest.fixture
def sup(monkeypatch):
    """The supervisor module's calls, recorded; ``state`` says what it reports."""
    state = types.SimpleNamespace(running=False, calls=[], programs=[{"name": "telos", "state":
                                                                      "RUNNING"}],
                                  ctl_rc=0, shutdown=True)

    def record(name, result=None):
        def fn(*args, **kwargs):
            state.calls.append((name, args[1:]))
            return result() if callable(result) else result
        return fn
    monkeypatch.setattr(supervisor, "is_running", lambda home: state.running)
    monkeypatch.setattr(supervisor, "write_supervisord_conf", record("write_conf"))
    monkeypatch.setattr(supervisor, "start_supervisord", record("start_supervisord", True))
    monkeypatch.setattr(supervisor, "ctl", record("ctl", lambda: subprocess.CompletedProcess(
        [], state.ctl_rc, stdout="out ", stderr="err")))
    monkeypatch.setattr(supervisor, "programs", lambda home: state.programs)
    monkeypatch.setattr(supervisor, "shutdown", record("shutdown", lambda: state.shutdown))
    return state


class FakeClient:
    """Stands in for BridgeClient: ``fail`` is raised by ping/wait_ready when set."""
    fail: Exception | None = None
    pings = 0

    def __init__(self, **kwargs):
        self.kwargs = kwargs

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def ping(self):
        FakeClient.pings += 1
        if FakeClient.fail:
            raise FakeClient.fail

    def wait_ready(self, timeout, interval):
        if FakeClient.fail:
            raise FakeClient.fail


@pytest.fixture
def bridge(monkeypatch):
    FakeClient.fail, FakeClient.pings = None, 0
    monkeypatch.setattr(client_module, "BridgeClient", FakeClient)
    return FakeClient


def test_start_writes_the_config_and_starts_supervisord(sup, telos_home, bridge):
    info = control.start(telos_home, wait=0)
    assert [c[0] for c in sup.calls] == ["write_conf", "start_supervisord"]
    assert info == {"ready": False, "bridge": f"ipc://{telos_home}/run/bridge.sock",
                    "programs": sup.programs}
    assert (telos_home / "keys").is_dir()                 # the keys exist before the service


def test_start_when_supervisord_runs_starts_its_programs(sup, telos_home, bridge):
    sup.running = True
    info = control.start(telos_home, wait=5)
    assert sup.calls == [("ctl", ("start", "all"))]
    assert info["ready"] is True


def test_wait_ready_gives_up_at_once_on_a_fatal_program(sup, telos_home, bridge):
    bridge.fail = BridgeUnavailable("no answer")
    sup.programs = [{"name": "telos", "state": "FATAL"}, {"name": "zeo", "state": "RUNNING"}]
    out = control.wait_ready(telos_home, timeout=60)
    assert out["ready"] is False
    assert out["error"].startswith("supervisord gave up on telos (FATAL)")
    assert str(telos_home / "log") in out["error"]


def test_wait_ready_reports_the_last_bridge_error_at_the_deadline(sup, telos_home, bridge):
    bridge.fail = BridgeUnavailable("the service did not answer")
    out = control.wait_ready(telos_home, timeout=0)
    assert out == {"ready": False, "error": "the service did not answer"}


def test_stop_shuts_supervisord_down(sup, telos_home):
    assert control.stop(telos_home) is True
    sup.shutdown = False
    assert control.stop(telos_home) is False
    assert [c[0] for c in sup.calls] == ["shutdown", "shutdown"]


def test_stop_programs_only(sup, telos_home):
    assert control.stop(telos_home, programs_only=True) is False     # supervisord not running
    assert sup.calls == []
    sup.running = True
    assert control.stop(telos_home, programs_only=True) is True
    assert sup.calls == [("ctl", ("stop", "all"))]
    sup.ctl_rc = 2
    with pytest.raises(ServiceError, match="supervisorctl stop all failed: out err"):
        control.stop(telos_home, programs_only=True)


def test_an_invalid_bridge_setting_is_shown_not_raised(telos_home, monkeypatch):
    monkeypatch.setenv("TELOS_BRIDGE", "udp://nowhere")
    assert control._endpoint(telos_home).startswith("(invalid: TELOS_BRIDGE='udp://nowhere'")


def test_health_without_a_service_file_pings_the_bridge(telos_home, bridge):
    out = control.health(telos_home)
    assert out["service_file"] is None and "health" not in out
    assert out["bridge_ok"] is True and out["bridge_ping_ms"] >= 0 and bridge.pings == 1


def test_health_reports_a_bridge_that_does_not_answer(telos_home, bridge):
    bridge.fail = BridgeUnavailable("the service did not answer in 2 s")
    out = control.health(telos_home)
    assert out["bridge_ok"] is False and out["bridge_error"] == "the service did not answer in 2 s"


def _service_file(monkeypatch, content):
    monkeypatch.setattr(control, "read_service_file", lambda home: content)


class Response(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("answer, expected", [
    (lambda: Response(b'{"ok": true, "image": "open"}'), {"ok": True, "image": "open"}),
    (lambda: (_ for _ in ()).throw(urllib.error.HTTPError(
        "http://h/health", 503, "down", {}, io.BytesIO(b'{"ok": false, "why": "zeo"}'))),
     {"ok": False, "why": "zeo"}),
    (lambda: (_ for _ in ()).throw(urllib.error.HTTPError(
        "http://h/health", 500, "err", {}, io.BytesIO(b""))), {"ok": False, "http": 500}),
    (lambda: (_ for _ in ()).throw(ConnectionRefusedError("refused")),
     {"ok": False, "error": "refused"}),
])
def test_health_reads_the_health_endpoint(telos_home, bridge, monkeypatch, answer, expected):
    _service_file(monkeypatch, {"health": "http://h/health", "pid": 1})
    monkeypatch.setattr(control.urllib.request, "urlopen", lambda url, timeout: answer())
    out = control.health(telos_home)
    assert out["health"] == expected and out["service_file"]["pid"] == 1


def test_status_of_a_home_without_supervisord(sup, telos_home, bridge):
    out = control.status(telos_home)
    assert out["supervisord"] is False and out["programs"] == []
    assert out["home"] == str(telos_home) and out["bridge"].startswith("ipc://")
    assert out["service"]["bridge_ok"] is True
    json.dumps(out)                                         # printable as JSON by `status --json`


def test_status_lists_programs_when_supervisord_runs(sup, telos_home, bridge):
    sup.running = True
    assert control.status(telos_home)["programs"] == sup.programs
