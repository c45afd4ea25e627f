"""telos.execution.budget: the hooks restricted code calls — steps, time, depth, memory."""

from __future__ import annotations

import pytest

from telos.errors import MethodBudgetExceeded
from telos.execution import budget as B
from telos.execution.budget import CHUNK, Limits


def test_set_limits_returns_the_previous_ones():
    mine = Limits(steps=7)
    before = B.set_limits(mine)
    assert B.LIMITS[0] is mine and B.set_limits(before) is mine


def test_the_outermost_enter_opens_a_budget_and_the_last_leave_closes_it():
    assert B.current() is None
    B.enter("area")
    b = B.current()
    assert b is not None and b.method == "area" and b.depth == 1
    B.enter("helper")
    assert B.current() is b and b.depth == 2          # nested calls share the budget
    B.leave()
    assert B.current() is b
    B.leave()
    assert B.current() is None
    B.leave()                                          # no budget: nothing to do


def test_recursion_past_the_depth_limit_is_refused_and_stays_refused():
    B.set_limits(Limits(depth=2))
    B.enter("f")
    B.enter("f")
    with pytest.raises(MethodBudgetExceeded) as info:
        B.enter("f")
    assert (info.value.method, info.value.budget, info.value.limit) == ("f", "depth", 2)
    with pytest.raises(MethodBudgetExceeded):
        B.check()                                       # an except/finally block sees it again
    with pytest.raises(MethodBudgetExceeded):
        B.step()
    with pytest.raises(MethodBudgetExceeded):
        B.leave()                                       # returning normally is not allowed


def test_steps_run_out_after_the_limit():
    B.set_limits(Limits(steps=2 * CHUNK))
    B.enter("loop")
    taken = 0
    with pytest.raises(MethodBudgetExceeded) as info:
        for _ in range(10 * CHUNK):
            B.step()
            taken += 1
    assert info.value.budget == "steps"
    assert taken == 3 * CHUNK - 1                       # the clock and count are read per CHUNK


def test_the_wall_clock_is_read_per_chunk(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(B.time, "monotonic", lambda: now[0])
    B.set_limits(Limits(seconds=5.0))
    B.enter("slow")
    for _ in range(CHUNK):
        B.step()                                        # within the time: fine
    now[0] += 6.0
    with pytest.raises(MethodBudgetExceeded) as info:
        for _ in range(CHUNK):
            B.step()
    assert info.value.budget == "seconds" and info.value.limit == 5.0


def test_loop_items_are_steps():
    B.enter("comp")
    b = B.current()
    left = b.left
    assert list(B.getiter(range(10))) == list(range(10))
    assert b.left == left - 10
    assert list(B.counting(iter("ab"))) == ["a", "b"] and b.left == left - 12


def test_a_step_outside_any_call_gets_a_budget_of_its_own():
    B.step()
    assert B.current().method == "<escaped function>"


def test_memory_is_charged_until_the_limit():
    B.set_limits(Limits(memory=1000))
    B.charge(500, "outside any call")                   # no budget: not counted
    B.enter("bomb")
    B.charge(600, "a list")
    with pytest.raises(MethodBudgetExceeded, match="brought the total to 1200 bytes") as info:
        B.charge(600, "another list")
    assert info.value.budget == "memory"


def test_too_big_names_the_limit_and_marks_the_budget():
    B.set_limits(Limits(size=10))
    err = B.too_big("'x' * n", 11)
    assert (err.method, err.budget, err.limit) == ("<restricted code>", "size", 10)
    B.enter("m")
    err = B.too_big("range", 2_000_000, "range")
    assert err.budget == "range" and err.limit == Limits().range
    with pytest.raises(MethodBudgetExceeded):
        B.check()                                       # the budget is now out
