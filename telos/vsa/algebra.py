"""FHRR hypervector algebra on plain arrays, through torchhd.

The image stores hypervectors as NumPy ``complex64`` arrays of shape ``(D,)``; the algebra runs
on torchhd ``FHRRTensor`` views of those arrays (zero-copy).  Everything here is a pure function:
arrays in, arrays out, nothing persistent.  ``telos.vsa.hypervector`` wraps it in a prototype.

FHRR in one paragraph: an atomic symbol is a vector of unit phasors ``exp(i*theta)`` with
uniform random angles.  *bind* is the element-wise product (angles add), its inverse is the
complex conjugate, so *unbind* is bind with the conjugate (there is no ``torchhd.unbind``).
*bundle* is the element-wise sum (a superposition similar to each member), *permute* is a
cyclic shift, *similarity* is ``Re<a, conj(b)> / (|a| |b|)``.

The cleanup index needs real vectors whose inner product equals that similarity:
``to_real(v) = [Re v, Im v] / |v|`` does it, since
``Re(a) . Re(b) + Im(a) . Im(b) = Re(sum a_j conj(b_j))``.
"""

from __future__ import annotations

import hashlib
import math
from typing import Iterable, Sequence

import numpy as np
import torch
import torchhd
from torchhd.tensors.fhrr import FHRRTensor

from telos.errors import DimensionMismatchError, VSAError

DTYPE = np.complex64
DEFAULT_DIMENSION = 10_000


# --- conversions ------------------------------------------------------------------------

def as_array(value) -> np.ndarray:
    """Coerce ``value`` (ndarray, tensor, sequence) into a 1-d ``complex64`` array; copies."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().resolve_conj().numpy()
    arr = np.array(value, dtype=DTYPE, copy=True)
    if arr.ndim != 1 or arr.shape[0] == 0:
        raise VSAError(f"a hypervector is a non-empty 1-d array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr.view(np.float32))):
        raise VSAError("a hypervector must not contain NaN or infinity")
    return arr


def to_tensor(arr: np.ndarray) -> FHRRTensor:
    """A torchhd FHRR tensor sharing memory with ``arr`` (which must not be mutated after).

    Slot arrays in the image are read-only; torch wants writable memory, so those are copied.
    """
    if not arr.flags.writeable:
        arr = arr.copy()
    return torch.from_numpy(arr).as_subclass(FHRRTensor)


def from_tensor(t: torch.Tensor) -> np.ndarray:
    """A fresh ``complex64`` array from a tensor result (never shares memory with a cache)."""
    return np.ascontiguousarray(t.detach().resolve_conj().numpy(), dtype=DTYPE).copy()


def check_same_dimension(*arrays: np.ndarray) -> int:
    dims = {a.shape[-1] for a in arrays}
    if len(dims) != 1:
        raise DimensionMismatchError(
            f"hypervectors of different dimensions cannot be combined: {sorted(dims)}")
    return dims.pop()


# --- generation -------------------------------------------------------------------------

def symbol_seed(seed: int | str, name: str) -> int:
    """A 128-bit integer derived from (codebook seed, symbol name) with SHA-256.

    Independent of creation order, process and platform: two images with the same seed agree.
    """
    digest = hashlib.sha256(f"telos-vsa\x00{seed}\x00{name}".encode("utf-8")).digest()
    return int.from_bytes(digest[:16], "little")


def random_phasors(dimension: int, seed: int) -> np.ndarray:
    """``dimension`` unit phasors with angles uniform in [-pi, pi), from NumPy's PCG64."""
    if dimension < 1:
        raise VSAError(f"dimension must be positive, got {dimension}")
    rng = np.random.Generator(np.random.PCG64(seed))
    angles = rng.uniform(-math.pi, math.pi, size=dimension)
    return np.exp(1j * angles).astype(DTYPE)


def named_symbol(seed: int | str, name: str, dimension: int) -> np.ndarray:
    return random_phasors(dimension, symbol_seed(seed, name))


# --- operations -------------------------------------------------------------------------

def bind(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    check_same_dimension(a, b)
    return from_tensor(torchhd.bind(to_tensor(a), to_tensor(b)))


def inverse(a: np.ndarray) -> np.ndarray:
    return from_tensor(torchhd.inverse(to_tensor(a)))


def unbind(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a`` bound with the inverse of ``b``: unbind(bind(x, b), b) == x for phasor ``b``."""
    check_same_dimension(a, b)
    return from_tensor(torchhd.bind(to_tensor(a), torchhd.inverse(to_tensor(b))))


def bundle(arrays: Sequence[np.ndarray], *, normalize: bool = False) -> np.ndarray:
    """Superposition (element-wise sum); ``normalize`` projects it back onto unit phasors."""
    arrays = list(arrays)
    if not arrays:
        raise VSAError("cannot bundle zero hypervectors")
    check_same_dimension(*arrays)
    stacked = torch.from_numpy(np.stack(arrays)).as_subclass(FHRRTensor)
    out = torchhd.multiset(stacked)
    if normalize:
        out = torchhd.normalize(out)
    return from_tensor(out)


def permute(a: np.ndarray, shifts: int = 1) -> np.ndarray:
    """Cyclic shift by ``shifts`` positions; ``permute(permute(a, k), -k) == a``."""
    return from_tensor(torchhd.permute(to_tensor(a), shifts=int(shifts)))


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """FHRR cosine similarity ``Re<a, conj b> / (|a||b|)`` in [-1, 1]."""
    check_same_dimension(a, b)
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na == 0.0 or nb == 0.0:
        raise VSAError("similarity with a zero hypervector is undefined")
    return float(torchhd.dot_similarity(to_tensor(a), to_tensor(b))) / (na * nb)


def similarities(query: np.ndarray, memory: np.ndarray) -> np.ndarray:
    """Cosine similarity of ``query`` (D,) against every row of ``memory`` (N, D)."""
    check_same_dimension(query, memory)
    q = to_tensor(query)
    m = torch.from_numpy(memory).as_subclass(FHRRTensor)
    return torchhd.cosine_similarity(q, m).numpy().astype(np.float32)


# --- real mapping for the ANN index -----------------------------------------------------

def to_real(a: np.ndarray) -> np.ndarray:
    """``[Re a, Im a] / |a|`` as float32 (2D,): inner products equal FHRR cosine similarity."""
    norm = float(np.linalg.norm(a))
    if norm == 0.0:
        raise VSAError("a zero hypervector has no direction to index")
    out = np.empty(2 * a.shape[0], dtype=np.float32)
    out[: a.shape[0]] = a.real / norm
    out[a.shape[0]:] = a.imag / norm
    return out


def to_real_batch(arrays: Iterable[np.ndarray]) -> np.ndarray:
    return np.stack([to_real(a) for a in arrays]).astype(np.float32, copy=False)
