"""telos/service/process.py without starting the service: the service file, what the Service
tells the status board (state, connection, model), and the maintenance schedule over a private
area registry (the running service: test_lifecycle.py, test_maintenance.py)."""

from __future__ import annotations

import types

import pytest

from telos.area import Area
from telos.areas import AreaRegistry
from telos.errors import BackupDiskFullError
from telos.scope import Progress
from telos.service import process
from telos.service.process import Service, read_service_file, service_file


@pytest.fixture
def service(telos_home):
    return Service(telos_home, file=True)


def test_the_service_file_lives_in_the_private_run_dir(telos_home):
    assert service_file(telos_home) == telos_home / "run" / "service.json"
    assert read_service_file(telos_home) is None
    service_file(telos_home).write_text("{torn")
    assert read_service_file(telos_home) is None
    service_file(telos_home).write_text('{"pid": 7}')
    assert read_service_file(telos_home) == {"pid": 7}


def test_a_file_service_needs_no_zeo(service, telos_home):
    assert service.zeo is None and service.db_server is None and service.file
    assert service.endpoint == f"ipc://{telos_home}/run/bridge.sock"
    assert service.connection_text() == "opening"


def test_a_zeo_service_waits_for_its_server(telos_home):
    svc = Service(telos_home, zeo="127.0.0.1:8100")
    assert svc.connection_text() == "waiting for zeo:127.0.0.1:8100"


@pytest.mark.parametrize("state, problem, activity, text", [
    ("serving", None, "", "ready"),
    ("starting", None, "", "starting"),
    ("serving", "ZEO gone", "", "ready — database unreachable"),
    ("serving", None, "backup: 3/12", "ready — backup: 3/12"),
    ("draining", None, "", "draining"),
])
def test_state_text(service, state, problem, activity, text):
    service.state, service.database_problem, service.activity = state, problem, activity
    assert service.state_text() == text


def test_the_first_stop_reason_is_kept(service):
    service.request_stop("SIGTERM")
    service.request_stop("SHUTDOWN_REQUEST r1")
    assert service._stop.is_set() and service._stop_reason == "SIGTERM"


def test_model_state(service):
    assert service.model_state().stage == "starting" and service.responder_name() == ""
    service._responder = types.SimpleNamespace(name="scripted")
    assert service.model_state() == Progress("ready", "scripted")
    backend = types.SimpleNamespace(
        readiness=lambda: Progress("loading", "loading phi3", None, 0.5))
    service._responder = types.SimpleNamespace(name="ollama", backend=backend)
    assert service.model_state().text() == "loading phi3: 50 %"
    service._warm_error = "the language model cannot start: no ollama"
    assert service.model_state() == Progress("failed", "the language model cannot start: no ollama")


def test_a_failing_warm_up_is_remembered_not_raised(service, monkeypatch):
    def broken():
        raise RuntimeError("no backend")
    monkeypatch.setattr(service, "responder", broken)
    service._warm()
    assert service.model_state().stage == "failed"
    assert "no backend" in service.model_state().detail


def test_progress_shows_long_work_as_activity(service):
    status = service._progress("backups")
    status("backup", 3, 12)
    assert service.activity == "backup: 3/12"
    status("curate", 5, None)
    assert service.activity == "curate: 5"


# -- maintenance --------------------------------------------------------------------------------

class Session:
    def __init__(self):
        self.refreshed = self.aborted = 0

    def refresh(self):
        self.refreshed += 1

    def abort(self):
        self.aborted += 1


class Ticking(Area):
    def __init__(self, name, every, fail=None):
        self.name, self.maintain_every, self.fail, self.runs = name, every, fail, 0

    def maintain(self, image, status):
        self.runs += 1
        status("work", 1, 2)
        if self.fail:
            raise self.fail


@pytest.fixture
def areas(monkeypatch):
    reg = AreaRegistry(builtin=())
    monkeypatch.setattr(process, "REGISTRY", reg)
    return reg


def test_an_area_runs_one_interval_after_it_is_first_seen_then_every_interval(service, areas):
    fast, slow, never = Ticking("fast", 10), Ticking("slow", 100), Ticking("never", None)
    for a in (fast, slow, never):
        areas.register(a)
    last: dict = {}
    session = Session()
    service._maintain_due(session, last, now=1000.0)
    assert (fast.runs, slow.runs) == (0, 0)
    service._maintain_due(session, last, now=1010.0)
    assert (fast.runs, slow.runs, never.runs) == (1, 0, 0)
    service._maintain_due(session, last, now=1015.0)
    assert fast.runs == 1
    service._maintain_due(session, last, now=1100.0)
    assert (fast.runs, slow.runs, never.runs) == (2, 1, 0)
    assert session.refreshed == 3 and service.activity == ""


@pytest.mark.parametrize("error, logged", [
    (BackupDiskFullError("/backups"), "maintenance of broken: disk full writing /backups"),
    (ZeroDivisionError("bug"), "maintenance of broken failed; the other areas go on"),
])
def test_a_failing_area_is_logged_aborted_and_the_others_go_on(service, areas, caplog, error,
                                                               logged):
    broken, fine = Ticking("broken", 1, fail=error), Ticking("fine", 1)
    areas.register(broken)
    areas.register(fine)
    session = Session()
    last = {"broken": 0.0, "fine": 0.0}
    service._maintain_due(session, last, now=5.0)
    assert (broken.runs, fine.runs) == (1, 1)
    assert session.aborted == 1 and logged in caplog.text
    assert service.activity == ""
