"""Mirrors: reflection lives here, off ordinary objects (after Self's mirrors).

``mirror(obj)`` answers questions about an object's slots and changes its structure
(add/remove slots and parents, define methods) without putting any of that protocol on the
object itself, where it would collide with slot names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from persistent import Persistent

from telos.errors import RestrictedAccess, SlotError, SlotNotFound
from telos.execution import EXECUTION_KEY, RESTRICTED, TRUSTED, budget, restricted_errors
from telos.uvm import (
    DATA,
    _bump,
    METHOD,
    PARENT,
    MethodDef,
    UvmObject,
    _check_parent,
    _label,
    check_method_source,
    check_slot_name,
    default_provenance,
    lookup,
    offer_to_trusted_methods,
    persistify,
    slot_names,
)


#: callables (obj, name, source, provenance, trusted) -> provenance, run by ``define`` before
#: it installs; one may refuse by raising a SlotError. Installed from above (the kernel's
#: stored examples, :mod:`telos.kernel.examples`): this layer does not import the kernel.
_DEFINE_CHECKS: list = []


def add_define_check(check) -> None:
    """Run ``check`` on every later ``define`` (idempotent)."""
    if check not in _DEFINE_CHECKS:
        _DEFINE_CHECKS.append(check)


@dataclass(frozen=True)
class SlotInfo:
    name: str
    kind: str          # "data" | "parent" | "method"
    value: Any         # the data value, the parent object, or the MethodDef


class Mirror:
    """Reflective access to one ``UvmObject``."""

    def __init__(self, obj: UvmObject):
        if not isinstance(obj, UvmObject):
            raise TypeError(f"mirror() needs a UvmObject, not {type(obj).__name__}")
        self.obj = obj

    # -- identity ----------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.obj._id

    @property
    def name(self) -> str | None:
        return self.obj._name

    @name.setter
    def name(self, value: str | None) -> None:
        self.obj._check_writable()
        self.obj._name = value
        self.obj._p_changed = True

    @property
    def label(self) -> str:
        return _label(self.obj)

    # -- reading -----------------------------------------------------------------------
    def slots(self) -> list[SlotInfo]:
        """The object's own slots: parents first (in order), then data, then methods."""
        o = self.obj
        return ([SlotInfo(n, PARENT, v) for n, v in o._parents.items()]
                + [SlotInfo(n, DATA, v) for n, v in o._data.items()]
                + [SlotInfo(n, METHOD, v) for n, v in o._methods.items()])

    def data(self) -> dict[str, Any]:
        """The object's own data slots, as a new dict (name -> value)."""
        return self.obj._data

    def get(self, name: str, default: Any = None) -> Any:
        """The value of the object's own data slot ``name``, else ``default`` (no delegation,
        and never an unknown message: safe on hot paths and for settings that may be missing)."""
        o = self.obj
        if o._p_state < 0:
            o._p_activate()
        return default if name.startswith("_") else o.__dict__.get(name, default)

    def slot_names(self, inherited: bool = False) -> list[str]:
        if inherited:
            return list(slot_names(self.obj))
        return [s.name for s in self.slots()]

    def parents(self) -> list[tuple[str, UvmObject]]:
        return list(self.obj._parents.items())

    def methods(self) -> dict[str, MethodDef]:
        return dict(self.obj._methods)

    def lookup(self, name: str) -> SlotInfo | None:
        """The slot ``name`` resolves to from this object (through parents), or None."""
        found = lookup(self.obj, name)
        if found is None:
            return None
        return SlotInfo(name, found[0], found[2])

    def holder(self, name: str) -> UvmObject | None:
        found = lookup(self.obj, name)
        return None if found is None else found[1]

    def responds_to(self, name: str) -> bool:
        return lookup(self.obj, name) is not None

    def _method(self, name: str) -> MethodDef:
        found = lookup(self.obj, name)
        if found is None or found[0] != METHOD:
            raise SlotNotFound(f"{self.label} has no method {name!r}", receiver=self.obj,
                               selector=name)
        return found[2]

    def source(self, name: str) -> str:
        return self._method(name).source

    def provenance(self, name: str) -> dict:
        return self._method(name).provenance

    # -- changing ----------------------------------------------------------------------
    def add_slot(self, name: str, value: Any = None) -> None:
        o = self.obj
        o._check_writable()
        check_slot_name(name)
        if name in o._methods or name in o._parents:
            raise SlotError(f"{self.label} already has a {self._kind(name)} slot {name!r}")
        Persistent.__setattr__(o, name, persistify(value))
        _bump()

    def remove_slot(self, name: str) -> None:
        """Remove a local slot of any kind."""
        o = self.obj
        o._check_writable()
        if name in o._data:
            Persistent.__delattr__(o, name)
            _bump()
            return
        for table in (o._methods, o._parents):
            if name in table:
                del table[name]
                o._p_changed = True
                _bump()
                return
        raise SlotNotFound(f"{self.label} has no local slot {name!r}", receiver=o, selector=name)

    def add_parent(self, parent: UvmObject, name: str = "parent", *, index: int | None = None) -> None:
        """Add a parent slot (appended, or inserted at ``index`` in the lookup order)."""
        o = self.obj
        o._check_writable()
        check_slot_name(name)
        _check_parent(name, parent)
        if name in o._data or name in o._methods or name in o._parents:
            raise SlotError(f"{self.label} already has a {self._kind(name)} slot {name!r}")
        items = list(o._parents.items())
        items.insert(len(items) if index is None else index, (name, parent))
        o._parents = dict(items)
        o._p_changed = True
        _bump()

    def remove_parent(self, name: str = "parent") -> UvmObject:
        o = self.obj
        o._check_writable()
        if name not in o._parents:
            raise SlotNotFound(f"{self.label} has no parent slot {name!r}", receiver=o, selector=name)
        parent = o._parents.pop(name)
        o._p_changed = True
        _bump()
        return parent

    def define(self, name: str, source: str, provenance: Mapping[str, Any] | None = None, *,
               trusted: bool = False) -> MethodDef:
        """Install (or replace) method ``name`` from source, with provenance.

        The method is *restricted* (:mod:`telos.execution`) unless ``trusted=True`` — an
        operator's explicit mark, only honoured from trusted code at the shell. The
        ``provenance`` mapping can never set it: its keys ``execution`` and ``trusted`` are
        dropped (the bridge passes a provenance dict and nothing else).
        """
        o = self.obj
        o._check_writable()
        check_slot_name(name)
        check_method_source(name, source)
        if name in o._data or name in o._parents:
            raise SlotError(f"{self.label} already has a {self._kind(name)} slot {name!r}")
        if trusted is not True and trusted is not False:
            raise SlotError(f"trusted= must be True or False, not {trusted!r}")
        if trusted and budget.current() is not None:
            raise RestrictedAccess(f"a restricted method may not define the trusted method "
                                   f"{name!r}")
        if not trusted:
            errors = restricted_errors(source, name)
            if errors:
                raise SlotError(f"method {name!r} is not allowed as a restricted method "
                                f"({errors[0]}); only an operator may define it trusted=True")
        prov = default_provenance()
        prov.update({k: v for k, v in (provenance or {}).items()
                     if k not in (EXECUTION_KEY, "trusted")})
        for check in _DEFINE_CHECKS:     # e.g. the kernel's stored examples, re-run
            prov = check(o, name, source, prov, trusted)
        prov[EXECUTION_KEY] = TRUSTED if trusted else RESTRICTED
        mdef = MethodDef(name, source, prov)
        o._methods[name] = mdef
        o._p_changed = True
        _bump()
        return mdef

    def trust(self, name: str) -> MethodDef:
        """Mark the local method ``name`` trusted (plain Python): an operator's decision at the
        shell, recorded in its provenance (``execution = "trusted"``, ``trusted_by``, when)."""
        o = self.obj
        old = o._methods.get(name)
        if old is None:
            raise SlotNotFound(f"{self.label} has no local method {name!r}", receiver=o,
                               selector=name)
        mark = default_provenance()
        prov = old.provenance
        prov.update(trusted_by=mark["author"], trusted_when=mark["when"])
        return self.define(name, old.source, prov, trusted=True)

    def _kind(self, name: str) -> str:
        o = self.obj
        return DATA if name in o._data else METHOD if name in o._methods else PARENT

    def __repr__(self) -> str:
        return f"<Mirror on {self.label}>"


def mirror(obj: UvmObject) -> Mirror:
    """Reflective access to ``obj``."""
    return Mirror(obj)


offer_to_trusted_methods("mirror", mirror)
