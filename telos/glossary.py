"""TelOS's own words, kept in the image: the ``Glossary`` prototype.

Each data slot of ``Glossary`` is one word of TelOS (``prototype``, ``slot``, ``clone`` ...)
holding a few plain sentences on what it means here. Genesis adds the words an image lacks at
every awakening (:func:`awaken`; an image awakened before keeps its own edits and gets the new
words at its next open), and grounded chat (:mod:`telos.llm.grounding`) gives the persona the
entry whose word the question names, so "What is a prototype?" is answered about TelOS's
prototypes, not about product prototypes. The sentences are short and shaped like an answer
("A prototype is ...") because the embedded model (SmolLM2-135M) follows such a note best.

Edit an entry like any slot (the inspector, or ``Glossary.slot = "..."`` and a commit at the
shell); a word set to ``""`` is not offered as a note, and genesis does not bring it back.
"""

from __future__ import annotations

import logging

from telos.reflect import mirror
from telos.uvm import UvmObject

log = logging.getLogger(__name__)

NAME = "Glossary"
DESCRIPTION = ("TelOS's own documentation: each slot is a word of TelOS and what it means here; "
               "chat answers are grounded on them")

ENTRIES: dict[str, str] = {
    "prototype": "A prototype is an object that other objects are made from: clone it to copy its "
                 "slots, or derive from it to make a new object that delegates to it.",
    "slot": "A slot is a named value held by an object, like width = 3. An object that lacks a "
            "slot asks its parents for it.",
    "cloning": "Cloning makes a new object with a copy of another object's slots: obj.clone(). "
               "Changing the copy does not change the original.",
    "deriving": "Deriving makes a new object that delegates to another one: obj.derive(). The new "
                "object keeps its own slots and asks its parent for the rest.",
    "delegation": "Delegation is how an object answers for a slot it does not have: it asks its "
                  "parents in order, and the first parent that has the slot answers.",
    "parents": "An object's parents are the objects it delegates to, kept in its parent slots "
               "in order. A parent is often the prototype the object was derived from.",
    "object": "An object in TelOS is a set of slots and parents, made by cloning or deriving a "
              "prototype. Object is the root prototype every object may delegate to.",
    "method": "A method is a slot that holds code: Python source stored in the image, with who "
              "or which model wrote it.",
    "kernel": "The generative kernel writes missing methods: when an object gets a message it "
              "does not understand, a language model writes the method, a sandbox tries it, and "
              "it is installed only if everything worked.",
    "thought": "A thought is one transaction of the image: all its changes are kept together when "
               "it succeeds, and none is kept when it fails.",
    "image": "The image is TelOS's one persistent graph of objects, stored in ZODB. Everything "
             "TelOS knows and can do lives in it and changes only inside thoughts.",
    "memory": "The memory keeps texts with their embeddings and finds the ones nearest to a "
              "question; chat answers draw on them.",
}

# More words a question may use for an entry (its slot name always counts). A slot name cannot
# be ``clone`` or ``derive``: those are every object's own methods.
ALIASES: dict[str, tuple[str, ...]] = {
    "cloning": ("clone", "cloned", "copy", "copie"),
    "deriving": ("derive", "derived", "derivation", "inherit", "inheritance"),
    "delegation": ("delegate", "delegated", "lookup"),
    "method": ("function", "code"),
    "kernel": ("generative", "doesnotunderstand"),
    "thought": ("transaction", "commit"),
    "image": ("persistent", "zodb"),
}


def entries(image) -> dict[str, str]:
    """The image's glossary: word -> text (the non-empty text slots of ``Glossary``)."""
    try:
        glossary = image.prototypes.get(NAME)
    except Exception:  # noqa: BLE001 - no registry: no glossary to ground on
        return {}
    if not isinstance(glossary, UvmObject):
        return {}
    return {name: value for name, value in mirror(glossary).data().items()
            if name != "description" and isinstance(value, str) and value.strip()}


def awaken(image) -> None:
    """Register ``Glossary`` if missing and add the words it lacks (idempotent; never
    overwrites an entry the image already has, even an emptied one)."""
    protos = image.prototypes
    glossary = protos.get(NAME)
    if glossary is None:
        base = protos.get("Object")
        glossary = UvmObject(_parents={"parent": base} if base is not None else None,
                             description=DESCRIPTION)
        image.register(NAME, glossary)
        log.info("awakening: the glossary (%d words)", len(ENTRIES))
    have = mirror(glossary).data()
    for word, text in ENTRIES.items():
        if word not in have:
            setattr(glossary, word, text)
