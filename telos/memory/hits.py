"""A memory search's hits and the filters a search applies to them (shared by
:mod:`telos.memory.facade` and :mod:`telos.memory.asof`)."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

from telos.memory.records import source_key


@dataclass
class Hit:
    """One memory found. ``distance``: smaller is closer within one search -- the vector
    distance (mode ``vector``), the negated BM25 score (``lexical``) or the negated fused
    score (``hybrid``). ``tier``: the vector tier that found it ("L1" FAISS, recent; "L2"
    DiskANN archive), else "lexical"; ``tiers``: every tier that found it."""
    id: int
    text: str
    distance: float
    tier: str
    record: Any
    tiers: tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {"id": self.id, "text": self.text, "distance": self.distance, "tier": self.tier,
                "tiers": list(self.tiers or (self.tier,))}


def unix_time(when) -> float | None:
    """A search bound as unix time (a datetime, a number, or None)."""
    if when is None:
        return None
    if isinstance(when, _dt.datetime):
        return when.timestamp()
    return float(when)


def record_filter(key, since: float | None, until: float | None):
    """The predicate a hit's record must pass (None: keep every hit)."""
    if key is None and since is None and until is None:
        return None

    def keep(rec) -> bool:
        if key is not None and source_key(rec.source) != key:
            return False
        created = getattr(rec, "created", None)
        if since is not None and (created is None or created < since):
            return False
        return not (until is not None and (created is None or created > until))
    return keep


def kept(hits: list[Hit], keep) -> list[Hit]:
    return hits if keep is None else [h for h in hits if keep(h.record)]
