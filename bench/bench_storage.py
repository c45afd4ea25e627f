"""bench storage: small-commit latency and throughput on FileStorage, ZEO and RelStorage/PostgreSQL.

    python3 master_forge.py bench storage [--commits N] [--quick]

Each writer (a thread with its own connection) commits N small thoughts to its own object (no
conflicts: this measures the storage, not conflict retries). Printed per storage and writer
count: commit p50/p99, commits/s, and each as a ratio to FileStorage in the same run; RelStorage
again with a streaming standby, asynchronous then synchronous (the cost of replication). Then
"nodes": RelStorage throughput with two processes (two nodes on one database, 2 writers each)
against one process with 2 writers. PostgreSQL runs as a private cluster (telos.pg) in a
temporary home, with its defaults (synchronous_commit on: every commit is fsync'd).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import transaction
import ZODB
from persistent.mapping import PersistentMapping


def _prepare(db, writers: int) -> None:
    with db.transaction() as conn:
        for w in range(writers):
            conn.root()[f"w{w}"] = PersistentMapping(n=0)


def _writer(db, w: int, n: int, out: list) -> None:
    tm = transaction.TransactionManager()
    conn = db.open(tm)
    try:
        obj = conn.root()[f"w{w}"]
        for i in range(n):
            t0 = time.perf_counter()
            tm.begin()
            obj["n"] = i
            obj[f"k{i % 8}"] = "x" * 100
            tm.commit()
            out.append(time.perf_counter() - t0)
    finally:
        conn.close()


def run_writers(db, writers: int, n: int) -> dict:
    _prepare(db, writers)
    lat: list[float] = []
    threads = [threading.Thread(target=_writer, args=(db, w, n, lat)) for w in range(writers)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    lat.sort()
    return {"p50": statistics.median(lat), "p99": lat[min(len(lat) - 1, int(len(lat) * 0.99))],
            "rate": len(lat) / wall}


def _node_main(dsn: str, first: int, writers: int, n: int) -> None:
    """One node (a process of its own): prints "commits start end" (perf_counter is system-wide)."""
    from telos import storage
    db = storage.open_db(storage.parse(dsn))
    try:
        lat: list[float] = []
        threads = [threading.Thread(target=_writer, args=(db, first + w, n, lat)) for w in range(writers)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        print(len(lat), t0, time.perf_counter(), flush=True)
    finally:
        db.close()


def run_nodes(dsn: str, nodes: int, writers: int, n: int) -> float:
    """Commits/s of ``nodes`` processes with ``writers`` threads each on one database."""
    from telos import storage
    from telos.config import REPO_ROOT
    db = storage.open_db(storage.parse(dsn))
    _prepare(db, nodes * writers)
    db.close()
    procs = [subprocess.Popen([sys.executable, __file__, "--node", dsn, str(k * writers),
                               str(writers), str(n)], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
             for k in range(nodes)]
    results = []
    for p in procs:
        out, _ = p.communicate(timeout=600)
        if p.returncode != 0:
            raise RuntimeError(f"bench node exited {p.returncode}")
        count, start, end = out.split()
        results.append((int(count), float(start), float(end)))
    total = sum(r[0] for r in results)
    return total / (max(r[2] for r in results) - min(r[1] for r in results))


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="bench storage")
    ap.add_argument("--commits", type=int, default=400, help="commits per writer (default 400)")
    ap.add_argument("--quick", action="store_true", help="100 commits per writer")
    ap.add_argument("--no-standby", action="store_true",
                    help="skip RelStorage with an async and a synchronous standby")
    args = ap.parse_args(argv)
    n = 100 if args.quick else args.commits
    from telos import pg, storage
    tmp = Path(tempfile.mkdtemp(prefix="tbs", dir="/tmp"))
    rows: list[tuple[str, int, dict]] = []
    zeo = pg_home = None
    try:
        for writers in (1, 4):
            from ZODB.FileStorage import FileStorage
            fs = tmp / f"fs{writers}" / "Data.fs"
            fs.parent.mkdir()
            db = ZODB.DB(FileStorage(str(fs)))
            rows.append(("FileStorage", writers, run_writers(db, writers, n)))
            db.close()

            sock = tmp / f"zeo{writers}.sock"
            zfs = tmp / f"zeo{writers}" / "Data.fs"
            zfs.parent.mkdir()
            zeo = subprocess.Popen([sys.executable, "-m", "ZEO.runzeo", "-a", str(sock), "-f", str(zfs)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            import ZEO
            db = ZEO.DB(str(sock), wait_timeout=30)
            rows.append(("ZEO", writers, run_writers(db, writers, n)))
            db.close()
            zeo.terminate()
            zeo.wait(20)
            zeo = None

        if not pg.available():
            print("PostgreSQL is not installed: RelStorage skipped", file=sys.stderr)
        else:
            home = pg_home = Path(tempfile.mkdtemp(prefix="tbp", dir="/tmp"))  # postgres must reach it
            pg.init(home)
            pg.start(home)
            for writers in (1, 4):
                name = f"bench{writers}"
                pg.create_database(home, name)
                db = storage.open_db(storage.parse(pg.dsn(home, name)))
                rows.append(("RelStorage", writers, run_writers(db, writers, n)))
                db.close()
            if not args.no_standby:   # the cost of replication: async, then synchronous
                from telos import standby
                standby.init(home)
                for mode in ("async", "sync"):
                    if mode == "sync":
                        standby.set_synchronous(home, True)
                        standby._wait_for(home, "sync")
                    for writers in (1, 4):
                        name = f"standby_{mode}{writers}"
                        pg.create_database(home, name)
                        db = storage.open_db(storage.parse(pg.dsn(home, name)))
                        rows.append((f"+{mode} standby", writers, run_writers(db, writers, n)))
                        db.close()
                standby.set_synchronous(home, False)
            pg.create_database(home, "nodes1")
            pg.create_database(home, "nodes2")
            one = run_nodes(pg.dsn(home, "nodes1"), 1, 2, n)
            two = run_nodes(pg.dsn(home, "nodes2"), 2, 2, n)
            pg.stop(home)
    finally:
        if zeo is not None:
            zeo.kill()
        try:
            if pg_home is not None:
                from telos import standby
                if pg.state_file(pg_home).exists():
                    standby.stop(pg_home)
                pg.stop(pg_home)
                shutil.rmtree(pg_home, ignore_errors=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    base = {w: r for (kind, w, r) in rows if kind == "FileStorage"}
    print(f"{n} small commits per writer; ratios to FileStorage with the same writers\n")
    print(f"{'storage':<16} {'writers':>7} {'p50 ms':>8} {'p99 ms':>8} {'commits/s':>10} "
          f"{'p50 ×':>7} {'p99 ×':>7} {'rate ×':>7}")
    for kind, w, r in rows:
        b = base[w]
        print(f"{kind:<16} {w:>7} {r['p50'] * 1e3:>8.2f} {r['p99'] * 1e3:>8.2f} {r['rate']:>10.0f} "
              f"{r['p50'] / b['p50']:>7.1f} {r['p99'] / b['p99']:>7.1f} {r['rate'] / b['rate']:>7.2f}")
    if any(kind == "RelStorage" for kind, _, _ in rows):
        print(f"\nRelStorage nodes: 1 process × 2 writers {one:.0f} commits/s; 2 processes × 2 "
              f"writers {two:.0f} commits/s ({two / one:.2f}×)")
    return 0


if __name__ == "__main__" and sys.argv[1:2] == ["--node"]:
    _node_main(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
