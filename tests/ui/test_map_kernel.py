"""The memory map and the kernel view against the real service (real image, real memory, the
kernel's model answered by the Ollama stand-in), driven through the widgets."""

from __future__ import annotations

import json
import re

from telos.bridge import protocol as P
from telos.bridge.client import BridgeClient
from tests.ui.conftest import image_stats
from tests.ui.stack import click

THEMES = {
    "kitchen": ["the kettle is in the left cupboard above the sink",
                "the tea tin sits beside the kettle in the kitchen",
                "clean cups hang on hooks under the kitchen shelf",
                "the teapot lives in the cupboard next to the cups"],
    "garden": ["tomatoes grow along the south wall of the garden",
               "the garden hose is coiled behind the shed",
               "the roses in the garden need watering every evening",
               "basil and thyme grow in pots by the garden gate"],
    "bikes": ["the bicycle pump hangs in the garage",
              "the bike's chain needs oil before a long ride",
              "spare inner tubes for the bicycle are in the garage drawer",
              "the bicycle helmet is on the hook by the garage door"],
}
DEFINITIONS = {"kettle": "Where the kitchen things are kept.", "garden": "What grows in the garden.",
               "bicycle": "The bicycle and its gear in the garage."}


def _definer(body: dict) -> str:
    notes = body["messages"][-1]["content"].lower()
    for word, definition in DEFINITIONS.items():
        if word in notes:
            return definition
    first = re.search(r"- (.*)", notes)
    return "Notes about " + " ".join((first.group(1) if first else "memories").split()[:4]) + "."


def _memories_with_concepts(stack) -> None:
    """Themed memories, then one curation run (the definitions from the stand-in)."""
    with BridgeClient(stack.endpoint, timeout=120) as c:
        for texts in THEMES.values():
            for text in texts:
                c.remember(text, source="ui-map-test")
    stack.standin.script(*[_definer] * 80)
    try:
        out = stack.cli("curate", "--threshold", "0.3")
        assert out.returncode == 0, out.stdout + out.stderr
    finally:
        stack.standin.replies.clear()


def test_the_map_shows_memories_remembered_here_and_rings_search_hits(ui, stack):
    _memories_with_concepts(stack)
    view = ui.root.ids.memory_map
    canvas = view.ids.map_canvas
    click(ui, ui.root.ids.tab_map)
    ui.until(lambda: view.loads > 0, "the map loaded", timeout=120)
    with BridgeClient(stack.endpoint, timeout=60) as c:
        expected = c.memory_map()
    assert len(view.data) == expected.total >= 12
    assert canvas.rebuilds > 0 and view.message.startswith(f"{len(view.data):,} memor")
    # concepts: the curated ones are on the map with their definitions, and colour their points
    definitions = {d for d, *_ in view.data.concepts.values()}
    assert "Where the kitchen things are kept." in definitions, definitions
    kettle = next(i for i, t in enumerate(view.data.texts) if t.startswith("the kettle is in"))
    assert view.data.clusters[kettle] >= 0

    # remember here: the new memory appears as a point, ringed
    loads = view.loads
    view.ids.map_remember.text = "the lighthouse keeper's log is kept in the brass chest"
    click(ui, view.ids.map_remember_button)
    ui.until(lambda: view.remembered > 0 and view.loads > loads, "the remembered point arrived",
             timeout=120)
    new = max(int(i) for i in view.data.ids)
    i = view.data.index_of(new)
    assert view.data.texts[i].startswith("the lighthouse keeper's log")
    assert canvas.highlighted == [new] and view.ids.map_remember.text == ""
    # tap the point: its text is shown
    x, y = canvas.view.to_screen(view.data.xy[i:i + 1], canvas.origin)[0]
    assert canvas.point_at(x, y) == i
    canvas.selected = i
    ui.frames(2)
    assert "lighthouse keeper" in view.detail and f"#{new}" in view.detail

    # a search rings its hits on the map
    view.ids.map_query.text = "where is the garden hose"
    click(ui, view.ids.map_search)
    ui.until(lambda: view.searches > 0, "the search answered", timeout=120)
    with BridgeClient(stack.endpoint, timeout=60) as c:
        hits = [int(h.record_id) for h in c.search("where is the garden hose", k=5).hits]
    assert canvas.highlighted == [h for h in hits if view.data.index_of(h) is not None]
    hose = next(i for i, t in enumerate(view.data.texts) if "garden hose" in t)
    assert int(view.data.ids[hose]) in canvas.highlighted
    assert view.search_message.startswith(f"{len(hits)} hit(s)")

    # panning moves one translation; the vertices stay as they were
    rebuilds, before = canvas.rebuilds, canvas._translate.xy
    canvas.pan_by(40, -25)
    assert canvas.rebuilds == rebuilds and canvas._translate.xy == (before[0] + 40, before[1] - 25)
    canvas.pan_by(-40, 25)
    canvas.colour_by = "tier"
    assert canvas.rebuilds == rebuilds + 1
    ui.frames(2)
    canvas.colour_by = "cluster"
    canvas.selected = kettle
    canvas.highlighted = [int(view.data.ids[hose])]
    shot = ui.screenshot("map")
    assert image_stats(shot)["colours"] > 50


def _send(ui, selector: str) -> dict:
    out: dict = {}
    ui.link.request(P.SendMessage(name="Gadget", selector=selector), lambda r: out.setdefault("r", r))
    return out


def test_the_kernel_view_shows_each_step_and_the_reason_of_a_refusal(ui, stack):
    view = ui.root.ids.kernel
    click(ui, ui.root.ids.tab_kernel)
    ui.until(lambda: view.catch_ups > 0, "the recent kernel events arrived")
    stack.standin.script("```python\ndef quadrupled(self):\n    n = self.size\n"
                         "    return n * 4\n```")
    try:
        sent = _send(ui, "quadrupled")
        ui.until(lambda: "r" in sent and view.state_kind == "installed", "the method installed",
                 timeout=120)
    finally:
        stack.standin.replies.clear()
    assert isinstance(sent["r"], P.SendResult) and sent["r"].generated
    assert view.title == "Gadget.quadrupled()"
    assert view.writer == "BRICK with mistral:7b wrote it"
    assert "return n * 4" in view.code and view.state.startswith("installed and committed in ")
    rows = view.ids.kernel_steps.data
    steps = [(r["label"].split(" · ")[0], r["outcome"]) for r in rows]
    assert steps == [("request", "started"), ("generation", "ok"), ("extract", "ok"),
                     ("policy", "ok"), ("trial (sandbox)", "ok"), ("install", "ok"),
                     ("commit", "installed in a savepoint; the request's thought commits it"),
                     ("commit", "ok"), ("done", "ok")], steps
    assert all(r["seconds"].endswith(("s", "ms", "µs")) for r in rows[1:] if r["seconds"])
    installed = view.current
    shot_installed = ui.screenshot("kernel")

    # a refusal: every attempt imports socket; the reason is one sentence
    stack.standin.script(*["```python\ndef leak(self):\n    import socket\n    return 1\n```"] * 5)
    try:
        sent = _send(ui, "leak")
        ui.until(lambda: "r" in sent and view.state_kind == "refused", "the refusal", timeout=120)
    finally:
        stack.standin.replies.clear()
    assert isinstance(sent["r"], P.Error) and sent["r"].code == "generation_failed"
    assert view.state.startswith(
        "refused — the policy step refused it: import of 'socket' is not allowed"), view.state
    assert view.state.endswith(".") and view.state.count(". ") == 0 and "\n" not in view.state
    failed = [r for r in view.ids.kernel_steps.data if r["outcome"].startswith("failed")]
    assert failed and all("socket" in r["outcome"] for r in failed)
    assert "import socket" in view.code
    ui.screenshot("kernel_refused")

    # a client that connects late sees both cycles
    with BridgeClient(stack.endpoint, timeout=60) as c:
        late = c.kernel_events()
    assert {e.selector for e in late} >= {"quadrupled", "leak"}
    assert any(e.step == "refused" and "socket" in e.reason for e in late)

    # the recent list links the installed method to the inspector
    cycles = view.ids.kernel_cycles.data
    assert [r["linkable"] for r in cycles[:2]] == [False, True]
    assert view.open_method(installed)
    insp = ui.root.ids.inspector
    ui.until(lambda: insp.editing == ("method", "quadrupled"), "the method opened in the inspector")
    assert ui.root.view == "inspector" and "return n * 4" in insp.ids.editor.text
    assert image_stats(shot_installed)["colours"] > 50
    json.dumps([e.model_dump() for e in late])          # what a late client got is plain JSON
