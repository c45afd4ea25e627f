"""``Hypervector``: a persistent prototype around a torchhd FHRR tensor.

The image holds the vector as a read-only NumPy ``complex64`` array (slot ``array``) and its
``dimension``; never a pickled tensor.  ``hv.tensor`` is the torchhd ``FHRRTensor`` view, built
lazily into the volatile ``_v_tensor`` cache (dropped whenever ZODB ghostifies the object).

Operations return new, unattached hypervectors; store one by putting it in a slot or a
codebook inside a thought.
"""

from __future__ import annotations

import numpy as np

from telos.errors import VSAError
from telos.uvm import UvmObject
from telos.vsa import algebra


class Hypervector(UvmObject):
    """An FHRR hypervector. ``Hypervector(array)`` or ``Hypervector.random(D, seed, name)``."""

    def __init__(self, array=None, _name: str | None = None, **slots):
        if array is None:
            raise VSAError("a Hypervector needs an array (use Hypervector.random / .identity)")
        arr = algebra.as_array(array)
        super().__init__(_name, array=arr, dimension=int(arr.shape[0]), **slots)

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def random(cls, dimension: int = algebra.DEFAULT_DIMENSION, seed: int | str = 0,
               name: str = "") -> "Hypervector":
        return cls(algebra.named_symbol(seed, name, dimension))

    @classmethod
    def identity(cls, dimension: int = algebra.DEFAULT_DIMENSION) -> "Hypervector":
        return cls(np.ones(dimension, dtype=algebra.DTYPE))

    @staticmethod
    def of(value) -> np.ndarray:
        """The array of a Hypervector (or of anything array-like)."""
        if isinstance(value, Hypervector):
            return value.array
        return algebra.as_array(value)

    # -- views ---------------------------------------------------------------------------
    @property
    def tensor(self):
        """The torchhd ``FHRRTensor`` (cached, volatile; shares memory with the stored array)."""
        t = self.__dict__.get("_v_tensor")
        if t is None:
            t = algebra.to_tensor(self.array)   # (copies the read-only slot array once)
            self._v_tensor = t
        return t

    def to_real(self) -> np.ndarray:
        return algebra.to_real(self.array)

    # -- algebra -------------------------------------------------------------------------
    def bind(self, other) -> "Hypervector":
        return Hypervector(algebra.bind(self.array, self.of(other)))

    def unbind(self, other) -> "Hypervector":
        """Bind with the inverse of ``other``: ``a.bind(b).unbind(b) ≈ a``."""
        return Hypervector(algebra.unbind(self.array, self.of(other)))

    def inverse(self) -> "Hypervector":
        return Hypervector(algebra.inverse(self.array))

    def bundle(self, *others, normalize: bool = False) -> "Hypervector":
        return Hypervector(algebra.bundle([self.array] + [self.of(o) for o in others],
                                          normalize=normalize))

    def permute(self, shifts: int = 1) -> "Hypervector":
        return Hypervector(algebra.permute(self.array, shifts))

    def similarity(self, other) -> float:
        return algebra.similarity(self.array, self.of(other))

    def __repr__(self) -> str:
        if self._p_state < 0:
            return super().__repr__()
        return f"<Hypervector {self._name or self._id[:8]} D={self.dimension}>"
