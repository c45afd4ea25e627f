"""The orchestrator: route a query to a persona, keep loaded models inside the VRAM budget,
stream the persona's tokens, remember the turn.

::

    orch = Orchestrator(backend, personas, budget_gb=8.0)
    turn = orch.ask("why is the sky blue?")          # routed (BABS here), or persona="ROBIN"
    for token in turn: ...                            # streamed
    turn.text, turn.persona, turn.model               # complete once the iteration ended

VRAM policy (after the blueprint's table): before a persona's model is used, the models already
loaded (``backend.loaded()``, sizes from the server or else the personas' estimates) plus the new
one must fit the budget; otherwise loaded models are unloaded (``keep_alive=0``) — least recently
used first, the resident ones (``keep_alive=-1``, ALFRED) last — until it fits. Each request
carries the persona's own ``keep_alive``.
"""

from __future__ import annotations

import contextlib

import logging
import threading
import time
from typing import Callable, Iterable, Iterator

from telos import config
from telos.errors import ConfigError, LLMError
from telos.llm.repeats import UntilRepeat
from telos.llm.stream import StreamFilter
from telos.llm.personas import (
    CODE_PERSONA, DEFAULT_PERSONA, PERSONA_TABLE, PersonaSpec, route, spec_from_object,
)

log = logging.getLogger(__name__)

GB = 10**9


class Turn:
    """One answer: iterate for the tokens; ``text`` is complete when the iteration ends."""

    def __init__(self, orchestrator: "Orchestrator", query: str, persona: PersonaSpec,
                 model: str, tokens: Iterator[str],
                 on_complete: Callable[["Turn"], None] | None):
        self.query, self.persona, self.model = query, persona, model
        self.tokens: list[str] = []
        self.notes: list = []           # what a grounded answer was given (grounding.Note)
        self.done = False
        self.error: BaseException | None = None
        self._orch = orchestrator
        self._source = tokens
        self._on_complete = on_complete

    @property
    def text(self) -> str:
        return "".join(self.tokens)

    def __iter__(self) -> Iterator[str]:
        if self.done:
            return
        try:
            for tok in self._source:
                self.tokens.append(tok)
                yield tok
        except Exception as exc:
            self.error = exc
            raise
        finally:
            if not self.done and self.error is None:
                self.close()      # abandoned mid-stream: stop the backend at once
        self.done = True
        self._orch._completed(self)
        if self._on_complete is not None:
            self._on_complete(self)

    def close(self) -> None:
        """Stop the backend's generation (the stream frees the model within one token)."""
        close = getattr(self._source, "close", None)
        if callable(close):
            close()

    def progress(self):
        """What the answer is waiting for (queued, loading, generating), when the backend says."""
        from telos.scope import Progress
        p = getattr(self._source, "progress", None)
        return p() if callable(p) else Progress("generating", f"{self.persona.name} is answering")

    def wait(self) -> str:
        """Consume the whole stream; the full text."""
        for _ in self:
            pass
        return self.text


class Orchestrator:
    def __init__(self, backend, personas: Iterable[PersonaSpec] = PERSONA_TABLE, *,
                 budget_gb: float = 8.0, image=None,
                 remember: Callable[[Turn], None] | None = None):
        self.backend = backend
        self.personas = {p.name: p for p in personas}
        if not self.personas:
            raise ConfigError("the orchestrator needs at least one persona")
        if budget_gb <= 0:
            raise ConfigError(f"vram_budget_gb={budget_gb!r}: must be positive")
        self.budget_bytes = int(budget_gb * GB)
        self.image = image
        self.remember = remember
        #: answers draw on the image's memories and prototype docs (when there is an image)
        self.grounded = image is not None
        self._last_used: dict[str, float] = {}
        self._lock = threading.Lock()

    @classmethod
    def for_image(cls, image, backend=None) -> "Orchestrator":
        """Personas read from the image's prototypes (snapshots), budget from its Config."""
        from telos.llm.select import backend_for
        specs = []
        protos = image.prototypes
        for spec in PERSONA_TABLE:
            obj = protos.get(spec.name)
            specs.append(spec_from_object(obj) if obj is not None else spec)
        budget = config.image_setting(image, "vram_budget_gb")
        return cls(backend or backend_for(image), specs, budget_gb=budget, image=image,
                   remember=_memory_writer(image))

    # -- routing ---------------------------------------------------------------------------
    def persona(self, name: str | None = None, text: str = "") -> PersonaSpec:
        if name:
            try:
                return self.personas[name.upper()]
            except KeyError:
                raise ConfigError(f"no persona {name!r} (known: {', '.join(self.personas)})") from None
        return route(text, self.personas.values()) if text else self.personas.get(
            DEFAULT_PERSONA, next(iter(self.personas.values())))

    def code_persona(self) -> PersonaSpec:
        return self.personas.get(CODE_PERSONA) or self.persona()

    def model_for(self, persona: PersonaSpec) -> str:
        # the embedded backend runs its one model whatever the persona would use on Ollama
        return persona.model if self.backend.name == "ollama" else self.backend.model

    # -- VRAM ------------------------------------------------------------------------------
    def _size_of(self, model: str, reported: int = 0) -> int:
        if reported:
            return reported
        sizes = [p.vram_bytes for p in self.personas.values() if p.model == model]
        return max(sizes) if sizes else 0

    def _resident(self, model: str) -> bool:
        return any(p.model == model and str(p.keep_alive) in ("-1", "-1.0")
                   for p in self.personas.values())

    def make_room(self, persona: PersonaSpec) -> list[str]:
        """Unload models until ``persona``'s fits the budget. Returns the models unloaded."""
        model = self.model_for(persona)
        need = self._size_of(model) if self.backend.name == "ollama" else 0
        loaded = {m["model"]: self._size_of(m["model"], int(m.get("size_vram") or 0))
                  for m in self.backend.loaded()}
        if model in loaded:
            return []
        if need > self.budget_bytes:
            raise LLMError(f"{persona.name}'s model {model} needs about {need / GB:.1f} GB, more "
                           f"than the whole VRAM budget of {self.budget_bytes / GB:.1f} GB")
        unloaded = []
        order = sorted(loaded, key=lambda m: (self._resident(m), self._last_used.get(m, 0.0)))
        for victim in order:
            if sum(loaded.values()) + need <= self.budget_bytes:
                break
            log.info("VRAM budget: unloading %s (%.1f GB) to load %s (%.1f GB)",
                     victim, loaded[victim] / GB, model, need / GB)
            self.backend.unload(victim)
            del loaded[victim]
            unloaded.append(victim)
        return unloaded

    def vram_status(self) -> dict:
        loaded = self.backend.loaded()
        used = sum(self._size_of(m["model"], int(m.get("size_vram") or 0)) for m in loaded)
        return {"budget_gb": self.budget_bytes / GB, "used_gb": round(used / GB, 2),
                "loaded": [m["model"] for m in loaded]}

    # -- asking ----------------------------------------------------------------------------
    def messages(self, persona: PersonaSpec, text: str, history=()) -> list[dict]:
        msgs = [{"role": "system", "content": persona.system_prompt}] if persona.system_prompt else []
        msgs.extend(history)
        msgs.append({"role": "user", "content": text})
        return msgs

    def ask(self, text: str, persona: str | None = None, *, history=(),
            on_complete: Callable[[Turn], None] | None = None,
            options: dict | None = None, grounded: bool | None = None, image=None) -> Turn:
        """Route, ground (``grounded``, default ``self.grounded``: the image's glossary entries,
        memories and prototype docs as cited notes in the question's turn,
        :mod:`telos.llm.grounding`) and stream one answer, ended where it starts to repeat
        itself (:mod:`telos.llm.repeats`).
        ``image``: the session to ground in (a service worker passes its request's own session;
        default the orchestrator's image)."""
        spec = self.persona(persona, text)
        msgs = self.messages(spec, text, history)
        notes = []
        if self.grounded if grounded is None else grounded:
            from telos.llm import grounding
            with _recalling(self.backend):
                notes = grounding.gather(image if image is not None else self.image, text)
            if notes:
                msgs[-1] = {"role": "user", "content": grounding.grounded_question(notes, text)}
        turn = self.chat(spec, msgs, query=text, on_complete=on_complete, options=options)
        turn.notes = notes
        turn._source = UntilRepeat(turn._source)      # a small model's loop ends the answer
        if notes:
            turn._source = _with_sources(turn._source, notes)
        return turn

    def chat(self, persona: PersonaSpec, messages: list[dict], *, query: str = "",
             on_complete=None, options: dict | None = None) -> Turn:
        """Low-level: stream ``messages`` through ``persona`` within the budget."""
        model = self.model_for(persona)
        with self._lock:
            self.make_room(persona)
            self._last_used[model] = time.monotonic()
        tokens = self.backend.chat(messages, model=model, keep_alive=persona.keep_alive,
                                   options=options)
        return Turn(self, query, persona, model, tokens, on_complete)

    def score(self, persona: PersonaSpec, messages: list[dict],
              continuations: list[str]) -> list | None:
        """``[log p, tokens]`` of each continuation after ``messages`` under ``persona``'s model,
        or None when the backend cannot score (Ollama streams text only)."""
        scorer = getattr(self.backend, "score", None)
        if scorer is None:
            return None
        model = self.model_for(persona)
        with self._lock:
            self.make_room(persona)
            self._last_used[model] = time.monotonic()
        return scorer(messages, continuations)

    def _completed(self, turn: Turn) -> None:
        self._last_used[turn.model] = time.monotonic()
        if self.remember is not None and turn.query:
            try:
                self.remember(turn)
            except Exception:  # noqa: BLE001 - memory is optional; the answer stands
                log.exception("remembering the turn of %s failed", turn.persona.name)

    def status(self) -> dict:
        from telos.llm.select import status
        st = status(self.backend)
        st["personas"] = {p.name: self.model_for(p) for p in self.personas.values()}
        try:
            st["vram"] = self.vram_status()
        except LLMError as exc:
            st["vram"] = {"error": str(exc)}
        return st


class _with_sources(StreamFilter):
    """The answer's pieces, then its sources line (:func:`grounding.sources_line`)."""

    def __init__(self, tokens, notes) -> None:
        self._notes = notes
        super().__init__(tokens)

    def _pieces(self) -> Iterator[str]:
        from telos.llm import grounding
        pieces = []
        for piece in self._tokens:
            pieces.append(piece)
            yield piece
        yield grounding.sources_line("".join(pieces), self._notes)


def _memory_writer(image) -> Callable[[Turn], None] | None:
    """Remember each turn in ``image.memory`` when the memory area is there."""
    import importlib.util
    if importlib.util.find_spec("telos.memory") is None:
        return None

    def remember(turn: Turn) -> None:
        try:
            memory = image.memory
        except (ImportError, AttributeError):
            return
        add = getattr(memory, "remember", None) or getattr(memory, "add", None)
        if add is None:
            return
        text = f"Q: {turn.query}\n{turn.persona.name}: {turn.text}"
        with image.thought(f"remember turn of {turn.persona.name}", user="orchestrator"):
            add(text, source=f"persona:{turn.persona.name}")
    return remember


class _Recalling:
    """The request's progress while grounding searches the memory. The memory's embedder shares
    the one compute thread with the embedded model, so while that model is still converting or
    loading, the search waits for it: say so (with its progress), not just "working"."""

    def __init__(self, backend) -> None:
        self.backend = backend

    def progress(self):
        from telos.scope import Progress
        readiness = getattr(self.backend, "readiness", None)
        p = readiness() if callable(readiness) else None
        if p is not None and p.stage in ("converting", "loading"):
            return p
        return Progress("recalling", "recalling what the image remembers")


@contextlib.contextmanager
def _recalling(backend):
    from telos import scope
    current = scope.current()
    source = _Recalling(backend)
    if current is not None:
        current.watch(source)
    try:
        yield source
    finally:
        if current is not None:
            current.unwatch(source)
