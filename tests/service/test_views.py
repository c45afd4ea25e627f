"""telos.service.views: live objects → the bridge's JSON views, and finding an object by name or id."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from persistent.list import PersistentList
from persistent.mapping import PersistentMapping

from telos.bridge import protocol as P
from telos.errors import RequestRefused
from telos.service import views
from telos.uvm import UvmObject


class Session:
    def __init__(self, **prototypes):
        self.prototypes = prototypes


def test_plain_turns_persistent_containers_into_json():
    value = PersistentMapping({"xs": PersistentList([1, 2.5, None, True]), "when": dt.date(2024, 5, 1)})
    assert views.plain(value) == {"xs": [1, 2.5, None, True], "when": "2024-05-01"}
    assert views.plain((1, "a")) == [1, "a"]


@pytest.mark.parametrize("bad", [math.nan, math.inf, {1: "int key"}, object(), b"bytes"])
def test_plain_refuses_what_json_cannot_carry(bad):
    with pytest.raises(TypeError):
        views.plain(bad)


def test_plain_refuses_deep_nesting():
    deep: list = []
    for _ in range(30):
        deep = [deep]
    with pytest.raises(TypeError, match="deeply"):
        views.plain(deep)


def test_describe_value_gives_json_when_it_can_and_a_repr_always():
    assert views.describe_value([1, 2]) == {"value_type": "list", "value": [1, 2],
                                            "object_id": None, "value_repr": "[1, 2]"}
    big = "x" * 20_000
    d = views.describe_value(big)
    assert d["value"] is None and len(d["value_repr"]) == P.MAX_SHORT and d["value_repr"].endswith("…")
    obj = UvmObject(x=1)
    d = views.describe_value(obj)
    assert d["object_id"] == obj._id and d["value"] is None and obj._id[:8] in d["value_repr"]


def test_describe_value_survives_a_repr_that_raises():
    class Nasty:
        def __repr__(self):
            raise RuntimeError("no")

    d = views.describe_value(Nasty())
    assert d["value"] is None and d["value_repr"] == "<unrepresentable Nasty: RuntimeError>"


def test_object_view_lists_parent_data_and_method_slots():
    proto = UvmObject(width=3)
    child = proto.derive(height=4)
    child._methods["area"] = type("M", (), {"source": "def area(self):\n    return 12\n",
                                            "provenance": {"author": "t", "at": dt.date(2024, 1, 2)}})()
    view = views.object_view(child)
    kinds = {s.name: s.kind for s in view.slots}
    assert kinds == {"parent": "parent", "height": "data", "area": "method"}
    assert view.parents[0].object_id == proto._id
    assert [s.value for s in view.slots if s.name == "height"] == [4]
    assert view.methods[0].selector == "area" and view.methods[0].provenance == {"author": "t", "at": "2024-01-02"}
    assert [s.value_repr for s in view.slots if s.kind == "method"] == ["def area(self):"]


def test_summary_counts_slots_and_methods():
    proto = UvmObject(a=1)
    s = views.summary("Thing", proto.derive(b=2, c=3))
    assert (s.name, s.n_slots, s.n_methods) == ("Thing", 3, 0)
    assert s.parents == [proto._id]


def test_resolve_by_name_and_unknown_name():
    point = UvmObject(x=1)
    assert views.resolve(Session(Point=point), "Point", None) is point
    with pytest.raises(RequestRefused) as info:
        views.resolve(Session(Point=point), "Nope", None)
    assert info.value.code == P.NOT_FOUND


def test_resolve_by_id_finds_objects_reachable_through_parents_and_slots():
    base = UvmObject()
    held = UvmObject(kind="held")
    listed = UvmObject(kind="listed")
    top = base.derive(child=held, many=[listed])
    session = Session(Top=top)
    assert views.resolve(session, None, base._id) is base
    assert views.resolve(session, None, held._id) is held
    assert views.resolve(session, None, listed._id) is listed
    assert views.resolve(session, None, listed._id[:8]) is listed        # a unique prefix
    with pytest.raises(RequestRefused) as info:
        views.resolve(session, None, "0" * 32)
    assert info.value.code == P.NOT_FOUND


def test_a_short_or_shared_prefix_is_not_enough():
    a, b = UvmObject(), UvmObject()
    a._id, b._id = "abcdef" + "1" * 26, "abcdef" + "2" * 26
    session = Session(A=a, B=b)
    with pytest.raises(RequestRefused) as info:
        views.resolve(session, None, "abcdef")
    assert info.value.code == P.BAD_REQUEST and "ambiguous" in str(info.value)
    with pytest.raises(RequestRefused):
        views.resolve(session, None, "abcde1"[:5])                      # under 6 characters
