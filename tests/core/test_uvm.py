"""The object model: slots, delegation, clone/derive, methods, the persistence covenant."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from persistent import Persistent
from persistent.list import PersistentList
from persistent.mapping import PersistentMapping

from telos import (AmbiguousSlotError, Message, MessageNotUnderstood, SlotError, UvmObject,
                   mirror, open_image)

class PlainHolder(Persistent):
    """A plain persistent object with a plain list attribute: the footgun, for contrast."""


names = st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True).filter(
    lambda n: n not in {"clone", "derive", "parent"})
values = st.one_of(st.integers(), st.text(max_size=5), st.none(), st.floats(allow_nan=False))


def test_slots_read_write_and_local_shadowing():
    proto = UvmObject(width=3, height=4)
    child = proto.derive(width=10)
    assert (child.width, child.height) == (10, 4)
    child.height = 7                     # writes a local slot ...
    assert proto.height == 4             # ... never through to the prototype
    assert mirror(child).slot_names() == ["parent", "width", "height"]


def test_unknown_message_is_reified_and_raises_attribute_error():
    obj = UvmObject(width=1)
    with pytest.raises(MessageNotUnderstood) as err:
        obj.widht
    assert isinstance(err.value, AttributeError)
    assert err.value.send == Message("widht")
    assert "did you mean width" in str(err.value)
    assert not hasattr(obj, "nothing_here")


def test_underscore_names_never_reach_doesNotUnderstand():
    calls = []

    class Spy(UvmObject):
        def doesNotUnderstand_(self, message):
            calls.append(message)
            return super().doesNotUnderstand_(message)

    obj = Spy()
    for probe in ("_ipython_canary_method_should_not_exist_", "_repr_html_", "__length_hint__"):
        with pytest.raises(AttributeError):
            getattr(obj, probe)
    assert calls == []
    with pytest.raises(AttributeError):
        obj.public_name
    assert [m.selector for m in calls] == ["public_name"]


def test_ambiguous_lookup_through_two_parents_is_an_error():
    a, b = UvmObject(color="red"), UvmObject(color="blue")
    child = UvmObject(_parents={"p1": a, "p2": b})
    with pytest.raises(AmbiguousSlotError) as err:
        child.color
    assert set(map(id, err.value.holders)) == {id(a), id(b)}
    child.color = "green"                # a local slot resolves it
    assert child.color == "green"


def test_diamond_reaching_the_same_holder_is_not_ambiguous():
    top = UvmObject(kind="top")
    left, right = top.derive(), top.derive()
    bottom = UvmObject(_parents={"l": left, "r": right})
    assert bottom.kind == "top"


def test_cyclic_parents_never_hang():
    a = UvmObject(x=1)
    b = UvmObject(_parents={"parent": a})
    mirror(a).add_parent(b, "back")
    assert b.x == 1
    with pytest.raises(MessageNotUnderstood):
        b.missing
    assert set(mirror(a).slot_names(inherited=True)) == {"x", "back", "parent"}


def test_methods_bind_the_receiver_not_the_holder():
    rect = UvmObject(width=3, height=4)
    mirror(rect).define("area", "def area(self):\n    return self.width * self.height\n")
    square = rect.derive(width=5, height=5)
    assert rect.area() == 12 and square.area() == 25
    assert mirror(square).holder("area") is rect


def test_define_rejects_bad_source_and_keeps_the_old_method():
    obj = UvmObject()
    m = mirror(obj)
    m.define("f", "def f(self):\n    return 1\n", provenance={"author": "test"})
    for bad in ("def f(self) return", "def g(self):\n    return 2\n", "x = 1",
                "def f():\n    return 2\n"):
        with pytest.raises(SlotError):
            m.define("f", bad)
    assert obj.f() == 1 and m.provenance("f")["author"] == "test"


def test_redefining_a_method_recompiles():
    obj = UvmObject()
    mirror(obj).define("f", "def f(self):\n    return 1\n")
    assert obj.f() == 1
    mirror(obj).define("f", "def f(self):\n    return 2\n")
    assert obj.f() == 2


def test_functions_and_reserved_names_are_not_slots():
    obj = UvmObject()
    with pytest.raises(SlotError):
        obj.f = lambda self: 1
    with pytest.raises(SlotError):
        obj.clone = 3
    with pytest.raises(SlotError):
        mirror(obj).add_slot("_hidden", 1)


def test_mutable_values_become_persistent_containers():
    obj = UvmObject(items=[1, [2, 3]], table={"a": {"b": 1}}, tags={"x"})
    assert isinstance(obj.items, PersistentList) and isinstance(obj.items[1], PersistentList)
    assert isinstance(obj.table["a"], PersistentMapping)
    assert obj.tags == frozenset({"x"})
    arr = np.arange(3)
    obj.vec = arr
    with pytest.raises(ValueError):
        obj.vec[0] = 9                    # in-place change impossible, not silently lost
    arr[0] = 9
    assert obj.vec[0] == 0                # the slot holds its own copy


def test_clone_copies_slots_and_shares_no_mutable_state():
    proto = UvmObject(items=[1, 2], ref=UvmObject(v=1))
    mirror(proto).define("n", "def n(self):\n    return len(self.items)\n")
    c = proto.clone()
    c.items.append(3)
    assert list(proto.items) == [1, 2] and c.n() == 3
    assert c.ref is proto.ref and c._id != proto._id


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(names, values, max_size=6), st.dictionaries(names, values, max_size=6))
def test_property_delegation_local_wins_then_parent(proto_slots, local_slots):
    proto = UvmObject(**proto_slots)
    child = proto.derive(**local_slots)
    for name in set(proto_slots) | set(local_slots):
        expected = local_slots[name] if name in local_slots else proto_slots[name]
        assert getattr(child, name) == expected
    for name, value in proto_slots.items():
        assert getattr(proto, name) == value   # deriving never changes the prototype


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(names, values, max_size=6), st.lists(values, max_size=4))
def test_property_clone_equal_slots_independent_containers(slots, items):
    proto = UvmObject(items=items, **slots)
    c = proto.clone()
    assert {k: getattr(c, k) for k in slots} == slots
    c.items.append("new")
    assert list(proto.items) == list(items)


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=1, max_value=8), st.integers(min_value=0, max_value=7))
def test_property_chain_delegation_finds_the_nearest_holder(depth, where):
    where = min(where, depth - 1)
    chain = [UvmObject(level=0)]
    for i in range(1, depth):
        chain.append(chain[-1].derive())
    chain[where].marker = where
    leaf = chain[-1].derive()
    assert leaf.marker == where and leaf.level == 0


def test_persistence_covenant_nested_mutation_survives_reopen(telos_home):
    image = open_image()
    with image.thought("make"):
        image.register("Bag", UvmObject(items=[], meta={"tags": []}))
    with image.thought("mutate in place"):
        bag = image.prototypes["Bag"]
        bag.items.append("apple")              # in place, through a slot value
        bag.meta["tags"].append("fruit")       # nested container
    image.close()
    image = open_image()
    bag = image.prototypes["Bag"]
    assert list(bag.items) == ["apple"] and list(bag.meta["tags"]) == ["fruit"]
    image.close()


def test_plain_containers_would_lose_the_mutation(telos_home):
    """The failure the covenant prevents, shown with a plain Persistent and a plain list."""
    image = open_image()
    with image.thought("plain"):
        p = PlainHolder()
        p.items = []
        image.root["plain"] = p
    with image.thought("mutate"):
        image.root["plain"].items.append("lost")
    image.close()
    image = open_image()
    assert image.root["plain"].items == []     # lost: nothing marked the object changed
    image.close()


def test_methods_and_provenance_survive_reopen(telos_home):
    image = open_image()
    with image.thought("define area"):
        rect = image.register("Rectangle", UvmObject(width=3, height=4))
        mirror(rect).define("area", "def area(self):\n    return self.width * self.height\n",
                            provenance={"author": "tester", "why": "test"})
    image.close()
    image = open_image()
    rect = image.prototypes["Rectangle"]
    assert rect.area() == 12
    prov = mirror(rect).provenance("area")
    assert prov["author"] == "tester" and prov["why"] == "test" and "when" in prov
    assert "return self.width * self.height" in mirror(rect).source("area")
    image.close()


def test_tab_completion_sees_slots_of_ghosts(telos_home):
    import rlcompleter
    image = open_image()
    with image.thought("x"):
        image.register("Rectangle", UvmObject(width=3, height=4))
    image.close()
    image = open_image()
    rect = image.prototypes["Rectangle"]
    rect._p_deactivate()
    assert rect._p_state < 0                    # a ghost
    completer = rlcompleter.Completer({"rect": rect})
    found = {completer.complete("rect.", i) for i in range(200)} - {None}
    assert {"rect.width", "rect.height"} <= found
    image.close()


def test_cached_delegated_lookup_follows_structure_changes():
    top = UvmObject(x="top")
    middle = top.derive()
    leaf = middle.derive()
    assert leaf.x == "top"                 # cached now
    middle.x = "middle"                    # a new slot shadows the inherited one
    assert leaf.x == "middle"
    del middle.x
    assert leaf.x == "top"
    other = UvmObject(x="other")
    mirror(middle).remove_parent()
    mirror(middle).add_parent(other)
    assert leaf.x == "other"
    mirror(other).define("x2", "def x2(self):\n    return 2\n")
    assert leaf.x2() == 2
    mirror(other).remove_slot("x2")
    assert not hasattr(leaf, "x2")


def test_cached_lookup_sees_another_sessions_commit(telos_home):
    image = open_image()
    with image.thought("setup"):
        top = image.register("Top", UvmObject(x="top"))
        image.register("Leaf", top.derive().derive())
    leaf = image.prototypes["Leaf"]
    assert leaf.x == "top"
    other = image.session()
    with other.thought("shadow in the middle"):
        other.prototypes["Leaf"].parent.x = "middle"
    image.refresh()
    assert leaf.x == "middle"
    image.close()
