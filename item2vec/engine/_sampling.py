"""Alias tables: O(1) draws from a discrete distribution (negatives), exact for any exponent."""

import numpy as np
from numba import njit

from item2vec.engine._rng import below, high32, low32, next_u64

_TWO32 = 4294967296.0


def build_alias(probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vose's alias method. Returns ``(threshold, alias)``: draw ``i`` uniformly, keep it when
    32 random bits fall below ``threshold[i]`` (probability scaled by 2**32), else take ``alias[i]``."""
    n = len(probabilities)
    scaled = np.asarray(probabilities, dtype=np.float64) * n / probabilities.sum()
    prob, alias = _vose(scaled)
    return keep_thresholds(prob), alias


@njit(cache=True)
def _vose(scaled):
    n = len(scaled)
    prob = np.ones(n, dtype=np.float64)
    alias = np.arange(n).astype(np.int32)
    small = np.empty(n, dtype=np.int64)
    large = np.empty(n, dtype=np.int64)
    n_small = 0
    n_large = 0
    work = scaled.copy()
    for i in range(n):
        if work[i] < 1.0:
            small[n_small] = i
            n_small += 1
        else:
            large[n_large] = i
            n_large += 1
    while n_small > 0 and n_large > 0:
        n_small -= 1
        s = small[n_small]
        n_large -= 1
        g = large[n_large]
        prob[s] = work[s]
        alias[s] = g
        work[g] = (work[g] + work[s]) - 1.0
        if work[g] < 1.0:
            small[n_small] = g
            n_small += 1
        else:
            large[n_large] = g
            n_large += 1
    # leftovers are 1 up to rounding
    return prob, alias


@njit(inline="always", cache=True)
def draw(threshold, alias, bits):
    """One draw from an alias table given 64 random bits (high half picks, low half accepts)."""
    i = below(high32(bits), len(threshold))
    if np.int64(low32(bits)) < threshold[i]:
        return i
    return np.int64(alias[i])


def keep_thresholds(probabilities: np.ndarray) -> np.ndarray:
    """Probabilities as int64 thresholds on 32 random bits: an event of probability ``p`` happens
    when the bits are below ``p * 2**32`` (1.0 -> always)."""
    return np.minimum(np.round(np.asarray(probabilities) * _TWO32), _TWO32).astype(np.int64)


@njit(cache=True)
def sample_many(threshold, alias, state, n):
    """``n`` draws from an alias table (used by tests to check the sampler's distribution)."""
    out = np.empty(n, dtype=np.int64)
    for k in range(n):
        out[k] = draw(threshold, alias, next_u64(state))
    return out
