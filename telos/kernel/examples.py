"""Stored examples: the call that made a method, kept with it and re-run before any change.

When the kernel installs a method it stores the triggering call in the method's provenance
(``provenance["examples"]``: the receiver's data slots as JSON, the arguments, the value the
method returned). Every later definition of that method — a kernel regeneration
(:meth:`telos.kernel.cycle.Kernel.regenerate`), ``mirror(obj).define`` at the shell, the
bridge's ``DEFINE_METHOD`` — runs each stored example in the sandbox first (the same trial as
the kernel's, restricted) and is refused with :class:`ExampleBroken` (a ``SlotError``, one
sentence naming the call, the value it gave and the value it must give) when any example comes
out different. A definition that passes keeps the examples (a new one from the kernel adds its
own, up to :data:`MAX_EXAMPLES`). ``mirror(obj).provenance(name)["examples"]`` — and
:func:`stored` — show them; so does the inspector (``ui.inspection.example_rows``).

Trusted methods (an operator's mark) are not trialled in the sandbox, so their examples are
not re-run.
"""

from __future__ import annotations

import json
import logging
import math

from telos.errors import GenerationError, SlotError
from telos.kernel.sandbox import Limits, run_trial, to_json_value

log = logging.getLogger(__name__)

KEY = "examples"
MAX_EXAMPLES = 5


class ExampleBroken(SlotError):
    """A new definition of a method gives a different value for one of its stored examples."""


MAX_EXAMPLE_BYTES = 8192   # an example is kept in the method's provenance: small, like the rest


def make(slots: dict, message, value) -> dict | None:
    """One example: the receiver's data slots (JSON), the call's arguments, the value; None when
    it would be larger than ``MAX_EXAMPLE_BYTES`` (a receiver holding a big collection: the
    method is kept without the example rather than bloating every view of its object)."""
    example = {"slots": {k: to_json_value(v) for k, v in slots.items() if not callable(v)},
               "args": [to_json_value(a) for a in message.args],
               "kwargs": {k: to_json_value(v) for k, v in message.kwargs.items()},
               "value": to_json_value(value)}
    return example if len(json.dumps(example, default=str)) <= MAX_EXAMPLE_BYTES else None


def stored(obj, name: str) -> list[dict]:
    """The examples stored with ``obj``'s local method ``name`` (copies; [] when none)."""
    from telos.reflect import mirror
    mdef = mirror(obj).methods().get(name)
    if mdef is None:
        return []
    return json.loads(json.dumps(list(mdef.provenance.get(KEY) or [])))


def same(got, expected) -> bool:
    if isinstance(expected, bool) or isinstance(got, bool):
        return type(got) is type(expected) and got == expected
    if isinstance(expected, float) or isinstance(got, float):
        return (isinstance(got, (int, float)) and isinstance(expected, (int, float))
                and math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-9))
    if isinstance(expected, list):
        return isinstance(got, list) and len(got) == len(expected) and all(
            same(g, e) for g, e in zip(got, expected))
    if isinstance(expected, dict):
        return isinstance(got, dict) and got.keys() == expected.keys() and all(
            same(got[k], v) for k, v in expected.items())
    return got == expected


def call_text(label: str, name: str, ex: dict) -> str:
    parts = [repr(a) for a in ex.get("args", [])] + [
        f"{k}={v!r}" for k, v in ex.get("kwargs", {}).items()]
    slots = ", ".join(f"{k}={v!r}" for k, v in list(ex.get("slots", {}).items())[:6])
    return f"{label}({slots}).{name}({', '.join(parts)})"


def check(obj, name: str, source: str, examples: list[dict], *, limits: Limits = Limits(),
          label: str | None = None) -> None:
    """Run every example on ``source``; raise ExampleBroken at the first that differs."""
    from telos.kernel.receiver import visible_methods
    from telos.uvm import _label
    label = label or _label(obj)
    methods = {k: v for k, v in visible_methods(obj).items() if k != name}
    for ex in examples:
        try:
            trial = run_trial(source, name, slots=ex.get("slots", {}), methods=methods,
                              args=tuple(ex.get("args", ())), kwargs=ex.get("kwargs", {}),
                              name=getattr(obj, "_name", None), limits=limits)
        except GenerationError as exc:
            raise ExampleBroken(
                f"the new {name} is refused: its stored example {call_text(label, name, ex)} "
                f"must return {ex.get('value')!r} but failed ({exc.reason})") from exc
        if not same(trial.value, ex.get("value")):
            raise ExampleBroken(
                f"the new {name} is refused: its stored example {call_text(label, name, ex)} "
                f"must return {ex.get('value')!r} but returned {trial.value!r}")


def on_define(obj, name: str, source: str, provenance: dict, trusted: bool) -> dict:
    """The hook :mod:`telos.reflect` calls before it installs a definition: re-run the old
    method's stored examples on the new source; return the provenance to install with (the
    old examples carried over, the new definition's own ones added)."""
    previous = stored(obj, name)
    if not previous:
        return provenance
    if not trusted:
        check(obj, name, source, previous)
    merged = list(previous)
    for ex in provenance.get(KEY) or []:
        if ex not in merged:
            merged.append(ex)
    out = dict(provenance)
    out[KEY] = merged[-MAX_EXAMPLES:]
    log.info("%s: %d stored example(s) re-run and passed", name, len(previous))
    return out


def install() -> None:
    """Register :func:`on_define` with the mirror (idempotent)."""
    from telos import reflect
    reflect.add_define_check(on_define)
