"""Prototypal Awakening of the VSA area: the ``Hypervector`` prototype and the ``Codebook``.

Idempotent. Heavy modules (torch via ``telos.vsa.hypervector``) are imported only when something
has to be created, so awakening an image that already has them stays cheap.
"""

from __future__ import annotations

import logging

from telos import config

log = logging.getLogger(__name__)


def awaken(image) -> None:
    protos = image.prototypes
    if "Codebook" in protos and "Hypervector" in protos:
        return
    from telos.vsa.codebook import Codebook
    from telos.vsa.hypervector import Hypervector

    dimension = config.image_setting(image, "vsa_dimension")
    seed = config.image_setting(image, "vsa_seed")
    if "Hypervector" not in protos:
        image.register("Hypervector", Hypervector.identity(dimension))
    if "Codebook" not in protos:
        image.register("Codebook", Codebook(seed=seed, dimension=dimension))
        log.info("awakening: codebook of %d-d FHRR symbols, seed %r", dimension, seed)
