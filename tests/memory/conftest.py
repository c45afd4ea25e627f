"""Fixtures of the memory tests: one real model per session, a real text corpus (stdlib docs), and
a stand-in embedder (hashed unit vectors) for tests that need no model."""

from __future__ import annotations

import hashlib
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


class StandInEmbedder:
    """Deterministic unit vectors from a hash of the text: the same text, the same vector."""
    dim = 384

    def __init__(self):
        self.calls = 0

    def encode(self, texts):
        self.calls += 1
        out = np.zeros((len(texts), self.dim), np.float32)
        for row, text in enumerate(texts):
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")
            v = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
            out[row] = v / np.linalg.norm(v)
        return out


@pytest.fixture
def standin_embedder(image):
    """The image store's memory engine made with a StandInEmbedder (no model is loaded)."""
    from telos.memory.area import engine_for
    fake = StandInEmbedder()
    engine_for(image.store, embedder=fake)        # the store's engine, before anyone attaches
    return fake
