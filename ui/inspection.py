"""What the inspector shows and what it sends, as plain data (no Kivy — tested directly).

* :func:`object_rows` turns an ``ObjectView`` into the inspector's rows (parents, slots, methods).
* :func:`parse_value` reads an edited slot value: a JSON literal, or an error that says why.
* :func:`parse_send` reads the evaluator box: ``selector`` or ``selector(arg, ..., key=arg)``
  with JSON literals as arguments.
* :func:`describe_provenance` says who wrote a method, when and from which message.
* :func:`example_rows` / :func:`examples_text` show a method's stored examples (the calls that
  made it, re-run before any change: :mod:`telos.kernel.examples`) as calls with their values.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

from telos.bridge import protocol as P


class EditRejected(ValueError):
    """The text in the editor cannot be sent; the message says why (nothing was sent)."""


# --- rows -----------------------------------------------------------------------------------

def _one_line(text: str, limit: int = 90) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def method_signature(source: str) -> str:
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith(("def ", "async def ")):
            return _one_line(stripped.rstrip(":"))
    return _one_line(source)


def object_rows(view: P.ObjectView) -> list[dict[str, Any]]:
    """Rows in display order: a header per section, then its entries.

    Each row: ``proto`` (prototype name), ``kind``, ``key``, ``value`` and ``ref`` (object id to
    follow, for parents and object-valued slots)."""
    rows: list[dict[str, Any]] = []
    if view.parents:
        rows.append({"proto": "HeaderRow", "kind": "header", "key": f"parents ({len(view.parents)})",
                     "value": "click to follow", "ref": ""})
        for p in view.parents:
            rows.append({"proto": "ParentRow", "kind": "parent", "key": p.slot,
                         "value": f"» {p.name or p.object_id[:12]}", "ref": p.object_id})
    data = [s for s in view.slots if s.kind == "data"]
    rows.append({"proto": "HeaderRow", "kind": "header", "key": f"slots ({len(data)})",
                 "value": "click to edit", "ref": ""})
    for s in data:
        value = _one_line(s.value_repr or repr(s.value))
        rows.append({"proto": "SlotRow", "kind": "data", "key": s.name,
                     "value": f"{value}   ·  {s.value_type}", "ref": s.object_id or ""})
    rows.append({"proto": "HeaderRow", "kind": "header", "key": f"methods ({len(view.methods)})",
                 "value": "click for source", "ref": ""})
    for m in view.methods:
        who = describe_provenance(m.provenance, short=True)
        rows.append({"proto": "MethodRow", "kind": "method", "key": m.selector,
                     "value": method_signature(m.source) + (f"   ·  {who}" if who else ""), "ref": ""})
    return rows


def describe_provenance(prov: dict, *, short: bool = False) -> str:
    """``by BRICK (llama3) · 2025-01-02 10:11 · from "area of a circle"`` — whatever is known."""
    if not prov:
        return "" if short else "provenance: unknown"
    who = prov.get("persona") or prov.get("author") or prov.get("user") or prov.get("source")
    model = prov.get("model")
    when = prov.get("time") or prov.get("when") or prov.get("created") or prov.get("timestamp")
    parts = []
    if who or model:
        parts.append("by " + " ".join(str(x) for x in (who, f"({model})" if model and who else model) if x))
    if isinstance(when, (int, float)):
        parts.append(time.strftime("%Y-%m-%d %H:%M", time.localtime(when)))
    elif isinstance(when, str) and when:
        parts.append(when[:16].replace("T", " "))
    if short:
        return " · ".join(parts)
    origin = prov.get("message") or prov.get("selector") or prov.get("prompt") or prov.get("note")
    if origin:
        parts.append(f'from "{_one_line(str(origin), 120)}"')
    extra = {k: v for k, v in prov.items()
             if k not in {"persona", "author", "user", "source", "model", "time", "when", "created",
                          "timestamp", "message", "selector", "prompt", "note", EXAMPLES}
             and v not in (None, "", [], {})}
    for k, v in sorted(extra.items()):
        parts.append(f"{k}: {_one_line(_compact(v), 60)}")
    return " · ".join(parts) if parts else "provenance: unknown"


# --- stored examples --------------------------------------------------------------------------

EXAMPLES = "examples"        # the provenance key (telos.kernel.examples.KEY; no import of the kernel)


def _compact(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _literal(value: Any, limit: int = 40) -> str:
    return _one_line(repr(value), limit)


def stored_examples(prov: dict) -> list[dict]:
    """The examples a method's provenance carries (those that are not dicts are skipped)."""
    examples = (prov or {}).get(EXAMPLES) or []
    if isinstance(examples, dict):
        examples = [examples]
    return [ex for ex in examples if isinstance(ex, dict)] if isinstance(examples, list) else []


def example_rows(label: str, selector: str, prov: dict) -> list[str]:
    """``Rectangle(width=3, height=4).area()  ->  12``: one line per stored example — the
    receiver's data slots, the call's arguments, the value it must return."""
    rows = []
    for ex in stored_examples(prov):
        slots = ex.get("slots") if isinstance(ex.get("slots"), dict) else {}
        args = ex.get("args") if isinstance(ex.get("args"), list) else []
        kwargs = ex.get("kwargs") if isinstance(ex.get("kwargs"), dict) else {}
        receiver = ", ".join(f"{k}={_literal(v)}" for k, v in slots.items())
        call = ", ".join([_literal(a) for a in args] + [f"{k}={_literal(v)}" for k, v in kwargs.items()])
        rows.append(_one_line(f"{label}({receiver}).{selector}({call})", 150)
                    + "  ->  " + _literal(ex.get("value"), 60))
    return rows


def examples_text(label: str, selector: str, prov: dict) -> str:
    """The count and the rows, or "" when the method has none."""
    rows = example_rows(label, selector, prov)
    if not rows:
        return ""
    n = len(rows)
    head = f"{n} stored example{'s' if n != 1 else ''} (re-run before any change):"
    return "\n".join([head] + [f"  {row}" for row in rows])


# --- editing --------------------------------------------------------------------------------

def value_text(slot: P.SlotView) -> str:
    """The editor's starting text for a slot: its JSON, or its repr marked as not editable as is."""
    if slot.object_id:
        return f"# {slot.value_repr} is an object; replace with a JSON literal to overwrite"
    if slot.value is None and slot.value_type != "NoneType":
        return f"# {slot.value_repr} ({slot.value_type}) is not JSON; type a JSON literal to replace it"
    return json.dumps(slot.value, indent=2, ensure_ascii=False)


def parse_value(text: str) -> Any:
    """The JSON literal typed into the slot editor."""
    stripped = text.strip()
    if not stripped or stripped.startswith("#"):
        raise EditRejected("type a JSON literal (e.g. 42, \"text\", [1, 2], {\"k\": true, \"n\": null})")
    try:
        return json.loads(stripped)
    except json.JSONDecodeError as exc:
        hint = " — text needs double quotes" if stripped[:1] not in "[{\"-0123456789tfn" else ""
        raise EditRejected(f"not a JSON literal: {exc.msg} at line {exc.lineno} column {exc.colno}{hint}") from None


@dataclass(frozen=True)
class Send:
    selector: str
    args: list
    kwargs: dict


_SEND_RE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\((.*)\))?\s*$", re.S)
_KW_RE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)(.*)$", re.S)


def _split_args(inner: str) -> list[str]:
    """Split on top-level commas (outside strings, brackets and braces)."""
    parts, depth, buf, in_str, esc = [], 0, [], False, False
    for ch in inner:
        if in_str:
            buf.append(ch)
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
            continue
        if ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(buf))
            buf = []
            continue
        buf.append(ch)
    if in_str or depth != 0:
        raise EditRejected("unbalanced quotes or brackets in the arguments")
    tail = "".join(buf)
    if tail.strip() or parts:
        parts.append(tail)
    return parts


def parse_send(text: str) -> Send:
    """``area`` / ``scale(2)`` / ``greet("Ada", loud=true)`` → selector, args, kwargs."""
    match = _SEND_RE.match(text or "")
    if not match:
        raise EditRejected('write a message as selector or selector(arg, ...), e.g. greet("Ada")')
    selector, inner = match.group(1), match.group(2)
    if selector.startswith("_"):
        raise EditRejected("names starting with _ are private and cannot be sent")
    args: list = []
    kwargs: dict = {}
    for part in _split_args(inner or ""):
        if not part.strip():
            raise EditRejected("an argument is empty (two commas in a row?)")
        kw = _KW_RE.match(part)
        target_key = None
        if kw and not part.strip().startswith('"'):
            target_key, part = kw.group(1), kw.group(2)
        try:
            value = json.loads(part)
        except json.JSONDecodeError as exc:
            raise EditRejected(f"argument {part.strip()!r} is not a JSON literal ({exc.msg}); "
                               "text needs double quotes") from None
        if target_key is None:
            if kwargs:
                raise EditRejected("positional argument after a keyword argument")
            args.append(value)
        else:
            kwargs[target_key] = value
    return Send(selector, args, kwargs)


def result_text(msg: P.SendResult) -> str:
    shown = msg.value_repr or json.dumps(msg.value, ensure_ascii=False)
    text = f"= {shown}   ({msg.value_type})"
    if msg.generated:
        text += "\n  the generative kernel wrote this method for the send"
    if msg.thought_id:
        text += f"\n  thought {msg.thought_id}"
    return text
