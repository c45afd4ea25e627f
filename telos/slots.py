"""What may go in a slot: names, values and method source, checked on the way in.

Used by the object model (:mod:`telos.uvm`) and its mirrors (:mod:`telos.reflect`); depends on
nothing above them. Mutable values are turned into persistent containers (deeply: lists →
``PersistentList``, dicts → ``PersistentMapping``, sets → ``frozenset``, NumPy arrays →
read-only copies), so an in-place change is either tracked or impossible — never silently lost.
"""

from __future__ import annotations

import ast
import datetime as _dt
import getpass
import types
from typing import Any

from persistent import Persistent
from persistent.list import PersistentList
from persistent.mapping import PersistentMapping

from telos.errors import SlotError

# Names a slot may not take: the class-level protocol of UvmObject would shadow them.
RESERVED = frozenset({"clone", "derive", "doesNotUnderstand_"})


def check_method_source(name: str, source: str) -> ast.FunctionDef:
    """The source must parse and be exactly one ``def name(self, ...)``. Returns its AST."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise SlotError(f"method {name!r}: syntax error on line {exc.lineno}: {exc.msg}") from exc
    defs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if len(tree.body) != 1 or len(defs) != 1:
        raise SlotError(f"method {name!r}: source must be exactly one function definition")
    fn = defs[0]
    if fn.name != name:
        raise SlotError(f"method {name!r}: source defines {fn.name!r} instead")
    if not (fn.args.args or fn.args.posonlyargs or fn.args.vararg):
        raise SlotError(f"method {name!r}: the first parameter must take the receiver (self)")
    return fn


def default_provenance(**extra: Any) -> dict:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    prov = {"author": user, "when": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")}
    prov.update({k: v for k, v in extra.items() if v is not None})
    return prov


def persistify(value: Any) -> Any:
    """Make a slot value safe to mutate in place (see module docstring)."""
    if isinstance(value, (str, bytes, int, float, bool, type(None), Persistent)):
        return value
    if isinstance(value, (PersistentList, PersistentMapping)):
        return value
    if isinstance(value, list):
        return PersistentList(persistify(v) for v in value)
    if isinstance(value, dict):
        return PersistentMapping({k: persistify(v) for k, v in value.items()})
    if isinstance(value, tuple):
        return tuple(persistify(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return frozenset(value)
    if isinstance(value, bytearray):
        return bytes(value)
    if type(value).__module__ == "numpy" and type(value).__name__ == "ndarray":
        frozen = value.copy()
        frozen.setflags(write=False)
        return frozen
    if isinstance(value, (types.FunctionType, types.MethodType, types.LambdaType)):
        raise SlotError("a function is not a slot value: define a method with "
                        "mirror(obj).define(name, source)")
    return value


def _copy_value(value: Any) -> Any:
    """Copy containers (so a clone never shares mutable state); keep references to objects."""
    if isinstance(value, PersistentList):
        return PersistentList(_copy_value(v) for v in value)
    if isinstance(value, PersistentMapping):
        return PersistentMapping({k: _copy_value(v) for k, v in value.items()})
    if isinstance(value, tuple):
        return tuple(_copy_value(v) for v in value)
    return value


def check_slot_name(name: str) -> str:
    if not isinstance(name, str) or not name.isidentifier():
        raise SlotError(f"slot name {name!r} is not a Python identifier")
    if name.startswith("_"):
        raise SlotError(f"slot name {name!r}: names starting with '_' are reserved")
    if name in RESERVED:
        raise SlotError(f"slot name {name!r} is reserved by UvmObject")
    return name
