"""telos.kernel.prompt: what the language model is shown for a message nobody understands."""

from __future__ import annotations

from types import SimpleNamespace

from telos.kernel import prompt
from telos.uvm import MethodDef, UvmObject


def _rect():
    shape = UvmObject(sides=4)
    shape._name = "Shape"
    rect = shape.derive(width=3, height=4)
    rect._name = "My Rect"
    rect._methods["perimeter"] = MethodDef(
        "perimeter", "def perimeter(self):\n    return 2 * (self.width + self.height)")
    return shape, rect


def test_signature_names_positional_then_keyword_parameters():
    assert prompt.signature("area", (), {}) == "def area(self):"
    assert prompt.signature("scaled", (2, 3), {"unit": "cm"}) == "def scaled(self, arg0, arg1, unit):"


def test_the_variable_in_the_example_call_comes_from_the_name():
    _, rect = _rect()
    assert prompt._var(rect) == "my_rect"
    anon = UvmObject()
    assert prompt._var(anon) == "obj"
    anon._name = "3D point"
    assert prompt._var(anon) == "obj_3d_point"


def test_describe_sees_slots_through_parents_and_the_methods_sources():
    shape, rect = _rect()
    data, parents, methods = prompt.describe(rect)
    assert sorted(data) == ["height = 4", "sides = 4", "width = 3"]
    assert parents == ["parent -> Shape"]
    assert list(methods) == ["perimeter"] and "2 * (self.width" in methods["perimeter"]


def test_the_prompt_carries_the_call_the_context_and_the_feedback():
    _, rect = _rect()
    p = prompt.build(rect, "scaled_area", (10,), {"unit": "cm"},
                     feedback=["it returned None", "it raised ZeroDivisionError"],
                     similar=["def scaled_area(self, k):\n    return k"], memories=["areas are in cm"])
    assert [m["role"] for m in p.messages] == ["system", "user", "assistant", "user"]
    assert p.messages[0]["content"] == prompt.SYSTEM
    text = p.messages[-1]["content"]
    assert text.startswith("Object My Rect has slots: ")
    assert "It delegates to: parent -> Shape." in text
    assert "def perimeter(self):" in text
    assert "Similar methods elsewhere in the image:\n```python\ndef scaled_area(self, k):" in text
    assert "Relevant memories: areas are in cm" in text
    assert "Write the method scaled_area, called as my_rect.scaled_area(10, unit='cm')." in text
    assert "Signature: def scaled_area(self, arg0, unit):" in text
    assert "Attempt 1 was rejected: it returned None." in text
    assert "Attempt 2 was rejected: it raised ZeroDivisionError." in text
    assert p.signature == "def scaled_area(self, arg0, unit):"


def test_long_values_are_cut_and_an_empty_object_says_so():
    obj = UvmObject(blob=list(range(500)))
    text = prompt.build(obj, "f").messages[-1]["content"]
    line = text.split("has slots: ")[1].split(".\n")[0]
    assert len(line) < prompt.MAX_VALUE_CHARS + 20 and line.endswith("...]")
    assert "has slots: (none)." in prompt.build(UvmObject(), "f").messages[-1]["content"]


def test_the_digest_names_the_exact_prompt():
    _, rect = _rect()
    a, b = prompt.build(rect, "area"), prompt.build(rect, "area")
    c = prompt.build(rect, "area", feedback=["wrong"])
    assert a.digest == b.digest and len(a.digest) == 64
    assert a.digest != c.digest


def test_similar_methods_come_from_other_prototypes_up_to_the_limit():
    _, rect = _rect()
    others = []
    for i in range(3):
        o = UvmObject()
        o._methods["perimeter"] = MethodDef("perimeter", f"def perimeter(self):\n    return {i}")
        others.append(o)
    image = SimpleNamespace(prototypes={"Rect": rect, "A": others[0], "B": UvmObject(),
                                        "C": others[1], "D": others[2], "junk": 3})
    got = prompt.similar_methods(image, "perimeter", rect)
    assert got == [others[0]._methods["perimeter"].source, others[1]._methods["perimeter"].source]
    assert prompt.similar_methods(image, "area", rect) == []
    assert prompt.similar_methods(object(), "perimeter", rect) == []      # no registry


def test_relevant_memories_are_texts_and_a_failing_memory_gives_none():
    hits = [SimpleNamespace(text="the cat is Archimedes"), {"text": "cats sleep"}, {"id": 3}]
    asked = []

    def search(query, k):
        asked.append((query, k))
        return hits

    image = SimpleNamespace(memory=SimpleNamespace(search=search))
    assert prompt.relevant_memories(image, "cat", k=2) == ["the cat is Archimedes", "cats sleep"]
    assert asked == [("cat", 2)]

    def broken(query, k):
        raise RuntimeError("index missing")

    assert prompt.relevant_memories(SimpleNamespace(memory=SimpleNamespace(search=broken)), "x") == []
    assert prompt.relevant_memories(SimpleNamespace(memory=object()), "x") == []
