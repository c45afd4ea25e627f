"""``image.backups``: the BackupManager's policy applied with the engine, runs recorded in its
slots. Restoring the live image needs the image closed: see :func:`restore_home`."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from telos import config
from telos.backup import layout
from telos.backup.catalog import load_sets
from telos.backup.engine import BackupResult, Snapshot, make_backup
from telos.backup.keys import BackupKeys, load_keys
from telos.backup.restore import RestoreResult, restore
from telos.backup.retention import prune
from telos.backup.verify import VerifyReport, verify
from telos.errors import BackupKeyError, RestoreError, TelosError
from telos.progress import StatusCallback
from telos.reflect import mirror

log = logging.getLogger(__name__)
HISTORY_CAP = 100


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _age(iso: str | None) -> float | None:
    if not iso:
        return None
    return (_now() - dt.datetime.fromisoformat(iso)).total_seconds()


class Backups:
    """Facade over one image session (``image.backups``)."""

    def __init__(self, image):
        self.image = image

    # -- policy ----------------------------------------------------------------------------
    @property
    def manager(self):
        protos = self.image.prototypes
        if "BackupManager" not in protos:
            from telos.backup import genesis
            with self.image.thought("awaken BackupManager", user="backup"):
                genesis.awaken(self.image)
        return self.image.prototypes["BackupManager"]

    def policy(self) -> dict[str, Any]:
        from telos.backup.genesis import POLICY
        mgr = mirror(self.manager)
        return {k: mgr.get(k, v) for k, v in POLICY.items()}

    def destination(self) -> Path:
        return layout.destination(self.image.store.home, self.policy()["destination"])

    def keys(self, create: bool = False) -> BackupKeys:
        return load_keys(self.image.store.home, create=create)

    def source_path(self) -> Path:
        """The FileStorage file: the image's own, or (through ZEO) the home's ``telos.fs``; on
        RelStorage a FileStorage mirror in the home, brought up to date first (telos.migrate)."""
        spec = getattr(self.image.store, "spec", None)
        if spec is not None and spec.is_relstorage:
            from telos import migrate
            return migrate.mirror(spec, migrate.mirror_path(self.image.store.home))
        return Path(self.image.store.path or config.image_path(self.image.store.home))

    def _snapshots(self) -> dict[str, Snapshot]:
        """Every registered area's ``snapshot`` hook, on this session (telos.areas)."""
        from telos.areas import REGISTRY
        return {area.name: (lambda dest, area=area: self._snapshot(area, dest))
                for area in REGISTRY}

    def _snapshot(self, area, dest: Path) -> dict | None:
        try:
            return area.snapshot(self.image, dest)
        except TelosError as exc:   # the set is still good: that area rebuilds after a restore
            log.warning("backup: area %s captured no files (%s)", area.name, exc)
            return None

    def _record(self, note: str, **slots: Any) -> None:
        self.image.refresh()
        with self.image.thought(note, user="backup"):
            mgr = self.manager
            run = slots.pop("run", None)
            if run is not None:
                mgr.history = [dict(h) for h in mgr.history][-(HISTORY_CAP - 1):] + [run]
            for k, v in slots.items():
                setattr(mgr, k, v)

    # -- actions ---------------------------------------------------------------------------
    def due(self) -> str | None:
        """"full", "incremental" or None: what the schedule calls for now."""
        pol, mgr = self.policy(), self.manager
        full_age, last_age = _age(mgr.last_full), _age(mgr.last_backup)
        if full_age is None or full_age >= pol["full_interval"]:
            return "full"
        if last_age is None or last_age >= pol["incremental_interval"]:
            return "incremental"
        return None

    def run_due(self, *, status: StatusCallback | None = None) -> BackupResult | None:
        """What the service's schedule calls: a backup when the policy says one is due."""
        kind = self.due()
        if kind is None:
            return None
        return self.backup(full=(kind == "full"), status=status)

    def backup(self, full: bool | None = None, *, status: StatusCallback | None = None,
               new_key: bool = False) -> BackupResult:
        """Make a set (``full=None``: full when the policy says one is due), drill it when the
        policy says so, prune by retention, and record all of it in the BackupManager.
        ``new_key``: start a new chain when the current key is not the one of the newest set
        (otherwise that is refused with BackupKeyError)."""
        pol = self.policy()
        if full is None:
            full = self.due() == "full"
        lv = self.manager.last_verify
        if not full and lv is not None and not lv.get("ok", True):
            full, why = True, "the last verification failed"
        else:
            why = ""
        self.image.transaction_manager.abort()
        dest, keys = self.destination(), self.keys(create=True)
        source = self.source_path()
        settings = {"settings": config.snapshot(), "policy": pol, "image": str(source)}
        staging = self.image.store.home / "tmp" / "backup" if pol["encrypt"] else None
        result = make_backup(source, dest, keys, full=full, encrypt=bool(pol["encrypt"]),
                             staging_root=staging, snapshots=self._snapshots(), settings=settings,
                             status=status, new_key=new_key)
        now = _now().isoformat()
        run = {"time": now, "kind": result.kind, "bytes": result.bytes,
               "seconds": round(result.seconds, 3), "why": why or result.reason,
               "set": result.set.ident if result.set else None}
        slots: dict[str, Any] = {"run": run}
        if result.set is not None:
            slots["last_backup"] = now
            if result.kind == "full":
                slots["last_full"] = now
        self._record(f"backup: {result.summary()}", **slots)
        if result.set is not None and (pol["drill"] == "every" or
                                       (pol["drill"] == "full" and result.kind == "full")):
            self.verify(drill="newest", status=status)
        removed = prune(dest, keys, keep_chains=pol["keep_chains"])
        if removed:
            self._record(f"backup retention removed {len(removed)} chain(s)",
                         run={"time": _now().isoformat(), "kind": "prune", "removed": removed})
        return result

    def verify(self, drill: str = "newest", *, status: StatusCallback | None = None) -> VerifyReport:
        report = verify(self.destination(), self.keys(), drill_sets=drill, status=status)
        newest = report.drills[-1] if report.drills else None
        message = "; ".join(report.problems + [d.error for d in report.drills if not d.ok])
        now = _now().isoformat()
        self._record("backup verify: " + ("ok" if report.ok else "FAILED"), last_verify={
            "time": now, "ok": report.ok, "seconds": round(report.seconds, 3),
            "set": newest.set.ident if newest else None, "message": message[:2000]},
            verified=self._verified(report, now))
        return report

    def _verified(self, report: VerifyReport, now: str) -> dict[str, dict]:
        """Each set's last check (``BackupManager.verified``): the ones this run checked are
        replaced, sets no longer on disk are dropped."""
        drilled = {d.set.ident: d for d in report.drills}
        out = {k: dict(v) for k, v in dict(mirror(self.manager).get("verified") or {}).items()
               if k in {s.ident for s in report.sets}}
        for s in report.sets:
            if s.error is not None:
                continue
            d = drilled.get(s.ident)
            problems = s.problems + ([d.error] if d is not None and not d.ok else [])
            out[s.ident] = {"time": now, "ok": not problems,
                            "how": "restore drill" if d is not None else "checksums",
                            "message": "; ".join(problems)[:500]}
        return out

    def restore(self, *, at: Any = None, to: str | Path, status: StatusCallback | None = None) -> RestoreResult:
        """Restore into directory ``to`` (the live image cannot be replaced while open)."""
        if to is None:
            raise RestoreError("close the image and use `master_forge.py restore` to replace it")
        return restore(self.destination(), self.keys(), Path(to) / "telos.fs", at=at, status=status)

    def sets(self):
        return load_sets(self.destination(), None)

    def key_id(self) -> str | None:
        """The id of the current backup key (None when there is none yet)."""
        try:
            return self.keys().key_id
        except BackupKeyError:
            return None

    def status(self) -> dict[str, Any]:
        """Age of the newest set, the policy limit and a warning when it is exceeded."""
        return backup_status(self.destination(), self.policy(), self.manager.last_verify)


def backup_status(dest: Path, policy: dict, last_verify: Any = None) -> dict[str, Any]:
    sets = [s for s in load_sets(dest, None) if s.error is None]
    newest = sets[-1] if sets else None
    age = (_now() - newest.when()).total_seconds() if newest else None
    limit = policy.get("max_age")
    if newest is None:
        warning = "no backup has been made yet"
    elif limit is not None and age > limit:
        warning = f"the newest backup is {age / 3600:.1f} h old (policy allows {limit / 3600:.1f} h)"
    else:
        warning = None
    return {"destination": str(dest), "sets": len(sets),
            "newest": newest.ident if newest else None, "age_seconds": age, "max_age": limit,
            "warning": warning, "last_verify": dict(last_verify) if last_verify else None}


def restore_home(home: Path | None = None, *, at: Any = None, to: Path | None = None,
                 dest: Path | None = None, status: StatusCallback | None = None) -> RestoreResult:
    """Restore the image of ``home`` (default TELOS_HOME) or into directory ``to``; the image
    must not be open. The previous file is moved aside, never overwritten."""
    home = home or config.telos_home()
    dest = dest or layout.destination(home)
    target = (Path(to) / "telos.fs") if to else config.image_path(home)
    return restore(dest, load_keys(home), target, at=at, status=status)
