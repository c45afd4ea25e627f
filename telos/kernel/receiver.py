"""What the receiver answers, as the sandbox trial needs it: data slots and method sources,
own and inherited (used by the cycle and by the stored examples' re-runs)."""

from __future__ import annotations

from telos.uvm import DATA, METHOD, UvmObject, lookup, slot_names


def visible_data(receiver: UvmObject) -> dict:
    """name → value of every data slot the receiver answers."""
    out = {}
    for name in slot_names(receiver):
        found = lookup(receiver, name)
        if found is not None and found[0] == DATA:
            out[name] = found[2]
    return out


def visible_methods(receiver: UvmObject) -> dict:
    """name → (source, trusted) of every method the receiver answers."""
    out = {}
    for name in slot_names(receiver):
        found = lookup(receiver, name)
        if found is not None and found[0] == METHOD:
            out[name] = (found[2].source, found[2].trusted)
    return out
