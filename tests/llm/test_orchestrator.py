"""Persona routing and the VRAM budget, checked against what the stand-in server recorded."""

from __future__ import annotations

import pytest

from telos.errors import ConfigError
from telos.llm.ollama_backend import OllamaBackend
from telos.llm.orchestrator import Orchestrator
from telos.llm.personas import PERSONA_TABLE

GB = 10**9


@pytest.fixture
def orch(standin):
    return Orchestrator(OllamaBackend(standin.url), PERSONA_TABLE, budget_gb=8.0)


def test_routing_by_content_and_by_name(orch):
    assert orch.persona(text="please write a python function to sort").name == "BRICK"
    assert orch.persona(text="I feel sad and lonely today").name == "ROBIN"
    assert orch.persona(text="What is the capital of France?").name == "BABS"
    assert orch.persona(text="Good evening").name == "ALFRED"
    assert orch.persona("robin").name == "ROBIN"
    with pytest.raises(ConfigError, match="no persona 'JOKER'"):
        orch.persona("JOKER")


def test_turn_streams_and_completes(orch, standin):
    standin.script("At your service, sir.")
    done = []
    turn = orch.ask("Good evening", on_complete=done.append)
    assert list(turn) == ["At", " your", " service,", " sir."]
    assert turn.text == "At your service, sir." and turn.persona.name == "ALFRED"
    assert done == [turn]
    assert standin.requests[-1]["body"]["messages"][0]["content"].startswith("You are ALFRED")


def test_blueprint_scenarios_keep_within_the_budget(orch, standin):
    # idle -> technical -> empathetic -> factual (the blueprint's table)
    for persona in ("ALFRED", "BRICK", "ROBIN", "BABS"):
        orch.ask("hello", persona=persona).wait()
    assert standin.keep_alives == [
        ("phi3:3.8b", -1.0),                  # ALFRED stays resident
        ("mistral:7b", "5m"),                 # BRICK fits beside ALFRED (6.3 GB)
        ("mistral:7b", 0),                    # BRICK unloaded to make room ...
        ("gemma2:9b", "5m"),                  # ... for ROBIN (7.6 GB)
        ("gemma2:9b", 0),                     # ROBIN unloaded ...
        ("qwen2:7b", 0),                      # ... for BABS, which unloads after its answer
    ]
    assert standin.load_order == ["phi3:3.8b", "mistral:7b", "gemma2:9b", "qwen2:7b"]
    assert standin.max_loaded_bytes <= 8 * GB
    assert list(standin.loaded) == ["phi3:3.8b"]   # only the resident steward is left


def test_a_smaller_budget_evicts_even_the_resident_model(standin):
    orch = Orchestrator(OllamaBackend(standin.url), PERSONA_TABLE, budget_gb=5.0)
    orch.ask("hi", persona="ALFRED").wait()
    orch.ask("hi", persona="BRICK").wait()
    assert ("phi3:3.8b", 0) in standin.keep_alives
    assert standin.max_loaded_bytes <= 5 * GB


def test_a_model_larger_than_the_budget_is_refused(standin):
    orch = Orchestrator(OllamaBackend(standin.url), PERSONA_TABLE, budget_gb=4.0)
    from telos.errors import LLMError
    with pytest.raises(LLMError, match="more than the whole VRAM budget"):
        orch.ask("hi", persona="ROBIN")
    assert standin.keep_alives == []


def test_status_shows_backend_model_and_vram(orch, standin):
    orch.ask("hi", persona="ALFRED").wait()
    st = orch.status()
    assert st["backend"] == "ollama" and st["host"] == standin.url
    assert st["personas"]["BRICK"] == "mistral:7b"
    assert st["vram"] == {"budget_gb": 8.0, "used_gb": 2.2, "loaded": ["phi3:3.8b"]}
