"""``TELOS_RESPONDER=tests.ui.responder:ollama_standin`` — how the UI tests' service answers.

The service's own :class:`~telos.service.responder.BackendResponder` over the real
:class:`~telos.llm.ollama_backend.OllamaBackend` (the official ``ollama`` client), pointed at
``OLLAMA_HOST`` — the Ollama stand-in started by the test. This pins the LLM path the UI tests
exercise to the bridge + service + Ollama client, independent of how the kernel's orchestrator
is wired into the service.
"""

from __future__ import annotations

import os

STANDIN_MODEL = "phi3:3.8b"


def ollama_standin(image):
    from telos.llm.ollama_backend import OllamaBackend
    from telos.service.responder import BackendResponder

    return BackendResponder(OllamaBackend(os.environ["OLLAMA_HOST"], model=STANDIN_MODEL))
