"""Verify a destination: manifests and their chain, every file, ``repozo -V``, and a drill."""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from telos.backup import repozo
from telos.backup.catalog import chain_problems, load_sets
from telos.backup.drill import DrillResult, check_file, drill
from telos.backup.keys import BackupKeys
from telos.backup.layout import SetRef, work_dir
from telos.errors import BackupError
from telos.progress import StatusCallback, progress

log = logging.getLogger(__name__)


@dataclass
class VerifyReport:
    sets: list[SetRef]
    problems: list[str] = field(default_factory=list)
    drills: list[DrillResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems and all(d.ok for d in self.drills)

    def lines(self) -> list[str]:
        out = [f"{len([s for s in self.sets if s.error is None])} sets authenticated"]
        out += [f"PROBLEM: {p}" for p in self.problems]
        for d in self.drills:
            state = "ok" if d.ok else f"FAILED: {d.error}"
            out.append(f"drill {d.set.describe()}: {state} ({d.seconds:.2f}s)")
        out.append("verify: OK" if self.ok else "verify: FAILED")
        return out


def verify(dest: Path, keys: BackupKeys, *, drill_sets: str = "newest",
           status: StatusCallback | None = None) -> VerifyReport:
    """``drill_sets``: "newest" (the newest set), "chains" (the newest set of every chain),
    "all", or "none"."""
    t0 = time.perf_counter()
    sets = load_sets(dest, keys)
    report = VerifyReport(sets, chain_problems(dest, sets, keys))
    good = [s for s in sets if s.error is None]
    for s in progress(good, desc="verify files", status=status):
        for rel, info in s.manifest["files"].items():
            try:
                check_file(s, rel, info)
            except BackupError as exc:
                s.problems.append(str(exc))
                report.problems.append(str(exc))
    for chain_dir in sorted({s.chain_dir for s in good if not s.manifest.get("encrypted")}):
        try:
            repozo.verify_repo(chain_dir / "repozo")
        except BackupError as exc:
            report.problems.append(f"chain {chain_dir.name}: {exc}")
            for s in good:
                if s.chain_dir == chain_dir:
                    s.problems.append(f"repozo -V of its chain: {exc}")
    if drill_sets == "none" or not good:
        targets: list[SetRef] = []
    elif drill_sets == "all":
        targets = good
    elif drill_sets == "chains":
        targets = [s for i, s in enumerate(good) if i + 1 == len(good) or good[i + 1].chain != s.chain]
    else:
        targets = [good[-1]]
    work = work_dir(dest, "verify")
    try:
        for t in targets:
            report.drills.append(drill(sets, t, keys, work / t.stamp, status))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report.seconds = time.perf_counter() - t0
    return report
