from __future__ import annotations

import pytest

from tests.ollama_standin import OllamaStandIn


@pytest.fixture
def standin():
    with OllamaStandIn(default_reply="ok") as srv:
        yield srv
