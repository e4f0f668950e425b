"""Sessions as sparse rows of recency-weighted items: the prefix queries of the baselines and the
item2vec mixture scorers weigh a session's items the same way, so they share this one definition."""

from __future__ import annotations

import numpy as np


def recency_matrix(
    items: np.ndarray, offsets: np.ndarray, n_columns: int, decay: float = 1.0, n_last: int | None = None
):
    """Sessions x items sparse matrix (CSR float32). Session ``s`` is ``items[offsets[s]:offsets[s+1]]``;
    the item ``a`` steps before its end weighs ``decay**a`` when ``a < n_last`` (every item when
    ``n_last`` is None), and repeats add up. ``decay=1`` counts occurrences."""
    from scipy.sparse import csr_matrix

    lengths = np.diff(offsets)
    owner = np.repeat(np.arange(len(lengths)), lengths)
    age = np.repeat(offsets[1:], lengths) - 1 - np.arange(len(items))
    if n_last is not None:
        recent = age < n_last
        owner, age, items = owner[recent], age[recent], items[recent]
    weights = np.power(np.float32(decay), age).astype(np.float32)
    matrix = csr_matrix((weights, (owner, items)), shape=(len(lengths), n_columns), dtype=np.float32)
    matrix.eliminate_zeros()
    return matrix
