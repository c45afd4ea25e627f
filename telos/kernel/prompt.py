"""Step 1 of the cognitive cycle: the prompt, built from the receiver and the reified message.

What the model sees: the receiver's name, its data slots (reachable through parents), its
parents, the sources of the methods it already has, the call with its real arguments, the
expected signature, similar methods elsewhere in the image, relevant memories (when memory
exists) and — on a retry — why the previous attempt failed. A worked example (few-shot) comes
first: small models (SmolLM2-135M) follow an example far better than instructions.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field

from telos.reflect import mirror
from telos.uvm import DATA, METHOD, PARENT, UvmObject, _label, lookup, slot_names

log = logging.getLogger(__name__)

SYSTEM = ("You write one Python method for a prototype object. Reply with one ```python code "
          "block holding exactly one function definition whose first parameter is self. Read "
          "the object's slots as self.<slot>. Return the result; do not print. No imports "
          "except math.")

EXAMPLE_USER = ("Object Product has slots: price = 10, qty = 3.\n"
                "Write the method total, called as product.total().\n"
                "Signature: def total(self):")
EXAMPLE_REPLY = "```python\ndef total(self):\n    return self.price * self.qty\n```"

MAX_VALUE_CHARS = 200


@dataclass
class Prompt:
    messages: list[dict]
    signature: str
    digest: str = field(default="")

    def __post_init__(self):
        if not self.digest:
            blob = json.dumps(self.messages, sort_keys=True).encode()
            self.digest = hashlib.sha256(blob).hexdigest()


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "...]"


def _var(obj: UvmObject) -> str:
    name = obj._name or "obj"
    var = re.sub(r"\W+", "_", name).strip("_").lower() or "obj"
    return var if not var[0].isdigit() else "obj_" + var


def signature(selector: str, args: tuple, kwargs: dict) -> str:
    params = ["self"] + [f"arg{i}" for i in range(len(args))] + list(kwargs)
    return f"def {selector}({', '.join(params)}):"


def describe(receiver: UvmObject) -> tuple[list[str], list[str], dict[str, str]]:
    """(data slot lines, parent names, method sources) visible from the receiver."""
    data, parents, methods = [], [], {}
    for name in slot_names(receiver):
        found = lookup(receiver, name)
        if found is None:
            continue
        kind, holder, value = found
        if kind == DATA:
            data.append(f"{name} = {_short(value)}")
        elif kind == PARENT:
            parents.append(f"{name} -> {_label(value)}")
        elif kind == METHOD:
            methods[name] = value.source
    return data, parents, methods


def build(receiver: UvmObject, selector: str, args: tuple = (), kwargs: dict | None = None, *,
          feedback: list[str] = (), similar: list[str] = (), memories: list[str] = ()) -> Prompt:
    kwargs = dict(kwargs or {})
    data, parents, methods = describe(receiver)
    sig = signature(selector, args, kwargs)
    call_args = [_short(a) for a in args] + [f"{k}={_short(v)}" for k, v in kwargs.items()]
    var = _var(receiver)
    lines = [f"Object {_label(receiver)} has slots: {', '.join(data) if data else '(none)'}."]
    if parents:
        lines.append(f"It delegates to: {', '.join(parents)}.")
    if methods:
        lines.append("Its methods:")
        lines.extend(f"```python\n{src}\n```" for src in methods.values())
    if similar:
        lines.append("Similar methods elsewhere in the image:")
        lines.extend(f"```python\n{src}\n```" for src in similar)
    if memories:
        lines.append("Relevant memories: " + " | ".join(m[:300] for m in memories))
    lines.append(f"Write the method {selector}, called as {var}.{selector}({', '.join(call_args)}).")
    lines.append(f"Signature: {sig}")
    for i, reason in enumerate(feedback, 1):
        lines.append(f"Attempt {i} was rejected: {reason}. Write it again, correctly.")
    messages = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": EXAMPLE_USER},
        {"role": "assistant", "content": EXAMPLE_REPLY},
        {"role": "user", "content": "\n".join(lines)},
    ]
    return Prompt(messages, sig)


def similar_methods(image, selector: str, receiver: UvmObject, limit: int = 2) -> list[str]:
    """Sources of methods with the same name on other registered prototypes."""
    out = []
    try:
        protos = image.prototypes
    except Exception:  # noqa: BLE001 - an image without a registry: nothing similar
        return out
    for obj in protos.values():
        if obj is receiver or not isinstance(obj, UvmObject):
            continue
        mdef = mirror(obj).methods().get(selector)
        if mdef is not None:
            out.append(mdef.source)
            if len(out) >= limit:
                break
    return out


def relevant_memories(image, query: str, k: int = 3) -> list[str]:
    """Texts of the most relevant memories, when the memory area exists and can search."""
    import importlib.util
    if importlib.util.find_spec("telos.memory") is None:
        return []
    try:
        memory = image.memory
        search = getattr(memory, "search", None)
        if search is None:
            return []
        hits = search(query, k=k)
    except Exception as exc:  # noqa: BLE001 - memory is optional context for the prompt
        log.info("no memories for the prompt (%s: %s)", type(exc).__name__, exc)
        return []
    texts = []
    for hit in hits or []:
        text = getattr(hit, "text", None) or (hit.get("text") if isinstance(hit, dict) else None)
        if text:
            texts.append(str(text))
    return texts
