"""LLM fixtures: the shared Ollama stand-in (tests/conftest.py) answers "ok" when nothing is scripted."""

from __future__ import annotations

import pytest


@pytest.fixture
def standin_options() -> dict:
    return {"default_reply": "ok"}
