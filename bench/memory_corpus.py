"""A real-text corpus for ``bench memory -- --tune N --real`` (issue 16): recall on embeddings of
real sentences, not only on synthetic clusters.

The texts are the distinct docstring paragraphs (40-400 characters, no doctest or list lines)
of every Python module installed in the forge's environment and the standard library -- about
176,000 here -- shuffled with a fixed seed; the first ``n`` are the corpus and the next
``queries`` are the queries (texts the corpus does not hold). They are embedded once with the
memory's own model and cached in ``var/bench/corpus-<n>-<queries>.npz`` beside the texts, so a
later run reads the vectors instead of embedding again.
"""

from __future__ import annotations

import ast
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)
CACHE = Path(__file__).resolve().parent.parent / "var" / "bench"


def paragraphs() -> list[str]:
    """Every distinct docstring paragraph of the installed modules, sorted."""
    roots = [Path(sys.prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}" /
             "site-packages", Path(os.__file__).parent]
    seen: set[str] = set()
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            if "/tests/" in str(path) or "/test/" in str(path):
                continue
            try:
                tree = ast.parse(path.read_bytes())
            except (SyntaxError, ValueError, OSError):
                continue
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)):
                    for para in (ast.get_docstring(node, clean=True) or "").split("\n\n"):
                        para = " ".join(para.split())
                        if 40 <= len(para) <= 400 and not para.startswith((">>>", "..", "-", "=", "*")):
                            seen.add(para)
    return sorted(seen)


def real_corpus(n: int, queries: int) -> tuple[np.ndarray, np.ndarray]:
    """(corpus vectors [n, 384], query vectors [queries, 384]), embedded once and cached."""
    path = CACHE / f"corpus-{n}-{queries}.npz"
    if path.exists():
        data = np.load(path, allow_pickle=False)
        return data["corpus"], data["queries"]
    t = time.perf_counter()
    texts = paragraphs()
    if len(texts) < n + queries:
        raise SystemExit(f"only {len(texts)} distinct docstring paragraphs here; ask for fewer")
    order = np.random.default_rng(11).permutation(len(texts))[:n + queries]
    chosen = [texts[i] for i in order]
    print(f"    (real corpus: {len(texts)} paragraphs found in {time.perf_counter() - t:.0f} s; "
          f"embedding {len(chosen)} once, cached in {path})", file=sys.stderr, flush=True)
    from telos.memory.embedder import Embedder
    emb = Embedder()
    vecs, step, t = [], 4096, time.perf_counter()
    for i in range(0, len(chosen), step):
        vecs.append(emb.encode(chosen[i:i + step]))
        done = i + len(vecs[-1])
        print(f"    embedded {done}/{len(chosen)} ({done / (time.perf_counter() - t):.0f} texts/s)",
              file=sys.stderr, flush=True)
    x = np.concatenate(vecs).astype(np.float32)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(path.with_suffix(".tmp.npz"), corpus=x[:n], queries=x[n:],
             texts=np.array(chosen, dtype=np.str_))
    os.replace(path.with_suffix(".tmp.npz"), path)
    return x[:n], x[n:]
