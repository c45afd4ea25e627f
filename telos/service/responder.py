"""Who answers a USER_QUERY_REQUEST: the persona responder the service streams tokens from.

Chosen once per service, first match wins:

1. ``TELOS_RESPONDER=package.module:factory`` — injected by configuration; ``factory(image)``
   returns a responder (tests use a scripted one; an operator can plug in another orchestrator);
2. the LLM orchestrator (``telos.llm.orchestrator``, issue 4): personas, routing, VRAM budget,
   over the backend ``telos.llm.select`` chooses (Ollama when configured or reachable, else the
   embedded SmolLM2 model);
3. that backend alone, if the orchestrator cannot be imported.

A responder: ``respond(session, query, persona, cancelled, options=None) -> (persona_id, iterator
of tokens)``; ``options`` are the backend's generation options (``num_predict``).
The service stops reading the iterator when the client disappears or the service stops
(``cancelled`` is set), and closes it. When ``responder.remember_turns`` is true and the memory
area is there, the completed turn is remembered in one thought on the request's own session.
"""

from __future__ import annotations

import importlib
import logging
import threading
from typing import Any, Iterator, Protocol

from telos import config
from telos.errors import ConfigError
from telos.reflect import mirror

log = logging.getLogger(__name__)

ENV = config.setting("responder").env
DEFAULT_PERSONA = "ALFRED"


class Responder(Protocol):
    name: str

    def respond(self, session: Any, query: str, persona: str | None,
                cancelled: threading.Event, options: dict | None = None) -> tuple[str, Iterator[str]]: ...


class OrchestratorResponder:
    """The LLM orchestrator (``telos.llm.orchestrator``): routing, VRAM budget, personas' models.

    One orchestrator per service (its lock keeps the VRAM budget); the turn is remembered by the
    service in the request's own session, not by the orchestrator (whose image is the service's
    main session, which worker threads must not share)."""

    remember_turns = True

    def __init__(self, image: Any) -> None:
        from telos.llm.orchestrator import Orchestrator
        self.orchestrator = Orchestrator.for_image(image)
        self.orchestrator.remember = None
        self.backend = self.orchestrator.backend
        self.name = f"orchestrator/{getattr(self.backend, 'name', '?')}"

    def respond(self, session, query, persona, cancelled, options=None):
        turn = self.orchestrator.ask(query, persona, options=options, image=session)
        return turn.persona.name, turn     # iterable, with close() and progress()


class BackendResponder:
    """One LLM backend, the persona's system prompt and model read from its prototype."""

    remember_turns = True

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.name = getattr(backend, "name", type(backend).__name__)

    def respond(self, session, query, persona, cancelled, options=None):
        persona_id = persona or DEFAULT_PERSONA
        system = f"You are {persona_id}, a persona of the TelOS living image. Answer briefly."
        proto = _persona_proto(session, persona_id)
        if proto is not None:
            system = str(mirror(proto).get("system_prompt", system))
        model = None if proto is None else mirror(proto).get("model")
        tokens = self.backend.chat([{"role": "system", "content": system},
                                    {"role": "user", "content": query}], model=model,
                                   options=options)
        return persona_id, tokens


def _persona_proto(session: Any, persona_id: str) -> Any:
    try:
        return session.prototypes.get(persona_id)
    except Exception:  # an image without a registry yet
        return None


def load_responder(image: Any) -> Responder:
    spec = config.get("responder")             # package.module:factory, checked by its converter
    if spec:
        module_name, _, attr = spec.partition(":")
        try:
            factory = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"{ENV}={spec!r}: {exc}") from exc
        responder = factory(image)
        log.info("responder: %s (from %s)", getattr(responder, "name", spec), ENV)
        return responder
    try:
        responder = OrchestratorResponder(image)
        log.info("responder: %s", responder.name)
        return responder
    except ImportError as exc:
        log.info("no LLM orchestrator (%s); using an LLM backend directly", exc)
    from telos.llm.select import backend_for
    return BackendResponder(backend_for(image))
