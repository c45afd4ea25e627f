"""The UI's plain-data parts: prototypes, the chat log, inspector parsing, status texts."""

from __future__ import annotations

import pytest

from telos.bridge import protocol as P
from ui.chatlog import ChatLog
from ui.inspection import (EditRejected, describe_provenance, example_rows, examples_text, object_rows,
                          parse_send, parse_value)
from ui.prototypes import WidgetPrototype, build_prototypes
from ui.status import backend_text, backup_text, status_fields
from ui.theme import DEFAULT


def test_prototypes_delegate_and_clone_records():
    base = WidgetPrototype("Base", "Label", color=(1, 1, 1, 1), size=10)
    child = base.derive("Child", size=12)
    assert child.slots() == {"color": (1, 1, 1, 1), "size": 12}
    assert child.record(text="hi") == {"color": (1, 1, 1, 1), "size": 12, "text": "hi", "viewclass": "Label"}
    base.set(color=(0, 0, 0, 1))                         # restyling the prototype restyles clones
    assert child.record()["color"] == (0, 0, 0, 1)
    assert child["size"] == 12 and child["color"] == (0, 0, 0, 1)
    with pytest.raises(KeyError):
        child["nope"]
    with pytest.raises(ValueError):
        WidgetPrototype("Orphan")


def test_the_styled_prototypes_exist_with_persona_colours():
    reg = build_prototypes(DEFAULT)
    assert reg["UserBubble"].record()["align"] == "right"
    assert reg["ErrorBubble"].record()["viewclass"] == "ChatBubble"
    assert reg["ParentRow"]["kind"] == "parent"
    assert DEFAULT.persona_colour("brick") == DEFAULT.persona_colour("BRICK") != DEFAULT.persona_colour("ROBIN")
    assert DEFAULT.persona_colour("NEWCOMER") == DEFAULT.persona_colour("NEWCOMER")
    with pytest.raises(KeyError, match="known"):
        reg["Nope"]


def test_chatlog_batches_tokens_into_one_dirty_row():
    log = ChatLog()
    log.user("hi", "r1")
    assert log.take_dirty() == ([0], True)
    log.tokens("r1", "BRICK", ["Hel", "lo", " there"])
    log.tokens("r1", "BRICK", ["!"])
    dirty, appended = log.take_dirty()
    assert dirty == [1] and appended
    assert log.entries[1].text == "Hello there!" and log.entries[1].tokens == 4 and log.working
    log.complete("r1", "BRICK", "Hello there!", "tid-1")
    assert not log.entries[1].streaming and "thought tid-1" in log.entries[1].status and not log.working
    assert log.take_dirty() == ([1], False)


def test_chatlog_errors_and_lost_service():
    log = ChatLog()
    log.user("q", "r2")
    log.tokens("r2", "ROBIN", ["part"])
    log.abandon_pending("gone")
    assert log.entries[1].status.startswith("interrupted") and not log.entries[1].streaming
    i = log.error("r3", "bad_request", "nope", "do this")
    assert log.entries[i].text == "nope\nWhat to do: do this" and log.entries[i].status == "bad_request"


def test_parse_value_and_send():
    assert parse_value(' {"a": [1, 2.5, null, true]} ') == {"a": [1, 2.5, None, True]}
    with pytest.raises(EditRejected, match="double quotes"):
        parse_value("hello")
    with pytest.raises(EditRejected):
        parse_value("# a comment")
    s = parse_send('greet("Ada, Lovelace", [1, {"x": ","}], loud=true)')
    assert (s.selector, s.args, s.kwargs) == ("greet", ["Ada, Lovelace", [1, {"x": ","}]], {"loud": True})
    assert parse_send("area") == parse_send("area()")
    for bad in ("_private", "x(1,,2)", "f(a=1, 2)", 'f("open', "1abc", "f(hello)"):
        with pytest.raises(EditRejected):
            parse_send(bad)


def test_object_rows_and_provenance():
    view = P.ObjectView(object_id="abc", name="Gadget",
                        slots=[P.SlotView(name="size", value_type="int", value_repr="3", value=3)],
                        parents=[P.ParentView(slot="proto", object_id="def", name="Thing")],
                        methods=[P.MethodView(selector="area", source="def area(self):\n    return 1\n",
                                              provenance={"persona": "BRICK", "model": "phi3", "time": 0.0,
                                                          "message": "area()"})])
    rows = object_rows(view)
    kinds = [r["kind"] for r in rows]
    assert kinds == ["header", "parent", "header", "data", "header", "method"]
    assert rows[1]["ref"] == "def" and rows[5]["value"].startswith("def area(self)")
    text = describe_provenance(view.methods[0].provenance)
    assert "by BRICK (phi3)" in text and 'from "area()"' in text
    assert describe_provenance({}) == "provenance: unknown"


def test_stored_examples_read_as_calls_with_their_values():
    prov = {"author": "kernel", "model": "smollm2-135m", "levers": "vote+analogy",
            "examples": [{"slots": {"width": 3, "height": 4}, "args": [], "kwargs": {}, "value": 12},
                         {"slots": {"name": "Ada"}, "args": [2], "kwargs": {"loud": True},
                          "value": "ADA ADA"}]}
    assert example_rows("Rectangle", "area", prov) == [
        "Rectangle(width=3, height=4).area()  ->  12",
        "Rectangle(name='Ada').area(2, loud=True)  ->  'ADA ADA'"]
    text = examples_text("Rectangle", "area", prov)
    assert text.splitlines()[0].startswith("2 stored examples")
    assert text.splitlines()[1] == "  Rectangle(width=3, height=4).area()  ->  12"
    # the examples are shown as rows, not repeated in the provenance line; the levers are
    line = describe_provenance(prov)
    assert "stored" not in line and "width" not in line and "levers: vote+analogy" in line and "(smollm2-135m)" in line
    assert examples_text("Rectangle", "area", {"author": "tests"}) == ""
    assert example_rows("R", "f", {"examples": ["junk", {"value": None}]}) == ["R().f()  ->  None"]


def test_status_texts():
    st = P.SystemStatusUpdate(status_text="ready", backend="ollama", vram_usage=2048.0,
                              models=[P.ModelInfo(name="phi3:3.8b", persona="BRICK", loaded=True)],
                              memory={"l1": 1200, "L2": 5, "l1_capacity": 50000},
                              last_backup=1000.0)
    assert backend_text(st) == "ollama: phi3:3.8b (BRICK) · 2048 MiB"
    assert backup_text(st, now=1000.0 + 7200) == "backup 2.0 h ago"
    f = status_fields(st, now=1060.0)
    assert f["memory"] == "memory L1 1,200 · L2 5" and f["backup"] == "backup 60 s ago"
    assert backend_text(P.SystemStatusUpdate(status_text="x")) == "LLM: starting"
    warming = P.SystemStatusUpdate(status_text="ready", backend="orchestrator/embedded",
                                   model_stage="converting",
                                   model_state="converting the embedded model (tensors): 40 %")
    assert backend_text(warming) == "embedded model converting 40 %"
    failed = warming.model_copy(update={"model_stage": "failed", "model_state":
                                        "the embedded model could not be loaded: disk full"})
    assert backend_text(failed) == "the embedded model could not be loaded: disk full"


from hypothesis import given, settings, strategies as st

from ui.chatlog import split_chunks


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab \n"), max_size=3000), st.lists(st.integers(1, 400), max_size=12))
def test_split_chunks_is_lossless_and_stable_while_text_grows(text, cuts):
    pieces = split_chunks(text, size=50, window=20)
    assert "".join(p for _, p in pieces) == text
    assert all(text[off:off + len(p)] == p for off, p in pieces)
    # as the text streams in, a closed piece never changes again
    pos, previous = 0, []
    for step in cuts + [len(text)]:
        pos = min(len(text), pos + step)
        now = split_chunks(text[:pos], size=50, window=20)
        assert now[:len(previous) - 1] == previous[:-1]
        previous = now


def test_the_status_bar_says_what_the_model_is_doing_while_it_warms_up():
    warming = P.SystemStatusUpdate(status_text="ready", backend="orchestrator/embedded",
                                   model_stage="converting",
                                   model_state="converting the embedded model: 40 %")
    assert backend_text(warming) == "embedded model converting 40 %"     # short: it must fit
    ready = warming.model_copy(update={"model_stage": "ready",
                                       "model_state": "the embedded model is ready"})
    assert "converting" not in backend_text(ready)


def test_the_link_shows_a_waiting_requests_progress_and_keeps_its_callback():
    from ui.link import Link

    class Inbox:
        def __init__(self):
            self.batches = []

        def drain(self, n):
            return self.batches.pop(0) if self.batches else []

        def send(self, message):
            return message.request_id

    inbox = Inbox()
    link = Link(inbox)
    got = []
    link.request(P.UserQueryRequest(request_id="q1", query_text="hi"), got.append)
    inbox.batches.append([P.RequestProgress(request_id="q1", stage="queued", position=2,
                                            detail="queued: 1 request ahead", elapsed=3.0)])
    link.pump()
    assert link.progress_text == "queued: 1 request ahead (3 s)"
    assert "q1" in link._callbacks                      # progress is not the answer
    inbox.batches.append([P.PersonaResponseComplete(request_id="q1", persona_id="BABS",
                                                    full_text="done")])
    link.pump()
    assert link.progress_text == "" and got[-1].full_text == "done"


from ui.status import MORE, SEP, fit, index_text

WORDS = st.text(alphabet=st.sampled_from("abcdefgh,:0123456789é"), min_size=1, max_size=12)


def _left_whole(original: str, shown: str) -> bool:
    """``shown`` is ``original`` whole, or its start up to a word boundary followed by `` …``."""
    if shown in ("", original):
        return True
    if not shown.endswith(MORE):
        return False
    kept = shown[: -len(MORE)]
    return original.startswith(kept) and original[len(kept)] == " " and kept.split(" ") == \
        original.split(" ")[: len(kept.split(" "))]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(WORDS, min_size=1, max_size=5), min_size=1, max_size=6),
       st.integers(0, 80))
def test_fit_never_cuts_a_word_and_never_overflows(segments, width):
    text = SEP.join(" ".join(words) for words in segments)
    shown = fit(text, width)
    assert len(shown) <= width or shown == ""
    assert _left_whole(text, shown), (text, width, shown)
    if len(text) <= width:
        assert shown == text


def test_fit_drops_whole_segments_first_then_words():
    text = "memory concepts 0 · L1 1,200 · L2 0 · lexical 12"
    assert fit(text, 100) == text
    assert fit(text, 30) == "memory concepts 0 · L1 1,200 …"
    assert fit(text, 20) == "memory concepts 0 …"
    assert fit(text, 12) == "memory …"
    assert fit(text, 5) == ""
    # the two fields the bar used to cut inside a word
    long_index = index_text(P.SystemStatusUpdate(
        status_text="ready", index=P.IndexState(state="idle", detail="no L2 archive yet")))
    assert long_index == "index idle · no L2 archive yet"
    assert fit(long_index, 22) == "index idle …"
    # measured in pixels rather than characters: the same word boundaries
    assert fit(long_index, 22 * 7, measure=lambda t: 7 * len(t)) == "index idle …"
    assert fit("connected · ipc:///tmp/a/very/long/path/run/bridge.sock", 20) == "connected …"
