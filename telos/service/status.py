"""The service's status board: a snapshot refreshed by the maintenance loop, answered at once.

Every registered area (:mod:`telos.areas`) answers its ``stats`` hook with one typed
:class:`~telos.area.AreaStats`; the board shows each under ``areas`` and fills the older
summary fields from two of them: ``memory`` (the memory area's counts), ``index`` (its state)
and ``last_backup`` (the backups area's ``last``). An area whose stats fail shows as
``failed`` with the reason; the others are unaffected. Loaded models come from the responder's
``backend.loaded()`` (Ollama-style dicts: model, size_vram in bytes).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import TYPE_CHECKING, Any

from telos.area import AreaStats
from telos.areas import REGISTRY
from telos.bridge import protocol as P

if TYPE_CHECKING:
    from telos.service.process import Service

log = logging.getLogger(__name__)


class StatusBoard:
    def __init__(self, service: "Service") -> None:
        self.service = service
        self._lock = threading.Lock()
        self._fields: dict[str, Any] = {}
        self._base: tuple | None = None
        self._version = 0

    def refresh(self, session: Any) -> None:
        """Ask every area for its state (in the maintenance thread, never in a request)."""
        fields: dict[str, Any] = {}
        areas = {area.name: _area_status(session, area) for area in REGISTRY}
        fields["areas"] = areas
        memory, backups = areas.get("memory"), areas.get("backups")
        fields["memory"] = dict(memory.counts) if memory is not None else {}
        fields["index"] = _index_state(memory)
        fields["last_backup"] = backups.last if backups is not None else None
        models = _models(self.service)
        fields["models"] = models
        fields["vram_usage"] = round(sum(m.vram_mb for m in models), 3)
        with self._lock:
            self._version += 1
            fields["_v"] = self._version
            self._fields = fields
        m = self.service.metrics
        for tier, n in fields["memory"].items():
            m.memory.labels(tier).set(n)
        for model in models:
            m.model_vram.labels(model.name).set(model.vram_mb)
        m.vram.set(fields["vram_usage"])
        if fields["last_backup"]:
            m.last_backup.set(fields["last_backup"])

    def snapshot(self, request_id: str | None = None) -> P.SystemStatusUpdate:
        s = self.service
        with self._lock:
            fields = dict(self._fields)
        responder = s.responder_name()
        base = self._base
        if base is None or base[0] != (fields.get("_v"), s.state_text(), responder):
            # validate once per refresh / state change; answering then only fills in the clock
            model = P.SystemStatusUpdate(
                status_text=s.state_text()[: P.MAX_SHORT], pid=os.getpid(),
                connection=s.connection_text()[: P.MAX_SHORT], backend=responder[: P.MAX_SHORT],
                **{k: v for k, v in fields.items() if k != "_v"})
            base = self._base = ((fields.get("_v"), s.state_text(), responder), model)
        return base[1].model_copy(update={
            "request_id": request_id, "uptime": round(time.time() - s.started_at, 3),
            **_model_fields(s),
            "in_flight": s.bridge.in_flight() if s.bridge else 0,
            "clients": s.bridge.clients() if s.bridge else 0,
            "database": (s.database_problem or "ok")[: P.MAX_SHORT]})

    def health(self) -> dict:
        s = self.service
        return {"ok": s.state == "serving" and not s.database_problem, "state": s.state,
                "database": s.database_problem or "ok", "pid": os.getpid(),
                "bridge": s.bridge.bound if s.bridge else None, "connection": s.connection_text(),
                "in_flight": s.bridge.in_flight() if s.bridge else 0,
                "model": s.model_state().text(),
                "uptime": round(time.time() - s.started_at, 3)}


def _model_fields(service: "Service") -> dict[str, str]:
    p = service.model_state()
    return {"model_stage": p.stage[: P.MAX_SHORT], "model_state": p.text()[: P.MAX_SHORT]}


def _area_status(session: Any, area: Any) -> P.AreaStatus:
    """``area.stats`` as the protocol carries it (clipped to the protocol's limits)."""
    try:
        st = area.stats(session)
        if not isinstance(st, AreaStats):
            raise TypeError(f"stats() returned {type(st).__name__}, not AreaStats")
    except Exception as exc:  # noqa: BLE001 - one area's failure is shown, never spreads
        log.warning("area %s: stats failed", area.name, exc_info=True)
        return P.AreaStatus(state="failed", detail=f"{type(exc).__name__}: {exc}"[: P.MAX_SHORT])
    counts = {str(k): int(v) for k, v in dict(st.counts).items()
              if isinstance(v, int) and not isinstance(v, bool) and 0 < len(str(k)) <= P.MAX_NAME}
    return P.AreaStatus(state=st.state, detail=str(st.detail)[: P.MAX_SHORT],
                        counts=dict(list(counts.items())[:64]),
                        last=float(st.last) if st.last is not None else None)


def _index_state(memory: P.AreaStatus | None) -> P.IndexState:
    if memory is None:
        return P.IndexState(state="absent")
    state = {"busy": "rebuilding"}.get(memory.state, memory.state)
    return P.IndexState(state=state, detail=memory.detail, last_rebuild=memory.last)


def _models(service: "Service") -> list[P.ModelInfo]:
    backend = getattr(service.responder_if_loaded(), "backend", None)
    if backend is None or not hasattr(backend, "loaded"):
        return []
    try:
        loaded = backend.loaded()
    except Exception:
        log.info("could not list loaded models", exc_info=True)
        return []
    out = []
    for m in list(loaded)[:256]:
        if not isinstance(m, dict):
            continue
        vram = m.get("size_vram") or 0
        out.append(P.ModelInfo(name=str(m.get("model") or m.get("name") or "?")[: P.MAX_NAME],
                               backend=str(getattr(backend, "name", ""))[: P.MAX_NAME] or None,
                               loaded=True, vram_mb=float(vram) / 2**20))
    return out
