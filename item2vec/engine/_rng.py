"""Per-thread random numbers inside compiled code (splitmix64), so that a seed really seeds."""

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S32 = np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)


@njit(inline="always", cache=True)
def next_u64(state):
    """Advance ``state`` (a 1-element uint64 array) and return 64 random bits."""
    z = state[0] + _GOLDEN
    state[0] = z
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@njit(inline="always", cache=True)
def below(bits32, n):
    """Map 32 random bits to an integer in [0, n) without a division (Lemire's multiply-shift)."""
    return np.int64((bits32 * np.uint64(n)) >> _S32)


@njit(inline="always", cache=True)
def high32(bits):
    return bits >> _S32


@njit(inline="always", cache=True)
def low32(bits):
    return bits & _LOW32


def seed_states(seed: int, n: int) -> np.ndarray:
    """Independent starting states for ``n`` threads, derived from one user seed."""
    seq = np.random.SeedSequence(seed)
    return seq.generate_state(n, dtype=np.uint64).reshape(n, 1)
