"""The timeline's, history's and diff's texts (ui.timeline, no Kivy)."""

from __future__ import annotations

from telos.bridge import protocol as P
from ui.timeline import (Timeline, as_of_banner, change_texts, diff_markup, diff_title,
                         escape_markup, provenance_text, revision_summary, revision_texts,
                         thought_texts, undo_text)


def _t(n: int, author="ada", kind="person", note="") -> P.ThoughtView:
    return P.ThoughtView(thought_id=f"{n:016x}", time=1_700_000_000.0 + n, author=author,
                         author_kind=kind, note=note or f"thought {n}")


def test_a_timeline_row_has_time_author_kind_and_note():
    row = thought_texts(_t(5, author="kernel", kind="kernel", note="kernel: write area"))
    assert row["thought_id"] == "0000000000000005"
    assert row["author"] == "kernel · kernel" and row["author_kind"] == "kernel"
    assert row["note"] == "kernel: write area" and row["when"].startswith("2023-11-")
    assert thought_texts(P.ThoughtView(thought_id="0" * 16, time=0.0, author="x"))["note"] == "(no note)"


def test_the_timeline_is_newest_first_each_thought_once_and_bounded():
    tl = Timeline(limit=5)
    tl.replace([_t(1), _t(3), _t(2)])
    assert [t.thought_id[-1] for t in tl.thoughts] == ["3", "2", "1"]
    added = tl.add([_t(3), _t(4), _t(6, author="kernel", kind="kernel")])      # 3 already shown
    assert [t.thought_id[-1] for t in added] == ["6", "4"]
    assert [t.thought_id[-1] for t in tl.thoughts] == ["6", "4", "3", "2", "1"]
    tl.add([_t(7)])
    assert len(tl) == 5 and tl.thoughts[-1].thought_id.endswith("2")          # the oldest dropped
    assert tl.get(_t(1).thought_id) is None and tl.get(_t(7).thought_id) == _t(7)
    assert len({t.thought_id for t in tl.thoughts}) == len(tl)


def test_a_push_is_filtered_by_author_like_the_service_does():
    tl = Timeline()
    tl.replace([])
    added = tl.add([_t(1, author="Ada"), _t(2, author="kernel", kind="kernel")], author="ad")
    assert [t.author for t in added] == ["Ada"]


def _view(**slots) -> P.ObjectView:
    methods = slots.pop("methods", {})
    return P.ObjectView(object_id="o1", name="Lamp",
                        slots=[P.SlotView(name=k, value_repr=repr(v)) for k, v in slots.items()],
                        methods=[P.MethodView(selector=k, source=v) for k, v in methods.items()])


def test_a_revision_says_what_it_changed_against_the_one_before():
    old = _view(on=False, colour="red", methods={"glow": "def glow(self):\n    return 1\n"})
    new = _view(on=True, watts=40, methods={"glow": "def glow(self):\n    return 2\n"})
    summary = revision_summary(new, old)
    assert "on False -> True" in summary and "+watts" in summary and "-colour" in summary
    assert "method glow changed" in summary
    assert revision_summary(old, None) == "created"
    rv = P.RevisionView(thought=_t(9, note="lamp on"), object=new)
    texts = revision_texts(rv, P.RevisionView(thought=_t(8), object=old))
    assert texts["note"] == "lamp on" and texts["summary"] == summary


def test_a_method_diff_is_coloured_markup_with_brackets_escaped():
    diff = ("--- glow @ a\n+++ glow @ b\n@@ -1,2 +1,2 @@\n def glow(self):\n"
            "-    return [1]\n+    return [2]\n")
    m = diff_markup(diff)
    assert "[color=ef7b7b]-    return &bl;1&br;[/color]" in m
    assert "[color=8cc7a4]+    return &bl;2&br;[/color]" in m
    assert "[b]--- glow @ a[/b]" in m and " def glow(self):" in m
    assert escape_markup("a[b]&c") == "a&bl;b&br;&amp;c"


def test_a_change_row_names_its_thought_and_a_methods_provenance():
    prov = {"author": "kernel", "persona": "BRICK", "model": "smollm2", "backend": "embedded",
            "prompt_sha256": "ab" * 32, "trial": '{"args": [2], "value": 4}',
            "examples": [{"args": [2], "value": 4}], "message": "double(2)", "attempts": 1}
    change = P.SlotChange(slot="double", kind="method", change="added", after="def double(self, n):",
                          diff="--- double @ a\n+++ double @ now\n+def double(self, n):\n",
                          thought=_t(4, author="kernel", kind="kernel", note="kernel: write double"),
                          provenance=prov)
    row = change_texts(change)
    assert row["head"] == "method double — added"
    assert row["thought_id"] == _t(4).thought_id and "kernel: write double" in row["thought"]
    p = row["provenance"]
    for part in ("by BRICK (kernel)", "model smollm2 via embedded", "prompt sha256 abababababab…",
                 'trial {"args": [2], "value": 4}', "1 stored example", "for double(2)", "attempts 1"):
        assert part in p, (part, p)
    data = change_texts(P.SlotChange(slot="on", kind="data", change="changed", before="False",
                                     after="True"))
    assert data["body"] == "False  ->  True" and data["provenance"] == ""
    assert "outside the listed revisions" in data["thought"]
    gone = change_texts(P.SlotChange(slot="colour", kind="data", change="removed", before="'red'"))
    assert gone["body"] == "'red'  ->  (gone)"
    assert provenance_text({}) == ""


def test_diff_title_undo_texts_and_the_banner():
    d = P.ObjectDiff(request_id="r", object_id="o1", before=_t(1).thought_id, after=None,
                     changes=[P.SlotChange(slot="on", kind="data", change="changed")])
    assert diff_title(d, _t(1), None).startswith("1 change from thought 0000000000000001 (")
    assert diff_title(d, _t(1), None).endswith("to now")
    refused = P.Error(request_id="r", code="conflict",
                      message="cannot undo thought 01 ('x'): a later thought changed the same objects")
    text, ok = undo_text(refused, "01")
    assert not ok and text == f"refused: {refused.message}"
    text, ok = undo_text(P.Ack(request_id="r", of="UNDO_THOUGHT", thought_id="02"), "01")
    assert ok and text == "undid thought 01 — the undo is thought 02"
    banner = as_of_banner(_t(3, note="lamp on"), _t(3).thought_id)
    assert banner.startswith("as of thought 0000000000000003 (") and banner.endswith(
        '"lamp on") — read-only, back to now')
