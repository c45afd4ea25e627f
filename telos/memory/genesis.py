"""Awakening of the memory area: the MemoryManager prototype and its BTrees (idempotent)."""

from __future__ import annotations



def awaken(image) -> None:
    from BTrees.Length import Length

    from telos.memory.records import MemoryBank
    from telos.reflect import mirror
    from telos.uvm import UvmObject

    protos = image.prototypes
    if "MemoryManager" not in protos:
        image.register("MemoryManager", UvmObject(
            bank=MemoryBank(),
            description="owns the fractal memory: ContextFractal and ConceptFractal records "
                        "(bank.contexts / bank.concepts, IOBTrees keyed by vector id)"))
    bank = mirror(protos["MemoryManager"]).get("bank")
    if bank is not None and bank.size is None:     # a bank from before the record counter
        bank.size = Length(len(bank.contexts))      # counted once, here, never again
