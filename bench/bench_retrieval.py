"""Self-retrieval on Python standard-library docstrings: vector, lexical and hybrid memory search.

``bench memory -- --retrieval [--texts 2000]``:

(4) a corpus of at least ``--texts`` distinct docstrings of the standard library (modules, their
    public functions and classes and the classes' public methods, in sorted order: the same
    selection on the same Python), each remembered as one record; each record is queried by
    its own first sentence. Top-1/top-3/top-10 for ``mode="vector"``, ``"lexical"`` and
    ``"hybrid"`` (the default), every query (its embedding computed once for all modes); then
    search latency p50/p99 of each mode as a caller pays it (the query embedded by the real model,
    then searched), 200 queries per mode, modes interleaved.
(5) commit of one memory with the L1 and the lexical index attached / a plain ZODB commit of the
    same record (interleaved), and what a lexical flush costs per record it makes durable.
The embeddings are cached in ``bench/.cache/`` (keyed by the corpus), so a second run does not
load the model for the corpus.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import os
import re
import statistics
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path

import numpy as np

CACHE = Path(__file__).resolve().parent / ".cache"
MODULES = ("builtins", "abc", "argparse", "ast", "asyncio", "base64", "bisect", "calendar", "cmd", "codecs",
           "collections", "concurrent.futures", "configparser", "contextlib", "copy", "csv",
           "dataclasses", "datetime", "decimal", "difflib", "dis", "doctest", "email", "enum",
           "filecmp", "fnmatch", "fractions", "ftplib", "functools", "getopt", "gettext", "glob",
           "gzip", "hashlib", "heapq", "hmac", "html", "html.parser", "http.client",
           "http.server", "imaplib", "inspect", "io", "ipaddress", "itertools", "json", "locale",
           "logging", "lzma", "mailbox", "mimetypes", "numbers", "operator", "optparse", "os",
           "pathlib", "pdb", "pickle", "pkgutil", "platform", "plistlib", "poplib", "pprint",
           "queue", "random", "re", "sched", "secrets", "selectors", "shlex", "shutil", "signal",
           "smtplib", "socket", "socketserver", "sqlite3", "ssl", "statistics", "string",
           "struct", "subprocess", "tarfile", "tempfile", "textwrap", "threading", "timeit",
           "tokenize", "trace", "traceback", "types", "typing", "unittest", "urllib.parse",
           "urllib.request", "uuid", "warnings", "wave", "weakref", "xml.dom.minidom",
           "xml.etree.ElementTree", "zipfile", "zoneinfo", "multiprocessing", "unittest.mock",
           "collections.abc", "email.message", "email.utils", "importlib", "importlib.metadata",
           "pydoc", "sysconfig", "tracemalloc", "contextvars", "graphlib", "array", "math",
           "cmath", "sys", "time", "binascii", "zlib", "bz2", "codeop", "code", "compileall",
           "ctypes", "curses", "dbm", "netrc", "nntplib", "pstats", "cProfile", "profile",
           "reprlib", "rlcompleter", "runpy", "stat", "symtable", "tabnanny", "telnetlib",
           "tkinter", "turtle", "unicodedata", "venv", "webbrowser", "wsgiref.util", "xdrlib",
           "xmlrpc.client", "xmlrpc.server", "zipimport", "asyncio.events", "asyncio.streams",
           "asyncio.tasks", "concurrent.futures.thread", "http.cookiejar", "http.cookies",
           "logging.handlers", "os.path", "urllib.robotparser", "email.headerregistry",
           "email.policy", "json.decoder", "json.encoder")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(`'\"])")


def _pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))]


def first_sentence(doc: str) -> str:
    return _SENTENCE.split(doc, maxsplit=1)[0]


def corpus(limit: int) -> tuple[list[str], list[str]]:
    """(records, queries): distinct docstrings (whitespace folded, at most 1,200 characters) of
    more than one sentence, whose first sentence is distinct and has 4+ words; and that first
    sentence (so a query is never its whole record)."""
    docs, seen_doc, seen_q = [], set(), set()

    def take(obj):
        doc = obj.__doc__ if isinstance(getattr(obj, "__doc__", None), str) else None
        if not doc:
            return
        text = " ".join(inspect.cleandoc(doc).split())[:1200]
        query = first_sentence(text)
        if len(query.split()) < 4 or len(text) < len(query) + 20 or text in seen_doc \
                or query in seen_q:
            return
        seen_doc.add(text)
        seen_q.add(query)
        docs.append((text, query))

    for name in MODULES:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")      # deprecated modules still have docstrings
                mod = importlib.import_module(name)
        except ImportError:
            continue
        take(mod)
        for attr in sorted(a for a in vars(mod) if not a.startswith("_")):
            obj = getattr(mod, attr)
            if inspect.ismodule(obj):
                continue
            take(obj)
            if inspect.isclass(obj):
                for meth in sorted(m for m in vars(obj) if not m.startswith("_")):
                    take(getattr(obj, meth, None))
            if len(docs) >= limit:
                return [d for d, _ in docs], [q for _, q in docs]
    return [d for d, _ in docs], [q for _, q in docs]


def embeddings(texts: list[str], queries: list[str]):
    """(record vectors, query vectors, embedder): cached under ``bench/.cache``."""
    from telos.memory.embedder import Embedder
    key = hashlib.sha256("\x00".join(texts + ["--"] + queries).encode()).hexdigest()[:16]
    path = CACHE / f"retrieval-{key}.npz"
    emb = Embedder()
    if path.exists():
        data = np.load(path)
        return data["docs"], data["queries"], emb
    CACHE.mkdir(exist_ok=True)
    t = time.perf_counter()
    docs, qs = emb.encode(texts), emb.encode(queries)
    print(f"    embedded {len(texts)} records and {len(queries)} queries in "
          f"{time.perf_counter() - t:.0f} s (cached in {path})")
    np.savez(path, docs=docs, queries=qs)
    return docs, qs, emb


def bench_retrieval(n_texts: int, latency_queries: int = 200) -> None:
    from telos import open_image
    from telos.memory import attach
    from telos.memory.embedder import PrecomputedEmbedder
    texts, queries = corpus(n_texts)
    print(f"\n(4) self-retrieval: {len(texts)} stdlib docstrings, each queried by its first sentence")
    dvecs, qvecs, emb = embeddings(texts, queries)
    modes = ("vector", "lexical", "hybrid")
    with tempfile.TemporaryDirectory(prefix="tlxb") as home:
        os.environ["TELOS_HOME"] = home
        im = open_image()
        try:
            mem = attach(im, embedder=PrecomputedEmbedder(dict(zip(texts, dvecs))))
            ids = mem.remember_many(texts, batch_size=500)
            rankings = evaluate(mem, ids, queries, qvecs, modes)
            fusion_sweep(rankings, ids)
            vq = vague(texts, queries)
            keep = [i for i, q in enumerate(vq) if q]
            print(f"\n    the same records queried without their rare words (words in fewer than "
                  f"0.5 % of the records), {len(keep)} queries of 3 words or more:")
            vvecs = query_vectors(emb, [vq[i] for i in keep])
            rankings = evaluate(mem, [ids[i] for i in keep], [vq[i] for i in keep], vvecs, modes)
            fusion_sweep(rankings, [ids[i] for i in keep])
            mem.engine._embedder = emb      # latency as a caller pays it: the real model
            emb.encode(queries[:8])
            rng = np.random.default_rng(4)
            sample = [queries[i] for i in rng.choice(len(queries), latency_queries, replace=False)]
            lat = {m: [] for m in modes}
            for q in sample:
                for m in modes:
                    t = time.perf_counter()
                    mem.search(q, k=10, mode=m)
                    lat[m].append(time.perf_counter() - t)
            base = _pct(lat["vector"], 50)
            for m in modes:
                p50 = _pct(lat[m], 50)
                print(f"    {m:8} p50 {p50 * 1000:7.2f} ms   p99 {_pct(lat[m], 99) * 1000:7.2f} ms"
                      f"   p50 / vector {p50 / base:4.2f}")
        finally:
            im.close()
    bench_lexical_commit(texts)


def evaluate(mem, ids, queries, qvecs, modes) -> list:
    """Print top-1/3/10 of each mode (each query finding its own record); return the two
    rankings (vector ids, lexical ids) per query at the depth hybrid search uses."""
    found = {m: [] for m in modes}
    rankings = []
    for want, q, v in zip(ids, queries, qvecs):
        for m in modes:
            got = [h.id for h in mem.search(q, k=10, mode=m, vector=v)]
            found[m].append(got.index(want) + 1 if want in got else 0)
        rankings.append(([h.id for h in mem.search(q, k=20, mode="vector", vector=v)],
                         [h.id for h in mem.search(q, k=20, mode="lexical")]))
    print(f"    {'mode':8} {'top-1':>7} {'top-3':>7} {'top-10':>7}   (% of {len(queries)} queries)")
    for m in modes:
        r = np.asarray(found[m])
        print(f"    {m:8} " + " ".join(f"{100 * np.mean((r > 0) & (r <= k)):7.1f}" for k in (1, 3, 10)))
    return rankings


WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def vague(texts: list[str], queries: list[str], min_share: float = 0.005) -> list[str]:
    """Each query without its rare words (those in fewer than ``min_share`` of the records):
    what a person asks who does not know the record's own vocabulary ("" when fewer than three
    words are left)."""
    df: Counter = Counter()
    for t in texts:
        df.update({w.lower() for w in WORD.findall(t)})
    floor = max(2, min_share * len(texts))
    out = []
    for q in queries:
        kept = [w for w in WORD.findall(q) if df[w.lower()] >= floor]
        out.append(" ".join(kept) if len(kept) >= 3 else "")
    return out


def query_vectors(emb, queries: list[str]) -> np.ndarray:
    key = hashlib.sha256("\x00".join(queries).encode()).hexdigest()[:16]
    path = CACHE / f"queries-{key}.npy"
    if path.exists():
        return np.load(path)
    CACHE.mkdir(exist_ok=True)
    vecs = emb.encode(queries)
    np.save(path, vecs)
    return vecs


def fusion_sweep(rankings, ids) -> None:
    """(4b) Hybrid top-1/top-3 for other fusion settings, fused from the same two rankings as
    the search fuses them (``telos.memory.fusion.fuse``): how the defaults were chosen."""
    from telos import config
    from telos.memory.fusion import fuse
    default = (config.setting("memory_lexical_weight").default, config.setting("memory_rrf_k").default)
    print("    fusion settings (vector weight 1.0), hybrid top-1 / top-3 %:")
    for k in (10, 60):
        row = []
        for w in (0.5, 1.0, 1.5, 2.0, 3.0):
            r = []
            for (vec, lex), want in zip(rankings, ids):
                got = [i for i, _, _ in fuse({"vector": vec, "lexical": lex},
                                             weights={"vector": 1.0, "lexical": w}, k=k)[:10]]
                r.append(got.index(want) + 1 if want in got else 0)
            r = np.asarray(r)
            mark = "*" if (w, k) == default else " "
            row.append(f"w {w:3.1f}{mark} {100 * np.mean(r == 1):5.1f}/{100 * np.mean((r > 0) & (r <= 3)):5.1f}")
        print(f"      rrf k {k:3d}:  " + "   ".join(row))


def bench_lexical_commit(texts: list[str], reps: int = 300) -> None:
    import transaction
    import ZODB
    import ZODB.FileStorage
    from telos.memory.records import BankSource, BankTextSource, ContextFractal, MemoryBank
    from telos.memory.txindex import TxVectorIndex
    from telos.memory.txtext import TxTextIndex
    print(f"\n(5) commit of one memory with L1 + lexical attached ({len(texts)} records in both)")
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory(prefix="tlxc") as d:
        db = ZODB.DB(ZODB.FileStorage.FileStorage(f"{d}/b.fs"))
        tm = transaction.TransactionManager()
        conn = db.open(tm)
        conn.root()["bank"] = MemoryBank()
        tm.commit()
        locate = lambda c: c.root().get("bank")    # noqa: E731
        l1 = TxVectorIndex(db, Path(d) / "l1", name="memory", dim=384, source=BankSource(locate)).open()
        lx = TxTextIndex(db, Path(d) / "lx", source=BankTextSource(locate)).open()
        vecs = rng.standard_normal((len(texts), 384)).astype("f4")

        def one(k, with_index):
            bank = conn.root()["bank"]
            i = bank.allocate(1)[0]
            text, vec = texts[k % len(texts)], vecs[k % len(texts)]
            bank.contexts[i] = ContextFractal(i, text, vec, None)
            if with_index:
                l1.add(tm, [i], vec[None])
                lx.add(tm, [i], [text], [None])
            t = time.perf_counter()
            tm.commit()
            return time.perf_counter() - t
        for k in range(len(texts)):          # the corpus in both indexes first
            one(k, True)
        lx.flush()
        plain, indexed = [], []
        for r in range(reps):                # interleaved so both see the same machine load
            plain.append(one(r, False))
            indexed.append(one(r, True))
        t = time.perf_counter()
        lx.flush()                           # what the next search (or maintenance) pays
        flush = time.perf_counter() - t
        p, q = statistics.median(plain) * 1000, statistics.median(indexed) * 1000
        print(f"    plain {p:.3f} ms   L1 + lexical {q:.3f} ms   ratio {q / p:.2f} (goal <= 1.5)")
        print(f"    one lexical flush of {reps} staged records: {flush * 1000:.1f} ms "
              f"({flush * 1000 / reps:.3f} ms per record, outside the commits)")
        lx.close()
        l1.close()
        tm.abort()
        conn.close()
        db.close()
