"""``bench memory -- --tune SIZE``: the DiskANN build/search curve at one size (issue 16).

On ``SIZE`` clustered synthetic unit vectors (``bench_memory.clustered``), for each build
setting (graph degree R, build list size L, PQ bytes per vector) it builds an archive index in
this process with ``--threads`` threads (1 by default: one core), then for each search setting
(search list size L_s, beam width, nodes cached in RAM -- ``N`` in
``--searches`` is 10 % of SIZE) runs the same queries against it and against exact FAISS
(what L1 is), interleaved so both see the same load, and prints build vectors/s, index size,
search p50/p99, recall@10 against exact, and DiskANN p50 / exact p50. DiskANN's disk build
fixes alpha at 1.2 (diskannpy 0.7 does not expose it), so alpha is not swept.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import numpy as np


def _pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))]


def parse_settings(text: str, n: int = 0) -> list[tuple[int, ...]]:
    """``"32:64:48,24:48:32"`` -> [(32, 64, 48), (24, 48, 32)]; ``N`` stands for ``n``."""
    return [tuple(int(v) if v != "N" else n for v in part.split(":"))
            for part in text.split(",") if part]


DEFAULT_BUILDS = "32:64:384,32:64:64,32:64:32,24:48:32,48:64:64"
DEFAULT_SEARCHES = "32:2:0,64:2:0,100:2:0,32:4:0,64:4:0,32:4:N,64:4:N,100:4:N"


def bench_tune(n: int, builds=DEFAULT_BUILDS, searches=DEFAULT_SEARCHES, *, queries: int = 300,
               threads: int = 1, rounds: int = 2, real: bool = False) -> list[dict]:
    from bench_memory import exact_setup
    from telos.index.diskann_index import DiskannIndex
    x, ids, q, flat = exact_setup(n, queries, real)
    truth = [{h.id for h in flat.search(v[None], 10)[0]} for v in q]
    kind = "embedded docstring paragraphs" if real else "clustered synthetic vectors"
    print(f"(7) DiskANN build/search curve at {n} {kind}, {queries} queries "
          f"x {rounds} rounds, k=10, build threads {threads}; exact = L1's FAISS flat, interleaved")
    print(f"{'R':>3} {'L':>4} {'PQ B':>4} {'build s':>8} {'vec/s':>6} {'size MB':>8} | {'L_s':>4} "
          f"{'beam':>4} {'cache':>6} {'p50 ms':>7} {'p99 ms':>7} {'exact p50':>9} {'ratio':>6} {'recall@10':>9}",
          flush=True)
    rows = []
    cached = max(1, n // 10)
    for R, L, pq in parse_settings(builds):
        d = Path(tempfile.mkdtemp(prefix="tlt", dir="/tmp"))
        try:
            t = time.perf_counter()
            ann = DiskannIndex.build(d, ids, x, "l2", threads=threads,
                                     graph_degree=R, complexity=L, pq_bytes=pq)
            built = time.perf_counter() - t
            size = sum(p.stat().st_size for p in d.iterdir() if p.is_file()) / 2**20
            loaded = {0: ann}
            for Ls, bw, cache in parse_settings(searches, cached):
                if cache not in loaded:
                    loaded[cache] = DiskannIndex.load(d, cache_nodes=cache)
                ann = loaded[cache]
                exact, graph, recall = [], [], []
                for _ in range(rounds):
                    for v, want in zip(q, truth):
                        t = time.perf_counter()
                        flat.search(v[None], 10)
                        exact.append(time.perf_counter() - t)
                        t = time.perf_counter()
                        got = ann.search(v[None], 10, Ls, bw)[0]
                        graph.append(time.perf_counter() - t)
                        recall.append(len(want & {h.id for h in got}) / 10)
                e50, g50 = _pct(exact, 50) * 1000, _pct(graph, 50) * 1000
                row = dict(R=R, L=L, pq=pq, build_s=built, vps=n / built, size_mb=size, Ls=Ls,
                           beam=bw, cache=cache, p50=g50, p99=_pct(graph, 99) * 1000, exact_p50=e50,
                           ratio=g50 / e50, recall=float(np.mean(recall)))
                rows.append(row)
                print(f"{R:>3} {L:>4} {pq:>4} {built:8.1f} {n / built:6.0f} {size:8.1f} | {Ls:>4} "
                      f"{bw:>4} {cache:>6} {g50:7.3f} {row['p99']:7.3f} {e50:9.3f} {row['ratio']:6.2f} "
                      f"{row['recall']:9.4f}", flush=True)
            for ann in loaded.values():
                ann.close()
        finally:
            shutil.rmtree(d, ignore_errors=True)
    return rows
