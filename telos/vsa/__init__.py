"""Hypervector reasoning (issue 8): FHRR hypervectors, a seeded codebook, structured records,
a transactional cleanup index, the QueryTranslationLayer and mnemonic curation.

``image.vsa`` is the facade (``telos.vsa.facade.VSA``), attached lazily by the image. This module
stays light (no torch at import) because genesis imports ``telos.vsa.genesis`` through it.
"""

from __future__ import annotations

__all__ = ["attach"]


def attach(image):
    """The VSA facade of an image session (``image.vsa``)."""
    from telos.vsa.facade import VSA
    return VSA(image)
