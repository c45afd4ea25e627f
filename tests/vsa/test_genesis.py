"""telos/vsa/genesis.py on a real image: the Hypervector prototype and the Codebook made from the
image's settings, created only when missing."""

from __future__ import annotations

from telos.reflect import mirror
from telos.vsa import genesis
from telos.vsa.codebook import Codebook
from telos.vsa.hypervector import Hypervector


def test_an_awakened_image_has_the_prototypes_from_its_settings(image):
    protos = image.prototypes
    assert isinstance(protos["Codebook"], Codebook)
    assert isinstance(protos["Hypervector"], Hypervector)
    config = mirror(protos["Config"])
    assert protos["Codebook"].dimension == config.get("vsa_dimension")
    assert protos["Codebook"].seed == config.get("vsa_seed")
    assert protos["Hypervector"].dimension == config.get("vsa_dimension")


def test_a_new_codebook_follows_changed_settings(image):
    with image.thought("smaller vectors"):
        image.prototypes["Config"].vsa_dimension = 64
        image.prototypes["Config"].vsa_seed = 9
        del image.root["prototypes"]["Codebook"]
        del image.root["prototypes"]["Hypervector"]
        genesis.awaken(image)
    assert (image.prototypes["Codebook"].dimension, image.prototypes["Codebook"].seed) == (64, 9)
    assert image.prototypes["Hypervector"].dimension == 64


def test_awakening_keeps_existing_prototypes(image):
    codebook = image.prototypes["Codebook"]
    with image.thought("only the hypervector is missing"):
        del image.root["prototypes"]["Hypervector"]
        genesis.awaken(image)
    assert image.prototypes["Codebook"] is codebook
    assert "Hypervector" in image.prototypes
    before = image.thoughts(1)[0].id
    with image.thought("nothing to do"):
        genesis.awaken(image)
    assert image.thoughts(1)[0].id == before
