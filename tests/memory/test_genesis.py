"""telos/memory/genesis.py: the MemoryManager prototype with an empty bank, created once."""

from __future__ import annotations

from telos.memory import genesis
from telos.memory.records import MemoryBank


def test_an_awakened_image_has_an_empty_memory_bank(image):
    manager = image.prototypes["MemoryManager"]
    assert isinstance(manager.bank, MemoryBank)
    assert len(manager.bank.contexts) == 0 and len(manager.bank.concepts) == 0
    assert manager.bank.next_id == 1
    assert "fractal memory" in manager.description


def test_awakening_again_keeps_the_bank(image):
    bank = image.prototypes["MemoryManager"].bank
    with image.thought("allocate"):
        bank.allocate(3)
    with image.thought("awaken again"):
        genesis.awaken(image)
    assert image.prototypes["MemoryManager"].bank is bank and bank.next_id == 4


def test_a_lost_manager_is_recreated_empty(image):
    with image.thought("lose it"):
        del image.root["prototypes"]["MemoryManager"]
        genesis.awaken(image)
    assert image.prototypes["MemoryManager"].bank.next_id == 1
