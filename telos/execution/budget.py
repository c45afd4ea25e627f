"""The execution budget of a restricted method call: steps, wall-clock time, depth and size.

One :class:`Budget` covers the outermost call of a restricted method and everything it calls
(other restricted methods share it). The compiled code reports to it through hooks that
:mod:`telos.execution.transform` puts into the source:

- ``_enter_(name)`` / ``_leave_()`` around every function body (a depth count: recursion);
- ``_step_()`` at the top of every ``while`` body, and once per item of every ``for`` loop or
  comprehension (``_getiter_`` returns a counting iterator);
- ``_check_()`` at the top of every ``except`` and ``finally`` block, so a budget that ran out
  cannot be swallowed by ``try/except`` (or ``finally: continue``) in the method itself;
- the size guards of :mod:`telos.execution.guards` (``'x' * 10**10``) call :func:`charge`.

The clock is read once per :data:`CHUNK` steps, so a step costs a decrement and a compare. Once
a budget ran out it stays out: every later hook raises :class:`MethodBudgetExceeded` again, and
``_leave_`` raises it when the method tries to return normally.

Limitation: one long call into C (a catastrophic regular expression, ``sorted`` of a huge list)
runs to its end before the next hook sees the clock; the size guards keep those inputs bounded.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from telos.errors import MethodBudgetExceeded

CHUNK = 1024


@dataclass(frozen=True)
class Limits:
    """Per-call limits of a restricted method (the process-wide default is :data:`LIMITS`)."""

    steps: int = 5_000_000        # loop iterations + while-loop passes
    seconds: float = 5.0          # wall clock of the outermost call
    depth: int = 100              # nested restricted function calls (recursion)
    size: int = 10_000_000        # elements/characters one guarded operation may produce
    memory: int = 256 * 2**20     # bytes produced by size-guarded operations, in total
    range: int = 1_000_000        # longest range()
    int_bits: int = 1_000_000     # largest integer produced by *, ** and <<


LIMITS = [Limits()]


def set_limits(limits: Limits) -> Limits:
    """Replace the process-wide limits; returns the previous ones (tests, the bench)."""
    old = LIMITS[0]
    LIMITS[0] = limits
    return old


class Budget:
    __slots__ = ("method", "limits", "steps", "left", "deadline", "depth", "allocated",
                 "exceeded")

    def __init__(self, method: str, limits: Limits | None = None):
        self.method = method
        self.limits = limits or LIMITS[0]
        self.steps = 0
        self.left = CHUNK
        self.deadline = time.monotonic() + self.limits.seconds
        self.depth = 0
        self.allocated = 0
        self.exceeded: tuple | None = None

    def exceed(self, budget: str, limit, detail: str = "") -> MethodBudgetExceeded:
        if self.exceeded is None:
            self.exceeded = (budget, limit, detail)
        self.left = 0
        return MethodBudgetExceeded(self.method, *self.exceeded)

    def error(self) -> MethodBudgetExceeded:
        return MethodBudgetExceeded(self.method, *self.exceeded)

    def tick(self) -> None:
        """Called every CHUNK steps (and on every step once exceeded)."""
        if self.exceeded is not None:
            raise self.error()
        self.steps += CHUNK
        if self.steps > self.limits.steps:
            raise self.exceed("steps", self.limits.steps, "a loop that does not end?")
        if time.monotonic() > self.deadline:
            raise self.exceed("seconds", self.limits.seconds, "the call took too long")
        self.left = CHUNK


class _Local(threading.local):
    budget: Budget | None = None


_local = _Local()


def current() -> Budget | None:
    """The budget of the restricted call running in this thread, if any."""
    return _local.budget


def enter(name: str) -> None:
    b = _local.budget
    if b is None:
        b = Budget(name)
        _local.budget = b
    elif b.exceeded is not None:
        raise b.error()
    elif b.depth >= b.limits.depth:
        raise b.exceed("depth", b.limits.depth, f"recursion through {name!r}")
    b.depth += 1


def leave() -> None:
    b = _local.budget
    if b is None:
        return
    b.depth -= 1
    if b.depth <= 0:
        _local.budget = None
    if b.exceeded is not None:
        raise b.error()


def step() -> None:
    b = _local.budget
    if b is None:                 # a nested def that escaped its method: its own budget
        b = _local.budget = Budget("<escaped function>")
    b.left -= 1
    if b.left <= 0:
        b.tick()


def check() -> None:
    b = _local.budget
    if b is not None and b.exceeded is not None:
        raise b.error()


def charge(nbytes: int, what: str) -> None:
    """Account ``nbytes`` produced by a size-guarded operation against the memory budget."""
    b = _local.budget
    if b is None:
        return
    if b.exceeded is not None:
        raise b.error()
    b.allocated += nbytes
    if b.allocated > b.limits.memory:
        raise b.exceed("memory", b.limits.memory, f"{what} brought the total to "
                                                  f"{b.allocated} bytes")


def too_big(what: str, n: int, limit_name: str = "size") -> MethodBudgetExceeded:
    b = _local.budget
    limit = getattr((b.limits if b is not None else LIMITS[0]), limit_name)
    if b is None:
        return MethodBudgetExceeded("<restricted code>", limit_name, limit, f"{what} ({n})")
    return b.exceed(limit_name, limit, f"{what} ({n})")


def _counted(it, b: Budget):
    for item in it:
        b.left -= 1
        if b.left <= 0:
            b.tick()
        yield item


def getiter(ob):
    """``_getiter_``: every item of a loop or comprehension is a step of the current budget."""
    b = _local.budget
    if b is None:                 # a generator expression consumed after its method returned
        b = Budget("<escaped iterator>")
    return _counted(iter(ob), b)


def counting(it):
    """Wrap an iterator of a safe module (``itertools.count()``) so that C code consuming it
    (``sum``, ``list``) still takes steps."""
    return getiter(it)
