"""``als`` and ``bpr``: matrix factorisation from ``implicit`` on sessions x items."""

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


class ALS(BaseModel):
    """``implicit`` ALS on sessions x items; each prefix is folded in as a new user with
    ``recalculate_user=True`` (one least-squares solve against the fixed item factors)."""

    name = "als"
    search_space = {
        "factors": (32, 64, 128, 256),
        "regularization": (0.001, 0.01, 0.1, 1.0),
        "alpha": (1.0, 5.0, 10.0, 20.0, 40.0),
        "iterations": (10, 15, 30),
    }

    def __init__(
        self,
        factors: int = 100,
        regularization: float = 0.01,
        alpha: float = 1.0,
        iterations: int = 15,
        seed: int = 1,
        threads: int = 0,
    ):
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.seed = seed
        self.threads = threads

    def fit(self, train: Corpus) -> ALS:
        from implicit.cpu.als import AlternatingLeastSquares

        with single_threaded_blas():
            self.model_ = AlternatingLeastSquares(
                factors=self.factors,
                regularization=self.regularization,
                alpha=self.alpha,
                iterations=self.iterations,
                random_state=self.seed,
                num_threads=self.threads,
            )
            self.model_.fit(session_item_matrix(train), show_progress=False)
        return self

    def recommend(self, task: NextItemTask, k: int, exclude_seen: bool = False) -> np.ndarray:
        n_items = self.model_.item_factors.shape[0]
        check_k(k, n_items)
        with single_threaded_blas():
            ids, scores = self.model_.recommend(
                np.arange(len(task)),
                task.prefix_matrix("count"),
                N=k,
                filter_already_liked_items=exclude_seen,
                recalculate_user=True,
            )
        ids = np.asarray(ids, dtype=np.int32)
        # implicit fills a row that runs out of candidates with filtered items scored -FLT_MAX:
        # padding (-1) like every other model, never a seen item
        ids[np.asarray(scores) <= np.finfo(np.float32).min] = -1
        return popular_fill(ids, task)


class BPR(BaseModel):
    """``implicit`` BPR on sessions x items. BPR cannot recalculate a user, so a prefix's user
    vector is the mean factor of its items (all, or the last only), plus the bias column."""

    name = "bpr"
    scoring_options = ({"prefix": "count"}, {"prefix": "last"})
    search_space = {
        "factors": (32, 64, 128, 256),
        "learning_rate": (0.005, 0.01, 0.05, 0.1),
        "regularization": (0.0001, 0.001, 0.01),
        "iterations": (50, 100, 200),
    }

    def __init__(
        self,
        factors: int = 100,
        learning_rate: float = 0.01,
        regularization: float = 0.01,
        iterations: int = 100,
        seed: int = 1,
        threads: int = 0,
    ):
        self.factors = factors
        self.learning_rate = learning_rate
        self.regularization = regularization
        self.iterations = iterations
        self.seed = seed
        self.threads = threads

    def fit(self, train: Corpus) -> BPR:
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        with single_threaded_blas():
            self.model_ = BayesianPersonalizedRanking(
                factors=self.factors,
                learning_rate=self.learning_rate,
                regularization=self.regularization,
                iterations=self.iterations,
                random_state=self.seed,
                num_threads=self.threads,
            )
            self.model_.fit(session_item_matrix(train), show_progress=False)
        return self

    def recommend(self, task: NextItemTask, k: int, exclude_seen: bool = False, prefix: str = "count") -> np.ndarray:
        item_factors = np.asarray(self.model_.item_factors)  # last column: the item bias
        check_k(k, len(item_factors))
        weights = task.prefix_matrix(prefix)
        totals = np.maximum(np.asarray(weights.sum(axis=1)).ravel(), 1e-12)
        out = np.empty((len(task), k), dtype=np.int32)
        for start in range(0, len(task), config.BASELINE_BATCH):
            stop = min(start + config.BASELINE_BATCH, len(task))
            users = np.asarray(weights[start:stop] @ item_factors) / totals[start:stop, None]
            users[:, -1] = 1.0  # BPR's user factors end in a constant 1 that picks up the item bias
            out[start:stop] = top_k_dense(users @ item_factors.T, k, task, start, exclude_seen)
        return popular_fill(out, task)
