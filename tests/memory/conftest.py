"""Fixtures of the memory tests: one real model per session, a real text corpus (stdlib docs)."""

from __future__ import annotations

import importlib
import os

import numpy as np
import pytest

os.environ.setdefault("OMP_NUM_THREADS", "1")

MODULES = ("json", "pathlib", "collections", "itertools", "functools", "os", "re", "string",
           "textwrap", "shutil", "subprocess", "threading", "argparse", "logging", "datetime",
           "heapq", "bisect", "random", "statistics", "fractions", "decimal", "csv", "zipfile",
           "tarfile", "gzip", "hashlib", "hmac", "secrets", "socket", "selectors", "queue",
           "sched", "contextlib", "abc", "dataclasses", "enum", "typing", "inspect", "ast",
           "dis", "tokenize", "unittest", "doctest", "pdb", "timeit", "traceback", "warnings",
           "weakref", "copy", "pprint", "sqlite3", "email", "http.client", "urllib.parse",
           "xml.dom.minidom", "html", "base64", "struct", "codecs", "io", "tempfile", "glob")


def stdlib_docstrings(limit: int) -> list[str]:
    """Distinct first paragraphs of standard-library docstrings (real English text)."""
    seen, out = set(), []
    for name in MODULES:
        try:
            mod = importlib.import_module(name)
        except ImportError:
            continue
        for attr in sorted(dir(mod)):
            obj = getattr(mod, attr, None)
            doc = getattr(obj, "__doc__", None)
            if not isinstance(doc, str):
                continue
            para = " ".join(doc.strip().split("\n\n")[0].split())
            if 40 <= len(para) <= 400 and para not in seen:
                seen.add(para)
                out.append(para)
                if len(out) >= limit:
                    return out
    return out


@pytest.fixture(scope="session")
def embedder():
    import torch
    torch.set_num_threads(1)
    from telos.memory.embedder import Embedder
    return Embedder()


@pytest.fixture(scope="session")
def corpus(embedder, tmp_path_factory):
    """(texts, vectors, path of an .npz table) for 600 docstrings, embedded once per session."""
    texts = stdlib_docstrings(600)
    vecs = embedder.encode(texts)
    path = tmp_path_factory.mktemp("corpus") / "table.npz"
    np.savez(path, texts=np.array(texts, dtype=object), vecs=vecs)
    return texts, vecs, path


@pytest.fixture
def table_embedder(corpus):
    from telos.memory.embedder import PrecomputedEmbedder
    texts, vecs, _ = corpus
    return PrecomputedEmbedder(dict(zip(texts, vecs)))


@pytest.fixture
def mem_image(telos_home, table_embedder):
    """An image whose memory uses the precomputed table (real model vectors)."""
    from telos import open_image
    from telos.memory import attach
    im = open_image()
    im._areas["memory"] = attach(im, embedder=table_embedder)
    yield im
    im.close()
