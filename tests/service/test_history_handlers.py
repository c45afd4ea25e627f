"""telos/service/history_handlers.py: the thoughts timeline, an object's revisions, the per-slot
diff between two thoughts, undo and its refusal, and INSPECT_OBJECT as of a thought -- each
handler on a real image session (no service process; the real one: test_roundtrip.py)."""

from __future__ import annotations

import pytest

from telos import UvmObject
from telos.bridge import protocol as P
from telos.bridge.dispatch import classify
from telos.errors import RequestRefused, UndoError
from telos.reflect import mirror
from telos.service import handlers
from tests.service.test_handlers import StandInService, call

NORM1 = "def norm(self):\n    return self.x * 2\n"
NORM2 = "def norm(self):\n    return self.x * 3\n"


@pytest.fixture
def registry():
    return handlers.build_registry(StandInService())


@pytest.fixture
def story(registry, image):
    """Point: created (t0), x set to 2 over the bridge (t1), norm defined (t2) and redefined (t3);
    an unrelated prototype created after (t4)."""
    with image.thought("a point"):
        image.register("Point", UvmObject(x=1))
    t = [image.last_thought]
    call(registry, image, P.SetSlot(name="Point", slot="x", value=2, note="move"))
    t.append(image.last_thought)
    call(registry, image, P.DefineMethod(name="Point", source=NORM1, note="norm v1"))
    t.append(image.last_thought)
    call(registry, image, P.DefineMethod(name="Point", source=NORM2, note="norm v2"))
    t.append(image.last_thought)
    with image.thought("a line", user="kernel"):
        image.register("Line", UvmObject(length=3))
    t.append(image.last_thought)
    return t


def test_thoughts_newest_first_by_object_and_by_author(registry, image, story):
    every, _ = call(registry, image, P.ListThoughts(limit=5))
    assert [v.thought_id for v in every.thoughts] == story[::-1]
    assert [v.note for v in every.thoughts][:2] == ["a line", "norm v2"]
    assert every.thoughts[0].author == "kernel" and every.thoughts[0].author_kind == "kernel"
    assert all(v.time > 0 for v in every.thoughts)
    point, _ = call(registry, image, P.ListThoughts(name="Point"))
    assert [v.thought_id for v in point.thoughts] == story[3::-1]       # never t4 ("a line")
    kernel, _ = call(registry, image, P.ListThoughts(author="KERN"))
    assert [v.thought_id for v in kernel.thoughts] == [story[4]]


def test_history_lists_the_object_as_each_thought_left_it(registry, image, story):
    answer, _ = call(registry, image, P.ObjectHistory(name="Point"))
    revs = answer.revisions
    assert [r.thought.thought_id for r in revs] == story[3::-1]
    xs = [{s.name: s.value for s in r.object.slots}["x"] for r in revs]
    assert xs == [2, 2, 2, 1]
    assert [[m.source for m in r.object.methods] for r in revs] == [[NORM2], [NORM1], [], []]


def test_diff_names_each_changed_slot_with_the_thought_that_last_changed_it(registry, image, story):
    answer, _ = call(registry, image, P.DiffObject(name="Point", before=story[0]))
    by_slot = {c.slot: c for c in answer.changes}
    assert set(by_slot) == {"x", "norm"}
    x, norm = by_slot["x"], by_slot["norm"]
    assert (x.kind, x.change, x.before, x.after) == ("data", "changed", "1", "2")
    assert x.thought.thought_id == story[1] and x.thought.note == "move"
    assert (norm.kind, norm.change) == ("method", "added")
    assert norm.thought.thought_id == story[3]                # the last of the two definitions
    assert "+    return self.x * 3" in norm.diff
    assert norm.provenance.get("via") == "DEFINE_METHOD"
    between, _ = call(registry, image, P.DiffObject(name="Point", before=story[2], after=story[3]))
    (change,) = between.changes
    assert change.change == "changed" and change.thought.thought_id == story[3]
    assert "-    return self.x * 2" in change.diff and "+    return self.x * 3" in change.diff
    same, _ = call(registry, image, P.DiffObject(name="Point", before=story[3], after=story[4]))
    assert same.changes == []


def test_diff_from_before_the_object_existed_is_refused(registry, image, story):
    with image.thought("earlier"):
        image.register("Late", UvmObject(a=1))
    with pytest.raises(RequestRefused, match="did not exist") as err:
        call(registry, image, P.DiffObject(name="Late", before=story[0]))
    assert err.value.code == P.NOT_FOUND


def test_inspect_as_of_a_thought_or_a_time_is_the_past_state(registry, image, story):
    past, _ = call(registry, image, P.InspectObject(name="Point", as_of=story[1]))
    assert {s.name: s.value for s in past.object.slots}["x"] == 2
    assert past.object.methods == []
    with pytest.raises(RequestRefused, match="at that point in time") as err:
        call(registry, image, P.InspectObject(name="Line", as_of=story[3]))
    assert err.value.code == P.NOT_FOUND
    when = [t for t in image.thoughts(10) if t.id == story[2]][0].time.timestamp()
    at_time, _ = call(registry, image, P.InspectObject(name="Point", as_of=when))
    assert [m.source for m in at_time.object.methods] == [NORM1]


def test_undo_is_a_thought_and_a_dependent_undo_is_refused_plainly(registry, image, story):
    with pytest.raises(UndoError) as err:                  # t2 is overwritten by t3
        call(registry, image, P.UndoThought(thought_id=story[2]))
    code, hint = classify(err.value)
    assert code == P.CONFLICT and "unchanged" in hint
    assert "undo the later thoughts first" in str(err.value)
    assert mirror(image.prototypes["Point"]).methods()["norm"].source == NORM2   # nothing changed
    ack, _ = call(registry, image, P.UndoThought(thought_id=story[3], note="back to v1"))
    assert ack.of == "UNDO_THOUGHT" and ack.thought_id == image.last_thought
    image.refresh()
    assert mirror(image.prototypes["Point"]).methods()["norm"].source == NORM1
    newest = image.thoughts(1)[0]
    assert newest.note == "back to v1" and newest.id == ack.thought_id


def test_thoughts_page_by_before(registry, image, story):
    first, _ = call(registry, image, P.ListThoughts(limit=2))
    assert [v.thought_id for v in first.thoughts] == story[:2:-1][:2]          # t4, t3
    nxt, _ = call(registry, image, P.ListThoughts(limit=2, before=first.thoughts[-1].thought_id))
    assert [v.thought_id for v in nxt.thoughts] == [story[2], story[1]]
    point, _ = call(registry, image, P.ListThoughts(name="Point", before=story[2]))
    assert [v.thought_id for v in point.thoughts] == [story[1], story[0]]


def test_the_feed_pushes_every_new_thought_in_pages(image):
    from telos.service.thoughtfeed import MAX_PUSHED, ThoughtFeed
    pushed = []
    feed = ThoughtFeed(image, pushed.append)
    assert feed.poll() == []
    with image.thought("a counter"):
        image.register("Counter", UvmObject(n=0))
    ids = [image.last_thought]
    for i in range(MAX_PUSHED + 30):                    # more than one message's worth
        with image.thought(f"tick {i}"):
            image.prototypes["Counter"].n = i + 1
        ids.append(image.last_thought)
    new = feed.poll()
    assert [v.thought_id for v in new] == ids[::-1]     # all of them, newest first, none lost
    assert feed.poll() == []
