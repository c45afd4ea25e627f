"""The cognitive cycle against the Ollama stand-in: every hostile or broken reply is contained,
aborted with the right step and reason, and leaves the image unchanged; a good one installs."""

from __future__ import annotations

import pytest

from telos import GenerationError, mirror
from telos.errors import LLMUnavailable, ModelNotFound
from tests.kernel.conftest import fenced, last_question

GOOD = "def area(self):\n    return self.width * self.height"


def snapshot(image):
    """Everything a failed cycle must not change: the last transaction and the methods."""
    rect = image.prototypes["Rectangle"]
    return (image.connection.db().lastTransaction(), mirror(rect).methods(), mirror(rect).data())


@pytest.mark.usefixtures("storage")   # FileStorage, and RelStorage under -m relstorage
def test_good_reply_installs_with_provenance_and_answers(kimage, standin):
    standin.script(fenced(GOOD))
    rect = kimage.prototypes["Rectangle"]
    assert rect.area() == 12
    prov = mirror(rect).provenance("area")
    assert prov["author"] == "kernel" and prov["persona"] == "BRICK"
    assert prov["model"] == "mistral:7b" and prov["backend"] == "ollama"
    assert len(prov["prompt_sha256"]) == 64 and '"value": 12' in prov["trial"]
    assert mirror(rect).source("area").strip() == GOOD
    # BRICK's keep_alive went with the request, and the prompt named the slots and the call
    assert standin.keep_alives == [("mistral:7b", "5m")]
    # constrained output: Ollama gets the stop strings, not the embedded-only option
    opts = standin.requests[-1]["body"]["options"]
    assert "\n```" in opts["stop"] and "stop_after_def" not in opts
    prompt = last_question(standin.requests[-1]["body"])
    assert "width = 3" in prompt and "rectangle.area()" in prompt
    # committed: another session sees it, and a second call does not ask the model again
    other = kimage.session()
    try:
        assert other.prototypes["Rectangle"].area() == 12
    finally:
        other.close()
    n = len(standin.requests)
    assert rect.area() == 12 and len(standin.requests) == n


def test_real_arguments_reach_trial_and_call(kimage, standin):
    standin.script(fenced("def scaled_area(self, arg0):\n    return self.width * self.height * arg0"))
    rect = kimage.prototypes["Rectangle"]
    assert rect.scaled_area(10) == 120
    assert "rectangle.scaled_area(10)" in last_question(standin.requests[-1]["body"])


def test_method_on_derived_object_goes_to_the_prototype(kimage, standin):
    standin.script(fenced(GOOD))
    with kimage.thought("child"):
        child = kimage.prototypes["Rectangle"].derive(width=5)
        kimage.root["child"] = child
    assert child.area() == 20
    assert "area" in kimage.prototypes["Rectangle"]._methods
    assert "area" not in child._methods


HOSTILE = [
    ("syntax error", "def area(self):\n    return self.width *", "extract", "syntax error"),
    ("wrong name", "def surface(self):\n    return 1", "extract", "no function named 'area'"),
    ("infinite loop", "def area(self):\n    while True:\n        pass", "trial",
     "MethodBudgetExceeded: method 'area' exceeded its steps budget"),
    ("10 GB", "def area(self):\n    block = 'x' * (10 * 2**30)\n    return len(block)",
     "trial", "exceeded its size budget"),
    ("socket", "def area(self):\n    import socket\n    s = socket.socket()\n    return 1",
     "policy", "import of 'socket' is not allowed"),
    ("passwd", "def area(self):\n    return open('/etc/passwd').read()", "policy",
     "use of 'open' is not allowed"),
    ("fork bomb", "def area(self):\n    import os\n    while True:\n        os.fork()",
     "policy", "import of 'os' is not allowed"),
    ("not JSON", "def area(self):\n    return {1, 2}", "trial", "not JSON-serialisable"),
]


@pytest.mark.parametrize("label,code,step,reason", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_or_broken_reply_is_aborted_and_image_unchanged(kimage, standin, label, code,
                                                                step, reason):
    standin.script(fenced(code))
    before = snapshot(kimage)
    rect = kimage.prototypes["Rectangle"]
    with pytest.raises(GenerationError) as info:
        rect.area()
    assert info.value.step == step, info.value
    assert reason in info.value.reason
    kimage.transaction_manager.begin()
    assert snapshot(kimage) == before
    assert "area" not in rect._methods


def test_remove_outside_temp_dir_is_refused_and_file_survives(kimage, standin, tmp_path):
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    standin.script(fenced(f"def area(self):\n    import os\n    os.remove({str(victim)!r})\n"
                          "    return 1"))
    before = snapshot(kimage)
    with pytest.raises(GenerationError) as info:
        kimage.prototypes["Rectangle"].area()
    assert info.value.step == "policy" and "'os'" in info.value.reason
    assert victim.read_text() == "keep me"
    assert snapshot(kimage) == before


@pytest.mark.usefixtures("storage")   # FileStorage, and RelStorage under -m relstorage
def test_error_is_fed_back_and_the_retry_installs(kimage, standin):
    with kimage.thought("more attempts"):
        kimage.config.kernel_max_attempts = 2
    standin.script(fenced("def surface(self):\n    return 0"), fenced(GOOD))
    assert kimage.prototypes["Rectangle"].area() == 12
    second = last_question(standin.requests[-1]["body"])
    assert "Attempt 1 was rejected" in second and "surface" in second
    assert mirror(kimage.prototypes["Rectangle"]).provenance("area")["attempts"] == 2


@pytest.mark.usefixtures("storage")   # FileStorage, and RelStorage under -m relstorage
def test_a_failing_call_inside_an_outer_thought_rolls_back_only_the_savepoint(kimage, standin):
    standin.script(fenced("def area(self):\n    return 1 / 0"))
    rect = kimage.prototypes["Rectangle"]
    with kimage.thought("outer"):
        rect.color = "red"
        with pytest.raises(GenerationError) as info:
            rect.area()
        assert info.value.step == "trial" and "ZeroDivisionError" in info.value.reason
    kimage.transaction_manager.begin()
    assert rect.color == "red" and "area" not in rect._methods


def test_kernel_off_means_message_not_understood(kimage, standin):
    kimage.kernel.enable(False)
    with pytest.raises(AttributeError):
        kimage.prototypes["Rectangle"].area()
    assert standin.requests == []


def test_ollama_unreachable_gives_actionable_message(kimage):
    with kimage.thought("no server"):
        kimage.config.ollama_host = "http://127.0.0.1:9"
    kimage.store.shared.pop("llm.backend", None)
    kimage._areas.clear()
    with pytest.raises(GenerationError) as info:
        kimage.prototypes["Rectangle"].area()
    assert info.value.step == "generation"
    assert "no Ollama at http://127.0.0.1:9 — start `ollama serve`" in info.value.reason
    assert isinstance(info.value.__cause__, LLMUnavailable)


def test_model_missing_gives_actionable_message(kimage, standin):
    del standin.models["mistral:7b"]
    with pytest.raises(GenerationError) as info:
        kimage.prototypes["Rectangle"].area()
    assert "model mistral:7b not pulled — run `ollama pull mistral:7b`" in info.value.reason
    assert isinstance(info.value.__cause__, ModelNotFound)


def test_a_method_that_copies_the_receivers_values_is_refused_at_trial(kimage, standin):
    standin.script(fenced("def area(self):\n    width = 3\n    height = 4\n    return width * height"))
    with pytest.raises(GenerationError) as info:
        kimage.prototypes["Rectangle"].area()
    assert info.value.step == "trial" and "reads neither self nor its arguments" in info.value.reason
