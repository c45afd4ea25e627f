"""telos/reflect.py: mirrors read an object's slots and change its structure, with the protocol
kept off the object itself."""

from __future__ import annotations

import pytest

from telos.errors import SlotError, SlotNotFound
from telos.reflect import Mirror, SlotInfo, mirror
from telos.uvm import UvmObject

GREET = "def greet(self, who):\n    return self.prefix + who\n"


@pytest.fixture
def proto():
    return UvmObject("Proto", prefix="hi ", count=1)


@pytest.fixture
def child(proto):
    return proto.derive("Child", own=2)


def test_mirror_needs_a_uvm_object():
    with pytest.raises(TypeError, match="needs a UvmObject, not dict"):
        mirror({})
    assert isinstance(mirror(UvmObject()), Mirror)


def test_identity_name_and_label(proto):
    m = mirror(proto)
    assert m.name == "Proto" and isinstance(m.id, str) and m.id
    assert "Proto" in m.label and "Proto" in repr(m)
    m.name = "Renamed"
    assert mirror(proto).name == "Renamed"
    assert mirror(UvmObject()).id != m.id


# -- reading ------------------------------------------------------------------------------------

def test_get_reads_only_local_data_slots(proto, child):
    assert mirror(proto).get("prefix") == "hi "
    assert mirror(child).get("own") == 2
    assert mirror(child).get("prefix") is None             # no delegation
    assert mirror(child).get("prefix", "none") == "none"
    assert mirror(proto).get("_parents", "hidden") == "hidden"   # internals never leak
    assert mirror(proto).get("missing", 0) == 0


def test_data_is_the_local_data_slots_as_a_copy(proto, child):
    assert mirror(proto).data() == {"prefix": "hi ", "count": 1}
    assert mirror(child).data() == {"own": 2}
    mirror(proto).data()["count"] = 99
    assert proto.count == 1


def test_parents_in_order(proto, child):
    other = UvmObject("Other")
    mirror(child).add_parent(other, "mixin")
    assert mirror(child).parents() == [("parent", proto), ("mixin", other)]
    assert mirror(proto).parents() == []


def test_add_parent_at_an_index_is_inserted_in_the_order(proto, child):
    first = UvmObject("First", extra=1)
    mirror(child).add_parent(first, "early", index=0)
    assert [n for n, _ in mirror(child).parents()] == ["early", "parent"]
    assert child.extra == 1 and mirror(child).holder("extra") is first
    assert mirror(child).holder("prefix") is proto


def test_slots_list_parents_then_data_then_methods(proto, child):
    mirror(child).define("greet", GREET)
    kinds = [(s.name, s.kind) for s in mirror(child).slots()]
    assert kinds == [("parent", "parent"), ("own", "data"), ("greet", "method")]
    assert all(isinstance(s, SlotInfo) for s in mirror(child).slots())


def test_slot_names_local_and_inherited(proto, child):
    assert mirror(child).slot_names() == ["parent", "own"]
    inherited = mirror(child).slot_names(inherited=True)
    assert {"own", "prefix", "count"} <= set(inherited)


def test_lookup_holder_and_responds_to(proto, child):
    info = mirror(child).lookup("prefix")
    assert info == SlotInfo("prefix", "data", "hi ")
    assert mirror(child).holder("prefix") is proto
    assert mirror(child).holder("own") is child
    assert mirror(child).lookup("nothing") is None and mirror(child).holder("nothing") is None
    assert mirror(child).responds_to("count") and not mirror(child).responds_to("nothing")


# -- methods ------------------------------------------------------------------------------------

def test_define_installs_a_restricted_method_with_provenance(proto, child):
    mdef = mirror(proto).define("greet", GREET, {"model": "m1"})
    assert mdef.name == "greet" and mdef.source == GREET
    assert child.greet("you") == "hi you"
    assert mirror(child).source("greet") == GREET
    prov = mirror(child).provenance("greet")
    assert prov["model"] == "m1" and prov["execution"] == "restricted" and "author" in prov
    assert mirror(proto).methods() == {"greet": mdef}
    assert not mdef.trusted


def test_methods_is_a_copy(proto):
    mirror(proto).define("greet", GREET)
    mirror(proto).methods().clear()
    assert "greet" in mirror(proto).methods()


def test_provenance_can_never_mark_a_method_trusted(proto):
    mdef = mirror(proto).define("greet", GREET, {"execution": "trusted", "trusted": True})
    assert mdef.provenance["execution"] == "restricted" and "trusted" not in mdef.provenance
    assert not mdef.trusted


def test_define_trusted_and_trust(proto):
    assert mirror(proto).define("greet", GREET, trusted=True).trusted
    mirror(proto).define("again", "def again(self):\n    return 1\n")
    trusted = mirror(proto).trust("again")
    assert trusted.trusted and "trusted_by" in trusted.provenance
    assert "trusted_when" in trusted.provenance


def test_trust_needs_a_local_method(proto, child):
    mirror(proto).define("greet", GREET)
    with pytest.raises(SlotNotFound, match="no local method 'greet'"):
        mirror(child).trust("greet")


@pytest.mark.parametrize("trusted", [1, "yes", None])
def test_trusted_must_be_a_bool(proto, trusted):
    with pytest.raises(SlotError, match="trusted= must be True or False"):
        mirror(proto).define("greet", GREET, trusted=trusted)


def test_a_restricted_method_may_not_reach_private_names(proto):
    with pytest.raises(SlotError, match="not allowed as a restricted method"):
        mirror(proto).define("peek", "def peek(self):\n    return self._parents\n")
    assert "peek" not in mirror(proto).methods()


def test_define_refuses_a_name_held_by_data_or_a_parent(proto, child):
    with pytest.raises(SlotError, match="already has a data slot 'prefix'"):
        mirror(proto).define("prefix", "def prefix(self):\n    return 1\n")
    with pytest.raises(SlotError, match="already has a parent slot 'parent'"):
        mirror(child).define("parent", "def parent(self):\n    return 1\n")


def test_source_of_a_data_slot_or_a_missing_method_is_not_found(proto):
    with pytest.raises(SlotNotFound, match="has no method 'prefix'"):
        mirror(proto).source("prefix")
    with pytest.raises(SlotNotFound, match="has no method 'nope'"):
        mirror(proto).provenance("nope")


# -- changing structure -------------------------------------------------------------------------

def test_add_slot_persistifies_and_refuses_clashes(proto):
    m = mirror(proto)
    m.add_slot("items", [1, 2])
    assert type(proto.items).__name__ == "PersistentList"
    m.add_slot("empty")
    assert proto.empty is None
    m.define("greet", GREET)
    with pytest.raises(SlotError, match="already has a method slot 'greet'"):
        m.add_slot("greet", 1)
    with pytest.raises(SlotError):
        m.add_slot("_hidden", 1)


def test_remove_slot_of_each_kind(proto, child):
    mirror(child).define("greet", GREET)
    mirror(child).remove_slot("own")
    assert "own" not in mirror(child).data()
    mirror(child).remove_slot("greet")
    assert "greet" not in mirror(child).methods()
    mirror(child).remove_slot("parent")
    assert mirror(child).parents() == []
    with pytest.raises(SlotNotFound, match="no local slot 'prefix'"):
        mirror(child).remove_slot("prefix")


def test_add_parent_refuses_a_taken_name(proto, child):
    with pytest.raises(SlotError, match="already has a data slot 'own'"):
        mirror(child).add_parent(UvmObject(), "own")
    with pytest.raises(SlotError, match="already has a parent slot 'parent'"):
        mirror(child).add_parent(UvmObject(), "parent")


def test_remove_parent_returns_it_and_stops_delegation(proto, child):
    assert mirror(child).remove_parent() is proto
    assert not mirror(child).responds_to("prefix")
    with pytest.raises(SlotNotFound, match="no parent slot 'parent'"):
        mirror(child).remove_parent()
