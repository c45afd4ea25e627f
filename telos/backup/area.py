"""The backups area (:mod:`telos.area` protocol): ``image.backups``, the BackupManager's
schedule as maintenance, the age of the newest backup for the status board."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from telos.area import Area, AreaStats
from telos.progress import StatusCallback


class BackupArea(Area):
    name = "backups"
    maintain_every = 60.0

    def awaken(self, image: Any) -> None:
        from telos.backup import genesis
        genesis.awaken(image)

    def attach(self, image: Any) -> Any:
        from telos.backup.facade import Backups
        return Backups(image)

    def maintain(self, image: Any, status: StatusCallback) -> None:
        image.area(self.name).run_due(status=status)     # a backup when the policy says one is due

    def stats(self, image: Any) -> AreaStats:
        """From the BackupManager's slots (cheap: the destination is not read)."""
        from telos.reflect import mirror
        mgr = mirror(image.area(self.name).manager)
        last_iso, runs = mgr.get("last_backup"), mgr.get("history") or []
        if not last_iso:
            return AreaStats(detail="no backup has been made yet", counts={"runs": len(runs)})
        last = dt.datetime.fromisoformat(last_iso).timestamp()
        age = dt.datetime.now(dt.timezone.utc).timestamp() - last
        limit = mgr.get("max_age")
        detail = (f"the newest backup is {age / 3600:.1f} h old (policy allows "
                  f"{limit / 3600:.1f} h)" if limit is not None and age > limit
                  else f"newest backup {age / 60:.0f} min ago")
        return AreaStats(detail=detail, counts={"runs": len(runs)}, last=last)

    def snapshot(self, image: Any, dest: Path) -> dict | None:
        return None            # the policy and the run history live in the database

    def close(self, facade: Any) -> None:
        """Nothing held per session."""


AREA = BackupArea()
