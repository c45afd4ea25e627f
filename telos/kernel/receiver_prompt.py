"""The prompt built from the receiver as it is (lever ``receiver_prompt``), with worked
examples (from :mod:`telos.kernel.analogy`) in exactly the same shape as the question.

Each example and the question read::

    Object Cart. Slots: prices = [3, 5, 12] (list), tax_rate = 0.2 (float, from Shop).
    Methods: subtotal(self) returns sum(self.prices).
    Write cart.total_with_tax() — return the value, do not change the object.

and the answer is one fenced ``def``. With the ``constrained`` lever the last turn is a prefill
(```` ```python ```` + the signature + an indent): the model writes only the body.
Slots of the root ``Object`` (its ``description``) are left out: models read them into answers.
"""

from __future__ import annotations

import ast
import re

from telos.kernel.analogy import Example
from telos.kernel.prompt import Prompt
from telos.uvm import DATA, METHOD, UvmObject, _label, lookup, slot_names

SYSTEM = ("You write one Python method for an object. Use only the slots and methods the object "
          "has, as self.<name>; use the arguments by their parameter names. Return the value; do "
          "not print and do not change the object unless the name says so. Reply with one "
          "```python code block.")

MAX_VALUE_CHARS = 120
_TYPES = {bool: "bool", int: "int", float: "float", str: "str"}


def type_name(value) -> str:
    t = _TYPES.get(type(value))
    if t:
        return t
    if hasattr(value, "items"):
        return "dict"
    if isinstance(value, (list, tuple)) or hasattr(value, "__iter__"):
        return "list"
    return type(value).__name__


def plain(value):
    if hasattr(value, "items") and not isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if not isinstance(value, (str, bytes, dict, list)) and hasattr(value, "__iter__"):
        return [plain(v) for v in value]
    return value


def short(value) -> str:
    text = repr(plain(value))
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "...]"


def var_name(proto: str) -> str:
    var = re.sub(r"\W+", "_", proto or "obj").strip("_").lower() or "obj"
    return var if not var[0].isdigit() else "obj_" + var


def param_names(args: tuple, kwargs: dict) -> list[str]:
    """Parameter names a reader understands: by the argument's type, numbered when repeated."""
    base = []
    for a in args:
        t = type_name(a)
        base.append({"int": "number", "float": "number", "str": "name", "list": "items",
                     "dict": "mapping", "bool": "flag"}.get(t, "value"))
    counts = {b: base.count(b) for b in base}
    seen: dict[str, int] = {}
    names = []
    for b in base:
        if counts[b] > 1:
            seen[b] = seen.get(b, 0) + 1
            names.append(f"{b}{seen[b]}")
        else:
            names.append(b)
    return [n if n not in kwargs else n + "_" for n in names] + list(kwargs)


def signature(selector: str, args: tuple, kwargs: dict) -> str:
    return f"def {selector}({', '.join(['self'] + param_names(args, kwargs))}):"


def method_line(name: str, source: str) -> str:
    """``name(self, x) returns <expr>`` — or its docstring's first line, when it has one."""
    try:
        fn = ast.parse(source).body[0]
    except (SyntaxError, IndexError):
        return f"{name}(...)"
    params = ", ".join(a.arg for a in fn.args.args)
    doc = ast.get_docstring(fn)
    if doc:
        return f"{name}({params}): {doc.strip().splitlines()[0]}"
    body = [n for n in fn.body if not isinstance(n, ast.Expr)]
    if len(body) == 1 and isinstance(body[0], ast.Return) and body[0].value is not None:
        expr = ast.get_source_segment(source, body[0].value) or ""
        if len(expr) <= 80:
            return f"{name}({params}) returns {expr}"
    return f"{name}({params})"


def question(proto: str, slots: list[str], methods: list[str], selector: str, args: tuple,
             kwargs: dict) -> str:
    call = [short(a) for a in args] + [f"{k}={short(v)}" for k, v in kwargs.items()]
    lines = [f"Object {proto}. Slots: {', '.join(slots) if slots else '(none)'}."]
    if methods:
        lines.append("Methods: " + "; ".join(methods) + ".")
    lines.append(f"Write {var_name(proto)}.{selector}({', '.join(call)}) — return the value, "
                 "do not change the object.")
    names = param_names(args, kwargs)
    if args or kwargs:
        values = list(args) + list(kwargs.values())
        lines.append("Parameters: " + ", ".join(
            f"{n} = {short(v)} ({type_name(v)})" for n, v in zip(names, values)) + ".")
    return "\n".join(lines)


def receiver_parts(receiver: UvmObject, image=None) -> tuple[list[str], list[str]]:
    """(slot lines, method lines) as the receiver answers them, own and inherited."""
    root = None
    if image is not None:
        try:
            root = image.prototypes.get("Object")
        except Exception:  # noqa: BLE001 - no registry
            root = None
    slots, methods = [], []
    for name in slot_names(receiver):
        found = lookup(receiver, name)
        if found is None:
            continue
        kind, holder, value = found
        if holder is root and root is not None:
            continue
        where = "" if holder is receiver else f", from {_label(holder)}"
        if kind == DATA:
            slots.append(f"self.{name} = {short(value)} ({type_name(value)}{where})")
        elif kind == METHOD:
            methods.append(method_line(name, value.source))
    return slots, methods


def example_turns(ex: Example) -> list[dict]:
    slots = [f"self.{k} = {short(v)} ({type_name(v)})" for k, v in ex.slots.items()]
    methods = [method_line(n, s) for n, s in ex.methods.items()]
    return [{"role": "user", "content": question(ex.proto, slots, methods, ex.selector, ex.args,
                                                 ex.kwargs)},
            {"role": "assistant", "content": f"```python\n{ex.source.strip()}\n```"}]


def build(receiver: UvmObject, selector: str, args: tuple, kwargs: dict, *, image=None,
          examples: list[Example] = (), repairs: list[tuple[str, str]] = (),
          memories: list[str] = (), prefill: bool = True) -> Prompt:
    """The messages; ``repairs`` are (code, why it was rejected) of earlier candidates."""
    slots, methods = receiver_parts(receiver, image)
    sig = signature(selector, args, kwargs)
    messages = [{"role": "system", "content": SYSTEM}]
    for ex in examples:
        messages.extend(example_turns(ex))
    q = question(_label(receiver), slots, methods, selector, args, kwargs)
    if memories:
        q = "Notes: " + " | ".join(m[:200] for m in memories) + "\n" + q
    messages.append({"role": "user", "content": q})
    for i, (code, reason) in enumerate(repairs, 1):
        code = code.strip()
        if not code.startswith("```"):
            code = f"```python\n{code}\n```"
        messages.append({"role": "assistant", "content": code})
        messages.append({"role": "user", "content": f"Attempt {i} was rejected: {reason}. "
                         f"Write {var_name(_label(receiver))}.{selector} again, correctly."})
    if prefill:
        messages.append({"role": "assistant", "content": f"```python\n{sig}\n    "})
    return Prompt(messages, sig)
