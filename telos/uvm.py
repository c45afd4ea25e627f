"""The object model: ``UvmObject``, prototypes with slots, parents and methods stored as source.

A slot is a name, a kind and a value (after Self's ``slotDesc``):

* **data** slots hold values (``obj.width``);
* **parent** slots hold objects this one delegates to, in order (``obj.parent``);
* **method** slots hold a :class:`MethodDef` — *source text* plus provenance — compiled lazily
  into a volatile ``_v_`` cache and bound to the receiver when read.

Lookup (after Self's ``simpleLookup``): the receiver's own slots first, then each parent in
order, depth first. A cycle never hangs (a visited mark). Reaching the same holder twice (a
diamond) is fine; finding the name in two *different* holders through two parents raises
:class:`~telos.errors.AmbiguousSlotError` instead of silently picking one.

Writing ``obj.x = v`` always sets a *local* data slot (a derived object never writes through to
its prototype) and marks the object changed. Mutable values are turned into persistent
containers on the way in (deeply: lists → ``PersistentList``, dicts → ``PersistentMapping``,
sets → ``frozenset``, NumPy arrays → read-only copies), so an in-place change is either tracked
or impossible — never silently lost.

A message nobody answers reaches :meth:`UvmObject.doesNotUnderstand_` reified as a
:class:`Message`. Names starting with ``_`` never do (Python and IPython probe such names), and
neither do the few public names Python's own protocols probe (:data:`PROTOCOL_NAMES`: copy,
pickle, tab completion, IPython/Jupyter display): they raise AttributeError at once, so
``hasattr``, ``copy.copy``, ``pickle`` and completion never wake the generative kernel.

The object model is the bottom layer: it imports the standard library, ``persistent``,
:mod:`telos.errors`, :mod:`telos.slots` and :mod:`telos.execution`, nothing above. What it needs
from above is installed into it: the image sets how an unknown message finds the generative
kernel (:func:`install_kernel`), and :mod:`telos.reflect` offers ``mirror`` to trusted methods.

Methods run in one of two ways (:mod:`telos.execution`): *restricted* (RestrictedPython, guards,
a curated namespace and an execution budget) unless their provenance carries the operator's
explicit *trusted* mark.
"""

from __future__ import annotations

import builtins
import difflib
import linecache
import types
import uuid
from typing import Any, Callable, Iterator, Mapping

from persistent import Persistent
from persistent.list import PersistentList
from persistent.mapping import PersistentMapping

from telos.errors import (
    AmbiguousSlotError,
    MessageNotUnderstood,
    ReadOnlyImageError,
    RestrictedAccess,
    SlotError,
)
from telos.execution import compile_method, guards, is_trusted
from telos.slots import (  # noqa: F401 - re-exported: the object model's public names
    RESERVED,
    _copy_value,
    check_method_source,
    check_slot_name,
    default_provenance,
    persistify,
)

DATA, PARENT, METHOD = "data", "parent", "method"

# Attributes of UvmObject itself (instance state, not slots). Data slots are the instance's
# public attributes (its __dict__ entries not starting with "_"), so reading one is as fast as
# reading a plain attribute; parents and methods live in two dicts.
_INTERNAL = frozenset({"_id", "_name", "_parents", "_methods"})
# Public names that Python's own protocols look up on any object (copy, pickle, rlcompleter,
# IPython/Jupyter display hooks). Unless an object really has such a slot, looking one up
# raises AttributeError at once and never reaches the generative kernel.
PROTOCOL_NAMES = frozenset({
    "keys", "items", "values", "getdoc", "trait_names", "compute", "shape", "dtype", "read",
    "write", "fileno", "close", "readline", "mro", "next", "send", "throw",
})


class Message:
    """A send, reified: selector plus arguments (Pharo's ``Message``)."""

    __slots__ = ("selector", "args", "kwargs")

    def __init__(self, selector: str, args: tuple = (), kwargs: Mapping[str, Any] | None = None):
        self.selector = selector
        self.args = tuple(args)
        self.kwargs = dict(kwargs or {})

    def __repr__(self) -> str:
        parts = [repr(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return f"Message({self.selector}({', '.join(parts)}))"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Message) and (self.selector, self.args, self.kwargs)
                == (other.selector, other.args, other.kwargs))


class MethodDef:
    """A method slot's value: source text and provenance. Immutable; redefining replaces it."""

    def __init__(self, name: str, source: str, provenance: Mapping[str, Any] | None = None):
        self.name = name
        self.source = source
        self._provenance = tuple(sorted((provenance or {}).items()))

    @property
    def provenance(self) -> dict:
        return dict(self._provenance)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, MethodDef) and self.name == other.name
                and self.source == other.source and self._provenance == other._provenance)

    def __hash__(self) -> int:
        return hash((self.name, self.source))

    @property
    def trusted(self) -> bool:
        """Whether this method runs as plain Python (see :func:`telos.execution.is_trusted`)."""
        return is_trusted(self.provenance)

    def __repr__(self) -> str:
        author = self.provenance.get("author", "?")
        return f"<MethodDef {self.name} by {author}, {len(self.source.splitlines())} lines>"


# Filled from beside and above, never imported from here (the arrow points down):
# names trusted methods see besides builtins and the object model (telos.reflect adds
# ``mirror`` when it is imported), and the generative kernel: given a receiver, the callable
# ``(receiver, message) -> result`` that answers its unknown messages, or None (installed by
# telos.image, which knows the sessions; None until then, and for objects of no session).
_TRUSTED_NAMES: dict[str, Any] = {}
_kernel_for: Callable[["UvmObject"], Callable[["UvmObject", "Message"], Any] | None] = \
    lambda receiver: None


def offer_to_trusted_methods(name: str, value: Any) -> None:
    """Make ``name`` a global of every trusted method compiled from now on."""
    _TRUSTED_NAMES[name] = value


def install_kernel(finder: Callable[["UvmObject"], Callable | None]) -> None:
    """Set how an unknown message finds the generative kernel (see ``_kernel_for``)."""
    global _kernel_for
    _kernel_for = finder


def method_globals() -> dict:
    """The global namespace *trusted* methods are compiled in (restricted ones: see
    :mod:`telos.execution.namespace`)."""
    return {"__builtins__": builtins, "UvmObject": UvmObject, "Message": Message, **_TRUSTED_NAMES}


def restricted_globals() -> dict:
    """What restricted methods see besides the safe namespace: the object model, no mirror."""
    return {"UvmObject": UvmObject, "Message": Message}


# --- lookup --------------------------------------------------------------------------------

def _local(obj: "UvmObject", name: str):
    m = obj._methods.get(name)          # (this attribute access also activates a ghost)
    if m is not None:
        return (METHOD, obj, m)
    d = obj.__dict__
    if name in d:
        return (DATA, obj, d[name])
    p = obj._parents
    if name in p:
        return (PARENT, obj, p[name])
    return None


def _search(obj: "UvmObject", name: str, visited: set, receiver: "UvmObject"):
    key = id(obj)
    if key in visited:
        return None
    visited.add(key)
    found = _local(obj, name)
    if found is not None:
        return found
    for parent in obj._parents.values():
        if not isinstance(parent, UvmObject):
            continue
        r = _search(parent, name, visited, receiver)
        if r is None:
            continue
        if found is None:
            found = r
        elif found[1] is not r[1]:
            raise AmbiguousSlotError(
                f"{_label(receiver)}.{name} is ambiguous: found in {_label(found[1])} and "
                f"{_label(r[1])} through different parents; define {name!r} locally or "
                f"reorder/remove a parent", receiver=receiver, selector=name,
                holders=(found[1], r[1]))
    return found


# Delegated lookups are cached per receiver (in a volatile ``_v_lookup``) and validated against
# this process-wide structure version, bumped whenever a slot appears or disappears, a parent or
# method changes, or ZODB invalidates an object (another process's commit, an abort, a rollback).
_structure = [0]


def _bump() -> None:
    _structure[0] += 1


def lookup(receiver: "UvmObject", name: str):
    """``(kind, holder, value)`` for ``name`` as seen from ``receiver``, or ``None``."""
    cache = receiver.__dict__.get("_v_lookup")
    if cache is not None:
        hit = cache.get(name)
        if hit is not None and hit[0] == _structure[0]:
            kind, holder = hit[1], hit[2]
            table = holder._methods if kind is METHOD else (
                holder._parents if kind is PARENT else holder.__dict__)
            if name in table:
                return (kind, holder, table[name])
    version = _structure[0]
    found = _search(receiver, name, set(), receiver)
    if found is not None and found[1] is not receiver:
        if cache is None:
            cache = {}
            Persistent.__setattr__(receiver, "_v_lookup", cache)
        cache[name] = (version, found[0], found[1])
    return found


def _label(obj: Any) -> str:
    if isinstance(obj, UvmObject):
        n = obj.__dict__.get("_name") if obj._p_state >= 0 else None
        ident = obj.__dict__.get("_id", "?")
        return n or f"{type(obj).__name__}#{str(ident)[:8]}"
    return repr(obj)


class PendingSend:
    """An unknown message waiting for its arguments (used when the generative kernel is on)."""

    __slots__ = ("receiver", "selector")

    def __init__(self, receiver: "UvmObject", selector: str):
        self.receiver = receiver
        self.selector = selector

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.receiver.doesNotUnderstand_(Message(self.selector, args, kwargs))

    def __repr__(self) -> str:
        return f"<pending send {self.selector!r} to {_label(self.receiver)}: call it to run the kernel>"


# --- the object ----------------------------------------------------------------------------

class UvmObject(Persistent):
    """A prototype: slots, ordered parents, methods as source. See the module docstring."""

    def __init__(self, _name: str | None = None, _parents: Mapping[str, "UvmObject"] | None = None,
                 **slots: Any):
        _init_internals(self, _name)
        for pname, parent in (_parents or {}).items():
            self._parents[check_slot_name(pname)] = _check_parent(pname, parent)
        for name, value in slots.items():
            Persistent.__setattr__(self, check_slot_name(name), persistify(value))

    @property
    def _data(self) -> dict:
        """The data slots, as a new dict (read-only view; write with setattr / mirror)."""
        if self._p_state < 0:
            self._p_activate()
        return {k: v for k, v in self.__dict__.items() if k[0] != "_"}

    # -- reading ---------------------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        # Only called when normal attribute lookup failed: i.e. for slots.
        if name.startswith("_"):
            raise AttributeError(name)
        mdef = self._methods.get(name)
        if mdef is not None:            # fast path: a local method
            return types.MethodType(self._compiled(mdef), self)
        found = lookup(self, name)
        if found is None:
            if name in PROTOCOL_NAMES:
                raise MessageNotUnderstood(
                    f"{_label(self)} has no slot {name!r} (a name Python protocols probe; "
                    "never sent to the generative kernel)", receiver=self, selector=name)
            if _kernel_for(self) is not None:
                return PendingSend(self, name)
            return self.doesNotUnderstand_(Message(name))
        kind, holder, value = found
        if kind is METHOD:
            return types.MethodType(holder._compiled(value), self)
        return value

    def _compiled(self, mdef: MethodDef):
        cache = self.__dict__.get("_v_compiled")
        if cache is None:
            cache = {}
            Persistent.__setattr__(self, "_v_compiled", cache)
        entry = cache.get(mdef.name)
        if entry is not None and entry[0] is mdef:
            return entry[1]
        filename = f"<telos {_label(self)}.{mdef.name}>"
        trusted = mdef.trusted
        try:
            fn = compile_method(mdef.name, mdef.source, filename, trusted=trusted,
                                trusted_globals=method_globals() if trusted else None,
                                extra=None if trusted else restricted_globals())
        except SyntaxError as exc:
            raise RestrictedAccess(f"{_label(self)}.{mdef.name} cannot run: {exc.msg}; an "
                                   f"operator may mark it trusted with mirror(obj).trust("
                                   f"{mdef.name!r})") from exc
        lines = mdef.source.splitlines(True)
        linecache.cache[filename] = (len(mdef.source), None, lines, filename)
        cache[mdef.name] = (mdef, fn)
        return fn

    # -- writing ---------------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            if name.startswith(("_p_", "_v_")) or name in _INTERNAL:
                Persistent.__setattr__(self, name, value)
                return
            raise SlotError(f"slot name {name!r}: names starting with '_' are reserved")
        self._check_writable()
        if name in RESERVED:
            raise SlotError(f"slot name {name!r} is reserved by UvmObject")
        if name in self._methods:
            raise SlotError(f"{_label(self)}.{name} is a method slot: redefine it with "
                            f"mirror(obj).define({name!r}, source)")
        if name in self._parents:
            self._parents[name] = _check_parent(name, value)
            self._p_changed = True
            _bump()
        else:
            if name not in self.__dict__:
                _bump()                 # a new slot may shadow an inherited one
            Persistent.__setattr__(self, check_slot_name(name), persistify(value))

    def __delattr__(self, name: str) -> None:
        if name.startswith("_"):
            Persistent.__delattr__(self, name)
            return
        self._check_writable()
        if name in self.__dict__:
            Persistent.__delattr__(self, name)
            _bump()
            return
        raise SlotError(f"{_label(self)} has no local data slot {name!r} "
                        "(use mirror(obj).remove_slot for parents and methods)")

    def _p_invalidate(self) -> None:
        # ZODB calls this when another process committed this object, on abort and on
        # savepoint rollback: cached delegated lookups through it may now be wrong.
        _bump()
        Persistent._p_invalidate(self)

    def _check_writable(self) -> None:
        jar = self._p_jar
        if jar is not None and (jar.before is not None or jar.isReadOnly()):
            raise ReadOnlyImageError(
                f"{_label(self)} belongs to a read-only view of the image "
                "(a historical image.at() view or a read-only storage); "
                "write through the live image instead")

    # -- the prototype protocol --------------------------------------------------------
    def clone(self) -> "UvmObject":
        """A new object with a copy of this one's slots (same parents, same methods)."""
        new = _blank(type(self))
        for k, v in self._data.items():
            Persistent.__setattr__(new, k, _copy_value(v))
        new._parents.update(self._parents)
        new._methods.update(self._methods)
        return new

    def derive(self, _name: str | None = None, **slots: Any) -> "UvmObject":
        """A new object whose parent is this one, with the given local data slots."""
        new = _blank(type(self), _name)
        new._parents["parent"] = self
        for name, value in slots.items():
            Persistent.__setattr__(new, check_slot_name(name), persistify(value))
        return new

    def doesNotUnderstand_(self, message: Message) -> Any:
        """Called with the reified message when no slot answers it."""
        kernel = _kernel_for(self)
        if kernel is not None:
            return kernel(self, message)
        names = list(slot_names(self))
        close = difflib.get_close_matches(message.selector, names, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise MessageNotUnderstood(
            f"{_label(self)} does not understand {message.selector!r}{hint} "
            "(the generative kernel is off for this image)",
            receiver=self, selector=message.selector, send=message)

    # -- presentation ----------------------------------------------------------------------
    def __repr__(self) -> str:
        if self._p_state < 0:  # ghost: don't load just to print
            return f"<{type(self).__name__} (ghost) oid={self._p_oid!r}>"
        return object_repr(self)

    def __dir__(self) -> list[str]:
        # Tab completion: activate a ghost and offer every slot reachable through parents.
        if self._p_state < 0:
            self._p_activate()
        return sorted(set(object.__dir__(self)) | set(slot_names(self)))


def object_repr(obj: UvmObject, extra_methods: tuple[str, ...] = ()) -> str:
    """``repr(obj)``; with ``extra_methods`` as if those methods were installed on it (the
    sandbox shows the trial's receiver copy this way, so it cannot tell the trial apart)."""
    data = obj._data
    slots = ", ".join(list(data)[:6]) + (", ..." if len(data) > 6 else "")
    names = list(obj._methods) + [m for m in extra_methods if m not in obj._methods]
    meths = ", ".join(names)
    return (f"<{_label(obj)} {{{slots}}}" + (f" methods({meths})" if meths else "")
            + (f" parents({', '.join(obj._parents)})" if obj._parents else "") + ">")


guards.WRITABLE.extend([UvmObject, PersistentList, PersistentMapping])


def _init_internals(obj: UvmObject, name: str | None) -> None:
    Persistent.__setattr__(obj, "_id", uuid.uuid4().hex)
    Persistent.__setattr__(obj, "_name", name)
    Persistent.__setattr__(obj, "_parents", {})
    Persistent.__setattr__(obj, "_methods", {})


def _blank(cls: type, name: str | None = None) -> UvmObject:
    obj = cls.__new__(cls)
    _init_internals(obj, name)
    return obj


def _check_parent(name: str, parent: Any) -> UvmObject:
    if not isinstance(parent, UvmObject):
        raise SlotError(f"parent slot {name!r} must hold a UvmObject, not {type(parent).__name__}")
    return parent


def slot_names(obj: UvmObject) -> Iterator[str]:
    """Every slot name reachable from ``obj`` (own first, then through parents; cycle-safe)."""
    seen_objs: set[int] = set()
    seen: set[str] = set()
    stack = [obj]
    while stack:
        o = stack.pop(0)
        if id(o) in seen_objs or not isinstance(o, UvmObject):
            continue
        seen_objs.add(id(o))
        for n in (*o._data, *o._methods, *o._parents):
            if n not in seen:
                seen.add(n)
                yield n
        stack.extend(o._parents.values())
