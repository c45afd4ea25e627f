"""The Thoughts timeline against the real service and image: the service's own list, a thought
committed by another process appearing live (a push, not a new list), the filters, an undo and
the image's refusal of one."""

from __future__ import annotations

import textwrap
import uuid

from telos.bridge import protocol as P
from tests.ui.conftest import assert_stacked, image_stats
from tests.ui.stack import click


def commit(stack, body: str, note: str) -> str:
    """One thought by another process (the shell on the stack's ZEO); returns its id."""
    code = (f"with image.thought({note!r}, user='tests'):\n" + textwrap.indent(body, "    ")
            + "\nprint('TID', image.last_thought)\n")
    out = stack.shell(code)
    assert out.returncode == 0, out.stdout + out.stderr
    return next(line.split()[1] for line in out.stdout.splitlines() if line.startswith("TID "))


def open_timeline(ui):
    panel = ui.root.ids.timeline
    before = panel.replies
    click(ui, ui.root.ids.tab_timeline)
    ui.until(lambda: panel.replies > before, "the timeline listed the thoughts")
    return panel


def notes(panel) -> list[str]:
    return [r["note"] for r in panel.ids.thought_rows.data]


def test_the_timeline_lists_the_images_thoughts_and_a_new_one_arrives_live(ui, stack):
    from telos.bridge.client import BridgeClient

    panel = open_timeline(ui)
    with BridgeClient(stack.endpoint, timeout=60) as c:
        expected = c.thoughts(30)
    rows = panel.ids.thought_rows.data
    assert [r["thought_id"] for r in rows[:30]] == [t.thought_id for t in expected]
    first = rows[0]
    assert first["when"] and first["author"].endswith(f"· {expected[0].author_kind}")
    kinds = {r["author_kind"] for r in rows}
    assert {"person", "job"} <= kinds, kinds          # the tests' shell, genesis / backups
    assert panel.summary.startswith(f"{len(rows):,} thoughts")
    assert_stacked(ui.widgets("ThoughtRow"))

    # another process commits: the push brings it, the list is not asked for again
    lists = panel.replies
    note = f"ui tests: a live thought {uuid.uuid4().hex[:8]}"
    tid = commit(stack, "image.root['ui_tests_live'] = 1", note)
    ui.until(lambda: notes(panel)[:1] == [note], "the new thought at the top of the timeline")
    assert panel.ids.thought_rows.data[0]["thought_id"] == tid
    assert panel.replies == lists and panel.pushes >= 1 and panel.live_added >= 1
    assert panel.ids.thought_rows.data[0]["author"] == "tests · person"
    shot = ui.screenshot("timeline")
    stats = image_stats(shot)
    assert stats["std"] > 10 and stats["colours"] > 30


def test_the_timeline_filters_by_object_and_author(ui, stack):
    from telos.bridge.client import BridgeClient

    panel = open_timeline(ui)
    panel.ids.object_field.text = "Gadget"
    before = panel.replies
    click(ui, panel.ids.filter_button)
    ui.until(lambda: panel.replies > before, "the filtered list")
    with BridgeClient(stack.endpoint, timeout=60) as c:
        gadget = c.thoughts(10_000, name="Gadget")
    assert [r["thought_id"] for r in panel.ids.thought_rows.data] == [t.thought_id for t in gadget]
    assert "that changed Gadget" in panel.summary
    # a change to Gadget by another process: the filtered list is asked for again (a push does
    # not say which objects a thought changed) and shows it
    note = f"ui tests: gadget tweak {uuid.uuid4().hex[:8]}"
    commit(stack, "image.prototypes['Gadget'].colour = 'teal'", note)
    ui.until(lambda: notes(panel)[:1] == [note], "the Gadget change in the filtered timeline")
    # a thought that did not change Gadget stays out
    other = f"ui tests: not gadget {uuid.uuid4().hex[:8]}"
    commit(stack, "image.root['ui_tests_other'] = 2", other)
    ui.until(lambda: panel.pushes >= 2 and panel._asking is None, "the push handled")
    ui.frames(10)
    assert other not in notes(panel)

    panel.ids.object_field.text = ""
    panel.ids.author_field.text = "genesis"
    panel.apply_filters()
    ui.until(lambda: panel._asking is None and panel.author_filter == "genesis", "author filter")
    authors = {r["author"] for r in panel.ids.thought_rows.data}
    assert authors and all("genesis" in a for a in authors), authors
    panel.clear_filters()
    ui.until(lambda: panel._asking is None and other in notes(panel), "all thoughts again")


def test_undo_from_the_timeline_and_the_images_refusal(ui, stack):
    from telos.bridge.client import BridgeClient

    tag = uuid.uuid4().hex[:6]
    commit(stack, f"image.register('Lamp{tag}', UvmObject(brightness=0))", f"ui tests: a lamp {tag}")
    first = commit(stack, f"image.prototypes['Lamp{tag}'].brightness = 1", f"ui tests: lamp {tag} at 1")
    second = commit(stack, f"image.prototypes['Lamp{tag}'].brightness = 2", f"ui tests: lamp {tag} at 2")
    panel = open_timeline(ui)
    ui.until(lambda: panel.timeline.get(second) is not None, "the lamp's thoughts listed")

    # undoing the first is refused: the second changed the same object after it
    panel.select(first)
    ui.frames(2)
    assert panel.picked.thought_id == first and first in panel.ids.picked_label.text
    click(ui, panel.ids.undo_button)
    ui.until(lambda: panel.undos == 1, "the undo answered")
    assert not panel.outcome_ok
    assert panel.outcome.startswith("refused: cannot undo thought " + first)
    assert "a later thought changed the same objects" in panel.outcome
    assert panel.ids.undo_outcome.text == panel.outcome
    with BridgeClient(stack.endpoint, timeout=60) as c:
        lamp = {s.name: s.value for s in c.inspect(f"Lamp{tag}").slots}
    assert lamp["brightness"] == 2                       # nothing changed
    shot = ui.screenshot("undo-refused")
    assert image_stats(shot)["std"] > 10

    # undoing the second works, and the undo arrives in the timeline as a new thought
    panel.select(second)
    ui.frames(3)                                         # the outcome line went: buttons moved
    click(ui, panel.ids.undo_button)
    ui.until(lambda: panel.undos == 2, "the second undo answered")
    assert panel.outcome_ok, panel.outcome
    assert panel.outcome.startswith(f"undid thought {second} — the undo is thought ")
    undo_tid = panel.outcome.rsplit(" ", 1)[-1]
    ui.until(lambda: panel.timeline.get(undo_tid) is not None, "the undo in the timeline (pushed)")
    row = panel.ids.thought_rows.data[0]
    assert row["thought_id"] == undo_tid and row["note"].startswith(f"undo {second}")
    with BridgeClient(stack.endpoint, timeout=60) as c:
        lamp = {s.name: s.value for s in c.inspect(f"Lamp{tag}").slots}
        assert isinstance(c.undo(undo_tid), P.Ack)       # the undo itself can be undone
    assert lamp["brightness"] == 1
