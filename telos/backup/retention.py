"""Retention: drop whole chains, oldest first, so every remaining chain stays restorable.

A chain (one full and its incrementals) is removed only as a whole and never the newest one.
The last removed manifest becomes the signed ``ANCHOR.json``, so the hash chain of the sets
that remain still starts from something authenticated.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from telos.backup.catalog import load_sets
from telos.backup.engine import dest_lock
from telos.backup.keys import BackupKeys
from telos import atomic
from telos.backup.manifest import sign

log = logging.getLogger(__name__)


def prune(dest: Path, keys: BackupKeys, *, keep_chains: int) -> list[str]:
    """Keep the newest ``keep_chains`` chains (at least 1); returns the removed chain names."""
    keep_chains = max(1, int(keep_chains))
    with dest_lock(dest):
        sets = [s for s in load_sets(dest, keys) if s.error is None]
        chains: list[str] = []
        for s in sets:
            if s.chain not in chains:
                chains.append(s.chain)
        doomed = chains[:-keep_chains] if len(chains) > keep_chains else []
        if not doomed:
            return []
        last = [s for s in sets if s.chain in doomed][-1]
        atomic.write_bytes(dest / "ANCHOR.json",
                           sign({"seq": last.seq, "sha256": last.sha256, "set": last.ident}, keys))
        for name in doomed:
            shutil.rmtree(dest / "chains" / name)
            log.info("retention: removed backup chain %s", name)
        return doomed
