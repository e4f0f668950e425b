"""A warm start for SGNS: the truncated SVD of the shifted positive PMI matrix it factorises.

Skip-gram with ``k`` negatives drawn from ``P_n`` is optimal when ``input(w) . output(c) =
log(#(w, c) / (k * #(w) * P_n(c)))`` for every pair it sees (Levy & Goldberg, 2014). Counting the
pairs the training will see (a distance-weighted window, or every pair of a session), keeping the
positive part of that matrix (SPPMI) and splitting its rank-``d`` SVD ``U S V^T`` into
``U sqrt(S)`` (input) and ``V sqrt(S)`` (output) starts training near that optimum, so a few epochs
refine what hundreds would otherwise have to find from random vectors.
"""

from __future__ import annotations

import numpy as np

from item2vec import config
from item2vec.data.corpus import Corpus


def cooccurrences(corpus: Corpus, remap: np.ndarray, n_rows: int, window: int | None):
    """Pair counts (rows: the context item, columns: the centre item; CSR float64, symmetric)
    over the corpus ids mapped by ``remap`` (``-1`` dropped). ``window``: pairs at distance ``d <=
    window`` weigh ``(window - d + 1) / window``, what word2vec's shrinking windows give on
    average; ``None``: every pair of a session weighs 1, up to ``config.WARM_START_MAX_DISTANCE``."""
    from scipy.sparse import coo_matrix

    ids = remap[corpus.tokens]
    keep = ids >= 0
    ids = ids[keep]
    owner = np.repeat(np.arange(len(corpus), dtype=np.int64), np.diff(corpus.offsets))[keep]
    limit = window if window is not None else config.WARM_START_MAX_DISTANCE
    rows, cols, weights = [], [], []
    for d in range(1, limit + 1):
        same = owner[d:] == owner[:-d]
        if not same.any():
            break
        weight = 1.0 if window is None else (window - d + 1) / window
        a, b = ids[:-d][same], ids[d:][same]
        rows += [a, b]
        cols += [b, a]
        weights.append(np.full(2 * len(a), weight))
    if not rows:
        return coo_matrix((n_rows, n_rows)).tocsr()
    counts = coo_matrix((np.concatenate(weights), (np.concatenate(rows), np.concatenate(cols))), shape=(n_rows, n_rows))
    return counts.tocsr()  # duplicates summed


def sppmi_vectors(counts, negative: int, noise: np.ndarray, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(input, output)`` float32 ``(rows, size)``: the rank-``size`` factors of
    ``max(0, log(#(w, c) / (negative * #(w) * noise[c])))`` (randomized SVD, seeded)."""
    counts = counts.tocoo()
    row_totals = np.asarray(counts.sum(axis=1)).ravel()
    pmi = np.log(counts.data) - np.log(negative * row_totals[counts.row] * noise[counts.col])
    positive = pmi > 0
    from scipy.sparse import csr_matrix

    matrix = csr_matrix((pmi[positive], (counts.row[positive], counts.col[positive])), shape=counts.shape)
    u, s, vt = _randomized_svd(matrix, size, seed)
    root = np.sqrt(s)[None, :]
    return (u * root).astype(np.float32), (vt.T * root).astype(np.float32)


def _randomized_svd(matrix, rank: int, seed: int, oversample: int = 10, power: int = 4):
    """Halko, Martinsson & Tropp (2011): a range finder with ``power`` subspace iterations."""
    n = matrix.shape[1]
    width = min(n, rank + oversample)
    rng = np.random.default_rng(seed)
    q = np.linalg.qr(matrix @ rng.standard_normal((n, width)))[0]
    for _ in range(power):
        q = np.linalg.qr(matrix.T @ q)[0]
        q = np.linalg.qr(matrix @ q)[0]
    u_small, s, vt = np.linalg.svd(np.asarray(matrix.T @ q).T, full_matrices=False)
    return (q @ u_small)[:, :rank], s[:rank], vt[:rank]
