"""bench vsa: hypervector capacity and cleanup latency, with baselines measured in the same run.

    python3 master_forge.py bench vsa [--quick] [--sizes 10000,100000] [--latency-dim 1000]

1. Capacity curve: one vector bundles n role⊗filler bindings; for each binding, unbind the role
   and clean up among 1,000 filler symbols. Accuracy of that single hop vs n, at D = 1,000 and
   10,000. (The knee moves right roughly in proportion to D.)
2. Cleanup latency at N symbols (10k and 100k): torchhd's brute-force ``cleanup`` (cosine
   similarity over the complex N×D matrix, the baseline) vs FAISS HNSW over the real mapping
   [Re, Im]/|v| (2·D floats). Printed as median latencies, the speed-up ratio, and the accuracy of
   both on the same noisy queries (a symbol bundled with 3 others).

Memory: N×D complex64 + the same as float32 reals (+ HNSW graph); 100k × D=1,000 ≈ 2.5 GB peak.
D=10,000 at 100k symbols would need ~25 GB, so latency runs at ``--latency-dim`` (default 1,000).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np


def _threads() -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import faiss
    import torch
    torch.set_num_threads(1)
    faiss.omp_set_num_threads(1)


def _symbols(n: int, dim: int, seed: int, prefix: str) -> np.ndarray:
    from telos.vsa import algebra
    out = np.empty((n, dim), dtype=algebra.DTYPE)
    for i in range(n):
        out[i] = algebra.named_symbol(seed, f"{prefix}{i}", dim)
    return out


def capacity(dims, ns, trials: int, n_fillers: int = 1000) -> list[tuple[int, int, float]]:
    from telos.vsa import algebra
    from telos.vsa.cleanup import FaissCleanup
    rows = []
    for dim in dims:
        fillers = _symbols(n_fillers, dim, 1, "filler")
        roles = _symbols(max(ns), dim, 1, "role")
        index = FaissCleanup(dim, "flat")
        index.add(range(n_fillers), list(fillers))
        rng = np.random.default_rng(dim)
        for n in ns:
            right = total = 0
            for _ in range(trials):
                chosen = rng.integers(0, n_fillers, size=n)
                record = algebra.bundle([algebra.bind(roles[j], fillers[chosen[j]]) for j in range(n)])
                for j in range(n):
                    hit = index.search(algebra.unbind(record, roles[j]), k=1)[0]
                    right += hit.label == chosen[j]
                    total += 1
            rows.append((dim, n, right / total))
            print(f"  D={dim:6d}  bindings={n:4d}  accuracy={right / total:6.3f}  ({total} probes)", flush=True)
    return rows


def latency(sizes, dim: int, queries: int, ef_search: int = 256) -> list[dict]:
    from telos.vsa import algebra
    from telos.vsa.cleanup import FaissCleanup, TorchhdCleanup
    from telos.progress import Progress
    out = []
    for n in sizes:
        brute = TorchhdCleanup(dim, capacity=n)
        ann = FaissCleanup(dim, "hnsw", hnsw_m=32, ef_search=ef_search, ef_construction=64)
        t0 = time.perf_counter()
        with Progress(f"symbols {n}", total=n, unit="sym") as p:
            for start in range(0, n, 5000):
                block = _symbols(min(5000, n - start), dim, 7, f"s{start}_")
                labels = np.arange(start, start + len(block), dtype=np.int64)
                brute.add(labels.tolist(), list(block))
                ann.add_real(labels, algebra.to_real_batch(block))
                p.update(len(block))
        build = time.perf_counter() - t0
        rng = np.random.default_rng(n)
        targets = rng.integers(0, n, size=queries)
        noise = _symbols(3, dim, 99, "noise")
        qs = [algebra.bundle([brute._matrix[brute._row[int(t)]]] + list(noise)) for t in targets]
        t_brute, t_ann, ok_brute, ok_ann = [], [], 0, 0
        for t, q in zip(targets, qs):
            t0 = time.perf_counter()
            clean = brute.cleanup(q)
            t_brute.append(time.perf_counter() - t0)
            ok_brute += bool(np.array_equal(np.asarray(clean).reshape(-1), brute._matrix[brute._row[int(t)]]))
            real = algebra.to_real(q)
            t0 = time.perf_counter()
            hit = ann.search_real(real, k=1)
            t_ann.append(time.perf_counter() - t0)
            ok_ann += bool(hit and hit[0].label == int(t))
        row = {"n": n, "dim": dim, "build_s": build,
               "torchhd_ms": 1000 * statistics.median(t_brute), "ann_ms": 1000 * statistics.median(t_ann),
               "acc_torchhd": ok_brute / queries, "acc_ann": ok_ann / queries}
        row["speedup"] = row["torchhd_ms"] / row["ann_ms"]
        out.append(row)
        print(f"  N={n:7d} D={dim}: torchhd.cleanup {row['torchhd_ms']:8.2f} ms  "
              f"HNSW {row['ann_ms']:6.3f} ms  ratio torchhd/ANN = {row['speedup']:7.1f}x  "
              f"accuracy torchhd {row['acc_torchhd']:.3f} ANN {row['acc_ann']:.3f}  "
              f"(built in {build:.0f} s)", flush=True)
        del brute, ann
    return out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="bench vsa", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small run (sizes 2k/10k, fewer trials)")
    ap.add_argument("--sizes", default=None, help="symbol counts for latency (default 10000,100000)")
    ap.add_argument("--latency-dim", type=int, default=1000)
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--ef-search", type=int, default=256, help="HNSW efSearch (recall vs speed)")
    ap.add_argument("--trials", type=int, default=None)
    args = ap.parse_args(argv)
    _threads()
    sizes = [int(s) for s in (args.sizes or ("2000,10000" if args.quick else "10000,100000")).split(",")]
    trials = args.trials or (2 if args.quick else 5)
    ns = [1, 2, 4, 8, 16, 32, 64, 128] if args.quick else [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
    print("capacity: single-hop accuracy vs bindings per vector (cleanup among 1,000 fillers)")
    capacity([1000, 10_000], ns, trials)
    print(f"cleanup latency (median of {args.queries} queries, 1 thread each)")
    latency(sizes, args.latency_dim, args.queries, args.ef_search)
    return 0


if __name__ == "__main__":
    import sys
    raise SystemExit(main(sys.argv[1:]))
