"""bench backup: repozo sets, encryption and restore, measured against baselines in the same run.

    python3 master_forge.py bench backup [--quick]

* incremental backup time vs the size of the change, on a small and a 4x larger image: the
  ratio large/small for the same change should stay near 1 (scales with the change, not the image);
* full backup and restore-drill throughput in MB/s;
* encryption overhead: encrypted full backup time ÷ unencrypted full backup time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import transaction
import ZODB
from persistent.mapping import PersistentMapping
from ZODB.FileStorage import FileStorage


def _grow(conn, mb: float, tag: str, obj_kb: int = 64) -> None:
    root = conn.root()
    n = max(1, int(mb * 1024 / obj_kb))
    for i in range(n):
        root[f"{tag}{i}"] = PersistentMapping(blob=os.urandom(obj_kb * 1024))
        if i % 16 == 15:
            transaction.commit()
    transaction.commit()


def _next_second() -> None:
    time.sleep(1.02 - time.time() % 1)


def _timed_backup(path, dest, keys, **kw):
    from telos.backup.engine import make_backup
    _next_second()
    t0 = time.perf_counter()
    r = make_backup(path, dest, keys, **kw)
    return time.perf_counter() - t0, r


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="bench backup")
    ap.add_argument("--quick", action="store_true", help="small sizes (a few seconds)")
    args = ap.parse_args(argv)
    from telos.backup.drill import drill
    from telos.backup.catalog import load_sets
    from telos.backup.keys import BackupKeys
    keys = BackupKeys(os.urandom(32), source="bench")
    base_mb = 8 if args.quick else 64
    changes = (0.25, 1, 4) if args.quick else (0.5, 2, 8)
    tmp = Path(tempfile.mkdtemp(prefix="bench-backup-"))
    rows = []
    try:
        incr: dict[tuple[int, float], float] = {}
        for scale in (1, 4):
            fs_path = tmp / f"img{scale}" / "Data.fs"
            fs_path.parent.mkdir()
            db = ZODB.DB(FileStorage(str(fs_path)))
            conn = db.open()
            _grow(conn, base_mb * scale, "base")
            dest = tmp / f"dest{scale}"
            dest.mkdir()
            size_mb = fs_path.stat().st_size / 2**20
            t_full, r_full = _timed_backup(fs_path, dest, keys, full=True)
            if scale == 1:
                rows.append(f"full backup {size_mb:.1f} MB: {t_full:.2f}s = {size_mb / t_full:.1f} MB/s")
                enc_dest = tmp / "enc"
                enc_dest.mkdir()
                t_enc, _ = _timed_backup(fs_path, enc_dest, keys, full=True, encrypt=True,
                                         staging_root=tmp / "stage")
                rows.append(f"encrypted full backup: {t_enc:.2f}s; overhead ratio "
                            f"encrypted/plain = {t_enc / t_full:.2f}")
                sets = load_sets(dest, keys)
                res = drill(sets, sets[-1], keys, tmp / "drill")
                assert res.ok, res.error
                rows.append(f"restore drill (repozo -R -w, fstest, fsrefs, open) {size_mb:.1f} MB: "
                            f"{res.seconds:.2f}s = {size_mb / res.seconds:.1f} MB/s")
            for ch in changes:
                _grow(conn, ch, f"c{ch}_")
                t, r = _timed_backup(fs_path, dest, keys)
                assert r.kind == "incremental"
                incr[(scale, ch)] = t
            conn.close()
            db.close()
        first = changes[0]
        for ch in changes:
            rows.append(f"incremental +{ch} MB: image {base_mb} MB {incr[(1, ch)]:.3f}s, image "
                        f"{base_mb * 4} MB {incr[(4, ch)]:.3f}s; large/small = "
                        f"{incr[(4, ch)] / incr[(1, ch)]:.2f}; vs +{first} MB on the same image = "
                        f"{incr[(1, ch)] / incr[(1, first)]:.2f} (change ratio {ch / first:.0f})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("bench backup" + (" (quick)" if args.quick else ""))
    for row in rows:
        print("  " + row)
    return 0


if __name__ == "__main__":
    import sys
    raise SystemExit(main(sys.argv[1:]))
