"""``bench memory -- --startup N`` and ``--rebuild N``: memory at size (issue 16).

Both build a real image (FileStorage under a temporary ``TELOS_HOME``, the real memory area:
ZODB records, L1 with its checkpoint and delta log, the lexical index, an L2 archive) holding
``N`` records with SYNTHETIC clustered vectors and short synthetic texts, stored through the
memory's own ``_store`` (one thought per batch of ``BATCH``; no embedder: a stand-in that
counts calls and refuses to embed).

``--startup``: the records up to 90 % are archived into L2, the rest stay in L1; the image is
closed, then opened again and timed until a search answers: image open (ZODB + awakening), L2
load, L1 load, lexical open, the L1/L2 check, and the first search (catch-up by tid). Embed
calls and index adds during the reopen are counted (both must be 0).

``--rebuild``: N records, all in L1 above an archive of the first half; the L2 archive is then
rebuilt in the background (``engine.archive()``: export, child process, load, swap, L1
eviction) while this thread searches and commits; search p50/p99 and commit p50 during the
rebuild are compared with the same loop idle just before and just after it, and the longest
single search (the stall across the swap) is reported next to the idle p50, with the rebuild's
steps it overlapped.

``--keep DIR``: ``--startup`` builds its image in DIR and leaves it there (a 1M-record image
takes most of an hour to build), and a later ``--startup`` with the same N reuses it;
``--rebuild`` with ``--keep`` rebuilds on a copy of that image instead of building its own.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import statistics
import tempfile
import threading
import time

import numpy as np
from pathlib import Path

BATCH = 10_000
WORDS = ("kettle cupboard tea tin cups hooks garden window letter stairs lamp desk clock "
         "river bridge market bread salt ledger engine valve spring copper glass paper ink "
         "wheel rope sail harbour lantern candle mirror basket orchard field stone").split()


class CountingEmbedder:
    """A stand-in that counts calls; the benchmark never embeds (vectors are given)."""
    calls = 0

    def encode(self, texts):
        CountingEmbedder.calls += 1
        raise RuntimeError("the benchmark must not embed")


def _texts(start: int, n: int, rng) -> list[str]:
    w = rng.integers(0, len(WORDS), (n, 4))
    return [f"note {start + i}: {WORDS[a]} {WORDS[b]} {WORDS[c]} {WORDS[d]}"
            for i, (a, b, c, d) in enumerate(w.tolist())]


def batch_for(n: int) -> int:
    return min(BATCH, max(500, n // 10))


def populate(mem, vecs: np.ndarray, *, upto: int | None = None, archive_at: int | None = None,
             report=print) -> float:
    """Store ``vecs`` (upto rows) through ``mem._store`` in batches; archive into L2 once
    ``archive_at`` records are stored. Returns the seconds it took."""
    rng = np.random.default_rng(7)
    n = len(vecs) if upto is None else upto
    t0 = time.perf_counter()
    for start in range(0, n, batch_for(n)):
        stop = min(n, start + batch_for(n))
        mem._store(_texts(start, stop - start, rng), vecs[start:stop], [None] * (stop - start))
        if archive_at is not None and start < archive_at <= stop:
            t = time.perf_counter()
            mem.engine.archive()
            report(f"    (archived {mem.engine.l2.count} records into L2 in "
                   f"{time.perf_counter() - t:.1f} s)")
    mem.engine.lexical.flush()
    return time.perf_counter() - t0


def _open(home):
    from telos import open_image
    from telos.memory import attach
    os.environ["TELOS_HOME"] = home
    im = open_image()
    mem = attach(im, embedder=CountingEmbedder())
    im._areas["memory"] = mem
    return im, mem


def _built(home: str, n: int) -> dict | None:
    """What an earlier ``--startup N --keep`` left in ``home`` (None if it holds no full build)."""
    try:
        meta = json.loads(Path(home, "bench-built.json").read_text())
    except (OSError, ValueError):
        return None
    return meta if meta.get("n") == n else None


def bench_startup(n: int, queries: int = 20, keep: str | None = None) -> dict:
    """``keep``: build the image in that directory and leave it there; a later run with the same
    directory and ``n`` reuses it (the build of a 1M-record image takes most of an hour)."""
    from bench_memory import clustered
    x = clustered(n)
    with contextlib.ExitStack() as stack:
        if keep:
            home = str(Path(keep).resolve())
            os.makedirs(home, exist_ok=True)
        else:
            home = stack.enter_context(tempfile.TemporaryDirectory(prefix="tls", dir="/tmp"))
        meta = _built(home, n)
        if meta is None:
            if os.path.exists(os.path.join(home, "telos.fs")):
                raise SystemExit(f"{home} holds an image that is not a finished {n}-record build; "
                                 "remove it or pick another --keep directory")
            im, mem = _open(home)
            built = populate(mem, x, archive_at=(n * 9 // 10) // batch_for(n) * batch_for(n) or None)
            mem.engine.l1.checkpoint()
            stats = mem.stats()
            im.close()
            meta = {"n": n, "built": built, "stats": stats}
            Path(home, "bench-built.json").write_text(json.dumps(meta))
        else:
            im, mem = _open(home)       # an image built by older code is brought up to date
            im.close()                  # here, outside the timing (e.g. the record counter)
            print(f"    (reusing the image built in {home}; opened once before the timed reopen)")
        built, stats = meta["built"], meta["stats"]
        fs = os.path.getsize(os.path.join(home, "telos.fs")) / 2**20
        print(f"(8) start-up at {n} records ({fs:.0f} MB FileStorage; L2 {stats['l2']}, "
              f"L1 {stats['l1']}, lexical {stats['lexical']}; built in {built:.0f} s)")
        return _reopen(home, x, queries)


def _reopen(home: str, x: np.ndarray, queries: int) -> dict:
    """Open the image in ``home`` again, timed step by step until a search answers, counting
    embed calls and index adds (both must be 0); then (8b) the search at this size."""
    from telos import open_image
    from telos.index.faiss_index import FaissIndex
    from telos.index.tantivy_index import TantivyIndex
    from telos.memory import attach
    adds = {"faiss": 0, "tantivy": 0}
    fa, ta = FaissIndex.add, TantivyIndex.add

    def faiss_add(self, ids, vectors):
        adds["faiss"] += len(np.atleast_1d(ids))
        return fa(self, ids, vectors)

    def tantivy_add(self, ids, texts, sources=None):
        ids = list(ids)
        adds["tantivy"] += len(ids)
        return ta(self, ids, texts, sources)
    FaissIndex.add, TantivyIndex.add = faiss_add, tantivy_add
    CountingEmbedder.calls = 0
    try:
        os.environ["TELOS_HOME"] = home
        t0 = time.perf_counter()
        im = open_image()
        t1 = time.perf_counter()
        mem = attach(im, embedder=CountingEmbedder())
        im._areas["memory"] = mem
        t2 = time.perf_counter()
        first = mem.search("tea kettle", 10, vector=x[0])
        t3 = time.perf_counter()
    finally:
        FaissIndex.add, TantivyIndex.add = fa, ta
    try:
        lat = []
        for v in x[:queries]:
            t = time.perf_counter()
            mem.search("tea kettle", 10, vector=v)
            lat.append(time.perf_counter() - t)
        steps = dict(mem.engine.opened)
        total = t3 - t0
        parts = [("image open (ZODB + awakening)", t1 - t0), ("L2 load", steps["l2"]),
                 ("L1 load", steps["l1"]), ("lexical open", steps["lexical"]),
                 ("L1/L2 check", steps["check"]),
                 ("engine, rest", (t2 - t1) - sum(steps.values())),
                 ("first search (catch-up)", t3 - t2)]
        print(f"    reopen until the first search answers: {total:.2f} s "
              f"(a later search: p50 {statistics.median(lat) * 1000:.1f} ms, so the first one "
              f"costs {(t3 - t2) / statistics.median(lat):.1f}x a warm one)")
        for name, secs in parts:
            print(f"      {name:32} {secs * 1000:8.1f} ms  {secs / total:5.1%}")
        print(f"    during the reopen: embed calls {CountingEmbedder.calls}, vectors added to FAISS "
              f"{adds['faiss']}, texts added to Tantivy {adds['tantivy']}; first search: "
              f"{len(first)} hits", flush=True)
        found = search_at_size(mem, x)
    finally:
        im.close()
    return {"total": total, **dict(parts), **adds, "embeds": CountingEmbedder.calls, **found}


def search_at_size(mem, x: np.ndarray, queries: int = 200) -> dict:
    """(8b) On the reopened image: search p50/p99 of each tier and of the layered vector
    search, against an exact FAISS scan of the same vectors (interleaved, so both see the same
    load), and the layered search's recall@10 against it; before them, one pass of the layered
    search alone, timed: the first queries after a reopen (cold pages). Record i holds x[i]."""
    from bench_memory import _pct
    from telos.index.faiss_index import FaissIndex
    rng = np.random.default_rng(1)
    q = x[rng.choice(len(x), queries, replace=False)] + 0.02 * rng.standard_normal(
        (queries, x.shape[1])).astype("f4")
    flat = FaissIndex(x.shape[1], "l2")
    ids = np.asarray(sorted(mem.bank.contexts.keys()), np.int64)
    assert len(ids) == len(x), (len(ids), len(x))
    flat.add(ids, x)
    cold = []
    for v in q:      # first pass, layered only: the archive's pages are not yet in RAM
        t = time.perf_counter()
        mem.search_vectors(v[None], 10)
        cold.append(time.perf_counter() - t)
    lat = {"L1 (FAISS)": [], "L2 (DiskANN)": [], "layered": [], "exact (all)": []}
    recall = []
    for v in q:
        v = v[None]
        t = time.perf_counter()
        mem.engine.l1.search(v, 10)
        lat["L1 (FAISS)"].append(time.perf_counter() - t)
        t = time.perf_counter()
        mem.engine.l2.search(v, 10)
        lat["L2 (DiskANN)"].append(time.perf_counter() - t)
        t = time.perf_counter()
        got = mem.search_vectors(v, 10)[0]
        lat["layered"].append(time.perf_counter() - t)
        t = time.perf_counter()
        want = flat.search(v, 10)[0]
        lat["exact (all)"].append(time.perf_counter() - t)
        recall.append(len({h.id for h in got} & {h.id for h in want}) / 10)
    e50 = _pct(lat["exact (all)"], 50)
    print(f"(8b) vector search at {len(x)} records, {queries} queries near stored vectors, k=10 "
          f"(L1 {len(mem.engine.l1)}, L2 {mem.engine.l2.count})")
    for name, xs in lat.items():
        print(f"    {name:14} p50 {_pct(xs, 50) * 1000:8.2f} ms  p99 {_pct(xs, 99) * 1000:8.2f} ms"
              f"  {_pct(xs, 50) / e50:5.2f}x exact p50")
    print(f"    layered recall@10 against exact: {np.mean(recall):.3f}; the same queries the first "
          f"time, right after the reopen: layered p50 {_pct(cold, 50) * 1000:.2f} ms, "
          f"p99 {_pct(cold, 99) * 1000:.2f} ms", flush=True)
    return {"layered_p50": _pct(lat["layered"], 50), "exact_p50": e50,
            "recall": float(np.mean(recall))}


@contextlib.contextmanager
def phases(engine):
    """Record (name, start, end) of the rebuild's steps in the parent process: the export of
    the vectors, the child's build, the load of the new archive, the eviction from L1 and
    L1's checkpoint (the steps a search could wait behind)."""
    import subprocess

    from telos.memory import l2archive
    spans: list[tuple[str, float, float]] = []

    def timed(name, fn):
        def wrapper(*a, **kw):
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                spans.append((name, t, time.perf_counter()))
        return wrapper
    l2, l1 = engine.l2, engine.l1
    saved = [(l2archive, "last_committed_tid"), (subprocess, "run"), (l2, "_load"),
             (engine, "_evict_archived"), (l1, "checkpoint"), (l1, "evict"),
             (l1, "_write_checkpoint")]
    originals = [(obj, name, getattr(obj, name)) for obj, name in saved]
    names = {"last_committed_tid": "export starts", "run": "child builds (export before it)",
             "_load": "new archive loaded and checked", "_evict_archived": "L1 drops archived ids",
             "checkpoint": "L1 checkpoint", "evict": "L1 evict (under its lock)",
             "_write_checkpoint": "L1 checkpoint written, log cut"}
    for obj, name, fn in originals:
        setattr(obj, name, timed(names[name], fn))
    try:
        yield spans
    finally:
        for obj, name, fn in originals:
            if obj is l2 or obj is l1 or obj is engine:
                delattr(obj, name)      # the instance attribute; the class's method shows again
            else:
                setattr(obj, name, fn)
        spans.sort(key=lambda s: s[1])


def bench_rebuild(n: int, seconds: float = 10.0, keep: str | None = None) -> dict:
    """``keep``: rebuild on a copy of the image an earlier ``--startup N --keep DIR`` built (90 %
    archived) instead of building one (half archived)."""
    from bench_memory import _pct, clustered
    x = clustered(n) if keep else clustered(n + 2000)
    extra = clustered(2000, seed=5) if keep else x[n:]
    rng = np.random.default_rng(3)
    if keep and _built(str(Path(keep).resolve()), n) is None:
        raise SystemExit(f"{keep} holds no finished {n}-record build: run --startup {n} --keep {keep}")
    with tempfile.TemporaryDirectory(prefix="tlr", dir="/tmp") as home:
        if keep:
            shutil.copytree(keep, home, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("*.lock", "bench-built.json"))
            im, mem = _open(home)
        else:
            im, mem = _open(home)
            populate(mem, x[:n], archive_at=(n // 2) // batch_for(n) * batch_for(n) or None)
            mem.engine.l1.checkpoint()
        qs = x[rng.choice(n, 200, replace=False)] + 0.02 * rng.standard_normal((200, x.shape[1])).astype("f4")
        k = [0]

        def loop(until) -> tuple[list, list, list]:
            """Search; every 10th round commit one record. Until ``until()`` is true."""
            searches, commits, stamps = [], [], []
            while not until():
                v = qs[k[0] % len(qs)]
                t = time.perf_counter()
                mem.search_vectors(v[None], 10)
                searches.append(time.perf_counter() - t)
                stamps.append(t)
                if k[0] % 10 == 0:
                    j = (k[0] // 10) % len(extra)
                    t = time.perf_counter()
                    mem._store([f"extra {k[0]}"], extra[j:j + 1], [None])
                    commits.append(time.perf_counter() - t)
                k[0] += 1
            return searches, commits, stamps

        end = time.perf_counter() + seconds
        idle_s, idle_c, _ = loop(lambda: time.perf_counter() > end)
        done = threading.Event()
        box = {}

        def rebuild():
            t = time.perf_counter()
            box["meta"] = mem.engine.archive()
            box["secs"] = time.perf_counter() - t
            done.set()
        th = threading.Thread(target=rebuild, name="bench-rebuild")
        with phases(mem.engine) as spans:
            th.start()
            busy_s, busy_c, stamps = loop(done.is_set)
            th.join()
        end = time.perf_counter() + seconds
        after_s, after_c, _ = loop(lambda: time.perf_counter() > end)
        idle_s, idle_c = idle_s + after_s, idle_c + after_c
        im.close()
    worst = max(busy_s)
    i50, b50 = _pct(idle_s, 50), _pct(busy_s, 50)
    i99, b99 = _pct(idle_s, 99), _pct(busy_s, 99)
    c50, cb50 = statistics.median(idle_c), statistics.median(busy_c)
    print(f"(9) search and commit while the L2 archive rebuilds at {n} records "
          f"(archive of {box['meta']['count'] if box.get('meta') else 0} records built in "
          f"{box.get('secs', 0):.1f} s; {len(busy_s)} searches and {len(busy_c)} commits during it, "
          f"{len(idle_s)} / {len(idle_c)} idle, {seconds:.0f} s just before and {seconds:.0f} s just after)")
    print(f"    {'':14} {'idle':>9} {'rebuild':>9} {'ratio':>6}")
    print(f"    {'search p50':14} {i50 * 1000:7.2f}ms {b50 * 1000:7.2f}ms {b50 / i50:6.2f}")
    print(f"    {'search p99':14} {i99 * 1000:7.2f}ms {b99 * 1000:7.2f}ms {b99 / i99:6.2f}")
    print(f"    {'commit p50':14} {c50 * 1000:7.2f}ms {cb50 * 1000:7.2f}ms {cb50 / c50:6.2f}")
    at = stamps[busy_s.index(worst)]
    during = [name for name, a, b in spans if a < at + worst and b > at] or ["none of them"]
    print(f"    longest single search during the rebuild: {worst * 1000:.1f} ms "
          f"= {worst / i50:.1f}x the idle p50; searches over 5x the idle p50: "
          f"{sum(s > 5 * i50 for s in busy_s)}", flush=True)
    print(f"    the rebuild's steps (s after its start), the longest search overlapping: "
          f"{', '.join(during)}")
    t0 = spans[0][1] if spans else at
    for name, a, b in spans:
        print(f"      {name:34} {a - t0:8.2f} .. {b - t0:8.2f}  ({(b - a) * 1000:.1f} ms)")
    return {"idle_p50": i50, "busy_p50": b50, "idle_p99": i99, "busy_p99": b99,
            "commit_idle": c50, "commit_busy": cb50, "worst": worst}
