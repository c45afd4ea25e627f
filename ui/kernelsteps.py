"""The kernel view's texts, without Kivy: KERNEL_EVENTs folded into cycles (one per message
nobody understood), each with its steps, its code as it streamed, and how it ended.

An event arrives pushed or again in a KERNEL_EVENT_LIST (a late client's catch-up); the same
event twice is kept once.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

STEP_ORDER = ("request", "reuse", "generation", "extract", "policy", "trial", "rerank",
              "install", "commit", "done", "refused")
STEP_WORDS = {"request": "request", "reuse": "reuse", "generation": "generation",
              "extract": "extract", "policy": "policy", "trial": "trial (sandbox)",
              "rerank": "rerank",
              "install": "install", "commit": "commit", "done": "done", "refused": "refused"}
MAX_CYCLES = 100


@dataclass
class StepRow:
    step: str
    outcome: str
    attempt: int
    seconds: float
    reason: str = ""


@dataclass
class Cycle:
    cycle: str
    request: str = ""
    receiver: str = ""
    selector: str = ""
    persona: str = ""
    model: str = ""
    started: float = 0.0
    code: str = ""
    state: str = "working"              # working | installed | refused
    reason: str = ""                    # why it was refused (one sentence)
    seconds: float = 0.0
    attempt: int = 0
    steps: list[StepRow] = field(default_factory=list)
    seen: set = field(default_factory=set)


class KernelLog:
    def __init__(self, keep: int = MAX_CYCLES) -> None:
        self.keep = keep
        self.cycles: dict[str, Cycle] = {}      # oldest first

    def add(self, e) -> Cycle | None:
        """Fold one event in; returns its cycle, or None when the event was already known."""
        c = self.cycles.get(e.cycle)
        if c is None:
            c = self.cycles[e.cycle] = Cycle(e.cycle, started=e.time or time.time())
            while len(self.cycles) > self.keep:
                self.cycles.pop(next(iter(self.cycles)))
        key = (e.step, e.outcome, e.attempt, e.time, len(e.code) if e.outcome == "streaming" else 0)
        if key in c.seen:
            return None
        c.seen.add(key)
        for name in ("request", "receiver", "selector", "persona", "model"):
            value = getattr(e, name, "")
            if value:
                setattr(c, name, value)
        c.attempt = max(c.attempt, e.attempt)
        if e.code:                              # the newest code: as it streams, then as checked
            c.code = e.code
        if e.outcome != "streaming":
            c.steps.append(StepRow(e.step, e.outcome, e.attempt, e.seconds, e.reason))
        if e.step == "done":
            c.state, c.seconds = "installed", e.seconds
        elif e.step == "refused":
            c.state, c.reason = "refused", e.reason
            c.seconds = max(0.0, (e.time or c.started) - c.started)
        return c

    def newest(self) -> Cycle | None:
        return next(reversed(self.cycles.values()), None) if self.cycles else None

    def recent(self, n: int = 50) -> list[Cycle]:
        """Newest first."""
        return list(reversed(list(self.cycles.values())))[:n]


def seconds_text(s: float) -> str:
    if s < 0.001:
        return f"{s * 1e6:.0f} µs"
    if s < 1.0:
        return f"{s * 1000:.1f} ms"
    return f"{s:.2f} s"


def step_text(row: StepRow) -> tuple[str, str, str]:
    """(label, outcome, time) of one step row."""
    label = STEP_WORDS.get(row.step, row.step)
    if row.attempt and row.step not in ("request", "install", "commit", "done", "refused"):
        label += f" · attempt {row.attempt}"
    outcome = {"ok": "ok", "failed": "failed", "started": "started"}.get(row.outcome, row.outcome)
    if row.step == "commit" and row.outcome == "started":
        outcome = "installed in a savepoint; the request's thought commits it"
    if row.reason:
        outcome += f": {row.reason}"
    return label, outcome, seconds_text(row.seconds) if row.outcome != "started" else ""


_CHOSE = re.compile(r"chose (.+?) of \d+ scored")
_ORIGINS = {"units": "the unit conversion its names imply"}


def chosen(c: Cycle) -> str | None:
    """Where the installed code came from when the model did not write it for this request: a
    method reused as it is ("copied from Parcel.shipping_cost"), or what the reranker chose
    (``transfer: Coat.sale_cost`` → "transferred from Coat.sale_cost"); else None."""
    for row in reversed(c.steps):
        if row.step == "reuse" and row.outcome == "ok" and row.reason:
            return row.reason                     # "copied from Parcel.shipping_cost"
        m = _CHOSE.search(row.reason) if row.step == "rerank" and row.outcome == "ok" else None
        if m is not None:
            origin = m.group(1)
            if origin == "model":
                return None
            if origin.startswith("transfer: "):
                return "transferred from " + origin[len("transfer: "):]
            return _ORIGINS.get(origin, origin)
    return None


def writer_text(c: Cycle) -> str:
    if not c.persona:
        return "waiting for the kernel…"
    model = f" with {c.model}" if c.model else ""
    verb = "is writing it" if c.state == "working" else "wrote it"
    if c.state == "refused":
        verb = "was asked"
    elif c.state == "installed" and chosen(c):
        verb = f"· the installed code was {chosen(c)}"
    return f"{c.persona}{model} {verb}"


def state_text(c: Cycle) -> str:
    if c.state == "installed":
        return f"installed and committed in {seconds_text(c.seconds)}"
    if c.state == "refused":
        return f"refused — {c.reason}" if c.reason else "refused"
    last = c.steps[-1] if c.steps else None
    doing = STEP_WORDS.get(last.step, last.step) if last else "starting"
    return f"working: {doing}" + (f" (attempt {c.attempt})" if c.attempt > 1 else "")


def summary_line(c: Cycle) -> str:
    when = time.strftime("%H:%M:%S", time.localtime(c.started)) if c.started else "--:--:--"
    state = {"installed": "installed", "refused": "refused", "working": "working…"}[c.state]
    return f"{when}  {state}  {c.request or c.selector}"


def method_link(c: Cycle) -> tuple[str, str] | None:
    """(receiver, selector) to open in the inspector; None while nothing was installed."""
    if c.state != "installed" or not c.receiver or not c.selector:
        return None
    return c.receiver, c.selector
