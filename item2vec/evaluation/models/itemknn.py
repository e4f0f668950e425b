"""``itemknn``: item-item neighbours from ``implicit``, scored from the prefix."""

from __future__ import annotations

import numpy as np

from item2vec import config
from item2vec.data.corpus import Corpus
from item2vec.evaluation.models.base import (
    BaseModel,
    check_k,
    popular_fill,
    session_item_matrix,
    single_threaded_blas,
    top_k_dense,
)
from item2vec.evaluation.task import NextItemTask

SIMILARITIES = ("cosine", "bm25")


class ItemKNN(BaseModel):
    """Item-item neighbours (``implicit`` ``CosineRecommender`` or ``BM25Recommender``, ``K`` per
    item) scored from the prefix: ``score(j) = sum_i w_i sim(i, j)`` over prefix items ``i`` with
    prefix weights ``w`` (only the last item, or recency-decayed), as implicit's ``recommend``
    does for a user row. Items no neighbour reaches rank after, by popularity."""

    name = "itemknn"
    scoring_options = ({"prefix": "last"}, {"prefix": "recency", "decay": 0.5}, {"prefix": "count"})
    search_space = {"K": (20, 50, 100, 200, 500, 1000), "similarity": SIMILARITIES}

    def __init__(
        self, K: int = 100, similarity: str = "cosine", bm25_k1: float = 1.2, bm25_b: float = 0.75, threads: int = 0
    ):
        self.K = K
        self.similarity = similarity
        self.bm25_k1 = bm25_k1
        self.bm25_b = bm25_b
        self.threads = threads
        if similarity not in SIMILARITIES:
            raise ValueError(f"unknown item-kNN similarity {similarity!r}; choose cosine or bm25")
        if isinstance(K, bool) or not isinstance(K, (int, np.integer)) or K < 1:
            raise ValueError(f"item-kNN K must be a positive integer, got {K!r}")

    def fit(self, train: Corpus) -> ItemKNN:
        from implicit.nearest_neighbours import BM25Recommender, CosineRecommender

        if self.similarity == "cosine":
            model = CosineRecommender(K=self.K, num_threads=self.threads)
        else:
            model = BM25Recommender(K=self.K, K1=self.bm25_k1, B=self.bm25_b, num_threads=self.threads)
        with single_threaded_blas():
            model.fit(session_item_matrix(train), show_progress=False)
        self.model_ = model
        n = len(train.vocab)
        self.unreached_ = (-1.0 - np.arange(n, dtype=np.float32) / n)[None, :]  # popularity order
        return self

    def recommend(
        self, task: NextItemTask, k: int, exclude_seen: bool = False, prefix: str = "last", decay: float = 0.5
    ) -> np.ndarray:
        n_items = self.model_.similarity.shape[0]
        check_k(k, n_items)
        queries = task.prefix_matrix(prefix, decay)
        out = np.empty((len(task), k), dtype=np.int32)
        for start in range(0, len(task), config.BASELINE_BATCH):
            stop = min(start + config.BASELINE_BATCH, len(task))
            scores = (queries[start:stop] @ self.model_.similarity).toarray()
            scores = np.where(scores > 0, scores, self.unreached_)
            out[start:stop] = top_k_dense(scores, k, task, start, exclude_seen)
        return popular_fill(out, task)
