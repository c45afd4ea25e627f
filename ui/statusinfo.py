"""The status page's content: every field of ``SYSTEM_STATUS_UPDATE`` in readable sections (no
Kivy here). Each :class:`Row` names the message field it shows, so a test can tell that none is
left out."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from telos.bridge import protocol as P
from ui.status import age

OK, WARN, ERROR, PLAIN = "ok", "warn", "error", ""


@dataclass(frozen=True)
class Row:
    label: str
    value: str
    field: str = ""          # the SYSTEM_STATUS_UPDATE field shown ("" : this client's own state)
    level: str = PLAIN       # ok | warn | error | "" (the colour of the value)


@dataclass(frozen=True)
class Section:
    title: str
    rows: list[Row] = field(default_factory=list)


@dataclass(frozen=True)
class ClientInfo:
    """What this UI knows about its own connection (not in the message)."""
    endpoint: str = ""
    state: str = ""
    connected: bool = False
    reconnects: int = 0
    received: float | None = None        # unix time the status arrived


def when(ts: float | None, now: float) -> str:
    if ts is None:
        return "never"
    local = dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")
    return f"{local} ({age(max(0.0, now - ts))})"


def duration(seconds: float) -> str:
    s = int(seconds)
    if s < 90:
        return f"{s} s"
    if s < 5400:
        return f"{s // 60} min {s % 60} s"
    if s < 172800:
        return f"{s // 3600} h {s % 3600 // 60} min"
    return f"{s // 86400} days {s % 86400 // 3600} h"


def problems(msg: P.SystemStatusUpdate) -> list[str]:
    """What is wrong, one sentence each (empty: healthy)."""
    out = []
    if not msg.status_text.startswith("ready"):
        out.append(f"the service is {msg.status_text}")
    if msg.database and msg.database != "ok":
        out.append(f"the database does not answer: {msg.database}")
    if msg.model_stage == "failed":
        out.append(msg.model_state or "the language model failed")
    if msg.index.state == "failed":
        out.append(f"the memory index failed: {msg.index.detail}")
    out += [f"area {name} failed: {a.detail}" for name, a in msg.areas.items() if a.state == "failed"]
    return out


def status_sections(msg: P.SystemStatusUpdate, client: ClientInfo | None = None,
                    now: float | None = None) -> list[Section]:
    now = time.time() if now is None else now
    client = client or ClientInfo()
    wrong = problems(msg)
    me = client.state or "—"
    if client.endpoint and client.endpoint not in me:
        me += f" · {client.endpoint}"
    health = Section("Health", [
        Row("overall", "healthy" if not wrong else "; ".join(wrong), "", OK if not wrong else ERROR),
        Row("service", msg.status_text, "status_text", OK if msg.status_text.startswith("ready") else WARN),
        Row("database", msg.database or "not reported", "database",
            OK if msg.database == "ok" else (PLAIN if not msg.database else ERROR))])
    service = Section("Service", [
        Row("process", f"pid {msg.pid}" if msg.pid is not None else "unknown", "pid"),
        Row("up for", duration(msg.uptime), "uptime"),
        Row("image storage", msg.connection or "unknown", "connection"),
        Row("requests in flight", str(msg.in_flight), "in_flight"),
        Row("bridge connections", f"{msg.clients} heard from in the last minute", "clients"),
        Row("this client", f"{me} (reconnected {client.reconnects}×)",
            "", OK if client.connected else ERROR),
        Row("this update", ("the answer to this client's status request" if msg.request_id
                            else "pushed by the service to every client")
            + (f", received {when(client.received, now)}" if client.received else ""),
            "request_id")])
    model = Section("Language model", [
        Row("backend", msg.backend or "not chosen yet", "backend"),
        Row("stage", msg.model_stage or "unknown", "model_stage",
            {"ready": OK, "failed": ERROR}.get(msg.model_stage, WARN)),
        Row("state", msg.model_state or "—", "model_state"),
        Row("VRAM held", f"{msg.vram_usage:,.0f} MiB (estimate)", "vram_usage")])
    model.rows.extend(_models(msg))
    return [health, service, model, _memory(msg, now), _backups(msg, now), _areas(msg, now)]


def _models(msg: P.SystemStatusUpdate) -> list[Row]:
    if not msg.models:
        return [Row("models", "none reported", "models")]
    rows = []
    for m in msg.models:
        parts = [m.backend or "", f"for {m.persona}" if m.persona else "",
                 "loaded" if m.loaded else "not loaded", f"{m.vram_mb:,.0f} MiB"]
        rows.append(Row(f"model {m.name}", " · ".join(p for p in parts if p), "models",
                        OK if m.loaded else PLAIN))
    return rows


def _memory(msg: P.SystemStatusUpdate, now: float) -> Section:
    label = {"l1": "L1 (FAISS, in memory)", "l2": "L2 (DiskANN archive)"}
    rows = [Row(label.get(k.lower(), k) if "_" not in k else f"{k} (setting)", f"{n:,}", "memory")
            for k, n in sorted(msg.memory.items(), key=lambda kv: ("_" in kv[0], kv[0].lower()))]
    if not rows:
        rows = [Row("records", "not reported", "memory")]
    ix = msg.index
    rows += [Row("index", ix.state, "index",
                 {"idle": OK, "failed": ERROR, "rebuilding": WARN}.get(ix.state, PLAIN)),
             Row("index detail", ix.detail or "—", "index"),
             Row("last rebuild", when(ix.last_rebuild, now), "index")]
    return Section("Memory", rows)


def _backups(msg: P.SystemStatusUpdate, now: float) -> Section:
    area = msg.areas.get("backups")
    rows = [Row("newest good backup", when(msg.last_backup, now), "last_backup",
                WARN if msg.last_backup is None else PLAIN)]
    if area is not None and area.detail:
        rows.append(Row("policy", area.detail, "areas", WARN if "old" in area.detail else PLAIN))
    return Section("Backups", rows)


def _areas(msg: P.SystemStatusUpdate, now: float) -> Section:
    rows = []
    for name, a in sorted(msg.areas.items()):
        counts = ", ".join(f"{k} {v:,}" for k, v in a.counts.items())
        parts = [a.state, a.detail, counts, f"last work {when(a.last, now)}" if a.last else ""]
        rows.append(Row(name, " · ".join(p for p in parts if p), "areas",
                        {"failed": ERROR, "busy": WARN}.get(a.state, PLAIN)))
    return Section("Areas", rows or [Row("areas", "none reported", "areas")])
