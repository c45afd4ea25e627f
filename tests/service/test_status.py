"""telos/service/status.py over a stand-in service and a private area registry: each area's
stats as the protocol carries them (a failing area shown, never spreading), the index state,
loaded models, and the board's snapshot and health."""

from __future__ import annotations

import types

import pytest

from telos.area import Area, AreaStats
from telos.areas import AreaRegistry
from telos.bridge import protocol as P
from telos.service import status as S


class Gauge:
    def __init__(self):
        self.values: dict = {}

    def labels(self, name):
        gauge = self

        class Child:
            def set(self, v):
                gauge.values[name] = v
        return Child()

    def set(self, v):
        self.values[None] = v


class Backend:
    name = "ollama"

    def __init__(self, loaded=(), fail=False):
        self._loaded, self.fail = list(loaded), fail

    def loaded(self):
        if self.fail:
            raise ConnectionError("ollama is gone")
        return self._loaded


class StandInService:
    def __init__(self, backend=None):
        self.metrics = types.SimpleNamespace(memory=Gauge(), model_vram=Gauge(), vram=Gauge(),
                                             last_backup=Gauge())
        self.state, self.database_problem, self.bridge = "serving", None, None
        self.started_at = 1000.0
        self.backend = backend

    def responder_if_loaded(self):
        return types.SimpleNamespace(backend=self.backend) if self.backend else None

    def responder_name(self):
        return "scripted"

    def state_text(self):
        return f"{self.state}"

    def connection_text(self):
        return "file"

    def model_state(self):
        return types.SimpleNamespace(stage="ready", text=lambda: "model ready")


def _area(name, stats):
    def stats_hook(self, image):
        if isinstance(stats, Exception):
            raise stats
        return stats
    return type(f"A_{name}", (Area,), {"name": name, "stats": stats_hook})()


@pytest.fixture
def registry(monkeypatch):
    reg = AreaRegistry(builtin=())
    monkeypatch.setattr(S, "REGISTRY", reg)
    return reg


# -- one area -----------------------------------------------------------------------------------

def test_area_stats_become_the_protocol_status():
    st = S._area_status(None, _area("m", AreaStats("busy", "rebuilding", {"records": 3}, 5.0)))
    assert st == P.AreaStatus(state="busy", detail="rebuilding", counts={"records": 3}, last=5.0)


def test_counts_that_are_not_whole_numbers_or_good_names_are_dropped():
    counts = {"records": 3, "flag": True, "ratio": 0.5, "": 1, "x" * (P.MAX_NAME + 1): 2}
    st = S._area_status(None, _area("m", AreaStats(counts=counts)))
    assert st.counts == {"records": 3}


def test_a_long_detail_is_clipped():
    st = S._area_status(None, _area("m", AreaStats(detail="d" * (P.MAX_SHORT + 50))))
    assert len(st.detail) == P.MAX_SHORT


@pytest.mark.parametrize("stats, detail", [
    (RuntimeError("disk gone"), "RuntimeError: disk gone"),
    ({"state": "idle"}, "TypeError: stats() returned dict, not AreaStats"),
])
def test_a_failing_area_is_shown_as_failed(stats, detail, caplog):
    st = S._area_status(None, _area("broken", stats))
    assert st.state == "failed" and st.detail == detail
    assert "area broken: stats failed" in caplog.text


@pytest.mark.parametrize("memory, expected", [
    (None, P.IndexState(state="absent")),
    (P.AreaStatus(state="busy", detail="rebuild 40 %", last=7.0),
     P.IndexState(state="rebuilding", detail="rebuild 40 %", last_rebuild=7.0)),
    (P.AreaStatus(state="idle"), P.IndexState(state="idle", detail="")),
])
def test_index_state_from_the_memory_area(memory, expected):
    assert S._index_state(memory) == expected


# -- models -------------------------------------------------------------------------------------

def test_models_from_the_backend_in_megabytes():
    backend = Backend([{"model": "phi3", "size_vram": 3 * 2**20}, {"name": "tiny"}, "junk"])
    models = S._models(StandInService(backend))
    assert [(m.name, m.vram_mb, m.backend, m.loaded) for m in models] == [
        ("phi3", 3.0, "ollama", True), ("tiny", 0.0, "ollama", True)]


@pytest.mark.parametrize("backend", [None, Backend(fail=True)])
def test_no_models_without_a_backend_or_when_it_fails(backend):
    assert S._models(StandInService(backend)) == []


# -- the board ----------------------------------------------------------------------------------

def test_refresh_then_snapshot(registry):
    registry.register(_area("memory", AreaStats("idle", "", {"L1": 4, "L2": 10})))
    registry.register(_area("backups", AreaStats(last=1234.0)))
    registry.register(_area("broken", RuntimeError("nope")))
    service = StandInService(Backend([{"model": "phi3", "size_vram": 2**21}]))
    board = S.StatusBoard(service)
    board.refresh(session=None)
    snap = board.snapshot(request_id="r1")
    assert snap.request_id == "r1" and snap.status_text == "serving"
    assert snap.memory == {"L1": 4, "L2": 10} and snap.last_backup == 1234.0
    assert snap.index.state == "idle" and snap.areas["broken"].state == "failed"
    assert snap.vram_usage == 2.0 and [m.name for m in snap.models] == ["phi3"]
    assert (snap.model_stage, snap.model_state, snap.backend) == ("ready", "model ready",
                                                                   "scripted")
    assert service.metrics.memory.values == {"L1": 4, "L2": 10}
    assert service.metrics.last_backup.values == {None: 1234.0}
    assert service.metrics.model_vram.values == {"phi3": 2.0}


def test_a_snapshot_before_any_refresh_is_valid(registry):
    snap = S.StatusBoard(StandInService()).snapshot()
    assert snap.request_id is None and snap.status_text == "serving"


def test_the_snapshot_is_rebuilt_when_the_state_changes(registry):
    service = StandInService()
    board = S.StatusBoard(service)
    board.refresh(None)
    assert board.snapshot().status_text == "serving"
    service.state = "stopping"
    assert board.snapshot().status_text == "stopping"


def test_health(registry):
    service = StandInService()
    board = S.StatusBoard(service)
    h = board.health()
    assert h["ok"] is True and h["database"] == "ok" and h["in_flight"] == 0
    assert h["model"] == "model ready" and h["bridge"] is None
    service.database_problem = "ZEO unreachable"
    h = board.health()
    assert h["ok"] is False and h["database"] == "ZEO unreachable"
    service.database_problem, service.state = None, "starting"
    assert board.health()["ok"] is False


def test_the_snapshot_counts_clients_and_names_the_database_state(registry):
    service = StandInService()
    service.bridge = types.SimpleNamespace(in_flight=lambda: 2, clients=lambda: 3)
    board = S.StatusBoard(service)
    snap = board.snapshot()
    assert (snap.in_flight, snap.clients, snap.database) == (2, 3, "ok")
    service.database_problem = "ZEO unreachable"
    assert board.snapshot().database == "ZEO unreachable"
