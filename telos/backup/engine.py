"""Making one backup set: repozo in a staging repository, then seal, place, sign, link.

The staging repository is rebuilt from the manifests for every run (repozo's ``.dat`` plus empty
placeholders named like the chain's data files: ``repozo -Q`` reads only the ``.dat`` and the
names), so repozo sees exactly the chain our manifests vouch for, and a run that fails half way
leaves nothing in the destination. A set exists once its manifest is written (the last step).
Unencrypted chains also keep a real repozo ``.dat`` so plain ``repozo -R`` works on them.
Encrypted runs stage under ``$TELOS_HOME`` so plaintext never reaches the destination.

Faults an operator understands: a full disk (ENOSPC / quota, in our writes or repozo's) becomes
one :class:`~telos.errors.BackupDiskFullError` sentence naming the path, and every file this run
placed in the destination is removed again, so no partial set is left behind. A backup key that
differs from the one the newest set was made with is refused (a new chain under another key
would break the hash chain and leave the old sets unverifiable) unless ``new_key=True``
(``backup --new-key``).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import logging
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from telos import atomic
from telos.backup import repozo
from telos.backup.catalog import foreign_key_id, load_sets, set_aside_anchor
from telos.backup.crypto import DEFAULT_CHUNK, encrypt_file
from telos.backup.keys import BackupKeys
from telos.backup.layout import SetRef
from telos.backup.manifest import FORMAT, sha256_file, sign
from telos.errors import BackupDiskFullError, BackupError, BackupKeyError, is_disk_full
from telos.progress import Progress, StatusCallback

# writes an area's files into the directory given; returns {"tid", "files"} or None
Snapshot = Callable[[Path], "dict | None"]

log = logging.getLogger(__name__)


@dataclass
class BackupResult:
    """What a run did. ``set`` is None when nothing changed since the last set."""

    set: SetRef | None
    kind: str
    bytes: int
    seconds: float
    reason: str = ""

    def summary(self) -> str:
        if self.set is None:
            return f"no changes since the last backup ({self.reason})"
        return f"{self.kind} backup {self.set.describe()}: {self.bytes} bytes in {self.seconds:.2f}s"


@contextmanager
def dest_lock(dest: Path):
    """One backup/prune at a time per destination (advisory lock on ``dest/.lock``)."""
    fh = open(dest / ".lock", "a+")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise BackupError(f"another backup is running on {dest}") from exc
        yield
    finally:
        fh.close()


def _data_name(ref: SetRef) -> str:
    return ref.manifest["repozo"]["file"]


def _stage(staging: Path, chain: list[SetRef]) -> None:
    """A repozo repository equivalent to ``chain`` for ``repozo -B -Q``."""
    staging.mkdir(parents=True)
    if not chain:
        return
    lines = [repozo.DatLine(**s.manifest["repozo"]) for s in chain]
    for line in lines:
        (staging / line.file).touch()
    repozo.write_dat(staging / (lines[0].file.rsplit(".", 1)[0] + ".dat"), staging, lines)


def _extendable(sets: list[SetRef], encrypt: bool) -> tuple[list[SetRef], str]:
    """The chain a new incremental can extend (empty: make a full), and why."""
    good = [s for s in sets if s.error is None]
    if not good:
        return [], "no earlier set"
    newest = good[-1]
    if bool(newest.manifest.get("encrypted")) != encrypt:
        return [], "encryption setting changed"
    chain = [s for s in good if s.chain == newest.chain]
    if chain[0].manifest["kind"] != "full":
        return [], "the newest chain has no full backup"
    for s in chain:
        for rel, info in s.manifest["files"].items():
            p = s.chain_dir / rel
            if not p.exists() or p.stat().st_size != info["size"]:
                return [], f"{rel} of {s.ident} is missing or has the wrong size"
    return chain, ""


def _collect(src_dir: Path, rel_base: str) -> list[tuple[Path, str]]:
    return [(p, f"{rel_base}/{p.relative_to(src_dir).as_posix()}")
            for p in sorted(src_dir.rglob("*")) if p.is_file()]


def _place(src: Path, dst: Path, keys: BackupKeys, encrypt: bool, rel: str, role: str,
           prog: Progress, chunk_size: int) -> dict[str, Any]:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if encrypt:
        sealed = encrypt_file(src, dst, keys.enc_key, name=rel, on_bytes=prog.update,
                              chunk_size=chunk_size)
        return {"role": role, "size": sealed.size, "sha256": sealed.sha256,
                "plain_size": sealed.plain_size, "plain_sha256": sealed.plain_sha256}
    size = src.stat().st_size
    shutil.move(str(src), dst)
    digest = sha256_file(dst)
    prog.update(size)
    return {"role": role, "size": size, "sha256": digest}


def make_backup(source: Path, dest: Path, keys: BackupKeys, *, full: bool = False,
                encrypt: bool = False, staging_root: Path | None = None,
                snapshots: Mapping[str, Snapshot] | None = None, settings: dict | None = None,
                status: StatusCallback | None = None, chunk_size: int = DEFAULT_CHUNK,
                new_key: bool = False) -> BackupResult:
    """Back up the FileStorage file ``source`` into ``dest`` (see the module docstring).

    ``snapshots`` maps a name (an area's) to a function that writes the files to capture beside
    the database into the directory it is given and returns ``{"tid", "files"}`` or None: each
    is stored under ``sets/<stamp>/<name>/`` (role ``<name>``), described in the manifest's
    ``snapshots`` (and, for ``memory``, in its ``memory`` field, which restores read);
    ``settings`` is JSON-able configuration captured into the set.
    """
    import time
    t0 = time.perf_counter()
    if not source.exists():
        raise BackupError(f"image file {source} does not exist")
    with dest_lock(dest):
        sets = load_sets(dest, keys)
        other = foreign_key_id(dest, keys)
        if other is not None:
            if not new_key:
                raise BackupKeyError(
                    f"the newest backup in {dest} was made with backup key id {other}, but the "
                    f"current key ({keys.source}) has id {keys.key_id}: refusing to back up under "
                    f"another key. Restore the key the backups were made with, or pass --new-key "
                    f"to start a new chain with this one (the old sets stay, readable only with "
                    f"the old key)")
            log.warning("backup: starting a new chain under key id %s (the newest set has key "
                        "id %s, which stays readable only with its own key)", keys.key_id, other)
            full = True
            set_aside_anchor(dest, keys)
        chain, why_full = ([], "full backup requested") if full else _extendable(sets, encrypt)
        if staging_root is None:  # plaintext of an encrypted set must not reach the destination
            import tempfile
            staging_root = Path(tempfile.gettempdir()) / "telos-backup" if encrypt else dest / ".work"
        root = staging_root
        root.mkdir(parents=True, exist_ok=True)
        staging = root / f"stage-{os.getpid()}-{time.time_ns()}"
        try:
            return _run(source, dest, keys, sets, chain, why_full, staging, encrypt,
                        dict(snapshots or {}), settings, status, chunk_size, t0)
        except (OSError, repozo.RepozoFailed) as exc:
            if is_disk_full(exc):
                where = getattr(exc, "filename", None) or (staging if isinstance(
                    exc, repozo.RepozoFailed) else dest)
                log.error("backup: disk full writing %s; no partial set was left", where)
                raise BackupDiskFullError(where) from exc
            raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _run(source: Path, dest: Path, keys: BackupKeys, sets: list[SetRef], chain: list[SetRef],
         why_full: str, staging: Path, encrypt: bool, snapshots: dict[str, Snapshot],
         settings: dict | None,
         status: StatusCallback | None, chunk_size: int, t0: float) -> BackupResult:
    """One run in ``staging`` (see :func:`make_backup`, which holds the lock and cleans up)."""
    import time
    good = [s for s in sets if s.error is None]
    newest_stamp = max((s.stamp for s in sets), default=None)
    _stage(staging / "repo", chain)
    repozo.wait_past(newest_stamp)
    try:
        out = repozo.backup(source, staging / "repo", full=not chain)
    except repozo.RepozoFailed as exc:
        if "Cannot overwrite" not in exc.output:
            raise
        repozo.wait_past(repozo.stamp_now())
        out = repozo.backup(source, staging / "repo", full=not chain)
    new = [p for p in (staging / "repo").iterdir()
           if repozo.STAMP_RE.match(p.name) and p.stat().st_size > 0]
    if not new:
        reason = "nothing to do" if "nothing to do" in out else out.strip()[-300:]
        return BackupResult(None, "none", 0, time.perf_counter() - t0, reason)
    data = new[0]
    stamp, ext = repozo.STAMP_RE.match(data.name).groups()
    kind = "full" if ext == "fs" else "incremental"
    if kind == "full":
        chain, chain_name = [], stamp
        why = why_full or "repozo chose a full backup (the image was packed or changed)"
    else:
        chain_name, why = chain[0].chain, "incremental"
    full_stamp = stamp if kind == "full" else chain[0].manifest["repozo"]["file"].split(".")[0]
    line = repozo.read_dat(staging / "repo" / f"{full_stamp}.dat")[-1]
    if line.file != data.name:
        raise BackupError(f"repozo's .dat does not name {data.name}: {line}")
    tid = repozo.last_tid(data)
    fsindex = staging / "repo" / f"{stamp}.index"
    objects = _count_objects(fsindex)
    captured: dict[str, dict] = {}
    for name, snapshot in snapshots.items():
        snap_dir = staging / "areas" / name
        snap_dir.mkdir(parents=True)
        info = snapshot(snap_dir)
        if info is not None:
            captured[name] = {"tid": _tid_hex(info.get("tid")), "files": sorted(
                os.path.relpath(f, snap_dir) for f in info.get("files", []))}
    cfg = staging / "config.json"
    cfg.write_text(json.dumps(settings or {}, sort_keys=True, indent=1, default=str))

    chain_dir = dest / "chains" / chain_name
    new_chain = not chain_dir.exists()
    set_rel = f"sets/{stamp}"
    plan = [(data, f"repozo/{data.name}", "data"), (fsindex, f"repozo/{fsindex.name}", "fsindex"),
            (cfg, f"{set_rel}/config.json", "config")]
    for name in captured:
        plan += [(p, rel, name) for p, rel in _collect(staging / "areas" / name, f"{set_rel}/{name}")]
    total = sum(p.stat().st_size for p, _, _ in plan)
    files: dict[str, Any] = {}
    written: list[Path] = []     # removed again if the run fails before HEAD names it
    set_dir = chain_dir / set_rel
    try:
        with Progress(f"backup {kind}", total, unit="B", status=status) as prog:
            for src, rel, role in plan:
                stored = rel + (".enc" if encrypt else "")
                written.append(chain_dir / stored)
                files[stored] = _place(src, chain_dir / stored, keys, encrypt, rel, role,
                                       prog, chunk_size)
        ref = _seal_set(dest, keys, good, set_dir, written, {
            "format": FORMAT, "kind": kind, "chain": chain_name, "stamp": stamp,
            "created": dt.datetime.now(dt.timezone.utc).isoformat(),
            "tid": tid.hex(), "objects": objects, "source": str(source),
            "repozo": {"file": line.file, "start": line.start, "end": line.end,
                       "md5": line.md5},
            "encrypted": encrypt, "files": files, "snapshots": captured,
            "memory": captured.get("memory"), "why": why})
    except BaseException:
        _discard(written, set_dir, chain_dir if new_chain else None)
        raise
    if not encrypt:
        try:
            _write_chain_dat(chain_dir, chain + [ref])
        except OSError as exc:   # the set is complete and signed; only the convenience .dat lags
            if not is_disk_full(exc):
                raise
            log.warning("disk full writing the repozo .dat of chain %s: set %s is complete, "
                        "but plain `repozo -R` will not see it until the next backup",
                        chain_name, ref.describe())
    log.info("backup set %s written (%s, tid %s, %d bytes)", ref.describe(), why, tid.hex(), total)
    return BackupResult(ref, kind, total, time.perf_counter() - t0, why)


def _seal_set(dest: Path, keys: BackupKeys, good: list[SetRef], set_dir: Path,
              written: list[Path], body: dict) -> SetRef:
    """Link the manifest to the previous one, sign and write it, then HEAD: the set exists."""
    prev = good[-1] if good else None
    if prev is None:
        from telos.backup.catalog import read_anchor
        anchor = read_anchor(dest, keys)
        prev_sha, seq = (anchor["sha256"], anchor["seq"] + 1) if anchor else (None, 1)
    else:
        prev_sha, seq = prev.sha256, prev.seq + 1
    body = dict(body, seq=seq, prev=prev_sha)
    set_dir.mkdir(parents=True, exist_ok=True)
    signed = sign(body, keys)
    written.append(set_dir / "manifest.json")
    atomic.write_bytes(set_dir / "manifest.json", signed)
    from telos.backup.manifest import sha256_bytes
    ref = SetRef(set_dir, json.loads(signed), sha256_bytes(signed))
    write_head(dest, ref, keys)
    return ref


def _discard(written: list[Path], set_dir: Path, new_chain_dir: Path | None) -> None:
    """Remove what a failed run placed in the destination: no partial set stays behind."""
    for path in written:      # (a failed atomic write has already removed its temporary)
        path.unlink(missing_ok=True)
    shutil.rmtree(set_dir, ignore_errors=True)
    if new_chain_dir is not None:
        shutil.rmtree(new_chain_dir, ignore_errors=True)
    log.info("backup: removed the partial set %s", set_dir)


def write_head(dest: Path, ref: SetRef, keys: BackupKeys) -> None:
    atomic.write_bytes(dest / "HEAD.json", sign({"seq": ref.seq, "sha256": ref.sha256, "set": ref.ident}, keys))


def _write_chain_dat(chain_dir: Path, chain: list[SetRef]) -> None:
    lines = [repozo.DatLine(**s.manifest["repozo"]) for s in chain]
    repo = chain_dir / "repozo"
    dat = repo / (lines[0].file.rsplit(".", 1)[0] + ".dat")
    repozo.write_dat(dat, repo, lines)


def _count_objects(index_file: Path) -> int:
    from ZODB.fsIndex import fsIndex
    try:
        return len(fsIndex.load(str(index_file))["index"])
    except Exception as exc:  # a foreign file format: translate at the boundary
        raise BackupError(f"repozo's index {index_file.name} cannot be read: {exc}") from exc


def _tid_hex(tid: Any) -> str | None:
    if tid is None:
        return None
    if isinstance(tid, (bytes, bytearray)):
        return bytes(tid).hex()
    if isinstance(tid, int):
        return tid.to_bytes(8, "big").hex()
    return str(tid)
