"""`master_forge.py ask` (python -m telos.cli ask) streams a persona's answer to the terminal."""

from __future__ import annotations

import json

from tests.conftest import run_cli


def test_ask_streams_the_answer_of_the_named_persona(standin, telos_home):
    standin.script("The sky scatters blue light.")
    env = {"OLLAMA_HOST": standin.url, "TELOS_HOME": str(telos_home)}
    r = run_cli("ask", "why", "is", "the", "sky", "blue?", "--persona", "BABS", env=env,
                timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "The sky scatters blue light."
    assert "BABS (qwen2:7b via ollama)" in r.stderr
    body = standin.requests[-1]["body"]
    assert body["messages"][-1]["content"] == "why is the sky blue?" and body["stream"] is True


def test_ask_status_and_unreachable_ollama(standin, telos_home):
    env = {"OLLAMA_HOST": standin.url, "TELOS_HOME": str(telos_home)}
    r = run_cli("ask", "--status", env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    st = json.loads(r.stdout)
    assert st["backend"] == "ollama" and st["personas"]["ALFRED"] == "phi3:3.8b"
    r = run_cli("ask", "hello", env={"OLLAMA_HOST": "127.0.0.1:9", "TELOS_HOME": str(telos_home)},
                timeout=120)
    assert r.returncode == 1
    assert "no Ollama at http://127.0.0.1:9 — start `ollama serve`" in r.stderr


def test_local_ask_with_the_embedded_model_keeps_stdout_for_the_answer(telos_home):
    r = run_cli("ask", "--local", "--backend", "embedded", "--max-tokens", "16", "Say hello.",
                env={"TELOS_HOME": str(telos_home)}, timeout=300)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip(), r
    assert "(smollm2:135m via embedded)" in r.stderr
    for noise in ("Loading weights", "it/s]", "%|", "GPU Faiss"):
        assert noise not in r.stdout and noise not in r.stderr, (noise, r.stderr)
