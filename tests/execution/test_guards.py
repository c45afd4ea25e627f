"""telos.execution.guards: the run-time guards restricted methods go through."""

from __future__ import annotations

import math
import random
from collections import deque

import pytest

from telos.errors import MethodBudgetExceeded, RestrictedAccess
from telos.execution import budget, guards
from telos.execution.budget import Limits


@pytest.fixture(autouse=True)
def small_limits():
    budget._local.budget = None
    old = budget.set_limits(Limits(size=1_000, memory=10_000, int_bits=64, range=100))
    yield
    budget._local.budget = None
    budget.set_limits(old)


class Thing:
    colour = "red"
    module = math


@pytest.mark.parametrize("name", ["_secret", "__class__", "gi_frame", "f_globals"])
def test_private_and_introspection_attributes_are_refused(name):
    with pytest.raises(RestrictedAccess):
        guards.guarded_getattr(Thing(), name)


def test_public_attributes_and_defaults():
    assert guards.guarded_getattr(Thing(), "colour") == "red"
    assert guards.guarded_getattr(Thing(), "size", 3) == 3
    with pytest.raises(AttributeError):
        guards.guarded_getattr(Thing(), "size")
    assert guards.guarded_hasattr(Thing(), "colour") and not guards.guarded_hasattr(Thing(), "size")
    with pytest.raises(TypeError):
        guards.guarded_getattr(Thing(), 3)


def test_modules_are_never_reached():
    with pytest.raises(RestrictedAccess, match="module"):
        guards.guarded_getattr(Thing(), "module")              # an attribute holding a module
    with pytest.raises(RestrictedAccess, match="module"):
        guards.guarded_getattr(random, "choice")               # reading from a module object
    with pytest.raises(RestrictedAccess, match="module"):
        guards.guarded_getitem({"m": math}, "m")
    assert guards.guarded_getitem({"k": 1}, "k") == 1


def test_str_format_cannot_walk_to_private_attributes():
    fmt = guards.guarded_getattr("{0.__class__}", "format")
    with pytest.raises(RestrictedAccess):
        fmt(1)
    assert guards.guarded_getattr("{0} and {1}", "format")("a", "b") == "a and b"


def test_attrgetter_and_methodcaller_go_through_the_guard():
    with pytest.raises(RestrictedAccess):
        guards.attrgetter("__class__")(1)
    assert guards.attrgetter("colour")(Thing()) == "red"
    with pytest.raises(RestrictedAccess):
        guards.methodcaller("__reduce__")(1)
    assert guards.methodcaller("upper")("x") == "X"


def test_only_image_objects_and_plain_containers_may_be_changed():
    for ok in ([], {}, set(), bytearray(), deque()):
        assert guards.guarded_write(ok) is ok
    with pytest.raises(RestrictedAccess, match="changing a Thing"):
        guards.guarded_write(Thing())


def test_size_guards_refuse_results_over_the_limit():
    assert guards._add_("a" * 10, "b" * 10) == "a" * 10 + "b" * 10
    assert guards._mult_("ab", 3) == "ababab"
    assert guards._add_(2, 3.5) == 5.5
    with pytest.raises(MethodBudgetExceeded, match="size"):
        guards._mult_("x", 5_000)
    with pytest.raises(MethodBudgetExceeded):
        guards._add_([0] * 600, [0] * 600)
    with pytest.raises(MethodBudgetExceeded):
        guards._pow_(2, 1_000)                          # more than 64 bits
    assert guards._pow_(2, 10) == 1024
    with pytest.raises(MethodBudgetExceeded):
        guards._lshift_(1, 100)
    with pytest.raises(MethodBudgetExceeded):
        guards.guarded_range(1_000)
    assert list(guards.guarded_range(3)) == [0, 1, 2]


def test_padding_and_format_widths_are_bounded():
    with pytest.raises(MethodBudgetExceeded):
        guards.guarded_getattr("x", "ljust")(5_000)
    assert guards.guarded_getattr("x", "rjust")(3) == "  x"
    with pytest.raises(MethodBudgetExceeded):
        guards.guarded_format(1, ">5000")
    assert guards.guarded_format(3.14159, ".2f") == "3.14"


def test_inplacevar_applies_the_guarded_operator():
    assert guards.inplacevar("+=", 1, 2) == 3
    with pytest.raises(MethodBudgetExceeded):
        guards.inplacevar("*=", "x", 5_000)


def test_memory_is_charged_inside_a_call():
    budget.enter("m")
    for _ in range(10):
        guards._mult_("x", 1_000)                       # 10,000 of 10,000 bytes: still allowed
    with pytest.raises(MethodBudgetExceeded, match="memory"):
        guards._mult_("x", 1_000)
