"""Session-level neighbours in embedding space, the ``blend`` scorer's third source of evidence.

The item-level mixture predicts the next item from each recent item on its own; a session's
*combination* of items says more (two phone cases and a charger: accessories of one phone). Session
kNN captures that by counting the items of the training sessions that share the most items with
the query; here similarity is cosine in item2vec's space instead of item overlap, so a session of
items never seen together still finds its neighbours. Each session is the sum of its items' unit
vectors (the query: recency-weighted, ``config.SESSION_QUERY_DECAY``), its
``config.SESSION_NEIGHBOURS`` nearest pooled training sessions (``Item2Vec.sessions_``) vote for
their items with weight ``cos ** config.SESSION_SHARPNESS``: only close sessions count. Chosen on
the Diginetica validation split (README, "Click defaults"): 100 neighbours at sharpness 30 and a
query decay of 0.5 beat 30 or 500 neighbours, sharpness 1, 10 or 100 and decays 0.3 or 0.8.
"""

from __future__ import annotations

import numpy as np

from item2vec import config
from item2vec.engine.topk import top_k_inner, unit_rows
from item2vec.scoring.encode import EncodedSessions
from item2vec.scoring.weighting import recency_matrix


class SessionNeighbours:
    """A model's pooled training sessions as unit vectors, searched for each query session's
    nearest. The vectors are built once per pool and cached on the model (serving scores one small
    batch at a time: a pyfunc request, a Spark batch), rebuilt if its pool is replaced."""

    def __init__(self, model, workers: int | None):
        self.unit = np.asarray(model.unit_vectors)
        cached = getattr(model, "_pool_vectors", None)
        if cached is None or cached[0] is not model.sessions_ or cached[1] is not model.unit_vectors:
            members = model.sessions_.matrix(len(model))
            cached = (model.sessions_, model.unit_vectors, members, unit_rows(np.asarray(members @ self.unit)))
            model._pool_vectors = cached
        self.members, self.vectors = cached[2], cached[3]
        self.workers = workers

    def distributions(self, encoded: EncodedSessions, n_last: int):
        """Sessions x items (CSR float64): the items of each session's nearest pooled sessions,
        weighted by ``cos ** SESSION_SHARPNESS`` (negative cosines weigh 0) and normalised to sum
        1; a session without a known item, or with no positive neighbour, gets an empty row."""
        from scipy.sparse import csr_matrix, diags

        n = len(encoded)
        recency = recency_matrix(encoded.items, encoded.offsets, len(self.unit), config.SESSION_QUERY_DECAY, n_last)
        queries = unit_rows(np.asarray(recency @ self.unit))
        width = min(config.SESSION_NEIGHBOURS, len(self.vectors))
        ids, cosines = top_k_inner(queries, self.vectors, width, workers=self.workers)
        weights = np.maximum(cosines.astype(np.float64), 0.0) ** config.SESSION_SHARPNESS
        weights[ids < 0] = 0.0  # a short list (non-finite scores) never reaches a column
        indptr = np.arange(n + 1) * width
        votes = csr_matrix((weights.ravel(), np.maximum(ids, 0).ravel(), indptr), (n, len(self.vectors)))
        votes.eliminate_zeros()
        counts = (votes @ self.members).tocsr()
        totals = np.asarray(counts.sum(axis=1)).ravel()
        return (diags(1.0 / np.where(totals > 0, totals, 1.0)) @ counts).tocsr()
