"""The Ollama backend through the real `ollama` client, against the stand-in server."""

from __future__ import annotations


import pytest

from telos.errors import LLMUnavailable, ModelNotFound
from telos.llm.ollama_backend import OllamaBackend, normalize_host
from tests.conftest import free_port



def test_streams_tokens_and_sends_keep_alive(standin):
    standin.script("hello there friend")
    b = OllamaBackend(standin.url, model="phi3:3.8b")
    assert list(b.chat([{"role": "user", "content": "hi"}], keep_alive="5m")) == [
        "hello", " there", " friend"]
    assert standin.keep_alives == [("phi3:3.8b", "5m")]
    assert standin.requests[-1]["body"]["stream"] is True


def test_lists_models_loaded_and_model_info(standin):
    b = OllamaBackend(standin.url, model="qwen2:7b")
    assert "qwen2:7b" in b.models()
    list(b.chat([{"role": "user", "content": "x"}]))
    assert [m["model"] for m in b.loaded()] == ["qwen2:7b"]
    assert b.loaded()[0]["size_vram"] == 4_400_000_000
    assert b.show()["model_info"]["general.architecture"] == "qwen2"
    b.unload("qwen2:7b")
    assert b.loaded() == [] and standin.events[-1] == ("unload", "qwen2:7b")


def test_missing_model_says_how_to_pull_it(standin):
    b = OllamaBackend(standin.url, model="phi3:mini")
    with pytest.raises(ModelNotFound, match=r"model phi3:mini not pulled — run `ollama pull phi3:mini`"):
        list(b.chat([{"role": "user", "content": "x"}]))
    with pytest.raises(ModelNotFound):
        b.show()


def test_unreachable_server_says_how_to_start_it():
    port = free_port()
    b = OllamaBackend(f"127.0.0.1:{port}")
    expected = f"no Ollama at http://127.0.0.1:{port} — start `ollama serve`"
    # streaming: the raw httpx.ConnectError of the first next() is translated too
    with pytest.raises(LLMUnavailable, match=expected):
        next(iter(b.chat([{"role": "user", "content": "x"}])))
    with pytest.raises(LLMUnavailable, match=expected):
        b.models()
    assert b.reachable() is False


def test_host_normalisation(monkeypatch):
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    assert normalize_host(None) == "http://127.0.0.1:11434"
    assert normalize_host("0.0.0.0") == "http://127.0.0.1:11434"
    assert normalize_host("example.org:8080") == "http://example.org:8080"
    monkeypatch.setenv("OLLAMA_HOST", "10.1.2.3")
    assert normalize_host(None) == "http://10.1.2.3:11434"
