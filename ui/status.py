"""What the status bar says, from the service's ``SYSTEM_STATUS_UPDATE`` (no Kivy here).

Each field is short and made of *segments* joined by `` · `` ("memory L1 1,200 · L2 5"). When a
field is wider than its place, :func:`fit` leaves out whole segments from the end, then whole
words, and says so with `` …`` — a field is never cut inside a word. Everything else the service
reports is on the status page (:mod:`ui.statusinfo`), one click on the bar away.
"""

from __future__ import annotations

import re
import time
from typing import Callable

SEP = " · "
MORE = " …"

from telos.bridge import protocol as P


def age(seconds: float) -> str:
    if seconds < 90:
        return f"{int(seconds)} s ago"
    if seconds < 90 * 60:
        return f"{int(seconds // 60)} min ago"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h ago"
    return f"{seconds / 86400:.1f} days ago"


def backend_text(msg: P.SystemStatusUpdate) -> str:
    backend = msg.backend or "LLM: starting"
    if msg.model_stage == "failed" and msg.model_state:
        return msg.model_state                 # why it failed, in the service's one sentence
    if msg.model_stage not in ("", "ready"):     # warming up: converting / loading
        pct = re.search(r"(\d+) %$", msg.model_state or "")
        name = backend.split("/")[-1]
        return f"{name} model {msg.model_stage}" + (f" {pct.group(1)} %" if pct else "")
    loaded = [m for m in msg.models if m.loaded]
    if loaded:
        names = ", ".join(m.name + (f" ({m.persona})" if m.persona else "") for m in loaded[:3])
        more = f" +{len(loaded) - 3}" if len(loaded) > 3 else ""
        return f"{backend}: {names}{more} · {msg.vram_usage:.0f} MiB"
    if msg.models:
        return f"{backend}: {len(msg.models)} model(s), none loaded"
    return backend


def memory_text(msg: P.SystemStatusUpdate) -> str:
    # tiers (l1, l2, concepts, …); settings such as l1_capacity are not counts of records
    tiers = {k: v for k, v in msg.memory.items() if "_" not in k}
    if not tiers:
        return "memory: —"
    label = {"l1": "L1", "l2": "L2"}
    return "memory " + " · ".join(f"{label.get(t.lower(), t)} {n:,}" for t, n in sorted(tiers.items(), key=lambda kv: kv[0].lower()))


def index_text(msg: P.SystemStatusUpdate) -> str:
    state = msg.index.state
    return f"index {state}" + (f"{SEP}{msg.index.detail}" if msg.index.detail else "")


def backup_text(msg: P.SystemStatusUpdate, now: float | None = None) -> str:
    if msg.last_backup is None:
        return "no backup yet"
    now = time.time() if now is None else now
    return "backup " + age(max(0.0, now - msg.last_backup))


def status_fields(msg: P.SystemStatusUpdate, now: float | None = None) -> dict[str, str]:
    return {"backend": backend_text(msg), "memory": memory_text(msg), "index": index_text(msg),
            "backup": backup_text(msg, now), "service": msg.status_text}


def fit(text: str, width: float, measure: Callable[[str], float] = len) -> str:
    """``text`` as it fits in ``width`` (``measure`` gives a text's width: pixels, or characters by
    default): whole, else its first segments, else its first words of the first segment, each
    followed by `` …``; ``""`` when not even one word fits. Never a part of a word."""
    text = " ".join(text.split())             # one line: newlines and runs of spaces as one space
    if measure(text) <= width:
        return text
    segments = text.split(SEP)
    for k in range(len(segments) - 1, 0, -1):
        shorter = SEP.join(segments[:k]) + MORE
        if measure(shorter) <= width:
            return shorter
    words = segments[0].split(" ")
    for k in range(len(words) - 1, 0, -1):
        shorter = " ".join(words[:k]) + MORE
        if measure(shorter) <= width:
            return shorter
    return ""
