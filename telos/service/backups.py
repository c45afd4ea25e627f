"""The backup requests of the bridge: ``LIST_BACKUPS`` (a read: the sets, when and how each was
last verified, the restore command an operator runs), ``RUN_BACKUP`` and ``VERIFY_BACKUP``
(writes: both record their run in the BackupManager).

While a backup or a verification runs, every step the backup code reports (bytes placed, sets
checked, the restore drill) is sent to the client that asked as ``REQUEST_PROGRESS`` — at most
:data:`PROGRESS_EVERY_S` apart, and the newest one again whenever the request falls silent
(repozo and the drill's checks report nothing while they run) — and it shows in the service's
status text for every client. Restores are not offered over the bridge: replacing the live image
needs the service stopped, so it stays an operator's command (``restore_command``).
"""

from __future__ import annotations

import datetime as dt
import logging
import shlex
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from telos import config
from telos.bridge import authz
from telos.bridge import protocol as P
from telos.errors import BackupError, BackupKeyError, DiskFullError, RequestRefused
from telos.reflect import mirror
from telos.scope import Progress

if TYPE_CHECKING:
    from telos.backup.layout import SetRef
    from telos.bridge.dispatch import HandlerRegistry, RequestContext
    from telos.service.process import Service

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 0.25
RESTORE_HELP = ("Restoring replaces the image, so it is an operator's action on the service's "
                "machine: stop the service first (the image is locked while it runs), or add "
                "--to DIR to restore beside it. The newest set at or before --at that passes the "
                "restore drill is restored; the current image is moved aside, never overwritten. "
                "The backup key must be there (TELOS_BACKUP_KEY, or $TELOS_HOME/keys/backup.key).")


def register(reg: "HandlerRegistry", service: "Service") -> None:
    """Add the three backup handlers to the service's registry."""

    @reg.handler("LIST_BACKUPS")
    def list_backups(ctx):
        return backup_list(ctx.session.backups, ctx.request_id, home=ctx.session.store.home)

    @reg.handler("RUN_BACKUP")
    def run_backup(ctx):
        facade = ctx.session.backups
        with Reporter(ctx, service, "backup") as report:
            result = _translated(lambda: facade.backup(full=ctx.request.full, status=report))
        made = result.set.ident if result.set is not None else None
        authz.record(ctx.peer, "RUN_BACKUP", "backups", result.summary())
        return P.BackupDone(request_id=ctx.request_id, of="RUN_BACKUP", ok=True,
                            summary=result.summary()[: P.MAX_SHORT], set=made,
                            seconds=round(result.seconds, 3), lines=[result.summary()[: P.MAX_SHORT]])

    @reg.handler("VERIFY_BACKUP")
    def verify_backup(ctx):
        facade = ctx.session.backups
        with Reporter(ctx, service, "verify") as report:
            result = _translated(lambda: facade.verify(drill=ctx.request.drill, status=report))
        lines = [line[: P.MAX_SHORT] for line in result.lines()][-256:]
        summary = _verify_summary(result)
        authz.record(ctx.peer, "VERIFY_BACKUP", "backups", summary)
        return P.BackupDone(request_id=ctx.request_id, of="VERIFY_BACKUP", ok=result.ok,
                            summary=summary[: P.MAX_SHORT], lines=lines,
                            seconds=round(result.seconds, 3))


def _translated(fn):
    """Backup errors as an ERROR a person can act on (a full disk keeps its own code)."""
    try:
        return fn()
    except DiskFullError:
        raise
    except BackupKeyError as exc:
        raise RequestRefused(str(exc), code=P.BAD_REQUEST,
                             hint="`python3 master_forge.py backup --new-key` starts a new chain "
                                  "under the current key") from exc
    except BackupError as exc:
        raise RequestRefused(str(exc), code=P.UNAVAILABLE,
                             hint="nothing was changed; try again once it is resolved") from exc


def _verify_summary(report: Any) -> str:
    good = len([s for s in report.sets if s.error is None])
    drills = ", ".join(f"drill of {d.set.describe()} {'ok' if d.ok else 'FAILED'}"
                       for d in report.drills)
    head = "verify: OK" if report.ok else f"verify: FAILED ({len(report.problems)} problem(s))"
    return f"{head} — {good} set(s) authenticated" + (f"; {drills}" if drills else "")


class Reporter:
    """The ``status(desc, n, total)`` callback the backup code reports to, turned into
    ``REQUEST_PROGRESS`` for the client (throttled) and the service's activity (every client
    sees it in the status text). Also a progress source of the request's scope, so a silent
    stretch repeats the newest step instead of a bare "working"."""

    def __init__(self, ctx: "RequestContext", service: Any, stage: str) -> None:
        self.ctx, self.service, self.stage = ctx, service, stage
        self._lock = threading.Lock()
        self._last = Progress(stage, f"{stage}: starting")
        self._sent = 0.0

    def progress(self) -> Progress:
        with self._lock:
            return self._last

    def __call__(self, desc: str, n: int, total: int | None) -> None:
        fraction = min(1.0, n / total) if total else None
        with self._lock:
            self._last = Progress(self.stage, desc, fraction=fraction)
        self.service.activity = f"{desc}: {n}/{total}" if total else f"{desc}: {n}"
        now = time.monotonic()
        if now - self._sent >= PROGRESS_EVERY_S or (total and n >= total):
            self._send(now)

    def _send(self, now: float) -> None:
        p = self.progress()
        self._sent = now
        self.ctx.send(P.RequestProgress(
            request_id=self.ctx.request_id, stage=p.stage[: P.MAX_NAME],
            detail=p.detail[: P.MAX_SHORT], fraction=p.fraction,
            elapsed=round(max(0.0, now - self.ctx.received), 3)))

    def __enter__(self) -> "Reporter":
        if self.ctx.scope is not None:
            self.ctx.scope.watch(self)
        self._send(time.monotonic())          # the client knows at once that it started
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.ctx.scope is not None:
            self.ctx.scope.unwatch(self)
        self.service.activity = ""


# --- the list ---------------------------------------------------------------------------------

def backup_list(facade: Any, request_id: str, *, home: Path) -> P.BackupList:
    """``BACKUP_LIST`` from ``image.backups``: every set (listing does not check MACs; a set made
    with another key says so), when and how each was last verified, and its restore command."""
    dest = facade.destination()
    sets = facade.sets()
    status = facade.status()
    current = facade.key_id()
    manager = mirror(facade.manager)
    verified = {k: dict(v) for k, v in dict(manager.get("verified") or {}).items()}
    views = [set_view(s, current, verified.get(s.ident), home=home, dest=dest)
             for s in sets[-P.MAX_ITEMS:]]
    return P.BackupList(request_id=request_id, destination=str(dest)[: P.MAX_SHORT], sets=views,
                        key_id=current, warning=(status["warning"] or "")[: P.MAX_SHORT],
                        last_verify=last_verify_text(status["last_verify"])[: P.MAX_SHORT],
                        restore_help=RESTORE_HELP)


def set_view(s: "SetRef", current_key: str | None, check: dict | None, *, home: Path,
             dest: Path) -> P.BackupSetView:
    if s.error is not None or s.manifest is None:
        return P.BackupSetView(ident=s.ident[: P.MAX_SHORT], state="broken",
                               error=(s.error or "unreadable manifest")[: P.MAX_SHORT])
    m = s.manifest
    when = s.when()
    key_id = m.get("key_id")
    other = current_key is not None and key_id != current_key
    check = check or {}
    return P.BackupSetView(
        ident=s.ident[: P.MAX_SHORT], seq=int(m["seq"]), time=when.timestamp(),
        kind=str(m.get("kind", "?"))[: P.MAX_NAME],
        size=sum(int(f.get("size", 0)) for f in m.get("files", {}).values()),
        encrypted=bool(m.get("encrypted")), objects=m.get("objects"),
        state="other_key" if other else "ok",
        error=(f"made with backup key id {key_id}; the current key cannot open it"
               if other else "")[: P.MAX_SHORT],
        verified=_unix(check.get("time")), verified_ok=check.get("ok"),
        verified_how=str(check.get("how", ""))[: P.MAX_SHORT],
        restore_command=restore_command(home, dest, when))


def restore_command(home: Path, dest: Path, when: dt.datetime) -> str:
    """The ``restore`` an operator runs on the service's machine to get exactly this set back
    (``--at`` is the set's own time to the microsecond: the newest set at or before it)."""
    forge = Path(config.REPO_ROOT) / "master_forge.py"
    return " ".join([f"TELOS_HOME={shlex.quote(str(home))}", "python3", shlex.quote(str(forge)),
                     "restore", "--at", when.isoformat(), "--from", shlex.quote(str(dest))])


def last_verify_text(lv: dict | None) -> str:
    if not lv:
        return "never verified"
    state = "ok" if lv.get("ok") else "FAILED"
    when = _unix(lv.get("time"))
    when = dt.datetime.fromtimestamp(when, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC") \
        if when is not None else "?"
    detail = f": {lv['message']}" if lv.get("message") and not lv.get("ok") else ""
    return f"last verify {state} at {when} (drilled {lv.get('set') or 'no set'}){detail}"


def _unix(iso: Any) -> float | None:
    if not iso:
        return None
    try:
        return dt.datetime.fromisoformat(str(iso)).timestamp()
    except ValueError:
        return None
