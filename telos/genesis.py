"""Prototypal Awakening: the genesis prototypes, created once and never duplicated.

The core creates the registry, the root prototype ``Object``, ``Config`` and the ``Glossary``
(TelOS's own words, :mod:`telos.glossary`; an image awakened before gets the words it lacks). Then each area of
:data:`telos.areas.REGISTRY` adds its own prototypes with its ``awaken`` hook (idempotent; light
imports only), in registration order.

Everything happens in one thought (a thought that changed nothing writes nothing), retried by
``Image.run`` on a conflict (two processes awakening the same ZEO image at once).
"""

from __future__ import annotations

import logging

from BTrees.OOBTree import OOBTree

from telos import config, glossary
from telos.areas import REGISTRY
from telos.uvm import UvmObject

log = logging.getLogger(__name__)

GENESIS_VERSION = 1


def _core(image) -> None:
    root = image.root
    if "prototypes" not in root:
        root["prototypes"] = OOBTree()
        log.info("awakening: created the prototype registry")
    protos = root["prototypes"]
    if "Object" not in protos:
        image.register("Object", UvmObject(description="the root prototype every object may "
                                                       "delegate to"))
    if "Config" not in protos:
        image.register("Config", UvmObject())
    config.seed_config(protos["Config"])     # every image setting of the one table
    glossary.awaken(image)                   # TelOS's own words, for grounded chat
    if root.get("genesis_version") != GENESIS_VERSION:
        root["genesis_version"] = GENESIS_VERSION


def awaken(image) -> None:
    """Create whatever genesis prototypes are missing (idempotent), in one thought that
    ``image.run`` retries when another process awakens the same image at the same time."""
    def create() -> None:
        _core(image)
        for area in REGISTRY:
            area.awaken(image)

    image.refresh()     # start from the newest committed state
    image.run(create, "Prototypal Awakening", user="genesis")
    if image.last_thought:
        log.info("awakening committed (thought %s)", image.last_thought)
