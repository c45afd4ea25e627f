"""The embedded model chosen by the ``embedded_model`` setting (telos.llm.models): selection,
refusal of an unknown name, Gemma's chat template. No weights are loaded here; the real Gemma
run is the last test, marked ``slow``."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from telos import config
from telos.errors import ConfigError
from telos.llm import models
from telos.llm.embedded import EmbeddedBackend, cache_dir
from telos.llm.models import GEMMA_TEMPLATE
from telos.llm.select import choose_backend
from telos.uvm import UvmObject


def _image(**slots):
    return SimpleNamespace(config=UvmObject(**slots))


def test_the_setting_offers_exactly_the_models_there_are():
    s = config.setting("embedded_model")
    assert s.scope == config.IMAGE and s.env == "TELOS_EMBEDDED_MODEL"
    assert s.convert.expects == " | ".join(models.MODELS)
    assert s.default in models.MODELS
    for m in models.MODELS.values():
        assert m.install.startswith("pip install") and m.licence and m.provenance
        assert cache_dir(m.key) == config.model_cache() / m.cache_name
    assert len({m.cache_name for m in models.MODELS.values()}) == len(models.MODELS)


def test_the_model_is_chosen_by_the_setting_image_then_environment(monkeypatch):
    monkeypatch.delenv("TELOS_EMBEDDED_MODEL", raising=False)
    assert models.spec().key == "smollm2"
    b = choose_backend(_image(embedded_model="gemma3-270m"), prefer="embedded")
    assert (b.name, b.model, b.spec.key) == ("embedded", "gemma3:270m", "gemma3-270m")
    st = b.status()
    assert st["model"] == "gemma3:270m" and st["cache"].endswith("gemma3-270m-q4_k_m")
    monkeypatch.setenv("TELOS_EMBEDDED_MODEL", "smollm2")          # the process overrides
    b = choose_backend(_image(embedded_model="gemma3-270m"), prefer="embedded")
    assert b.model == "smollm2:135m"
    assert EmbeddedBackend(model="gemma3-270m").model == "gemma3:270m"


def test_an_unknown_model_is_refused_in_one_sentence(monkeypatch):
    with pytest.raises(ConfigError) as e:
        EmbeddedBackend(model="llama-7b")
    assert str(e.value) == "embedded_model='llama-7b': expected one of smollm2, gemma3-270m"
    monkeypatch.setenv("TELOS_EMBEDDED_MODEL", "gemma9")
    with pytest.raises(ConfigError) as e:
        models.spec()
    assert str(e.value) == "TELOS_EMBEDDED_MODEL='gemma9': expected one of smollm2, gemma3-270m"
    monkeypatch.delenv("TELOS_EMBEDDED_MODEL")
    with pytest.raises(ConfigError, match=r"^Config.embedded_model='gpt': expected one of"):
        choose_backend(_image(embedded_model="gpt"), prefer="embedded")


# -- Gemma's chat template ----------------------------------------------------------------------

def _render(messages, generation=True) -> str:
    from transformers.utils.chat_template_utils import render_jinja_template
    rendered, _ = render_jinja_template(conversations=[messages], chat_template=GEMMA_TEMPLATE,
                                        add_generation_prompt=generation, bos_token="<bos>")
    return rendered[0]


def test_gemma_turns_have_no_system_role_and_the_reply_is_the_model_s():
    text = _render([{"role": "system", "content": "You write Python. "},
                    {"role": "user", "content": "Write area."}])
    assert text == ("<bos><start_of_turn>user\nYou write Python.\n\nWrite area.<end_of_turn>\n"
                    "<start_of_turn>model\n")
    assert not _render([{"role": "user", "content": "hi"}], generation=False).endswith("model\n")


def test_gemma_template_takes_notes_before_the_question_and_repair_turns():
    """The orchestrator's grounding notes (a system message just before the question) and the
    kernel's repair turns (user, assistant, user) render; nothing raises on the order."""
    text = _render([{"role": "system", "content": "persona"},
                    {"role": "user", "content": "first"},
                    {"role": "assistant", "content": "def f(self): ..."},
                    {"role": "system", "content": "[m1] a note"},
                    {"role": "user", "content": "again"},
                    {"role": "user", "content": "twice"}])
    assert text == ("<bos><start_of_turn>user\npersona\n\nfirst<end_of_turn>\n"
                    "<start_of_turn>model\ndef f(self): ...<end_of_turn>\n"
                    "<start_of_turn>user\n[m1] a note\n\nagain<end_of_turn>\n"
                    "<start_of_turn>user\ntwice<end_of_turn>\n<start_of_turn>model\n")
    assert _render([{"role": "system", "content": "alone"}]) == (
        "<bos><start_of_turn>user\nalone<end_of_turn>\n<start_of_turn>model\n")


def test_adapt_gives_gemma_its_template_and_end_of_turn_as_an_end():
    tok = SimpleNamespace(chat_template=None,
                          convert_tokens_to_ids={"<end_of_turn>": 106}.__getitem__)
    model = SimpleNamespace(generation_config=SimpleNamespace(eos_token_id=1))
    models.MODELS["gemma3-270m"].adapt(tok, model)
    assert tok.chat_template == GEMMA_TEMPLATE and model.generation_config.eos_token_id == [1, 106]
    models.MODELS["gemma3-270m"].adapt(tok, model)                 # idempotent
    assert model.generation_config.eos_token_id == [1, 106]
    smol = SimpleNamespace(chat_template="{{ x }}")
    models.MODELS["smollm2"].adapt(smol, model)                    # its GGUF brings its own
    assert smol.chat_template == "{{ x }}"


# -- the real model -----------------------------------------------------------------------------

@pytest.mark.slow
def test_gemma_converts_loads_and_writes_rectangle_area(telos_home, monkeypatch):
    """The real Gemma 3 270M: converted (once per machine), loaded, greedy and deterministic,
    and the kernel writes ``Rectangle.area`` with it, recorded as Gemma's work."""
    import torch

    from telos import mirror, open_image
    torch.set_num_threads(1)
    b = EmbeddedBackend(model="gemma3-270m")
    msgs = [{"role": "user", "content": "Count from one to five."}]
    first = list(b.chat(msgs, options={"num_predict": 12}))
    assert first and first == list(b.chat(msgs, options={"num_predict": 12}))
    assert b.status()["loaded"] and b.status()["cached"]
    monkeypatch.setenv("TELOS_LLM_BACKEND", "embedded")
    monkeypatch.setenv("TELOS_EMBEDDED_MODEL", "gemma3-270m")
    im = open_image()
    try:
        with im.thought("setup"):
            im.config.kernel_enabled = True
            im.register("Rectangle", im.prototypes["Object"].derive(width=3, height=4))
        assert im.prototypes["Rectangle"].area() == 12
        assert mirror(im.prototypes["Rectangle"]).provenance("area")["model"] == "gemma3:270m"
    finally:
        im.close()
