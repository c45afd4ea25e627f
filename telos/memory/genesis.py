"""Awakening of the memory area: the MemoryManager prototype and its BTrees (idempotent)."""

from __future__ import annotations



def awaken(image) -> None:
    from telos.uvm import UvmObject
    from telos.memory.records import MemoryBank

    protos = image.prototypes
    if "MemoryManager" not in protos:
        image.register("MemoryManager", UvmObject(
            bank=MemoryBank(),
            description="owns the fractal memory: ContextFractal and ConceptFractal records "
                        "(bank.contexts / bank.concepts, IOBTrees keyed by vector id)"))
