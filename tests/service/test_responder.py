"""telos.service.responder: who answers a USER_QUERY_REQUEST (configured factory, or a backend)."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from telos.errors import ConfigError
from telos.service.responder import ENV, BackendResponder, load_responder
from telos.uvm import UvmObject

MADE = []


def make(image):
    """A responder factory named by TELOS_RESPONDER in the tests below."""
    MADE.append(image)
    return SimpleNamespace(name="from-factory")


class Backend:
    name = "scripted"

    def __init__(self):
        self.calls = []

    def chat(self, messages, *, model=None, options=None):
        self.calls.append((messages, model, options))
        return iter(["a", "b"])


def test_the_configured_factory_is_called_with_the_image(monkeypatch):
    monkeypatch.setenv(ENV, f"{__name__}:make")
    image = object()
    responder = load_responder(image)
    assert responder.name == "from-factory" and MADE[-1] is image


@pytest.mark.parametrize("spec, words", [
    ("tests.service.test_responder", "expected package.module:factory"),
    ("tests.service.no_such_module:make", "no_such_module"),
    ("tests.service.test_responder:nope", "nope"),
])
def test_a_bad_responder_setting_names_the_value(monkeypatch, spec, words):
    monkeypatch.setenv(ENV, spec)
    with pytest.raises(ConfigError) as info:
        load_responder(object())
    assert spec in str(info.value) and words in str(info.value)


def test_the_backend_responder_uses_the_personas_prompt_and_model():
    backend = Backend()
    proto = UvmObject(system_prompt="You are BRICK, an engineer.", model="mistral:7b")
    session = SimpleNamespace(prototypes={"BRICK": proto})
    persona, tokens = BackendResponder(backend).respond(session, "fix it", "BRICK", threading.Event(),
                                                        {"num_predict": 8})
    assert persona == "BRICK" and list(tokens) == ["a", "b"]
    messages, model, options = backend.calls[0]
    assert messages == [{"role": "system", "content": "You are BRICK, an engineer."},
                        {"role": "user", "content": "fix it"}]
    assert model == "mistral:7b" and options == {"num_predict": 8}


def test_without_a_persona_prototype_the_default_persona_answers_with_the_default_model():
    backend = Backend()
    responder = BackendResponder(backend)
    assert responder.name == "scripted"
    persona, _ = responder.respond(SimpleNamespace(), "hi", None, threading.Event())   # no registry
    messages, model, _ = backend.calls[0]
    assert persona == "ALFRED" and model is None
    assert messages[0]["content"].startswith("You are ALFRED")


def test_the_orchestrator_grounds_in_the_requests_own_session(monkeypatch):
    """A worker's request is grounded in its own session (ZODB connections are not shared
    between threads, and the worker's session sees the newest commits), not the main one."""
    from telos.llm import grounding
    from telos.llm.orchestrator import Orchestrator
    from telos.llm.personas import PERSONA_TABLE
    from telos.service.responder import OrchestratorResponder
    seen = []
    monkeypatch.setattr(grounding, "gather", lambda image, text: seen.append(image) or [])

    class Backend:
        name, model = "embedded", "smollm2"

        def loaded(self):
            return []

        def chat(self, messages, **kw):
            return iter(["ok"])
    main, worker_session = object(), object()
    responder = object.__new__(OrchestratorResponder)
    responder.orchestrator = Orchestrator(Backend(), PERSONA_TABLE, image=main)
    name, turn = responder.respond(worker_session, "hello", None, None)
    assert name in {p.name for p in PERSONA_TABLE} and seen == [worker_session]
