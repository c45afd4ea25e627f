"""Hypervector reasoning (issue 8): FHRR hypervectors, a seeded codebook, structured records,
a transactional cleanup index, the QueryTranslationLayer and mnemonic curation.

``image.vsa`` is the facade (``telos.vsa.facade.VSA``), attached lazily by ``AREA``
(:mod:`telos.vsa.area`). This module stays light (no torch at import): every process awakens
the image through it.
"""

from __future__ import annotations

from telos.vsa.area import AREA

__all__ = ["AREA"]
