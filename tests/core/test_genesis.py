"""telos/genesis.py: Prototypal Awakening creates the registry, Object and Config (seeded with
every image setting), then each registered area's prototypes, in one thought; awakening again
writes nothing, and a missing prototype comes back."""

from __future__ import annotations

import pytest

from telos import config, genesis, open_image
from telos.area import Area
from telos.areas import REGISTRY
from telos.reflect import mirror
from telos.uvm import UvmObject


def test_an_awakened_image_has_the_core_prototypes(image):
    protos = image.prototypes
    assert {"Object", "Config"} <= set(protos)
    assert image.root["genesis_version"] == genesis.GENESIS_VERSION
    assert "root prototype" in protos["Object"].description


@pytest.mark.usefixtures("storage")   # FileStorage, and RelStorage under -m relstorage
def test_awakening_is_idempotent(telos_home):
    image = open_image()
    first = {n: p._id for n, p in image.prototypes.items()}
    n_thoughts = len(image.thoughts())
    image.close()
    image = open_image()
    assert {n: p._id for n, p in image.prototypes.items()} == first
    assert len(image.thoughts()) == n_thoughts        # nothing committed the second time
    assert {"Object", "Config"} <= set(first)
    image.close()


def test_config_holds_every_image_setting(image):
    slots = set(mirror(image.prototypes["Config"]).data())
    image_settings = {s.slot for s in config.SETTINGS if getattr(s, "slot", None)}
    assert image_settings and image_settings <= slots


def test_awakening_again_writes_nothing(image):
    before = image.thoughts(1)[0].id
    genesis.awaken(image)
    assert image.thoughts(1)[0].id == before


def test_a_removed_prototype_is_recreated_and_others_are_kept(image):
    with image.thought("lose Object, change Config"):
        del image.root["prototypes"]["Object"]
        image.prototypes["Config"].note = "mine"
    genesis.awaken(image)
    assert isinstance(image.prototypes["Object"], UvmObject)
    assert image.prototypes["Config"].note == "mine"
    latest = image.thoughts(1)[0]
    assert (latest.note, latest.user) == ("Prototypal Awakening", "genesis")


class Recorder(Area):
    name = "recorder"

    def __init__(self):
        self.awakened = []

    def awaken(self, image):
        self.awakened.append(sorted(image.prototypes))       # the core is there already
        if "Recorded" not in image.prototypes:
            image.register("Recorded", UvmObject())


@pytest.fixture
def recorder():
    area = REGISTRY.register(Recorder())
    yield area
    REGISTRY.unregister(area.name)


def test_each_area_awakens_after_the_core_in_the_same_thought(image, recorder):
    before = len(image.thoughts(1000))
    genesis.awaken(image)
    assert len(recorder.awakened) == 1 and {"Object", "Config"} <= set(recorder.awakened[0])
    assert "Recorded" in image.prototypes
    assert len(image.thoughts(1000)) == before + 1
