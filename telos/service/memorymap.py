"""``MEMORY_MAP`` (a read) -> ``MEMORY_POINTS``: the memories as points of a 2-D projection of
their embeddings, with tier and concept, paged.

The projection is the process's :class:`telos.memory.projection.MapCache` (kept in
``image.store.shared``): a request projects only the records it has not seen, and refits the basis
only when the memory has grown a lot. A record's tier is ``L2`` when the live DiskANN archive
holds it (its id is at most the archive's ``max_id``), else ``L1``; its ``cluster`` is the
ConceptFractal that links it.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from telos.bridge import protocol as P
from telos.memory import projection

if TYPE_CHECKING:
    from telos.bridge.dispatch import HandlerRegistry

log = logging.getLogger(__name__)


def register(reg: "HandlerRegistry", memory_of) -> None:
    """``memory_of(session)``: the session's memory facade (or RequestRefused ``unavailable``)."""

    @reg.handler("MEMORY_MAP")
    def memory_map(ctx):
        memory = memory_of(ctx.session)
        return points_page(memory, ctx.session.store.shared, ctx.request, ctx.request_id)


def points_page(memory: Any, shared: dict, r: P.MemoryMap, request_id: str) -> P.MemoryPoints:
    bank = memory.bank
    cache = projection.shared_cache(shared)
    t0 = time.perf_counter()
    fits, projected = cache.fits, cache.projected
    if r.offset == 0:               # a new listing: the later pages page through the same points
        cache.update(bank.contexts)
    if cache.fits != fits or cache.projected - projected > 500:
        log.info("memory map: %d records projected (%s) in %.2f s", cache.projected,
                 cache.basis.ident if cache.basis else "no basis", time.perf_counter() - t0)
    l2_max = int(memory.engine.l2.max_id or 0)
    points = cache.points(r.after_id)
    concepts = cache.concepts(bank.concepts.values())
    clusters = projection.cluster_of(concepts)
    page = points[r.offset:r.offset + r.limit]
    end = r.offset + len(page)
    basis = cache.basis
    return P.MemoryPoints(
        request_id=request_id,
        points=[P.MemoryPoint(id=p.id, x=p.x, y=p.y, tier="L2" if p.id <= l2_max else "L1",
                              cluster=clusters.get(p.id), text=p.text) for p in page],
        concepts=[P.ConceptLabel(id=c.id, definition=c.definition[:240], size=len(c.members),
                                 x=c.x, y=c.y) for c in concepts if c.members][:500]
        if r.offset == 0 else [],
        total=len(points), next_offset=end if end < len(points) else None,
        basis=basis.ident if basis else "", fitted_on=basis.fitted_on if basis else 0,
        explained=list(basis.explained) if basis else [])
