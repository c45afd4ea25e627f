"""Prototypal Awakening: the genesis prototypes, created once and never duplicated.

The core creates the registry, the root prototype ``Object`` and ``Config``. Each area adds its
own prototypes in ``telos/<area>/genesis.py: awaken(image)`` (idempotent; light imports only).
Everything happens in one thought (a thought that changed nothing writes nothing), retried by
``Image.run`` on a conflict (two processes awakening the same ZEO image at once).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging

from BTrees.OOBTree import OOBTree

from telos.uvm import UvmObject
from telos.reflect import mirror

log = logging.getLogger(__name__)

GENESIS_VERSION = 1
# Areas that may contribute prototypes, in awakening order (missing ones are skipped).
AREA_GENESIS = ("telos.memory.genesis", "telos.kernel.genesis", "telos.backup.genesis",
                "telos.vsa.genesis")

CONFIG_DEFAULTS = {
    "ollama_host": None,   # None: OLLAMA_HOST or http://127.0.0.1:11434
}


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
        image.register("Config", UvmObject(**CONFIG_DEFAULTS))
    cfg = protos["Config"]
    have = mirror(cfg).data()
    for key, value in CONFIG_DEFAULTS.items():
        if key not in have:
            setattr(cfg, key, value)
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


def awaken(image) -> None:
    """Create whatever genesis prototypes are missing (idempotent), in one thought that
    ``image.run`` retries when another process awakens the same image at the same time."""
    def create() -> None:
        _core(image)
        for module in _area_modules():
            module.awaken(image)

    image.refresh()     # start from the newest committed state
    image.run(create, "Prototypal Awakening", user="genesis")
    if image.last_thought:
        log.info("awakening committed (thought %s)", image.last_thought)
