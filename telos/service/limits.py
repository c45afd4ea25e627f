"""Limits that protect the image and the other clients from one request.

The in-flight caps (all clients, and per client) live in the bridge server; here is the size cap
of a slot value set over the bridge: a frame may be up to a mebibyte, but a slot holding that much
bloats every later copy, history entry and backup of its object.
"""

from __future__ import annotations

import json
from typing import Any

from telos.bridge import protocol as P
from telos.errors import RequestRefused

SETTING_ENV = "TELOS_BRIDGE_MAX_SLOT_BYTES"


def json_size(value: Any) -> int:
    """Bytes of ``value`` as compact UTF-8 JSON (how it travelled, give or take escaping)."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def check_slot_value(slot: str, value: Any, limit: int) -> None:
    """ERROR ``too_large`` naming the limit when ``value`` is bigger than ``limit`` bytes."""
    size = json_size(value)
    if size > limit:
        raise RequestRefused(
            f"SET_SLOT {slot!r}: the value is {size} bytes of JSON, over the limit of {limit} "
            f"bytes ({SETTING_ENV})",
            code=P.TOO_LARGE,
            hint=f"keep large data out of slots (e.g. REMEMBER text in memory), or raise "
                 f"{SETTING_ENV} for the service")
