"""The service's maintenance loop: scheduled work gets a progress callback shown in the status."""

from __future__ import annotations

from telos.service.process import MAINTENANCE, Service


class FakeBackups:
    def __init__(self, service):
        self.service, self.seen = service, []

    def run_due(self, *, status=None):
        for n in range(1, 4):
            status("backup full", n, 3)
            self.seen.append(self.service.state_text())


class FakeSession:
    def __init__(self, service):
        self.backups = FakeBackups(service)

    def refresh(self):
        pass


def test_scheduled_work_reports_progress_in_the_status_text(telos_home):
    svc = Service(home=telos_home, file=True)
    svc.state = "serving"
    session = FakeSession(svc)
    svc._run_maintenance(session, "backups", ("run_due",))
    assert session.backups.seen == ["ready — backup full: 1/3", "ready — backup full: 2/3",
                                    "ready — backup full: 3/3"]
    assert svc.state_text() == "ready"                      # cleared when the work ends
    assert svc.status.snapshot().status_text == "ready"


def test_the_schedule_names_every_area_job():
    areas = {area: names for area, names, _ in MAINTENANCE}
    assert areas["backups"] == ("run_due",) and areas["vsa"] == ("curate",)
    assert "maintain" in areas["memory"]
