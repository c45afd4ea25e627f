"""What the backups panel says, from ``BACKUP_LIST``, ``REQUEST_PROGRESS`` and ``BACKUP_DONE``
(no Kivy here): one row of texts per set, the summary line, progress and outcome sentences."""

from __future__ import annotations

import datetime as dt

from telos.bridge import protocol as P
from ui.status import age


def size_text(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} GiB"       # unreachable: the loop returns at GiB


def local_time(ts: float | None) -> str:
    return dt.datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S") if ts is not None else "—"


def verified_text(s: P.BackupSetView, now: float) -> str:
    """"restore drill ok · 5 min ago", "checksums FAILED · …", "never verified"."""
    if s.verified is None:
        return "never verified"
    outcome = "ok" if s.verified_ok else "FAILED"
    return f"{s.verified_how or 'checked'} {outcome} · {age(max(0.0, now - s.verified))}"


def set_texts(s: P.BackupSetView, now: float) -> dict[str, str]:
    """The columns of one set's row."""
    if s.state == "broken":
        return {"when": s.ident, "kind": "BROKEN", "size_text": "—", "encrypted": "—",
                "verified": s.error or "unreadable"}
    return {"when": f"#{s.seq} · {local_time(s.time)}", "kind": s.kind,
            "size_text": size_text(s.size), "encrypted": "encrypted" if s.encrypted else "plain",
            "verified": ("OTHER KEY: " + s.error) if s.state == "other_key"
            else verified_text(s, now)}


def summary_text(listing: P.BackupList) -> str:
    n = len([s for s in listing.sets if s.state == "ok"])
    parts = [f"{n} set(s) in {listing.destination}",
             f"backup key {listing.key_id}" if listing.key_id else "no backup key yet",
             listing.last_verify]
    if listing.warning:
        parts.append(f"warning: {listing.warning}")
    return " · ".join(p for p in parts if p)


def progress_text(msg: P.RequestProgress) -> str:
    pct = f" {msg.fraction * 100:.0f} %" if msg.fraction is not None else ""
    return f"{msg.detail or msg.stage}{pct} ({msg.elapsed:.0f} s)"


def outcome_text(reply) -> tuple[str, bool]:
    """(sentence, ok) for the final reply of RUN_BACKUP / VERIFY_BACKUP (or its ERROR)."""
    if isinstance(reply, P.Error):
        return f"failed [{reply.code}]: {reply.message}" + (f" — {reply.hint}" if reply.hint else ""), False
    if isinstance(reply, P.BackupDone):
        if reply.of == "VERIFY_BACKUP" and not reply.ok:
            problems = [line for line in reply.lines if line.startswith(("PROBLEM", "drill"))]
            return reply.summary + (": " + "; ".join(problems) if problems else ""), False
        return reply.summary, reply.ok
    return f"unexpected reply {reply.command}", False
