"""The restore drill: rebuild a set's chain as plaintext, ``repozo -R -w``, then prove the result.

Checks, in order, each failing with a message naming the set, file and check:

1. every file the set needs is present and its sha256 matches its (authenticated) manifest;
2. encrypted files decrypt and authenticate (AES-GCM), and match their plaintext sha256;
3. ``repozo -R -w`` recovers while checking size and md5 of every data file;
4. ZODB's ``fstest`` (record structure) and ``fsrefs`` (every object loads, no dangling refs);
5. the result opens with ZODB, its last tid and object count equal the manifest's, and the
   root object loads.

A plain ``repozo -R`` recovers a damaged incremental without complaint; only this whole
sequence is trusted.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from telos.backup import repozo
from telos.backup.catalog import chain_of
from telos.backup.crypto import decrypt_file, require_key
from telos.backup.keys import BackupKeys
from telos.backup.layout import SetRef
from telos.backup.manifest import sha256_file
from telos.errors import BackupCorruptError, BackupError
from telos.progress import Progress, StatusCallback

log = logging.getLogger(__name__)


@dataclass
class DrillResult:
    set: SetRef
    ok: bool
    seconds: float
    output: Path | None = None
    objects: int = 0
    tid: str = ""
    memory_ok: bool = False
    memory_reason: str = ""
    steps: list[str] = field(default_factory=list)
    error: str = ""


def check_file(ref: SetRef, rel: str, info: dict) -> Path:
    path = ref.chain_dir / rel
    if not path.exists():
        raise BackupCorruptError(f"set {ref.describe()}: file {rel} is missing")
    size = path.stat().st_size
    if size != info["size"]:
        raise BackupCorruptError(
            f"set {ref.describe()}: file {rel} is {size} bytes, the manifest says {info['size']} "
            f"(truncated or extended)")
    if sha256_file(path) != info["sha256"]:
        raise BackupCorruptError(
            f"set {ref.describe()}: file {rel} does not match its sha256 in the manifest (damaged)")
    return path


def _bring(ref: SetRef, rel: str, info: dict, dst: Path, keys: BackupKeys, prog: Progress) -> None:
    src = check_file(ref, rel, info)
    if ref.manifest.get("encrypted"):
        sealed = decrypt_file(src, dst, require_key(keys.enc_key), name=rel.removesuffix(".enc"),
                              on_bytes=prog.update)
        if sealed.plain_sha256 != info["plain_sha256"]:
            raise BackupCorruptError(f"set {ref.describe()}: {rel} decrypts to the wrong content")
        return
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)
    prog.update(info["size"])


def materialize(sets: list[SetRef], target: SetRef, keys: BackupKeys, repo: Path,
                status: StatusCallback | None = None) -> list[SetRef]:
    """A plaintext repozo repository in ``repo`` holding exactly ``target``'s chain."""
    members = chain_of(sets, target)
    repo.mkdir(parents=True, exist_ok=True)
    wanted = []
    for m in members:
        for rel, info in m.manifest["files"].items():
            if info["role"] == "data" or (info["role"] == "fsindex" and m is target):
                wanted.append((m, rel, info))
    total = sum(info.get("plain_size", info["size"]) for _, _, info in wanted)
    with Progress(f"prepare {target.stamp}", total, unit="B", status=status) as prog:
        for m, rel, info in wanted:
            _bring(m, rel, info, repo / Path(rel).name.removesuffix(".enc"), keys, prog)
    lines = [repozo.DatLine(**m.manifest["repozo"]) for m in members]
    repozo.write_dat(repo / (lines[0].file.rsplit(".", 1)[0] + ".dat"), repo, lines)
    return members


def check_restored(path: Path, target: SetRef) -> tuple[str, int]:
    """Open the recovered file with ZODB and compare with the manifest → (tid hex, objects)."""
    import ZODB
    from ZODB.FileStorage import FileStorage
    try:
        storage = FileStorage(str(path), read_only=True)
    except Exception as exc:  # foreign: any failure to open is a corrupt restore
        raise BackupCorruptError(f"set {target.describe()}: the restored file does not open: {exc}") from exc
    db = ZODB.DB(storage)
    try:
        tid, objects = storage.lastTransaction().hex(), len(storage)
        if tid != target.manifest["tid"]:
            raise BackupCorruptError(
                f"set {target.describe()}: restored image ends at tid {tid}, manifest says "
                f"{target.manifest['tid']}")
        if objects != target.manifest["objects"]:
            raise BackupCorruptError(
                f"set {target.describe()}: restored image has {objects} objects, manifest says "
                f"{target.manifest['objects']}")
        conn = db.open()
        try:
            root = conn.root()
            len(root)
        finally:
            conn.close()
        return tid, objects
    finally:
        db.close()


def restore_memory(target: SetRef, keys: BackupKeys, out_dir: Path) -> tuple[bool, str]:
    """Bring the set's memory snapshot into ``out_dir`` when it matches the manifest and the
    restored tid; otherwise leave nothing there (memory then rebuilds from the image)."""
    mem = target.manifest.get("memory")
    if not mem:
        return False, "the set has no memory snapshot"
    if mem.get("tid") != target.manifest["tid"]:
        return False, (f"the snapshot is of tid {mem.get('tid')}, the image of "
                       f"{target.manifest['tid']}: indexes will be rebuilt from the image")
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    prefix = f"sets/{target.stamp}/memory/"
    try:
        with Progress("memory snapshot", None, unit="B") as prog:
            for rel, info in target.manifest["files"].items():
                if info["role"] != "memory":
                    continue
                dst = tmp / rel.removesuffix(".enc")[len(prefix):]
                dst.parent.mkdir(parents=True, exist_ok=True)
                _bring(target, rel, info, dst, keys, prog)
    except BackupError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        return False, f"{exc}: indexes will be rebuilt from the image"
    shutil.rmtree(out_dir, ignore_errors=True)
    os.replace(tmp, out_dir)
    return True, "snapshot matches the manifest and the restored tid"


def drill(sets: list[SetRef], target: SetRef, keys: BackupKeys, work: Path,
          status: StatusCallback | None = None) -> DrillResult:
    """Restore ``target`` into ``work/restored`` and prove it (see the module docstring).
    Never raises for a damaged set: the result says what failed."""
    t0 = time.perf_counter()
    res = DrillResult(target, False, 0.0)
    out_dir = work / "restored"
    shutil.rmtree(work / "repo", ignore_errors=True)
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    try:
        materialize(sets, target, keys, work / "repo", status)
        res.steps.append("files match manifests")
        out = out_dir / "telos.fs"
        repozo.recover(work / "repo", out, date=target.stamp, verify=True)
        res.steps.append("repozo -R -w")
        repozo.fstest(out)
        res.steps.append("fstest")
        repozo.fsrefs(out)
        res.steps.append("fsrefs")
        res.tid, res.objects = check_restored(out, target)
        res.steps.append("opens; tid and object count match")
        res.memory_ok, res.memory_reason = restore_memory(target, keys, out_dir / "memory")
        res.output, res.ok = out, True
    except BackupError as exc:
        res.error = str(exc)
        log.warning("restore drill of %s failed: %s", target.describe(), exc)
    finally:
        shutil.rmtree(work / "repo", ignore_errors=True)
        res.seconds = time.perf_counter() - t0
    return res
