"""Objects of the live image → the bridge's JSON views (ObjectView, SlotView, ...), and finding
an object by registry name or id."""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any

from persistent.list import PersistentList
from persistent.mapping import PersistentMapping

from telos.bridge import protocol as P
from telos.errors import RequestRefused
from telos.reflect import mirror
from telos.uvm import UvmObject, _label

_MAX_JSON = 8_000          # a slot value larger than this is shown by repr only
_MAX_SEARCH = 20_000       # objects visited when looking an id up outside the registry


def plain(value: Any, depth: int = 0) -> Any:
    """Persistent containers → plain JSON-able Python; raises TypeError when not representable."""
    if depth > 20:
        raise TypeError("nested too deeply")
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise TypeError("not a finite number")
        return value
    if isinstance(value, (list, tuple, PersistentList)):
        return [plain(v, depth + 1) for v in value]
    if isinstance(value, (dict, PersistentMapping)):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise TypeError("non-string key")
            out[k] = plain(v, depth + 1)
        return out
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def describe_value(value: Any) -> dict:
    """``value``, ``value_repr``, ``value_type`` and ``object_id`` for a slot or a send result."""
    out: dict[str, Any] = {"value_type": type(value).__name__[: P.MAX_NAME], "value": None,
                           "object_id": None}
    if isinstance(value, UvmObject):
        out["object_id"] = value._id
        out["value_repr"] = _cut(_label(value))
        return out
    try:
        as_json = plain(value)
        if len(json.dumps(as_json)) <= _MAX_JSON:
            out["value"] = as_json
    except (TypeError, ValueError):
        pass
    try:
        out["value_repr"] = _cut(repr(as_json if out["value"] is not None else value))
    except Exception as exc:  # a user object's __repr__ may raise anything
        out["value_repr"] = f"<unrepresentable {type(value).__name__}: {type(exc).__name__}>"
    return out


def _cut(text: str, limit: int = P.MAX_SHORT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _provenance(prov: Any) -> dict:
    out = {}
    for k, v in dict(prov or {}).items():
        try:
            out[str(k)[: P.MAX_NAME]] = plain(v)
        except TypeError:
            out[str(k)[: P.MAX_NAME]] = _cut(repr(v))
    return out


def object_view(obj: UvmObject) -> P.ObjectView:
    slots, parents, methods = [], [], []
    m = mirror(obj)
    for name, parent in m.parents():
        parents.append(P.ParentView(slot=name, object_id=parent._id, name=parent._name))
        slots.append(P.SlotView(name=name, kind="parent", value_type=type(parent).__name__,
                                value_repr=_cut(_label(parent)), object_id=parent._id))
    for name, value in m.data().items():
        slots.append(P.SlotView(name=name, kind="data", **describe_value(value)))
    for name, mdef in m.methods().items():
        slots.append(P.SlotView(name=name, kind="method", value_type="method",
                                value_repr=_cut(mdef.source.splitlines()[0] if mdef.source else "")))
        methods.append(P.MethodView(selector=name, source=mdef.source[: P.MAX_SOURCE],
                                    provenance=_provenance(mdef.provenance)))
    return P.ObjectView(object_id=obj._id, name=obj._name, type=type(obj).__name__,
                        slots=slots, parents=parents, methods=methods)


def summary(name: str, obj: UvmObject) -> P.PrototypeSummary:
    m = mirror(obj)
    parents = m.parents()
    return P.PrototypeSummary(name=name[: P.MAX_NAME], object_id=obj._id,
                              parents=[p._name or p._id for _, p in parents],
                              n_slots=len(m.data()) + len(parents), n_methods=len(m.methods()))


def resolve(session: Any, name: str | None, object_id: str | None) -> UvmObject:
    """The object a request names: a registry name, or an object id (full or a unique prefix of
    a registered object, else searched through parents and slot values)."""
    protos = session.prototypes
    if name is not None:
        obj = protos.get(name)
        if obj is None:
            raise RequestRefused(f"no prototype named {name!r}", code=P.NOT_FOUND,
                                 hint="LIST_PROTOTYPES shows the registry")
        return obj
    assert object_id is not None
    seen: set[int] = set()
    stack = list(protos.values())
    matches = []
    while stack and len(seen) < _MAX_SEARCH:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if obj._id == object_id:
            return obj
        if len(object_id) >= 6 and obj._id.startswith(object_id):
            matches.append(obj)
        stack.extend(p for _, p in mirror(obj).parents())
        for v in mirror(obj).data().values():
            if isinstance(v, UvmObject):
                stack.append(v)
            elif isinstance(v, (list, tuple, PersistentList)):
                stack.extend(x for x in v if isinstance(x, UvmObject))
            elif isinstance(v, (dict, PersistentMapping)):
                stack.extend(x for x in v.values() if isinstance(x, UvmObject))
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise RequestRefused(f"object id prefix {object_id!r} is ambiguous ({len(matches)} objects)",
                             code=P.BAD_REQUEST, hint="give more of the id")
    raise RequestRefused(f"no object with id {object_id!r} reachable from the registry",
                         code=P.NOT_FOUND, hint="LIST_PROTOTYPES shows the registry")
