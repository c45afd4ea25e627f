"""Chat grounded in the image: a persona's answer draws on the image's own memories and its
prototypes' documentation, and cites them.

Before a question goes to a persona, :func:`gather` asks ``image.memory.search`` for the nearest
memories and reads the ``description`` of the registered prototypes that share a word with
the question; each becomes a numbered note (``[m1]`` a memory, ``[p1]`` a prototype).
:func:`notes_message` puts them in a system message just before the question (the persona's own
system prompt stays first, the question stays last) with the instruction to answer from them
and cite them; :func:`sources_line` is appended to the answer as its last piece: the notes the
answer cited, or — when a small model cited none — every note it was given, so the reader
always sees what the answer was grounded on.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from telos.reflect import mirror
from telos.uvm import UvmObject

log = logging.getLogger(__name__)

MAX_NOTE_CHARS = 300
_WORD = re.compile(r"[a-z]{4,}")
_STOP = {"what", "which", "when", "where", "does", "this", "that", "with", "from", "have",
         "about", "there", "their", "would", "could", "should", "your", "tell", "explain",
         "please", "much", "many", "some", "them", "they", "into", "like", "more"}


@dataclass(frozen=True)
class Note:
    tag: str            # "m1", "p1"
    kind: str           # "memory" | "prototype"
    ref: str            # "memory #12" | "prototype Object"
    text: str


def _words(text: str) -> set[str]:
    return {w.rstrip("s") for w in _WORD.findall(text.lower())} - _STOP


def memories(image, query: str, k: int) -> list[Note]:
    try:
        memory = image.memory
        hits = memory.search(query, k=k)
    except Exception as exc:  # noqa: BLE001 - memory is optional grounding: answer without it
        log.info("no memories for grounding (%s: %s)", type(exc).__name__, exc)
        return []
    notes = []
    for hit in hits or []:           # telos.memory.facade.Hit
        if hit.text:
            notes.append(Note(f"m{len(notes) + 1}", "memory", f"memory #{hit.id}",
                              str(hit.text)[:MAX_NOTE_CHARS]))
    return notes


def prototype_docs(image, query: str, k: int) -> list[Note]:
    want = _words(query)
    if not want:
        return []
    try:
        protos = dict(image.prototypes.items())
    except Exception:  # noqa: BLE001 - no registry: no documentation to ground on
        return []
    scored = []
    for name, obj in protos.items():
        if not isinstance(obj, UvmObject):
            continue
        doc = mirror(obj).get("description")     # its own slot, not an inherited one
        if not isinstance(doc, str) or not doc:
            continue
        overlap = len(want & (_words(doc) | _words(name)))
        if overlap:
            scored.append((-overlap, name, doc))
    scored.sort()
    return [Note(f"p{i}", "prototype", f"prototype {name}", f"{name}: {doc}"[:MAX_NOTE_CHARS])
            for i, (_, name, doc) in enumerate(scored[:k], 1)]


def gather(image, query: str, *, k_memories: int = 3, k_prototypes: int = 2) -> list[Note]:
    """The notes a grounded answer to ``query`` may draw on (empty: answer as usual)."""
    if image is None or not query.strip():
        return []
    return memories(image, query, k_memories) + prototype_docs(image, query, k_prototypes)


def notes_message(notes: list[Note]) -> dict:
    lines = ["Notes from this TelOS image (a living image of prototype objects; in TelOS a "
             "prototype is an object that others are cloned or derived from). Answer from these "
             "notes and cite each note you use by its tag, like [m1]:"]
    lines.extend(f"[{n.tag}] ({n.ref}) {n.text}" for n in notes)
    return {"role": "system", "content": "\n".join(lines)}


def cited(answer: str, notes: list[Note]) -> list[Note]:
    return [n for n in notes if f"[{n.tag}]" in answer]


def sources_line(answer: str, notes: list[Note]) -> str:
    used = cited(answer, notes) or notes
    return "\n\nSources: " + "; ".join(f"[{n.tag}] {n.ref}" for n in used)
