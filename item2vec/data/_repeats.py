"""Kernel behind ``Corpus.repeat_share``: one pass over the tokens, memory of one entry per key."""

import numpy as np
from numba import njit


@njit(nogil=True, cache=True)
def count_repeats(tokens, offsets, n_keys):
    """Tokens that repeat an earlier token of their own sentence: ``last[t]`` is the last
    sentence where token ``t`` was seen, so a second sighting in the same sentence is a repeat."""
    last = np.full(n_keys, -1, dtype=np.int64)
    repeats = 0
    for s in range(len(offsets) - 1):
        for p in range(offsets[s], offsets[s + 1]):
            t = tokens[p]
            if last[t] == s:
                repeats += 1
            else:
                last[t] = s
    return repeats
