"""Chat grounded in the image: a persona's answer draws on TelOS's own glossary, the image's
memories and its prototypes' documentation, and cites them.

Before a question goes to a persona, :func:`gather` reads the entries of the image's
``Glossary`` (:mod:`telos.glossary`) whose word the question names, asks ``image.memory.search``
for the nearest memories (those about the question, :func:`related`; never the image's own
remembered chat turns, :func:`own_turn`) and reads the ``description`` of the registered
prototypes that share a word with the question; each becomes a numbered note (``[d1]`` a glossary entry, ``[m1]`` a
memory, ``[p1]`` a prototype). :func:`grounded_question` puts them in the question's own turn,
right before it, under a one-line instruction to answer from them and cite them (the persona's
system prompt stays first; a 135M model follows notes in the user's turn, and ignored them in a
system message); :func:`sources_line` is appended to the answer as its last piece: the notes the
answer cited, or — when a small model cited none — every note it was given, so the reader
always sees what the answer was grounded on.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import numpy as np

from telos import glossary
from telos.reflect import mirror
from telos.uvm import UvmObject

log = logging.getLogger(__name__)

MAX_NOTE_CHARS = 300
#: a memory that shares no word with the question is a note only this close to it (cosine of
#: the memory's embeddings, all-MiniLM-L6-v2): measured on questions and memories of a walk,
#: related pairs 0.37-0.66, unrelated ones up to 0.23
MIN_SIMILARITY = 0.3
_WORD = re.compile(r"[a-z]{4,}")
_STOP = {"what", "which", "when", "where", "does", "this", "that", "with", "from", "have",
         "about", "there", "their", "would", "could", "should", "your", "tell", "explain",
         "please", "much", "many", "some", "them", "they", "into", "like", "more"}


@dataclass(frozen=True)
class Note:
    tag: str            # "d1", "m1", "p1"
    kind: str           # "glossary" | "memory" | "prototype"
    ref: str            # "glossary prototype" | "memory #12" | "prototype Object"
    text: str


def _words(text: str) -> set[str]:
    return {w.rstrip("s") for w in _WORD.findall(text.lower())} - _STOP


def glossary_notes(image, query: str, k: int) -> list[Note]:
    """The glossary entries whose word (its slot name or an alias) the question names, best
    first: more of the question's words in the entry's text ranks it higher."""
    want = _words(query)
    if not want:
        return []
    scored = []
    for order, (word, text) in enumerate(glossary.entries(image).items()):
        names = _words(word) | _words(" ".join(glossary.ALIASES.get(word, ())))
        if want & names:
            scored.append((-(3 * len(want & names) + len(want & _words(text))), order, word, text))
    scored.sort()
    return [Note(f"d{i}", "glossary", f"glossary {word}", text[:MAX_NOTE_CHARS])
            for i, (_, _, word, text) in enumerate(scored[:k], 1)]


#: the source each chat turn is remembered with (``persona:BABS``: the orchestrator's writer and
#: the service's handler)
TURN_SOURCE = "persona:"


def own_turn(hit) -> bool:
    """A remembered chat turn: a persona's own earlier answer, not something the image was
    told. Grounding leaves these out — a small model copies a note, so a wrong answer it once
    gave would come back as a source for every later one."""
    source = getattr(getattr(hit, "record", None), "source", None)
    return isinstance(source, str) and source.startswith(TURN_SOURCE)


def related(hit, query_words: set[str], query_vector) -> bool:
    """Whether a memory found for a question is about it: it shares a word with the question,
    or its embedding is at least :data:`MIN_SIMILARITY` (cosine) from the question's. A search
    always returns its k nearest, and with few memories those are anything the image holds: a
    135M model then answers "What is a slot?" with the kettle on the pantry shelf."""
    if query_words & _words(str(hit.text)):
        return True
    vector = getattr(getattr(hit, "record", None), "vector", None)
    if query_vector is None or vector is None:
        return False
    return float(np.dot(vector, query_vector)) >= MIN_SIMILARITY


def memories(image, query: str, k: int) -> list[Note]:
    try:
        memory = image.memory
        engine = getattr(memory, "engine", None)
        q = None if engine is None else engine.embedder.encode([query])[0]
        hits = memory.search(query, k=3 * k, vector=q)   # room for those left out
    except Exception as exc:  # noqa: BLE001 - memory is optional grounding: answer without it
        log.info("no memories for grounding (%s: %s)", type(exc).__name__, exc)
        return []
    want = _words(query)
    notes = []
    for hit in hits or []:           # telos.memory.facade.Hit
        if hit.text and not own_turn(hit) and related(hit, want, q) and len(notes) < k:
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
        if not isinstance(obj, UvmObject) or name == glossary.NAME:   # its entries are notes
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


def gather(image, query: str, *, k_glossary: int = 2, k_memories: int = 3,
           k_prototypes: int = 2) -> list[Note]:
    """The notes a grounded answer to ``query`` may draw on (empty: answer as usual): the
    glossary's first (TelOS's own meaning of the word asked about), then memories, then
    prototypes."""
    if image is None or not query.strip():
        return []
    return (glossary_notes(image, query, k_glossary) + memories(image, query, k_memories)
            + prototype_docs(image, query, k_prototypes))


def grounded_question(notes: list[Note], question: str) -> str:
    """The question's turn with its notes before it::

        Notes about TelOS:
        [d1] (glossary prototype) A prototype is an object that ...
        [p1] (prototype Object) Object: the root prototype ...

        Answer from the notes and cite them, like [d1].
        What is a prototype?
    """
    if not notes:
        return question
    lines = ["Notes about TelOS:"]
    lines.extend(f"[{n.tag}] ({n.ref}) {n.text}" for n in notes)
    lines += ["", f"Answer from the notes and cite them, like [{notes[0].tag}].", question]
    return "\n".join(lines)


def cited(answer: str, notes: list[Note]) -> list[Note]:
    return [n for n in notes if f"[{n.tag}]" in answer]


def sources_line(answer: str, notes: list[Note]) -> str:
    used = cited(answer, notes) or notes
    return "\n\nSources: " + "; ".join(f"[{n.tag}] {n.ref}" for n in used)
