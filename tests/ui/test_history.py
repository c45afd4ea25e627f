"""An object's history and diffs, the inspector as of a thought, and memory searched as of a
thought — against the real service and image."""

from __future__ import annotations

import json
import uuid

from tests.ui.conftest import image_stats
from tests.ui.stack import click
from tests.ui.test_timeline import commit, open_timeline

PROV = {"author": "kernel", "persona": "BRICK", "model": "smollm2-135m", "backend": "embedded",
        "prompt_sha256": "5e" * 32, "trial": json.dumps({"args": [3], "value": 5}),
        "examples": [{"slots": {"ticks": 2}, "args": [3], "kwargs": {}, "value": 5}],
        "message": "tick(3)"}


def _clockwork(stack) -> tuple[str, str, str, str]:
    """A new object in three thoughts: made (ticks=1, tick), ticks set to 2, tick rewritten by
    "the kernel" (with a kernel-shaped provenance). Returns its name and the three thought ids."""
    name = f"Clockwork{uuid.uuid4().hex[:6]}"
    made = commit(stack, f"c = UvmObject(ticks=1)\nimage.register({name!r}, c)\n"
                         "mirror(c).define('tick', 'def tick(self, n=1):\\n    return self.ticks\\n',"
                         " {'author': 'tests'})", f"ui tests: make {name}")
    ticks = commit(stack, f"image.prototypes[{name!r}].ticks = 2", f"ui tests: {name} ticks 2")
    rewrite = commit(stack, f"mirror(image.prototypes[{name!r}]).define('tick', "
                            f"'def tick(self, n=1):\\n    return self.ticks + n\\n', {PROV!r})",
                     f"kernel: write {name}.tick")
    return name, made, ticks, rewrite


def _open_history(ui, name):
    insp = ui.root.ids.inspector
    ui.root.show_view("inspector")
    insp.auto_open = name
    insp.load_registry()
    ui.until(lambda: insp.current is not None and insp.current.name == name, f"{name} inspected")
    hist = ui.root.ids.history
    diffs = hist.diffs
    click(ui, insp.ids.history_button)
    assert ui.root.view == "history"
    ui.until(lambda: hist.diffs > diffs and hist._diffing is None, "the history and its first diff")
    return hist


def _changes(hist) -> dict:
    return {(r["kind"], r["head"].split()[1]): r for r in hist.ids.changes.data}


def test_history_diff_of_two_revisions_with_thoughts_and_provenance(ui, stack):
    name, made, ticks, rewrite = _clockwork(stack)
    hist = _open_history(ui, name)
    assert [r["thought_id"] for r in hist.ids.revisions.data] == [rewrite, ticks, made]
    summaries = [r["summary"] for r in hist.ids.revisions.data]
    assert summaries == ["method tick changed", "ticks 1 -> 2", "created"]
    # the newest two are compared at once: only the method changed, shown as a unified diff
    assert hist.picks == [ticks, rewrite]
    changes = _changes(hist)
    assert list(changes) == [("method", "tick")]
    tick = changes[("method", "tick")]
    assert tick["head"] == "method tick — changed" and tick["thought_id"] == rewrite
    assert "[color=ef7b7b]-    return self.ticks[/color]" in tick["body"]
    assert "[color=8cc7a4]+    return self.ticks + n[/color]" in tick["body"]
    assert f"kernel: write {name}.tick" in tick["thought"]
    for part in ("by BRICK (kernel)", "model smollm2-135m via embedded", "prompt sha256 5e5e5e5e5e5e…",
                 "trial", "1 stored example", "for tick(3)"):
        assert part in tick["provenance"], (part, tick["provenance"])

    # pick the first revision instead of the second: A = made, B = rewrite — both slots changed
    rows = {w.thought_id: w for w in ui.widgets("RevisionRow")}
    diffs = hist.diffs
    rows[made].dispatch("on_release")           # third pick: drops the older pick (ticks)
    ui.until(lambda: hist.diffs > diffs and hist._diffing is None, "the diff of A and B")
    assert hist.picks == [made, rewrite]
    changes = _changes(hist)
    assert set(changes) == {("data", "ticks"), ("method", "tick")}
    data = changes[("data", "ticks")]
    assert data["body"] == "1  ->  2" and data["thought_id"] == ticks and data["provenance"] == ""
    assert changes[("method", "tick")]["thought_id"] == rewrite
    assert hist.diff_heading.startswith(f"2 changes from thought {made} (")
    shown = [w for w in ui.widgets("ChangeRow") if w.head]
    assert {w.head for w in shown} == {"slot ticks — changed", "method tick — changed"}
    shot = ui.screenshot("diff")
    stats = image_stats(shot)
    assert stats["std"] > 10 and stats["colours"] > 30

    # a change's thought is a link into the timeline
    timeline = ui.root.ids.timeline
    row = next(w for w in shown if w.thought_id == ticks)
    row.dispatch("on_release")
    assert ui.root.view == "timeline" and timeline.selected == ticks
    ui.until(lambda: timeline.replies > 0 and timeline.picked is not None, "the thought found")
    assert timeline.picked.thought_id == ticks


def test_undo_from_a_history_entry_and_its_refusal(ui, stack):
    name, made, ticks, rewrite = _clockwork(stack)
    hist = _open_history(ui, name)
    rows = {w.thought_id: w for w in ui.widgets("RevisionRow")}
    assert hist.picks == [ticks, rewrite]        # the newest two
    rows[rewrite].dispatch("on_release")        # a click on a pick unpicks it: ticks alone, vs now
    ui.frames(2)
    assert hist.picks == [ticks] and hist.focus() == ticks
    hist.undo()
    ui.until(lambda: hist.undos == 1, "the undo answered")
    assert not hist.outcome_ok and hist.outcome.startswith(f"refused: cannot undo thought {ticks}")
    revisions = hist.replies
    hist.undo(rewrite)                           # the newest can be undone
    ui.until(lambda: hist.undos == 2, "the second undo answered")
    assert hist.outcome_ok and hist.outcome.startswith(f"undid thought {rewrite}")
    ui.until(lambda: hist.replies > revisions and hist._asking is None
             and hist.ids.revisions.data[0]["note"].startswith(f"undo {rewrite}"),
             "the undo as the newest revision")
    ui.until(lambda: hist._diffing is None and hist.diffs > 0, "its diff")
    assert _changes(hist)[("method", "tick")]["body"].count("[color=8cc7a4]+    return self.ticks[/color]") == 1


def test_the_inspector_as_of_a_thought_is_read_only_with_a_banner(ui, stack):
    name, made, ticks, rewrite = _clockwork(stack)
    hist = _open_history(ui, name)
    rows = {w.thought_id: w for w in ui.widgets("RevisionRow")}
    for tid in list(hist.picks):                 # unpick both, then pick the first revision
        rows[tid].dispatch("on_release")
    rows[made].dispatch("on_release")
    ui.frames(2)
    insp = ui.root.ids.inspector
    shown = insp.objects_shown
    click(ui, hist.ids.history_as_of)
    assert ui.root.view == "inspector"
    ui.until(lambda: insp.objects_shown > shown, "the object as of its first thought")
    assert insp.as_of == made
    assert insp.as_of_text.startswith(f"as of thought {made} (")
    assert insp.as_of_text.endswith("— read-only, back to now")
    assert insp.ids.as_of_banner.height > 0 and insp.ids.as_of_text.text == insp.as_of_text
    slots = {r["key"]: r["value"] for r in insp.ids.object_rows.data if r["kind"] == "data"}
    assert slots["ticks"].startswith("1")
    assert insp.current.methods[0].source.endswith("return self.ticks\n")
    insp.row_clicked("data", "ticks", "")
    ui.frames(2)
    assert insp.ids.editor.readonly and insp.ids.commit.disabled
    assert insp.commit() is None and "read-only" in insp.edit_message
    assert insp.ids.evaluator.disabled and insp.evaluate("tick") is None
    shot = ui.screenshot("as-of")
    assert image_stats(shot)["std"] > 10
    # back to now: the banner goes, editing comes back
    click(ui, insp.ids.back_to_now)
    ui.until(lambda: insp.objects_shown > shown + 1, "the object now")
    assert insp.as_of == "" and insp.ids.as_of_banner.height == 0
    slots = {r["key"]: r["value"] for r in insp.ids.object_rows.data if r["kind"] == "data"}
    assert slots["ticks"].startswith("2")
    insp.row_clicked("data", "ticks", "")
    ui.frames(2)
    assert not insp.ids.editor.readonly and not insp.ids.commit.disabled


def test_memory_searched_as_of_a_thought_picked_in_the_timeline(ui, stack):
    from telos.bridge.client import BridgeClient

    fact = f"The orrery in the attic has {uuid.uuid4().hex[:4]} brass planets and one missing moon."
    with BridgeClient(stack.endpoint, timeout=300) as c:
        before = c.thoughts(1)[0]
        assert c.remember(fact, source="ui-as-of").record_id
    panel = open_timeline(ui)
    panel.select(before.thought_id)
    ui.frames(2)
    click(ui, panel.ids.search_as_of)
    mem = ui.root.ids.memory
    assert ui.root.view == "memory" and mem.use_as_of and mem.picked.thought_id == before.thought_id
    assert mem.ids.as_of_toggle.state == "down"
    mem.ids.memory_query.text = "orrery brass planets missing moon"
    mem.search()
    ui.until(lambda: mem.replies == 1, "the search as of the thought", timeout=300)
    assert fact not in [r["text"] for r in mem.ids.memory_results.data]
    assert f"as of thought {before.thought_id}" in mem.message
    click(ui, mem.ids.as_of_toggle)                 # back to searching now
    assert not mem.use_as_of
    mem.search()
    ui.until(lambda: mem.replies == 2, "the search now", timeout=300)
    assert mem.ids.memory_results.data[0]["text"] == fact
