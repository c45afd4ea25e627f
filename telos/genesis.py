"""Prototypal Awakening: the genesis prototypes, created once and never duplicated.

The core creates the registry, the root prototype ``Object`` and ``Config``. Each area adds its
own prototypes in ``telos/<area>/genesis.py: awaken(image)`` (idempotent; light imports only).
Everything happens in one thought, committed only when something was actually created, and
retried on a conflict (two processes awakening the same ZEO image at once).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging

from BTrees.OOBTree import OOBTree
from ZODB.POSException import ConflictError

from telos import config
from telos.uvm import UvmObject

log = logging.getLogger(__name__)

GENESIS_VERSION = 1
# Areas that may contribute prototypes, in awakening order (missing ones are skipped).
AREA_GENESIS = ("telos.memory.genesis", "telos.kernel.genesis", "telos.backup.genesis",
                "telos.vsa.genesis")


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
    if root.get("genesis_version") != GENESIS_VERSION:
        root["genesis_version"] = GENESIS_VERSION


def _area_modules():
    for name in AREA_GENESIS:
        try:
            spec = importlib.util.find_spec(name)
        except ModuleNotFoundError:
            spec = None
        if spec is not None:
            yield importlib.import_module(name)


def awaken(image, retries: int = 5) -> None:
    """Create whatever genesis prototypes are missing (idempotent)."""
    for attempt in range(retries + 1):
        image.refresh()
        try:
            with image.thought("Prototypal Awakening", user="genesis"):
                _core(image)
                for module in _area_modules():
                    module.awaken(image)
                if not image.has_changes():
                    return
            log.info("awakening committed (thought %s)", image.last_thought)
            return
        except ConflictError:
            if attempt == retries:
                raise
            log.info("awakening conflicted with another process; retrying")
