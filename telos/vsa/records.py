"""Structured records: a record is the bundle of its role (x) filler bindings.

``encode({"capital": "Paris", "currency": "Euro"}, vector_of)`` ->
``bind(capital, Paris) + bind(currency, Euro)``.  Unbinding a role from the record gives a noisy
copy of its filler (the other bindings are noise), which the cleanup memory turns back into the
clean symbol.  Roles and fillers are both codebook symbols.
"""

from __future__ import annotations

from typing import Callable, Mapping

import numpy as np

from telos.errors import VSAError
from telos.vsa import algebra

VectorOf = Callable[[str], np.ndarray]


def check_fields(fields: Mapping[str, str]) -> dict[str, str]:
    if not fields:
        raise VSAError("a record needs at least one role -> filler pair")
    clean = {}
    for role, filler in fields.items():
        if not isinstance(role, str) or not role.strip():
            raise VSAError(f"record role must be a non-empty string, got {role!r}")
        if not isinstance(filler, str) or not filler.strip():
            raise VSAError(f"record filler for role {role!r} must be a non-empty string, got {filler!r}")
        clean[role.strip()] = filler.strip()
    return clean


def encode(fields: Mapping[str, str], vector_of: VectorOf) -> np.ndarray:
    """The record hypervector: sum over roles of bind(role, filler)."""
    fields = check_fields(fields)
    bound = [algebra.bind(vector_of(role), vector_of(filler)) for role, filler in fields.items()]
    return algebra.bundle(bound)


def probe(constraints: Mapping[str, np.ndarray], vector_of: VectorOf) -> np.ndarray:
    """The query vector for "the record whose role_i is value_i": sum of bind(role_i, value_i)."""
    if not constraints:
        raise VSAError("a record query needs at least one constraint")
    return algebra.bundle([algebra.bind(vector_of(role), value) for role, value in constraints.items()])


def noisy_filler(record: np.ndarray, role: np.ndarray) -> np.ndarray:
    """unbind(record, role): the filler of ``role`` plus noise from the other bindings."""
    return algebra.unbind(record, role)
