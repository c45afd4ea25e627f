"""The sets of a destination, read and authenticated, and the checks that tie them together:
the hash chain (``prev``), sequence numbers, HEAD and the retention anchor."""

from __future__ import annotations

import logging
from pathlib import Path

from telos import atomic
from telos.backup.keys import BackupKeys
from telos.backup.layout import SetRef, set_dirs
from telos.backup.manifest import read_signed
from telos.errors import BackupCorruptError, BackupError, BackupKeyError

log = logging.getLogger(__name__)


def load_sets(dest: Path, keys: BackupKeys | None) -> list[SetRef]:
    """Every set under ``dest``: authenticated ones ordered by seq, broken ones (``error`` set)
    ordered by stamp after them. ``keys=None`` skips MAC checks (listing only)."""
    good, bad = [], []
    for d in set_dirs(dest):
        ref = SetRef(d)
        try:
            ref.manifest, ref.sha256 = read_signed(d / "manifest.json", keys)
            good.append(ref)
        except BackupError as exc:
            ref.error = str(exc)
            bad.append(ref)
    good.sort(key=lambda r: (r.seq, r.stamp))
    return good + bad


def key_id_of(ref: SetRef) -> str | None:
    """The key id a set's manifest names (read without checking it), or None when unreadable."""
    if ref.manifest is not None:
        return ref.manifest.get("key_id")
    try:
        return read_signed(ref.path / "manifest.json", None)[0].get("key_id")
    except BackupError:
        return None


def foreign_key_id(dest: Path, keys: BackupKeys) -> str | None:
    """The key id of the newest set (by stamp) when it is not the current key's, else None."""
    for d in sorted(set_dirs(dest), key=lambda p: p.name, reverse=True):
        kid = key_id_of(SetRef(d))
        if kid is not None:
            return None if kid == keys.key_id else kid
    return None


def set_aside_anchor(dest: Path, keys: BackupKeys) -> Path | None:
    """When starting over under a new key, the retention anchor signed with the old key can no
    longer start the hash chain: rename it (kept for the old key's sake)."""
    path = dest / "ANCHOR.json"
    try:
        read_anchor(dest, keys)
        return None
    except BackupKeyError:
        old_id = read_signed(path, None, what="ANCHOR")[0].get("key_id") or "unknown"
        aside = path.with_name(f"ANCHOR.key-{old_id}.json")
        path.rename(aside)
        atomic.fsync_dir(dest)
        log.warning("backup: %s was signed with key id %s; kept as %s", path, old_id, aside.name)
        return aside


def read_head(dest: Path, keys: BackupKeys) -> dict | None:
    path = dest / "HEAD.json"
    if not path.exists():
        return None
    return read_signed(path, keys, what="HEAD")[0]


def read_anchor(dest: Path, keys: BackupKeys) -> dict | None:
    path = dest / "ANCHOR.json"
    if not path.exists():
        return None
    return read_signed(path, keys, what="ANCHOR")[0]


def chain_problems(dest: Path, sets: list[SetRef], keys: BackupKeys) -> list[str]:
    """What is wrong with the destination as a whole (empty list: nothing)."""
    problems: list[str] = []
    good = [s for s in sets if s.error is None]
    for s in sets:
        if s.error:
            problems.append(f"set {s.ident}: {s.error}")
    try:
        anchor = read_anchor(dest, keys)
    except BackupError as exc:
        problems.append(str(exc))
        anchor = None
    prev_sha = anchor["sha256"] if anchor else None
    prev_seq = anchor["seq"] if anchor else 0
    prev_ref: SetRef | None = None
    for s in good:
        m = s.manifest
        if m["seq"] != prev_seq + 1:
            problems.append(
                f"set {s.describe()}: sets #{prev_seq + 1}..#{m['seq'] - 1} are missing "
                f"(the chain jumps from #{prev_seq} to #{m['seq']})")
        elif m.get("prev") != prev_sha:
            where = prev_ref.describe() if prev_ref else "the start of the chain"
            problems.append(
                f"set {s.describe()}: its previous-manifest hash does not match {where}: "
                f"a set was removed or replaced")
        prev_sha, prev_seq, prev_ref = s.sha256, m["seq"], s
    try:
        head = read_head(dest, keys)
    except BackupError as exc:
        problems.append(str(exc))
        head = None
    if good and head is None:
        problems.append("HEAD.json is missing: cannot tell whether the newest sets were removed")
    elif head is not None:
        newest = good[-1] if good else None
        if newest is None or head["seq"] != newest.seq or head["sha256"] != newest.sha256:
            have = newest.describe() if newest else "no sets"
            problems.append(
                f"HEAD names set #{head['seq']} ({head.get('set')}) but the newest set found is "
                f"{have}: the newest sets were removed or replaced")
    return problems


def chain_of(sets: list[SetRef], target: SetRef) -> list[SetRef]:
    """The sets needed to restore ``target``: its chain's full and incrementals up to it, in
    order. Raises BackupCorruptError when one is missing or does not connect."""
    members = [s for s in sets if s.error is None and s.chain == target.chain and s.seq <= target.seq]
    if not members or members[0].manifest["kind"] != "full":
        raise BackupCorruptError(f"set {target.describe()}: the full backup of its chain is missing")
    for a, b in zip(members, members[1:]):
        ra, rb = a.manifest["repozo"], b.manifest["repozo"]
        if b.manifest.get("prev") != a.sha256 or rb["start"] != ra["end"]:
            raise BackupCorruptError(
                f"set {target.describe()}: the chain is broken between {a.describe()} and "
                f"{b.describe()} (a set between them is missing)")
    if members[-1] is not target:
        raise BackupCorruptError(f"set {target.describe()} is not authenticated")
    return members
