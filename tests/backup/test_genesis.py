"""telos/backup/genesis.py on a real image: the BackupManager with the policy and an empty
history, created once; slots missing from an older manager added, set ones kept."""

from __future__ import annotations

from telos.backup import genesis
from telos.reflect import mirror


def _manager(image):
    return image.prototypes["BackupManager"]


def test_the_manager_has_the_policy_and_an_empty_history(image):
    data = mirror(_manager(image)).data()
    for key, value in {**genesis.POLICY, **genesis.STATE}.items():
        assert data[key] == value
    assert "image.backups" in data["description"]


def test_awakening_adds_missing_policy_slots_and_keeps_set_ones(image):
    with image.thought("an older manager"):
        mirror(_manager(image)).remove_slot("keep_chains")
        _manager(image).max_age = 60
    with image.thought("awaken again"):
        genesis.awaken(image)
    assert _manager(image).keep_chains == genesis.POLICY["keep_chains"]
    assert _manager(image).max_age == 60
