"""Fractal memory benchmark: ``master_forge.py bench memory [-- --sizes 1000,100000,1000000]``.

(1) commit of one memory with the L1 index attached / plain ZODB commit of the same record,
    at several index sizes (the index is pre-filled with SYNTHETIC random vectors to reach the
    size; ZODB holds only the benchmark's records), next to the naive whole-file rewrite
    (faiss.write_index + fsync per commit);
(2) remember_many throughput / raw embedding throughput of the same texts (real model);
(3) search latency p50/p99 per tier and layered, recall@10 vs brute force (stdlib docstrings).
``--retrieval`` runs instead (4) self-retrieval of vector, lexical and hybrid search and (5) the
commit ratio with the lexical index attached (``bench/bench_retrieval.py``); ``--crossover SIZES``
runs instead (6) exact vs DiskANN search per size (where the archive starts to pay);
``--tune SIZE`` runs instead (7) the DiskANN build/search curve (``bench/memory_tune.py``);
``--startup N [--keep DIR]`` (8) the reopen of an image of N records and (8b) search at that
size, layered against exact, and ``--rebuild N`` (9) search and commit
during an L2 rebuild (``bench/memory_scale.py``).
All ratios are against baselines measured in this same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))]


def bench_commit(sizes, reps=200):
    import faiss
    import transaction
    import ZODB
    import ZODB.FileStorage
    from telos.memory.records import BankSource, ContextFractal, MemoryBank
    from telos.memory.txindex import TxVectorIndex
    rng = np.random.default_rng(0)
    print("(1) commit of one memory, median ms (index pre-filled with synthetic vectors)")
    print(f"{'size':>9} {'plain':>8} {'indexed':>8} {'ratio':>6} {'naive rewrite':>14} {'ratio':>7}")
    for n in sizes:
        with tempfile.TemporaryDirectory() as d:
            db = ZODB.DB(ZODB.FileStorage.FileStorage(f"{d}/b.fs"))
            tm = transaction.TransactionManager()
            conn = db.open(tm)
            conn.root()["bank"] = MemoryBank()
            tm.commit()
            ix = TxVectorIndex(db, Path(d) / "ix", name="b", dim=384,
                               source=BankSource(lambda c: c.root().get("bank"))).open()
            fill = rng.standard_normal((n, 384)).astype("f4")
            ix._index.add(np.arange(10**9, 10**9 + n, dtype=np.int64), fill)   # synthetic, not in ZODB
            vec = rng.standard_normal(384).astype("f4")

            def one(with_index):
                bank = conn.root()["bank"]
                i = bank.allocate(1)[0]
                bank.contexts[i] = ContextFractal(i, "benchmark memory", vec)
                if with_index:
                    ix.add(tm, [i], vec[None])
                t = time.perf_counter()
                tm.commit()
                return time.perf_counter() - t
            plain, indexed = [], []
            for r in range(reps):    # interleaved so both see the same machine load
                plain.append(one(False))
                indexed.append(one(True))
            naive = []
            for r in range(3 if n >= 100_000 else 20):
                t = time.perf_counter()
                faiss.write_index(ix._index._raw, f"{d}/naive.faiss")
                fd = os.open(f"{d}/naive.faiss", os.O_RDONLY)
                os.fsync(fd)
                os.close(fd)
                naive.append(time.perf_counter() - t + statistics.median(plain))
            p, q, w = (statistics.median(x) * 1000 for x in (plain, indexed, naive))
            print(f"{n:>9} {p:8.3f} {q:8.3f} {q / p:6.2f} {w:14.3f} {w / p:7.1f}")
            ix.close()
            tm.abort()
            conn.close()
            db.close()


def bench_ingest_and_search(n_texts):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.memory.conftest import stdlib_docstrings
    from telos import open_image
    from telos.memory import attach
    from telos.memory.embedder import Embedder
    texts = stdlib_docstrings(n_texts)
    emb = Embedder()
    emb.encode(texts[:8])    # load the model outside the timings
    vecs = ingest_table(texts, emb)
    with tempfile.TemporaryDirectory() as home:
        os.environ["TELOS_HOME"] = home
        im = open_image()
        mem = attach(im, embedder=emb)
        mem.remember_many(texts)
        half = len(texts) * 3 // 4
        ids = sorted(mem.bank.contexts.keys())
        mem.engine.l2.build(mem.engine.db, _Upto(mem.engine.locate, ids[half - 1]))
        mem.engine._evict_archived()
        print(f"\n(3) search at {len(texts)} real records: L2 (DiskANN) {mem.engine.l2.count}, "
              f"L1 (FAISS) {len(mem.engine.l1)}")
        rng = np.random.default_rng(1)
        qs = vecs[rng.choice(len(vecs), 100, replace=False)] + 0.02 * rng.standard_normal((100, 384)).astype("f4")
        lat = {"L1": [], "L2": [], "layered": []}
        recall = []
        all_ids = np.array(ids)
        for q in qs:
            t = time.perf_counter(); mem.engine.l1.search(q, 10); lat["L1"].append(time.perf_counter() - t)
            t = time.perf_counter(); mem.engine.l2.search(q, 10); lat["L2"].append(time.perf_counter() - t)
            t = time.perf_counter(); hits = mem.search(q, 10); lat["layered"].append(time.perf_counter() - t)
            exact = all_ids[np.argsort(((vecs - q) ** 2).sum(1))[:10]]
            recall.append(len({h.id for h in hits} & set(exact.tolist())) / 10)
        for k, v in lat.items():
            print(f"    {k:8} p50 {_pct(v, 50) * 1000:7.3f} ms   p99 {_pct(v, 99) * 1000:7.3f} ms")
        print(f"    recall@10 layered vs brute force: {np.mean(recall):.3f}")
        im.close()


def ingest_table(texts, emb, rounds: int = 2):
    """(2) remember_many ÷ raw embedding of the same texts, per batch size, pipelined (the
    default) and sequential (embed a batch, then commit it: the old way), each on a fresh
    image; raw and ingest runs alternate so both see the same load. Returns the vectors."""
    from telos import open_image
    from telos.memory import attach
    variants = [("pipelined", 256), ("pipelined", 1024), ("pipelined", 2048), ("sequential", 1024)]
    raw, rate = [], {v: [] for v in variants}
    vecs = None
    for _ in range(rounds):
        for v in variants:
            t = time.perf_counter()
            vecs = emb.encode(texts)
            raw.append(len(texts) / (time.perf_counter() - t))
            with tempfile.TemporaryDirectory(prefix="tlxi") as home:
                os.environ["TELOS_HOME"] = home
                im = open_image()
                try:
                    mem = attach(im, embedder=emb)
                    mem.remember_many(texts[:4])      # the indexes open outside the timing
                    t = time.perf_counter()
                    if v[0] == "pipelined":
                        mem.remember_many(texts, batch_size=v[1])
                    else:
                        for i in range(0, len(texts), v[1]):
                            chunk = texts[i:i + v[1]]
                            mem._store(chunk, emb.encode(chunk), [None] * len(chunk))
                    rate[v].append(len(texts) / (time.perf_counter() - t))
                finally:
                    im.close()
    base = statistics.median(raw)
    print(f"\n(2) ingest of {len(texts)} stdlib docstrings: raw embedding {base:.1f} texts/s "
          f"(median of {len(raw)}); remember_many, median of {rounds}:")
    for (how, bs), r in rate.items():
        m = statistics.median(r)
        print(f"    {how:10} batch {bs:5d}  {m:7.1f} texts/s  ratio {m / base:.2f}"
              + ("   <- default" if (how, bs) == ("pipelined", 1024) else ""))
    return vecs


class _Upto:
    """Source for the benchmark's archive: the records up to an id (the rest stays in L1)."""
    def __init__(self, locate, upto):
        self.locate, self.upto = locate, upto

    def enumerate(self, conn):
        for i, rec in self.locate(conn).contexts.items(None, self.upto):
            yield i, rec.vector


def clustered(n: int, dim: int = 384, centres: int = 200, seed: int = 0) -> np.ndarray:
    """Unit vectors around ``centres`` random centres: synthetic, but clustered like embeddings
    (uniform random vectors are the worst case for any graph index)."""
    rng = np.random.default_rng(seed)
    c = rng.standard_normal((centres, dim)).astype("f4")
    x = c[rng.integers(0, centres, n)] + 0.35 * rng.standard_normal((n, dim)).astype("f4")
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def exact_setup(n: int, queries: int, real: bool = False):
    """(vectors, ids, queries, exact FAISS flat index over the vectors): the shared setup of the
    crossover and the tuning curve. Synthetic clusters with queries near random vectors, or
    (``real``) embedded docstring paragraphs with other paragraphs as queries
    (``bench/memory_corpus.py``)."""
    from telos.index.faiss_index import FaissIndex
    if real:
        from memory_corpus import real_corpus
        x, q = real_corpus(n, queries)
    else:
        x = clustered(n)
        rng = np.random.default_rng(1)
        q = x[rng.choice(n, queries, replace=False)] + 0.02 * rng.standard_normal((queries, x.shape[1])).astype("f4")
    ids = np.arange(n, dtype=np.int64)
    flat = FaissIndex(x.shape[1], "l2")
    flat.add(ids, x)
    return x, ids, q, flat


def bench_crossover(sizes, queries: int = 200) -> None:
    """(6) Where the archive earns its tier: exact FAISS (what L1 is) against a DiskANN archive
    (what L2 is) on the same vectors, per size — search p50/p99, recall@10 of DiskANN against
    exact, and the DiskANN build (2 threads). ``Config.l1_capacity`` (50,000) keeps every record
    in the exact tier below the size where the archive starts to pay."""
    from telos.index.diskann_index import DiskannIndex
    print("(6) exact (L1's FAISS) vs DiskANN (L2) on the same clustered synthetic vectors, "
          f"{queries} queries, k=10")
    print(f"{'size':>9} {'build s':>8} {'vec/s':>7} {'exact p50':>10} {'p99':>7} "
          f"{'DiskANN p50':>12} {'p99':>7} {'ratio':>6} {'recall@10':>10}")
    for n in sizes:
        x, ids, q, flat = exact_setup(n, queries)
        with tempfile.TemporaryDirectory(prefix="tlxc") as d:
            t = time.perf_counter()
            ann = DiskannIndex.build(Path(d), ids, x, "l2", threads=2)
            built = time.perf_counter() - t
            exact, graph, recall = [], [], []
            for v in q:             # interleaved, so both see the same load
                t = time.perf_counter()
                e = flat.search(v[None], 10)[0]
                exact.append(time.perf_counter() - t)
                t = time.perf_counter()
                a = ann.search(v[None], 10)[0]
                graph.append(time.perf_counter() - t)
                recall.append(len({h.id for h in e} & {h.id for h in a}) / 10)
            ann.close()
        e50, g50 = _pct(exact, 50) * 1000, _pct(graph, 50) * 1000
        print(f"{n:>9} {built:8.1f} {n / built:7.0f} {e50:8.2f}ms {_pct(exact, 99) * 1000:6.2f} "
              f"{g50:10.2f}ms {_pct(graph, 99) * 1000:6.2f} {g50 / e50:6.2f} {np.mean(recall):10.3f}",
              flush=True)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="bench memory")
    ap.add_argument("--sizes", default="1000,100000,1000000")
    ap.add_argument("--texts", type=int, default=2000)
    ap.add_argument("--retrieval", action="store_true",
                    help="self-retrieval top-1/3/10 and latency of vector, lexical and hybrid search "
                         "on --texts stdlib docstrings, and the commit ratio with the lexical index")
    ap.add_argument("--crossover", metavar="SIZES",
                    help="only (6): exact vs DiskANN search per size, e.g. 10000,50000,100000")
    ap.add_argument("--tune", metavar="SIZE", type=int,
                    help="only (7): DiskANN build/search settings against exact FAISS at SIZE")
    ap.add_argument("--real", action="store_true",
                    help="with --tune: embedded docstring paragraphs instead of synthetic vectors "
                         "(embedded once, cached under var/bench; bench/memory_corpus.py)")
    ap.add_argument("--builds", help="with --tune: R:L_build:PQ_bytes,... (bench/memory_tune.py)")
    ap.add_argument("--searches", help="with --tune: L_search:beam_width,...")
    ap.add_argument("--threads", type=int, default=1, help="DiskANN build threads (--tune)")
    ap.add_argument("--startup", metavar="N", type=int,
                    help="only (8): build an image of N records, close it, time the reopen")
    ap.add_argument("--keep", metavar="DIR",
                    help="with --startup: build the image in DIR and keep it; a later run with the "
                         "same DIR and N reuses it; with --rebuild: rebuild on a copy of it")
    ap.add_argument("--rebuild", metavar="N", type=int,
                    help="only (9): search/commit latency while L2 rebuilds at N records")
    args = ap.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    if args.tune:
        import memory_tune
        memory_tune.bench_tune(args.tune, args.builds or memory_tune.DEFAULT_BUILDS,
                               args.searches or memory_tune.DEFAULT_SEARCHES, threads=args.threads,
                               real=args.real)
        return 0
    if args.startup or args.rebuild:
        import memory_scale
        if args.startup:
            memory_scale.bench_startup(args.startup, keep=args.keep)
        if args.rebuild:
            memory_scale.bench_rebuild(args.rebuild, keep=args.keep)
        return 0
    if args.crossover:
        bench_crossover([int(s) for s in args.crossover.split(",")])
        return 0
    if args.retrieval:
        from bench_retrieval import bench_retrieval
        bench_retrieval(args.texts)
        return 0
    bench_commit([int(s) for s in args.sizes.split(",")])
    bench_ingest_and_search(args.texts)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
