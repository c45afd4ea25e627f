"""Backend choice and the persona prototypes in the image."""

from __future__ import annotations

import pytest

from telos.errors import ConfigError
from telos.llm import choose_backend, status
from telos.llm.orchestrator import Orchestrator
from tests.llm.test_ollama_backend import free_port


def test_configured_host_means_ollama(image, standin, monkeypatch):
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    with image.thought("host"):
        image.config.ollama_host = standin.url
    b = choose_backend(image)
    assert b.name == "ollama" and status(b)["host"] == standin.url
    assert "configured" in status(b)["reason"]


def test_no_reachable_ollama_means_embedded(image, monkeypatch):
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    monkeypatch.setattr("telos.llm.ollama_backend.DEFAULT_HOST", f"127.0.0.1:{free_port()}")
    b = choose_backend(image)
    st = status(b)
    assert st["backend"] == "embedded" and st["model"] == "smollm2:135m"
    assert "no Ollama" in st["reason"]


def test_reachable_default_ollama_is_used(image, standin, monkeypatch):
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    monkeypatch.setattr("telos.llm.ollama_backend.DEFAULT_HOST", standin.url)
    assert choose_backend(image).name == "ollama"


def test_bad_choice_names_the_value(image):
    with image.thought("bad"):
        image.config.llm_backend = "gpt"
    with pytest.raises(ConfigError, match="llm_backend='gpt'"):
        choose_backend(image)


def test_personas_are_prototypes_in_the_image_and_drive_the_orchestrator(image, standin):
    protos = image.prototypes
    for name in ("ALFRED", "BRICK", "ROBIN", "BABS"):
        p = protos[name]
        assert p.parent is protos["Persona"] and p.name == name and p.vram_gb > 0
    assert image.config.kernel_enabled is True and image.config.vram_budget_gb == 8.0
    with image.thought("retune BRICK"):
        protos["BRICK"].keep_alive = "10m"
        image.config.ollama_host = standin.url
    orch = Orchestrator.for_image(image)
    orch.ask("x", persona="BRICK").wait()
    assert standin.keep_alives == [("mistral:7b", "10m")]


def test_awakening_twice_creates_no_duplicate(image):
    from telos import genesis
    before = dict(image.prototypes)
    genesis.awaken(image)
    assert dict(image.prototypes) == before
