"""The service's status board: a snapshot refreshed by the maintenance loop, answered at once.

Areas are asked through optional methods, so a missing or older area shows as empty rather
than breaking the status: ``image.memory.counts()`` or ``.stats()`` (tier → count),
``image.memory.index_state()`` (dict: state, detail, last_rebuild), ``image.backups.last_backup()``
or ``.status()["last_good"]`` (unix time), the responder's ``backend.loaded()`` (Ollama-style
dicts: model, size_vram in bytes).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import TYPE_CHECKING, Any

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
        fields["memory"] = _memory_counts(session)
        fields["index"] = _index_state(session)
        fields["last_backup"] = _last_backup(session)
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
            "in_flight": s.bridge.in_flight() if s.bridge else 0})

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


def _call(obj: Any, *names: str) -> Any:
    for n in names:
        fn = getattr(obj, n, None)
        if callable(fn):
            return fn()
    return None


def _area(session: Any, name: str) -> Any:
    try:
        return getattr(session, name)
    except (ImportError, AttributeError):
        return None
    except Exception:
        log.debug("area %s could not attach", name, exc_info=True)
        return None


def _memory_counts(session: Any) -> dict[str, int]:
    mem = _area(session, "memory")
    try:
        raw = _call(mem, "counts", "stats") if mem is not None else None
    except Exception:
        log.warning("memory counts failed", exc_info=True)
        return {}
    out = {}
    for k, v in dict(raw or {}).items():
        if isinstance(v, int) and not isinstance(v, bool) and len(str(k)) <= P.MAX_NAME:
            out[str(k)] = v
    return dict(list(out.items())[:64])


def _index_state(session: Any) -> P.IndexState:
    mem = _area(session, "memory")
    try:
        raw = _call(mem, "index_state") if mem is not None else None
    except Exception as exc:
        return P.IndexState(state="failed", detail=str(exc)[: P.MAX_SHORT])
    if not isinstance(raw, dict):
        return P.IndexState(state="unknown" if mem is not None else "absent")
    state = raw.get("state", "unknown")
    if state not in ("absent", "idle", "rebuilding", "failed", "unknown"):
        state = "unknown"
    last = raw.get("last_rebuild")
    return P.IndexState(state=state, detail=str(raw.get("detail", ""))[: P.MAX_SHORT],
                        last_rebuild=float(last) if isinstance(last, (int, float)) else None)


def _last_backup(session: Any) -> float | None:
    backups = _area(session, "backups")
    if backups is None:
        return None
    try:
        value = _call(backups, "last_backup")
        if value is None:
            st = _call(backups, "status")
            value = st.get("last_good") if isinstance(st, dict) else None
    except Exception:
        log.warning("backup status failed", exc_info=True)
        return None
    if hasattr(value, "timestamp"):
        value = value.timestamp()
    return float(value) if isinstance(value, (int, float)) else None


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
