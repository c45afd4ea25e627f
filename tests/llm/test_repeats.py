"""A chat answer ends where it starts repeating itself (telos.llm.repeats)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from telos.llm.ollama_backend import OllamaBackend
from telos.llm.orchestrator import Orchestrator
from telos.llm.personas import PERSONA_TABLE
from telos.llm.repeats import UntilRepeat, dangling, normalize

LOOP = ("A prototype is an object that others are made from. It has slots.\n\n"
        "[d1] (prototype) A prototype is an object that others are made from. It has slots.\n\n"
        "[d1] (prototype) A prototype is an object that others are made from.")


class Stream:
    """A backend's token stream: ``size``-character pieces; records ``close`` and how far it was
    read."""

    def __init__(self, text: str, size: int = 3) -> None:
        self.pieces = [text[i:i + size] for i in range(0, len(text), size)]
        self.read = 0
        self.closed = False

    def __iter__(self):
        return self

    def __next__(self) -> str:
        if self.closed or self.read == len(self.pieces):
            raise StopIteration
        self.read += 1
        return self.pieces[self.read - 1]

    def close(self) -> None:
        self.closed = True

    def progress(self):
        return "generating"


def test_a_repeated_sentence_ends_the_answer_and_stops_the_backend():
    stream = Stream(LOOP)
    wrapped = UntilRepeat(stream)
    text = "".join(wrapped)
    assert text == "A prototype is an object that others are made from. It has slots."
    assert wrapped.cut and stream.closed
    assert stream.read < len(stream.pieces)               # the rest was never generated
    assert wrapped.progress() == "generating"             # the stream's own attributes pass


def test_an_answer_that_does_not_repeat_itself_is_unchanged_and_streams():
    text = ("A slot is a named value [d1] held by an object, like width = 3 [d1] (glossary "
            "slot). An object that lacks a slot asks its parents for it [d1]")
    stream = Stream(text)
    wrapped = UntilRepeat(stream)
    first = next(wrapped)
    assert stream.read == 1 and first == text[:3]         # no holding back where nothing repeats
    assert first + "".join(wrapped) == text
    assert not wrapped.cut and not stream.closed


def test_short_units_may_repeat_and_tags_do_not_hide_a_repeat():
    ok = "Yes. Yes. It works."
    assert "".join(UntilRepeat(Stream(ok))) == ok
    lines = ("Object is the root prototype of the image\n"
             "[d2] (prototype object) Object: the root prototype every object may use\n"
             "[p2] (prototype object) Object: the root prototype every object may use\n")
    assert "".join(UntilRepeat(Stream(lines))) == lines.split("\n[p2]")[0]


def test_a_citation_cut_off_by_the_budget_is_dropped_a_whole_one_kept():
    assert "".join(UntilRepeat(Stream("It clones objects.\n\n[d1] ("))) == "It clones objects."
    assert "".join(UntilRepeat(Stream("It clones [p7"))) == "It clones"
    whole = "It clones objects [d1] (glossary cloning)"
    assert "".join(UntilRepeat(Stream(whole))) == whole
    assert dangling("ends [d1]") is None and dangling("ends [d1] (glos") == 4
    assert normalize("[d1] (glossary slot)  A  Slot.") == "a slot."


def test_lines_of_code_may_repeat_inside_a_fence():
    code = ("Clone it like this:\n```python\nchild = parent.clone()  # a copy of its slots\n"
            "other = parent.clone()\nchild = parent.clone()  # a copy of its slots\n```\n"
            "Each clone keeps its own slots from then on.")
    assert "".join(UntilRepeat(Stream(code))) == code
    looping = code + "\nEach clone keeps its own slots from then on. And more."
    assert "".join(UntilRepeat(Stream(looping))) == code


@pytest.mark.parametrize("size", [1, 7, 500])
def test_the_cut_does_not_depend_on_how_the_stream_is_split(size):
    assert "".join(UntilRepeat(Stream(LOOP, size))) == LOOP.split("\n\n")[0]


def test_the_orchestrator_ends_a_looping_answer_before_its_sources(standin):
    image = SimpleNamespace(memory=SimpleNamespace(search=lambda q, k=10, vector=None: [
        SimpleNamespace(id=7, text="A prototype is an object others derive from.")]),
        prototypes={})
    orch = Orchestrator(OllamaBackend(standin.url), PERSONA_TABLE, image=image)
    standin.script(LOOP.replace("[d1]", "[m1]"))
    text = orch.ask("What is a prototype?", "BABS").wait()
    assert text == ("A prototype is an object that others are made from. It has slots."
                    "\n\nSources: [m1] memory #7")


@pytest.mark.slow
def test_the_embedded_model_stops_where_it_would_loop(tmp_path):
    """SmolLM2-135M, greedy, on a fresh image: "How do I clone an object?" listed its notes
    again and again until the token budget (256 tokens) cut it mid-tag. Now it ends at the first
    repeat, and no sentence or line of the answer is said twice."""
    import re

    from telos.image import open_image
    from telos.llm.embedded import EmbeddedBackend
    from telos.llm.repeats import MIN_CHARS
    image = open_image(str(tmp_path / "telos.fs"), home=str(tmp_path))
    try:
        orch = Orchestrator(EmbeddedBackend(), PERSONA_TABLE, image=image)
        turn = orch.ask("How do I clone an object?", options={"temperature": 0})
        text = turn.wait()
    finally:
        image.close()
    body, _, sources = text.partition("\n\nSources: ")
    assert sources, text
    units = [normalize(u) for u in re.split(r"(?<=[.!?])\s+|\n", body)]
    said = [u for u in units if len(u) >= MIN_CHARS]
    assert len(said) == len(set(said)), text
    assert turn._source.cut, text                 # this question's greedy answer does loop
    assert dangling(body) is None, text
