"""The service's maintenance loop and status board over the area registry (telos.areas)."""

from __future__ import annotations

import logging

import pytest

from telos.area import Area, AreaStats
from telos.areas import REGISTRY
from telos.service.process import Service


class FakeSession:
    def __init__(self):
        self.aborted = 0

    def refresh(self):
        pass

    def abort(self):
        self.aborted += 1

    def area(self, name):
        return None


class Reporting(Area):
    name = "reporting"
    maintain_every = 60.0

    def __init__(self, service):
        self.service, self.seen = service, []

    def maintain(self, image, status):
        for n in range(1, 4):
            status("backup full", n, 3)
            self.seen.append(self.service.state_text())


class Failing(Area):
    name = "failing"
    maintain_every = 1.0

    def maintain(self, image, status):
        raise RuntimeError("the probe broke")

    def stats(self, image):
        raise RuntimeError("no stats today")


class Working(Area):
    name = "working"
    maintain_every = 1.0

    def __init__(self):
        self.runs = 0

    def maintain(self, image, status):
        self.runs += 1

    def stats(self, image):
        return AreaStats(state="busy", detail="working hard", counts={"widgets": 7}, last=12.5)


@pytest.fixture
def registered():
    names = []

    def register(area):
        REGISTRY.register(area)
        names.append(area.name)
        return area
    yield register
    for name in names:
        REGISTRY.unregister(name)


def test_scheduled_work_reports_progress_in_the_status_text(telos_home, registered):
    svc = Service(home=telos_home, file=True)
    svc.state = "serving"
    area = registered(Reporting(svc))
    svc._run_maintenance(FakeSession(), area)
    assert area.seen == ["ready — backup full: 1/3", "ready — backup full: 2/3",
                         "ready — backup full: 3/3"]
    assert svc.state_text() == "ready"                      # cleared when the work ends
    assert svc.status.snapshot().status_text == "ready"


def test_a_failing_area_is_logged_and_the_others_still_run(telos_home, registered, caplog):
    svc = Service(home=telos_home, file=True)
    registered(Failing())
    working = registered(Working())
    session = FakeSession()
    last: dict[str, float] = {}
    svc._maintain_due(session, last, 100.0)        # first sight: nothing runs yet
    assert working.runs == 0
    with caplog.at_level(logging.ERROR, logger="telos.service.process"):
        svc._maintain_due(session, last, 101.5)
        svc._maintain_due(session, last, 103.0)
    assert working.runs == 2
    assert sum("maintenance of failing failed" in r.getMessage() for r in caplog.records) == 2
    assert session.aborted == 2                     # the failed area's thought is dropped
    assert last["memory"] == 100.0                  # built-ins keep their own (longer) intervals


def test_the_status_board_shows_every_areas_stats(image, registered):
    svc = Service(file=True)
    registered(Working())
    registered(Failing())
    svc.status.refresh(image.session())
    snap = svc.status.snapshot()
    assert snap.areas["working"].counts == {"widgets": 7}
    assert (snap.areas["working"].state, snap.areas["working"].last) == ("busy", 12.5)
    assert snap.areas["failing"].state == "failed"
    assert "no stats today" in snap.areas["failing"].detail
    for name in ("memory", "kernel", "backups", "vsa"):
        assert snap.areas[name].state != "failed", (name, snap.areas[name])
    assert snap.memory == dict(snap.areas["memory"].counts)      # the older summary fields
    assert snap.index.state == "idle"
