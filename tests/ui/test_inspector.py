"""The inspector against the real service: slots, parents, method source + provenance, edits
committed through the bridge and read back from a separate shell process, failed edits that
change nothing, the evaluator."""

from __future__ import annotations

import json

from tests.ui.conftest import image_stats


def _open(ui, name):
    insp = ui.root.ids.inspector
    ui.root.show_view("inspector")
    insp.auto_open = name
    insp.load_registry()
    ui.until(lambda: insp.current is not None and insp.current.name == name, f"{name} inspected")
    return insp


def _rows(ui, kind):
    return {w.key: w for w in ui.widgets("InspectorRow") if w.kind == kind}


def _shell_value(stack, expr):
    out = stack.shell(f"import json; print(json.dumps({expr}))")
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_inspector_shows_registry_slots_parents_and_method_source(ui):
    insp = _open(ui, "Gadget")
    registry = [row["key"] for row in insp.ids.registry.data]
    assert "Gadget" in registry and "Config" in registry and "ALFRED" in registry
    slots = _rows(ui, "data")
    assert "size" in slots and slots["size"].value.startswith("3")
    assert "label" in slots and "'gadget'" in slots["label"].value
    methods = _rows(ui, "method")
    assert "area" in methods

    methods["area"].dispatch("on_release")           # a click on the method row
    ui.frames(3)
    assert insp.editing == ("method", "area")
    assert insp.ids.editor.text.startswith("def area(self):")
    assert "return self.size * 2" in insp.ids.editor.text
    assert "tests" in insp.provenance and "hand-written" in insp.provenance
    shot = ui.screenshot("inspector")
    stats = image_stats(shot)
    assert stats["std"] > 10 and stats["colours"] > 50


def test_a_methods_stored_examples_are_shown_with_its_provenance(ui, stack):
    """A method the kernel wrote carries the call that made it: the inspector lists it as a
    call with its value, with the count, beside the model and levers."""
    prov = {"author": "kernel", "persona": "BRICK", "model": "smollm2-135m", "backend": "embedded",
            "levers": "vote+analogy", "message": "area()",
            "examples": [{"slots": {"width": 3, "height": 4}, "args": [], "kwargs": {}, "value": 12},
                         {"slots": {"width": 2, "height": 5}, "args": [], "kwargs": {}, "value": 10}]}
    out = stack.shell(
        "r = UvmObject(width=3, height=4)\n"
        "with image.thought('ui tests: a rectangle with stored examples', user='tests'):\n"
        "    image.register('Rectangle', r)\n"
        "    mirror(r).define('area', 'def area(self):\\n    return self.width * self.height\\n',"
        f" {prov!r})\n"
        "print(mirror(r).provenance('area')['examples'][0]['value'])\n")
    assert out.returncode == 0 and out.stdout.strip().endswith("12"), out.stdout + out.stderr
    insp = _open(ui, "Rectangle")
    assert insp.examples == ""
    _rows(ui, "method")["area"].dispatch("on_release")
    ui.frames(3)
    shown = insp.ids.examples.text
    assert shown == insp.examples
    assert shown.splitlines() == [
        "2 stored examples (re-run before any change):",
        "  Rectangle(width=3, height=4).area()  ->  12",
        "  Rectangle(width=2, height=5).area()  ->  10"]
    assert insp.ids.examples.height > 0 and insp.ids.examples.opacity == 1
    for part in ("by BRICK (smollm2-135m)", "levers: vote+analogy", 'from "area()"'):
        assert part in insp.provenance, (part, insp.provenance)
    shot = ui.screenshot("examples")
    assert image_stats(shot)["std"] > 10
    # a slot has no examples: the rows go
    _rows(ui, "data")["width"].dispatch("on_release")
    ui.frames(3)
    assert insp.examples == "" and insp.ids.examples.height == 0


def test_parents_are_followed_by_a_click(ui):
    insp = _open(ui, "ALFRED")
    parents = _rows(ui, "parent")
    assert parents, "a persona delegates to the Persona prototype"
    row = next(iter(parents.values()))
    target = row.ref
    row.dispatch("on_release")
    ui.until(lambda: insp.current.object_id == target, "the parent opened")
    assert insp.history and insp.title != "ALFRED"
    insp.back()
    ui.until(lambda: insp.current.name == "ALFRED", "back to ALFRED")


def test_slot_edit_is_committed_and_visible_to_another_process(ui, stack):
    insp = _open(ui, "Gadget")
    _rows(ui, "data")["size"].dispatch("on_release")
    ui.frames(2)
    assert insp.editing == ("data", "size") and insp.ids.editor.text.strip() == "3"
    insp.ids.editor.text = "42"
    insp.ids.commit.dispatch("on_release")
    ui.until(lambda: insp.edit_message.startswith("committed"), "the edit committed")
    assert insp.edit_ok
    assert _rows(ui, "data")["size"].value.startswith("42")          # shown again from the ACK
    assert _shell_value(stack, "image.prototypes['Gadget'].size") == 42


def test_failed_edits_say_why_and_change_nothing(ui, stack):
    insp = _open(ui, "Gadget")
    before = _shell_value(stack, "image.prototypes['Gadget'].label")

    _rows(ui, "data")["label"].dispatch("on_release")
    ui.frames(2)
    insp.ids.editor.text = "not json at all"
    assert insp.commit() is None                     # refused before anything is sent
    assert not insp.edit_ok and "not a JSON literal" in insp.edit_message

    _rows(ui, "method")["area"].dispatch("on_release")
    ui.frames(2)
    insp.ids.editor.text = "def area(self):\n    return (\n"      # a syntax error
    assert insp.commit() is not None                 # sent: the service decides
    ui.until(lambda: insp.edit_message.startswith("not committed"), "the refusal arrived")
    assert not insp.edit_ok and "nothing changed" in insp.edit_message

    assert _shell_value(stack, "image.prototypes['Gadget'].label") == before
    src = _shell_value(stack, "image.prototypes['Gadget']._methods['area'].source")
    assert "return self.size * 2" in src


def test_method_edit_and_evaluator(ui, stack):
    insp = _open(ui, "Gadget")
    insp.ids.new_name.text = "triple"
    insp.new_method("triple")
    insp.ids.editor.text = "def triple(self, n=1):\n    return self.size * 3 * n\n"
    insp.commit()
    ui.until(lambda: insp.edit_message.startswith("committed"), "the method committed")
    assert "triple" in _rows(ui, "method")
    assert _shell_value(stack, "image.prototypes['Gadget'].triple(2)") \
        == _shell_value(stack, "image.prototypes['Gadget'].size") * 6

    insp.ids.evaluator.text = "triple(n=2)"
    insp.ids.evaluator.dispatch("on_text_validate")
    assert insp.busy and "working" in ui.root.ids.working.text      # the indicator, until it answers
    ui.until(lambda: insp.eval_result.startswith(("=", "failed")), "the evaluator answered")
    size = _shell_value(stack, "image.prototypes['Gadget'].size")
    assert insp.eval_result.startswith(f"= {size * 6}")
    assert not insp.busy

    insp.ids.evaluator.text = "triple(\"x\""
    insp.evaluate()
    assert insp.eval_result.startswith("not sent")
