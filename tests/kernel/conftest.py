"""Kernel fixtures: an image whose kernel talks to the Ollama stand-in (``standin``, from
tests/conftest.py: no default reply, every answer is scripted) through the real client."""

from __future__ import annotations

from dataclasses import replace

import pytest


@pytest.fixture
def kimage(image, standin):
    """An awakened image, kernel on, Ollama host = the stand-in, one attempt per message and
    one candidate per attempt (every other lever on: the stand-in answers what is scripted)."""
    with image.thought("test setup"):
        cfg = image.config
        cfg.kernel_enabled = True
        cfg.ollama_host = standin.url
        cfg.kernel_max_attempts = 1
        image.register("Rectangle", image.prototypes["Object"].derive(width=3, height=4))
    image.kernel.levers = replace(image.kernel.levers, candidates=False)
    return image


def fenced(code: str) -> str:
    return f"Here is the method:\n```python\n{code}\n```\nIt returns the value."


def last_question(body: dict) -> str:
    """The last user message of a chat request (after it may come the prefilled reply)."""
    return next(m["content"] for m in reversed(body["messages"]) if m["role"] == "user")
