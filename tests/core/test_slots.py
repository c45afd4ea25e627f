"""telos/slots.py: what may go in a slot — names, values (made persistent), method source."""

from __future__ import annotations

import ast
import datetime as dt

import numpy as np
import pytest
from persistent.list import PersistentList
from persistent.mapping import PersistentMapping

from telos.errors import SlotError
from telos.slots import (
    RESERVED, _copy_value, check_method_source, check_slot_name, default_provenance, persistify,
)
from telos.uvm import UvmObject


# -- names --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["x", "greet", "name_2", "Ünïcode"])
def test_check_slot_name_returns_a_good_name(name):
    assert check_slot_name(name) == name


@pytest.mark.parametrize("name, message", [
    ("not a name", "is not a Python identifier"),
    ("2x", "is not a Python identifier"),
    ("", "is not a Python identifier"),
    (5, "is not a Python identifier"),
    ("_p_jar", "names starting with '_' are reserved"),
    ("__dict__", "names starting with '_' are reserved"),
    *[(r, "is reserved by UvmObject") for r in sorted(RESERVED)],
])
def test_check_slot_name_refuses(name, message):
    with pytest.raises(SlotError, match=message):
        check_slot_name(name)


# -- method source ------------------------------------------------------------------------------

def test_check_method_source_returns_the_function_ast():
    fn = check_method_source("greet", "def greet(self, who):\n    return 'hi ' + who\n")
    assert isinstance(fn, ast.FunctionDef) and fn.name == "greet"
    assert [a.arg for a in fn.args.args] == ["self", "who"]


@pytest.mark.parametrize("source", [
    "def f(*args):\n    return args\n",
    "def f(self, /):\n    return 1\n",
    "async def f(self):\n    return 1\n",
])
def test_check_method_source_accepts_any_way_to_take_the_receiver(source):
    assert check_method_source("f", source).name == "f"


@pytest.mark.parametrize("source, message", [
    ("def f(self):\n  return (\n", r"syntax error on line \d+"),
    ("x = 1\n", "exactly one function definition"),
    ("def f(self):\n    pass\ndef g(self):\n    pass\n", "exactly one function definition"),
    ("import os\ndef f(self):\n    pass\n", "exactly one function definition"),
    ("def g(self):\n    pass\n", "source defines 'g' instead"),
    ("def f():\n    pass\n", "the first parameter must take the receiver"),
    ("def f(*, key):\n    pass\n", "the first parameter must take the receiver"),
])
def test_check_method_source_refuses(source, message):
    with pytest.raises(SlotError, match=rf"method 'f': .*{message}|method 'f': {message}"):
        check_method_source("f", source)


def test_a_syntax_error_is_chained():
    with pytest.raises(SlotError) as info:
        check_method_source("f", "def f(self) return 1")
    assert isinstance(info.value.__cause__, SyntaxError)


# -- values -------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["s", b"b", 1, 1.5, True, None])
def test_immutable_scalars_are_kept_as_they_are(value):
    assert persistify(value) is value


def test_persistent_objects_and_containers_are_kept_by_reference():
    obj, plist, pmap = UvmObject(), PersistentList([1]), PersistentMapping({"a": 1})
    assert persistify(obj) is obj
    assert persistify(plist) is plist
    assert persistify(pmap) is pmap


def test_lists_and_dicts_become_persistent_deeply():
    value = persistify({"xs": [1, {"y": [2]}], "t": ([3],)})
    assert type(value) is PersistentMapping
    assert type(value["xs"]) is PersistentList
    assert type(value["xs"][1]) is PersistentMapping
    assert type(value["xs"][1]["y"]) is PersistentList
    assert type(value["t"]) is tuple and type(value["t"][0]) is PersistentList
    assert value["xs"][1]["y"] == [2]


def test_a_persistified_list_is_a_copy():
    original = [1, 2]
    value = persistify(original)
    value.append(3)
    assert original == [1, 2]


def test_sets_freeze_and_bytearrays_become_bytes():
    assert persistify({1, 2}) == frozenset({1, 2}) and type(persistify({1})) is frozenset
    assert persistify(frozenset({3})) == frozenset({3})
    assert persistify(bytearray(b"ab")) == b"ab" and type(persistify(bytearray(b"a"))) is bytes


def test_numpy_arrays_become_read_only_copies():
    arr = np.arange(3)
    value = persistify(arr)
    assert value is not arr and np.array_equal(value, arr)
    with pytest.raises(ValueError):
        value[0] = 9
    arr[0] = 7                       # the original stays writable and is not shared
    assert value[0] == 0


def _plain(self):
    return self


class _Holder:
    def method(self):
        return self


@pytest.mark.parametrize("fn", [lambda x: x, _plain, _Holder().method],
                         ids=["lambda", "function", "bound method"])
def test_functions_are_refused_with_a_pointer_to_define(fn):
    with pytest.raises(SlotError, match=r"mirror\(obj\)\.define"):
        persistify(fn)


def test_other_objects_are_kept_as_they_are():
    when = dt.date(2026, 1, 1)
    assert persistify(when) is when


# -- copying for clones -------------------------------------------------------------------------

def test_copy_value_copies_containers_deeply_and_keeps_objects():
    inner = UvmObject()
    original = PersistentMapping({"xs": PersistentList([1, inner]), "t": (PersistentList([2]),)})
    copy = _copy_value(original)
    assert copy == original and copy is not original
    assert copy["xs"] is not original["xs"] and copy["xs"][1] is inner
    assert copy["t"][0] is not original["t"][0]
    copy["xs"].append(3)
    assert len(original["xs"]) == 2


def test_copy_value_keeps_scalars():
    assert _copy_value("s") == "s" and _copy_value(None) is None


# -- provenance ---------------------------------------------------------------------------------

def test_default_provenance_has_author_and_a_utc_time_and_drops_none():
    prov = default_provenance(model="m", persona=None)
    assert isinstance(prov["author"], str) and prov["author"]
    when = dt.datetime.fromisoformat(prov["when"])
    assert when.utcoffset() == dt.timedelta(0)
    assert prov["model"] == "m" and "persona" not in prov


def test_default_provenance_survives_an_unknown_user(monkeypatch):
    import getpass

    def no_user():
        raise KeyError("uid not in passwd")
    monkeypatch.setattr(getpass, "getuser", no_user)
    assert default_provenance()["author"] == "unknown"
