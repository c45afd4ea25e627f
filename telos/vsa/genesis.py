"""Prototypal Awakening of the VSA area: the ``Hypervector`` prototype and the ``Codebook``.

Idempotent. Heavy modules (torch via ``telos.vsa.hypervector``) are imported only when something
has to be created, so awakening an image that already has them stays cheap.
"""

from __future__ import annotations

from telos.reflect import mirror

import logging

log = logging.getLogger(__name__)

DEFAULT_DIMENSION = 10_000
DEFAULT_SEED = 0


def awaken(image) -> None:
    protos = image.prototypes
    if "Codebook" in protos and "Hypervector" in protos:
        return
    from telos.vsa.codebook import Codebook
    from telos.vsa.hypervector import Hypervector

    cfg = protos.get("Config")
    data = mirror(cfg).data() if cfg is not None else {}
    dimension = int(data.get("vsa_dimension") or DEFAULT_DIMENSION)
    seed = data.get("vsa_seed") if data.get("vsa_seed") is not None else DEFAULT_SEED
    if "Hypervector" not in protos:
        image.register("Hypervector", Hypervector.identity(dimension))
    if "Codebook" not in protos:
        image.register("Codebook", Codebook(seed=seed, dimension=dimension))
        log.info("awakening: codebook of %d-d FHRR symbols, seed %r", dimension, seed)
