"""One execution model: restricted methods by default, an operator's trusted mark, the budget."""

from __future__ import annotations

import pytest

from telos import SlotError, UvmObject, mirror
from telos.errors import MethodBudgetExceeded, RestrictedAccess
from telos.execution import Limits, set_limits
from telos.uvm import MethodDef


@pytest.fixture
def rect(image):
    with image.thought("setup"):
        r = image.register("Rect", UvmObject(width=3, height=4))
    return r


def define(image, obj, name, source, *args, **kw):
    with image.thought(f"define {name}"):
        return mirror(obj).define(name, source, *args, **kw)


def test_methods_are_restricted_by_default_and_still_work(image, rect):
    mdef = define(image, rect, "area", "def area(self):\n    return self.width * self.height")
    assert mdef.provenance["execution"] == "restricted" and not mdef.trusted
    assert rect.area() == 12
    define(image, rect, "grow", "def grow(self, k):\n    self.width += k\n    return self.width")
    with image.thought("grow"):
        assert rect.grow(2) == 5


def test_a_private_name_is_refused_when_defined_in_one_sentence(image, rect):
    with pytest.raises(SlotError, match="not allowed as a restricted method") as info:
        define(image, rect, "leak", "def leak(self):\n    import random\n    return random._os")
    assert "\n" not in str(info.value)
    assert "leak" not in rect._methods


def test_a_private_name_assembled_at_run_time_is_refused_when_called(image, rect):
    define(image, rect, "leak", "def leak(self):\n    return getattr(self, '_' + '_dict__')")
    with pytest.raises(RestrictedAccess):
        rect.leak()


def test_only_the_trusted_keyword_makes_a_method_trusted(image, rect):
    src = "def where(self):\n    import os\n    return os.getcwd()"
    mdef = define(image, rect, "where", src, {"author": "bridge", "trusted": True,
                                              "execution": "trusted"})
    assert mdef.provenance["execution"] == "restricted" and "trusted" not in mdef.provenance
    assert mdef.provenance["author"] == "bridge"
    with pytest.raises(ImportError):
        rect.where()
    define(image, rect, "where", src, trusted=True)
    assert isinstance(rect.where(), str)


def test_trusted_must_be_a_real_boolean(image, rect):
    with pytest.raises(SlotError, match="trusted="):
        define(image, rect, "f", "def f(self):\n    return 1", trusted="yes")


def test_trust_marks_an_existing_method(image, rect):
    define(image, rect, "kind", "def kind(self):\n    return str(type(self))")
    with pytest.raises(NameError):
        rect.kind()
    with image.thought("trust"):
        mdef = mirror(rect).trust("kind")
    assert mdef.trusted and mdef.provenance["trusted_by"]
    assert rect.kind() == "<class 'telos.uvm.UvmObject'>"


def test_legacy_methods_genesis_trusted_others_restricted():
    assert MethodDef("f", "def f(self): pass", {"author": "genesis"}).trusted
    assert MethodDef("f", "def f(self): pass", {"author": "system"}).trusted
    assert not MethodDef("f", "def f(self): pass", {"author": "root"}).trusted
    assert not MethodDef("f", "def f(self): pass", {"author": "kernel"}).trusted


def test_a_loop_ends_with_method_budget_exceeded_and_the_thought_aborts(image, rect):
    define(image, rect, "spin", "def spin(self):\n    self.width = 99\n    while True:\n"
                                "        try:\n            pass\n        except Exception:\n"
                                "            pass")
    last = image.connection.db().lastTransaction()
    with pytest.raises(MethodBudgetExceeded) as info:
        with image.thought("spin"):
            rect.spin()
    assert info.value.method == "spin" and info.value.budget == "steps"
    assert "spin" in str(info.value) and "steps budget" in str(info.value)
    image.transaction_manager.begin()
    assert rect.width == 3 and image.connection.db().lastTransaction() == last


def test_the_wall_clock_budget(image, rect):
    old = set_limits(Limits(steps=10**12, seconds=0.2))
    try:
        define(image, rect, "spin", "def spin(self):\n    while True:\n        pass")
        with pytest.raises(MethodBudgetExceeded) as info:
            rect.spin()
        assert info.value.budget == "seconds"
    finally:
        set_limits(old)


def test_recursion_ends_with_the_depth_budget(image, rect):
    define(image, rect, "down", "def down(self, n):\n    return self.down(n + 1)")
    with pytest.raises(MethodBudgetExceeded) as info:
        rect.down(0)
    assert info.value.budget == "depth" and "down" in str(info.value)
    define(image, rect, "fact", "def fact(self, n):\n    return 1 if n < 2 else n * self.fact(n - 1)")
    assert rect.fact(20) == 2432902008176640000      # a reasonable recursion still works


def test_a_budget_swallowed_and_returned_is_raised_anyway(image, rect):
    define(image, rect, "sly", "def sly(self):\n    try:\n        while True:\n            pass\n"
                               "    finally:\n        return 1")
    with pytest.raises(MethodBudgetExceeded):
        rect.sly()


def test_memory_bombs_hit_the_size_budget(image, rect):
    define(image, rect, "bomb", "def bomb(self):\n    return 'x' * 10 ** 10")
    with pytest.raises(MethodBudgetExceeded) as info:
        rect.bomb()
    assert info.value.budget == "size"


def test_restricted_code_cannot_reach_mirror_or_modules(image, rect):
    define(image, rect, "m", "def m(self):\n    return mirror")
    with pytest.raises(NameError):
        rect.m()
    define(image, rect, "mod", "def mod(self):\n    import json\n"
                               "    return getattr(json.dumps, '_' + '_globals__')")
    with pytest.raises(RestrictedAccess):
        rect.mod()
    define(image, rect, "imp", "def imp(self):\n    import os\n    return 1")
    with pytest.raises(ImportError, match="not allowed"):
        rect.imp()
