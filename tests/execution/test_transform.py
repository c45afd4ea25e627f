"""telos.execution.transform: what a restricted method may be written as, and the hooks compiled in."""

from __future__ import annotations

import pytest

from telos.errors import MethodBudgetExceeded
from telos.execution import budget, compile_method, restricted_errors
from telos.execution.budget import Limits
from telos.execution.transform import compile_restricted


def restricted(source: str, name: str = "f"):
    return compile_method(name, source, f"<test {name}>", trusted=False)


@pytest.mark.parametrize("source, word", [
    ("def f(self):\n    class A:\n        pass\n    return A\n", "class"),
    ("def f(self):\n    yield 1\n", "yield"),
    ("def f(self):\n    global x\n    x = 1\n", "global"),
    ("@staticmethod\ndef f():\n    return 1\n", "decorator"),
    ("async def f(self):\n    return 1\n", "async"),
    ("def f(self):\n    return self.__class__\n", "_"),
])
def test_refused_constructs_are_named(source, word):
    errors = restricted_errors(source)
    assert errors and any(word in e.lower() for e in errors), errors
    code, errs = compile_restricted(source, "<t>")
    assert code is None and errs == errors


def test_a_plain_method_compiles_and_runs():
    assert restricted_errors("def f(self):\n    return sum(x * 2 for x in range(4))\n") == []
    assert restricted("def f(self):\n    return sum(x * 2 for x in range(4))\n")(None) == 12


def test_augmented_assignment_on_names_items_and_attributes_is_allowed():
    src = ("def f(self):\n    d = {'a': 1}\n    d['a'] += 2\n    n = 1\n    n += 4\n"
           "    return d['a'] + n\n")
    assert restricted(src)(None) == 8


def test_while_loops_take_steps():
    budget.set_limits(Limits(steps=5_000))
    f = restricted("def f(self):\n    n = 0\n    while True:\n        n = n + 1\n")
    with pytest.raises(MethodBudgetExceeded) as info:
        f(None)
    assert info.value.budget == "steps"


def test_a_budget_cannot_be_swallowed_by_except():
    budget.set_limits(Limits(steps=5_000))
    src = ("def f(self):\n    try:\n        while True:\n            pass\n"
           "    except Exception:\n        return 'swallowed'\n")
    with pytest.raises(MethodBudgetExceeded):
        restricted(src)(None)


def test_recursion_is_bounded_by_depth():
    budget.set_limits(Limits(depth=20))
    src = "def f(self, n=0):\n    return f(self, n + 1)\n"
    with pytest.raises(MethodBudgetExceeded) as info:
        restricted(src)(None)
    assert info.value.budget == "depth"


def test_guarded_operators_are_compiled_in():
    budget.set_limits(Limits(size=100))
    with pytest.raises(MethodBudgetExceeded):
        restricted("def f(self):\n    return 'x' * 1000\n")(None)
    with pytest.raises(MethodBudgetExceeded):
        restricted("def f(self):\n    n = 200\n    return f'{1:>{n}}'\n")(None)


def test_a_source_that_does_not_define_the_method_is_refused():
    with pytest.raises(SyntaxError, match="does not define g"):
        compile_method("g", "def f(self):\n    return 1\n", "<t>", trusted=False)
