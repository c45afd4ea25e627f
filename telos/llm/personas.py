"""Personas: who answers. The table (after the blueprint) and a plain snapshot of a persona.

The personas live in the image as prototypes (``telos.kernel.genesis`` creates them from
:data:`PERSONA_TABLE`); the orchestrator works on :class:`PersonaSpec` snapshots read from them,
so no thread ever touches persistent objects of another session.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

GB = 10**9


@dataclass(frozen=True)
class PersonaSpec:
    name: str
    role: str
    system_prompt: str
    model: str
    keep_alive: object        # Ollama keep_alive: -1 forever, "5m", 0 unload after the reply
    vram_gb: float
    writes_code: bool = False
    keywords: tuple[str, ...] = field(default=())

    @property
    def vram_bytes(self) -> int:
        return int(self.vram_gb * GB)


PERSONA_TABLE: tuple[PersonaSpec, ...] = (
    PersonaSpec(
        "ALFRED", "steward: default dialogue, keeps the system in order",
        "You are ALFRED, the steward of TelOS, a living image of prototype objects. Answer "
        "briefly, precisely and politely.",
        "phi3:3.8b", -1, 2.2),
    PersonaSpec(
        "BRICK", "technical deconstruction: writes and explains code",
        "You are BRICK, the engineer of TelOS. You write small, correct Python methods for "
        "prototype objects. Reply with exactly one Python code block.",
        "mistral:7b", "5m", 4.1, writes_code=True,
        keywords=("code", "python", "method", "function", "bug", "error", "implement",
                  "compute", "algorithm", "debug", "technical", "write a", "def ")),
    PersonaSpec(
        "ROBIN", "empathetic synthesis",
        "You are ROBIN, the empathetic voice of TelOS. Listen, reflect feelings back, and "
        "synthesise gently.",
        "gemma2:9b", "5m", 5.4,
        keywords=("feel", "sad", "happy", "worried", "anxious", "lonely", "love", "afraid",
                  "stress", "hope", "upset")),
    PersonaSpec(
        "BABS", "factual inquiry",
        "You are BABS, the researcher of TelOS. Answer factual questions with facts only and "
        "say when you do not know.",
        "qwen2:7b", 0, 4.4,
        keywords=("who ", "when ", "where ", "fact", "define", "definition", "how many",
                  "what is", "what are", "capital", "date", "history")),
)

DEFAULT_PERSONA = "ALFRED"
CODE_PERSONA = "BRICK"


def route(text: str, personas: Iterable[PersonaSpec]) -> PersonaSpec:
    """The persona whose keywords match ``text`` best; ALFRED (the default) otherwise."""
    personas = list(personas)
    low = " " + re.sub(r"\s+", " ", text.lower()) + " "
    best, best_hits = None, 0
    for p in personas:
        hits = sum(low.count(k) for k in p.keywords)
        if hits > best_hits:
            best, best_hits = p, hits
    if best is not None:
        return best
    for p in personas:
        if p.name == DEFAULT_PERSONA:
            return p
    return personas[0]


def spec_from_object(obj) -> PersonaSpec:
    """A snapshot of a persona prototype (a UvmObject with the PersonaSpec fields as slots)."""
    def slot(name, default=None):
        try:
            return getattr(obj, name)
        except AttributeError:
            return default
    return PersonaSpec(
        name=str(slot("name")), role=str(slot("role", "")),
        system_prompt=str(slot("system_prompt", "")), model=str(slot("model", "")),
        keep_alive=slot("keep_alive"), vram_gb=float(slot("vram_gb", 0.0) or 0.0),
        writes_code=bool(slot("writes_code", False)),
        keywords=tuple(slot("keywords", ()) or ()))
