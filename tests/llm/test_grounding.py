"""Chat grounded in the image (telos.llm.grounding): the persona is given the image's glossary,
memories and prototype documentation as numbered notes, and the answer cites them."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from telos import glossary
from telos.llm import grounding
from telos.uvm import UvmObject
from telos.llm.ollama_backend import OllamaBackend
from telos.llm.orchestrator import Orchestrator
from telos.llm.personas import PERSONA_TABLE

MEMORY = ("In TelOS a prototype is a UvmObject that other objects derive from: derive() makes a "
          "child that delegates every slot it lacks to its parent.")


class FakeMemory:
    def __init__(self, hits):
        self.hits, self.queries = hits, []

    def search(self, query, k=10, vector=None):
        self.queries.append(query)
        return self.hits[:k]


def fake_image(hits=()):
    root = UvmObject(description="the root prototype every object may derive from")
    return SimpleNamespace(memory=FakeMemory(list(hits)), prototypes={"Object": root})


@pytest.fixture
def grounded_orch(standin):
    def make(hits):
        image = fake_image(hits)
        return Orchestrator(OllamaBackend(standin.url), PERSONA_TABLE, image=image), image
    return make


def test_the_answer_is_given_the_memory_and_cites_it(grounded_orch, standin):
    orch, image = grounded_orch([SimpleNamespace(id=7, text=MEMORY)])
    standin.script("A prototype is an object others derive from [m1].")
    turn = orch.ask("What is a prototype?", "BABS")
    text = turn.wait()
    assert image.memory.queries == ["What is a prototype?"]
    msgs = standin.requests[-1]["body"]["messages"]
    assert len(msgs) == 2
    assert msgs[0]["content"].startswith("You are BABS")              # the persona stays first
    turn_text = msgs[-1]["content"]            # the notes in the question's turn, right before it
    assert msgs[-1]["role"] == "user" and turn_text.startswith("Notes about TelOS:\n")
    assert turn_text.endswith("\n\nAnswer from the notes and cite them, like [m1].\n"
                              "What is a prototype?")
    assert f"\n[m1] (memory #7) {MEMORY}\n" in turn_text
    assert "\n[p1] (prototype Object) Object: the root prototype" in turn_text
    assert text.startswith("A prototype is an object others derive from [m1].")
    assert text.endswith("\n\nSources: [m1] memory #7")                # what it cited
    assert [n.tag for n in turn.notes] == ["m1", "p1"]


def test_an_answer_that_cites_nothing_still_shows_what_it_was_given(grounded_orch, standin):
    orch, _ = grounded_orch([SimpleNamespace(id=3, text=MEMORY)])
    standin.script("Something about clay models.")
    text = orch.ask("What is a prototype?", "BABS").wait()
    assert text.endswith("Sources: [m1] memory #3; [p1] prototype Object")


def test_no_notes_no_change_and_grounding_can_be_switched_off(grounded_orch, standin):
    orch, image = grounded_orch([])
    standin.script("Rayleigh scattering.", "Rayleigh scattering.")
    assert orch.ask("why is the sky blue?", "BABS").wait() == "Rayleigh scattering."
    assert standin.requests[-1]["body"]["messages"][-1] == {"role": "user",
                                                            "content": "why is the sky blue?"}
    orch, image = grounded_orch([SimpleNamespace(id=1, text=MEMORY)])
    assert orch.ask("What is a prototype?", "BABS", grounded=False).wait() == \
        "Rayleigh scattering."
    assert image.memory.queries == []


def test_a_memory_that_fails_is_no_grounding_not_an_error():
    class Broken:
        def search(self, query, k=10, vector=None):
            raise RuntimeError("index rebuilding")
    image = SimpleNamespace(memory=Broken(), prototypes={})
    assert grounding.gather(image, "What is a prototype?") == []


def test_a_fresh_image_grounds_what_a_prototype_is_on_its_glossary(image):
    """No memory, no model: genesis gave the image TelOS's own meaning of "prototype", and it is
    the first note, right before the question."""
    notes = grounding.gather(image, "What is a prototype?")
    assert [(n.tag, n.ref) for n in notes] == [("d1", "glossary prototype"),
                                               ("p1", "prototype Object")]
    assert notes[0].text == glossary.ENTRIES["prototype"]
    assert "clone" in notes[0].text and "derive" in notes[0].text
    question = grounding.grounded_question(notes, "What is a prototype?")
    assert question.splitlines()[1] == f"[d1] (glossary prototype) {glossary.ENTRIES['prototype']}"
    assert question.endswith("like [d1].\nWhat is a prototype?")
    # other words find their own entry (aliases count); a question of no TelOS word gets none
    assert [n.ref for n in grounding.gather(image, "How do I clone an object?")][:2] == \
        ["glossary cloning", "glossary object"]
    assert [n.ref for n in grounding.gather(image, "What are slots?")] == ["glossary slot"]
    assert grounding.gather(image, "why is the sky blue?") == []


def test_the_glossary_reaches_an_image_awakened_before_and_keeps_its_edits(image):
    from telos import genesis
    from telos.reflect import mirror
    words = image.prototypes[glossary.NAME]
    with image.thought("an older image: no thought entry, an edited slot entry"):
        mirror(words).remove_slot("thought")
        words.slot = "A slot is a name and a value."
        words.kernel = ""                    # emptied: no longer offered, and not brought back
    genesis.awaken(image)
    assert words.thought == glossary.ENTRIES["thought"]
    assert words.slot == "A slot is a name and a value." and words.kernel == ""
    assert [n.text for n in grounding.gather(image, "What is a slot?")] == ["A slot is a name and a value."]
    assert grounding.gather(image, "what does the kernel do?") == []


@pytest.mark.slow
def test_a_fresh_image_answers_what_a_prototype_is_about_telos():
    """With SmolLM2-135M on a fresh image, nothing remembered by the test: the glossary's entry
    turns "a product prototype" into TelOS's objects."""
    import os
    import tempfile
    from telos.image import open_image
    from telos.llm.embedded import EmbeddedBackend
    with tempfile.TemporaryDirectory(prefix="tg") as home:
        image = open_image(os.path.join(home, "telos.fs"), home=home)
        try:
            assert grounding.memories(image, "What is a prototype?", 3) == []   # nothing remembered
            orch = Orchestrator(EmbeddedBackend(), PERSONA_TABLE, image=image)
            turn = orch.ask("What is a prototype?", options={"num_predict": 60, "temperature": 0})
            text = turn.wait()
        finally:
            image.close()
    body, _, sources = text.partition("\n\nSources: ")
    assert "[d1] glossary prototype" in sources, text
    lowered = body.lower()
    assert any(w in lowered for w in ("clone", "slot", "object", "delegat")), text
    assert "product" not in lowered, text


@pytest.mark.slow
def test_the_embedded_model_answers_about_telos_prototypes():
    """With SmolLM2-135M: the note reaches the model and the answer carries its source."""
    from telos.llm.embedded import EmbeddedBackend
    image = fake_image([SimpleNamespace(id=7, text=MEMORY)])
    orch = Orchestrator(EmbeddedBackend(), PERSONA_TABLE, image=image)
    turn = orch.ask("What is a prototype?", "BABS", options={"num_predict": 60, "temperature": 0})
    text = turn.wait()
    assert "Sources: " in text and "[m1] memory #7" in text
    assert any(w in text.lower() for w in ("object", "derive", "telos", "slot", "parent"))


def test_while_the_model_warms_grounding_says_what_the_request_waits_for():
    """The memory's embedder shares the compute thread with the embedded model: while that is
    converting, the grounding search waits for it, and the request's progress says so."""
    import threading
    from telos import scope
    from telos.scope import Progress

    class Warming:
        name, model, stage = "embedded", "smollm2", "converting"

        def loaded(self):
            return []

        def readiness(self):
            return Progress(self.stage, "converting the embedded model", fraction=0.4)

        def chat(self, messages, **kw):
            return iter(["ok"])

    seen = {}
    release = threading.Event()

    class SlowMemory(FakeMemory):
        def search(self, query, k=10, vector=None):
            seen["during"] = scope.current().progress()
            backend.stage = "ready"
            seen["after"] = scope.current().progress()
            release.set()
            return []

    backend = Warming()
    image = SimpleNamespace(memory=SlowMemory([]), prototypes={})
    orch = Orchestrator(backend, PERSONA_TABLE, image=image)
    with scope.request_scope(scope.RequestScope("ask")) as sc:
        orch.ask("what is a prototype?", grounded=True)
        assert release.is_set()
        assert sc.progress().stage == "working"          # grounding is over: nothing watched
    assert (seen["during"].stage, seen["during"].fraction) == ("converting", 0.4)
    assert seen["after"].stage == "recalling" and "remembers" in seen["after"].detail


def test_the_image_s_own_chat_turns_are_not_offered_as_notes():
    """A remembered turn (source ``persona:…``) is the model's own earlier answer: a small model
    copies notes, so it would come back as a source. What the image was told is offered."""
    turn = SimpleNamespace(id=4, text="Q: What is a prototype?\nBABS: a product mock-up.",
                           record=SimpleNamespace(source="persona:BABS"))
    told = SimpleNamespace(id=9, text=MEMORY, record=SimpleNamespace(source=None))
    image = fake_image([turn, turn, told, turn])
    notes = grounding.memories(image, "What is a prototype?", 3)
    assert [n.ref for n in notes] == ["memory #9"]
    assert image.memory.queries == ["What is a prototype?"]
    many = fake_image([SimpleNamespace(id=i, text=f"fact {i}", record=None) for i in range(9)])
    assert [n.ref for n in grounding.memories(many, "fact", 2)] == ["memory #0", "memory #1"]


def test_a_memory_is_a_note_only_when_it_is_about_the_question():
    """The search returns its k nearest whatever they are; a memory sharing no word with the
    question must be close in meaning (cosine of the embeddings)."""
    import numpy as np
    q = np.array([1.0, 0.0], np.float32)

    def hit(id, text, vector):
        return SimpleNamespace(id=id, text=text,
                               record=SimpleNamespace(source=None, vector=np.array(vector, "f4")))

    class Embedder:
        def encode(self, texts):
            return np.array([q])

    memory = FakeMemory([hit(1, "The blue kettle lives on the pantry shelf.", [0.14, 0.99]),
                         hit(2, "Every object keeps its slots in a mapping.", [0.0, 1.0]),
                         hit(3, "Maria drinks green tea.", [0.6, 0.8])])
    memory.engine = SimpleNamespace(embedder=Embedder())
    image = SimpleNamespace(memory=memory, prototypes={})
    notes = grounding.memories(image, "What is a slot?", 3)
    assert [n.ref for n in notes] == ["memory #2", "memory #3"]    # a shared word; close enough


def test_with_the_real_embedder_unrelated_memories_and_chat_turns_stay_out(image):
    """The journey's case on a real image and all-MiniLM-L6-v2: two things remembered, one chat
    turn remembered by the service; each question gets the memory about it and nothing else."""
    with image.thought("remember"):
        image.memory.remember("The blue kettle lives on the second shelf of the pantry.")
        image.memory.remember("Maria prefers green tea in the afternoon.")
        image.memory.remember("Q: What is a slot?\nBABS: A slot is a kettle.", source="persona:BABS")

    def memory_notes(question):
        return [n.text for n in grounding.gather(image, question) if n.kind == "memory"]
    assert memory_notes("What is a slot?") == []
    assert memory_notes("Where's the teapot?")[0].startswith("The blue kettle")
    assert memory_notes("What does Maria drink?") == ["Maria prefers green tea in the afternoon."]
