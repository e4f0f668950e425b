"""Every model the evaluation compares, behind one small interface, so the harness treats item2vec
and its baselines alike.

A model is built from its hyperparameters, ``fit(train)`` on a training ``Corpus`` (its
vocabulary is the catalogue), and ``recommend(task, k, exclude_seen=..., **scoring)`` returns the
top-``k`` catalogue ids for every prefix of a ``NextItemTask``, best first. ``scoring_options``
lists the ways one fitted model can score (scorer, prefix weighting); tuning tries them all on
validation without refitting. Prefixes with no known item get the most popular items.

Baselines (``BASELINES``): ``pop`` (most popular), ``itemknn`` (item-item cosine or BM25
neighbours from ``implicit``, scored from the prefix as the user row), ``als`` (``implicit`` ALS,
the prefix folded in with ``recalculate_user=True``) and ``bpr`` (``implicit`` BPR; it cannot
recalculate a user, so the prefix's mean item factor is the user vector).
"""

from __future__ import annotations

import json
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np

from .corpus import Corpus
from .evaluate import NextItemTask

BASELINES = ("pop", "itemknn", "als", "bpr")
_BATCH = 512


def session_item_matrix(train: Corpus):
    """Sessions x catalogue counts (CSR float32): the "user_items" matrix implicit fits on."""
    from scipy.sparse import csr_matrix

    rows = np.repeat(np.arange(len(train)), np.diff(train.offsets))
    matrix = csr_matrix((np.ones(train.n_tokens, dtype=np.float32), (rows, train.tokens)),
                        shape=(len(train), len(train.vocab)), dtype=np.float32)
    matrix.sum_duplicates()
    return matrix


@contextmanager
def _single_threaded_blas():
    """implicit runs its own threads; a threaded OpenBLAS beside them is up to 10x slower."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, "blas"), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*expects CSR input.*")
        yield


def top_k_dense(scores: np.ndarray, k: int, task: NextItemTask, start: int, exclude_seen: bool) -> np.ndarray:
    """Top-``k`` columns of a dense score block for pairs ``start : start + len(scores)``, best
    first; with ``exclude_seen`` the pairs' prefix items (within the block's columns) are skipped."""
    width = scores.shape[1]
    if exclude_seen:
        stop = start + len(scores)
        lo, hi = task.offsets[start], task.offsets[stop]
        owner = np.repeat(np.arange(len(scores)), task.lengths[start:stop])
        items = task.items[lo:hi]
        inside = items < width
        scores[owner[inside], items[inside]] = -np.inf
    k = min(k, width)
    best = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, best, axis=1), axis=1, kind="stable")
    return np.take_along_axis(best, order, axis=1).astype(np.int32)


def _popular_fill(recommended: np.ndarray, task: NextItemTask, k: int) -> np.ndarray:
    """Replace the rows of prefixes without known items by the most popular items."""
    empty = task.lengths == 0
    if empty.any():
        recommended[empty] = np.arange(k, dtype=np.int32)  # catalogue ids are sorted by count
    return recommended


def _check_k(k: int, n_items: int) -> None:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n_items:
        raise ValueError(f"k must be an integer in [1, {n_items}] (the catalogue size), got {k!r}")


class Popularity:
    """The ``k`` most frequent training items (minus the prefix's with ``exclude_seen``)."""

    name = "pop"
    scoring_options = ({},)

    def get_params(self) -> dict:
        return {}

    def fit(self, train: Corpus) -> "Popularity":
        self.n_items_ = len(train.vocab)
        return self

    def recommend(self, task: NextItemTask, k: int, exclude_seen: bool = False) -> np.ndarray:
        _check_k(k, self.n_items_)
        # catalogue ids are sorted by count, so the best k unseen lie among the first k + longest prefix
        width = min(self.n_items_, k + (int(task.lengths.max(initial=0)) if exclude_seen else 0))
        out = np.empty((len(task), k), dtype=np.int32)
        for start in range(0, len(task), _BATCH * 8):
            stop = min(start + _BATCH * 8, len(task))
            scores = np.tile(-np.arange(width, dtype=np.float32), (stop - start, 1))
            out[start:stop] = top_k_dense(scores, k, task, start, exclude_seen)
        return out


class ItemKNN:
    """Item-item neighbours (``implicit`` ``CosineRecommender`` or ``BM25Recommender``, ``K`` per
    item) scored from the prefix: ``score(j) = sum_i w_i sim(i, j)`` over prefix items ``i`` with
    prefix weights ``w`` (only the last item, or recency-decayed), as implicit's ``recommend``
    does for a user row. Items no neighbour reaches rank after, by popularity."""

    name = "itemknn"
    scoring_options = ({"prefix": "last"}, {"prefix": "recency", "decay": 0.5}, {"prefix": "count"})

    def __init__(self, K: int = 100, similarity: str = "cosine", bm25_k1: float = 1.2, bm25_b: float = 0.75,
                 threads: int = 0):
        self.K = K
        self.similarity = similarity
        self.bm25_k1 = bm25_k1
        self.bm25_b = bm25_b
        self.threads = threads

    def get_params(self) -> dict:
        return {"K": self.K, "similarity": self.similarity, "bm25_k1": self.bm25_k1, "bm25_b": self.bm25_b}

    def fit(self, train: Corpus) -> "ItemKNN":
        from implicit.nearest_neighbours import BM25Recommender, CosineRecommender

        if self.similarity == "cosine":
            model = CosineRecommender(K=self.K, num_threads=self.threads)
        elif self.similarity == "bm25":
            model = BM25Recommender(K=self.K, K1=self.bm25_k1, B=self.bm25_b, num_threads=self.threads)
        else:
            raise ValueError(f"unknown item-kNN similarity {self.similarity!r}; choose cosine or bm25")
        with _single_threaded_blas():
            model.fit(session_item_matrix(train), show_progress=False)
        self.model_ = model
        n = len(train.vocab)
        self._unreached = (-1.0 - np.arange(n, dtype=np.float32) / n)[None, :]  # popularity order
        return self

    def recommend(self, task: NextItemTask, k: int, exclude_seen: bool = False, prefix: str = "last",
                  decay: float = 0.5) -> np.ndarray:
        n_items = self.model_.similarity.shape[0]
        _check_k(k, n_items)
        queries = task.prefix_matrix(prefix, decay)
        out = np.empty((len(task), k), dtype=np.int32)
        for start in range(0, len(task), _BATCH):
            stop = min(start + _BATCH, len(task))
            scores = (queries[start:stop] @ self.model_.similarity).toarray()
            scores = np.where(scores > 0, scores, self._unreached)
            out[start:stop] = top_k_dense(scores, k, task, start, exclude_seen)
        return _popular_fill(out, task, k)


class ALS:
    """``implicit`` ALS on sessions x items; each prefix is folded in as a new user with
    ``recalculate_user=True`` (one least-squares solve against the fixed item factors)."""

    name = "als"
    scoring_options = ({},)

    def __init__(self, factors: int = 100, regularization: float = 0.01, alpha: float = 1.0,
                 iterations: int = 15, seed: int = 1, threads: int = 0):
        self.factors = factors
        self.regularization = regularization
        self.alpha = alpha
        self.iterations = iterations
        self.seed = seed
        self.threads = threads

    def get_params(self) -> dict:
        return {"factors": self.factors, "regularization": self.regularization, "alpha": self.alpha,
                "iterations": self.iterations, "seed": self.seed}

    def fit(self, train: Corpus) -> "ALS":
        from implicit.cpu.als import AlternatingLeastSquares

        with _single_threaded_blas():
            self.model_ = AlternatingLeastSquares(
                factors=self.factors, regularization=self.regularization, alpha=self.alpha,
                iterations=self.iterations, random_state=self.seed, num_threads=self.threads)
            self.model_.fit(session_item_matrix(train), show_progress=False)
        return self

    def recommend(self, task: NextItemTask, k: int, exclude_seen: bool = False) -> np.ndarray:
        _check_k(k, self.model_.item_factors.shape[0])
        with _single_threaded_blas():
            ids, _ = self.model_.recommend(np.arange(len(task)), task.prefix_matrix("count"), N=k,
                                           filter_already_liked_items=exclude_seen, recalculate_user=True)
        return _popular_fill(np.asarray(ids, dtype=np.int32), task, k)


class BPR:
    """``implicit`` BPR on sessions x items. BPR cannot recalculate a user, so a prefix's user
    vector is the mean factor of its items (all, or the last only), plus the bias column."""

    name = "bpr"
    scoring_options = ({"prefix": "count"}, {"prefix": "last"})

    def __init__(self, factors: int = 100, learning_rate: float = 0.01, regularization: float = 0.01,
                 iterations: int = 100, seed: int = 1, threads: int = 0):
        self.factors = factors
        self.learning_rate = learning_rate
        self.regularization = regularization
        self.iterations = iterations
        self.seed = seed
        self.threads = threads

    def get_params(self) -> dict:
        return {"factors": self.factors, "learning_rate": self.learning_rate,
                "regularization": self.regularization, "iterations": self.iterations, "seed": self.seed}

    def fit(self, train: Corpus) -> "BPR":
        from implicit.cpu.bpr import BayesianPersonalizedRanking

        with _single_threaded_blas():
            self.model_ = BayesianPersonalizedRanking(
                factors=self.factors, learning_rate=self.learning_rate, regularization=self.regularization,
                iterations=self.iterations, random_state=self.seed, num_threads=self.threads)
            self.model_.fit(session_item_matrix(train), show_progress=False)
        return self

    def recommend(self, task: NextItemTask, k: int, exclude_seen: bool = False, prefix: str = "count") -> np.ndarray:
        item_factors = np.asarray(self.model_.item_factors)  # last column: the item bias
        _check_k(k, len(item_factors))
        weights = task.prefix_matrix(prefix)
        totals = np.maximum(np.asarray(weights.sum(axis=1)).ravel(), 1e-12)
        out = np.empty((len(task), k), dtype=np.int32)
        for start in range(0, len(task), _BATCH):
            stop = min(start + _BATCH, len(task))
            users = np.asarray(weights[start:stop] @ item_factors) / totals[start:stop, None]
            users[:, -1] = 1.0  # BPR's user factors end in a constant 1 that picks up the item bias
            out[start:stop] = top_k_dense(users @ item_factors.T, k, task, start, exclude_seen)
        return _popular_fill(out, task, k)


class Item2VecRecommender:
    """item2vec under the same interface: trains an ``Item2Vec`` and scores prefixes with
    ``recommend.recommend_top_k`` (``recommend.SCORERS``)."""

    name = "item2vec"
    scoring_options = ({"scorer": "last"}, {"scorer": "mean", "n_last": 5, "decay": 0.7},
                       {"scorer": "mean", "n_last": 10, "decay": 0.3},
                       {"scorer": "sequence", "n_last": 1, "decay": 1.0},
                       {"scorer": "sequence", "n_last": 3, "decay": 0.5},
                       {"scorer": "neighbours", "n_last": 100, "decay": 1.0, "temperature": 0.05},
                       {"scorer": "neighbours", "n_last": 100, "decay": 1.0, "temperature": 0.1},
                       {"scorer": "neighbours", "n_last": 100, "decay": 0.8, "temperature": 0.1},
                       {"scorer": "mixture", "n_last": 100, "decay": 0.8, "temperature": 2.0},
                       {"scorer": "mixture", "n_last": 100, "decay": 0.5, "temperature": 4.0},
                       {"scorer": "mixture", "n_last": 100, "decay": 0.8, "temperature": 4.0},
                       {"scorer": "mixture", "n_last": 100, "decay": 0.8, "temperature": 8.0})

    def __init__(self, **hyperparameters):
        from .model import Item2Vec

        self.hyperparameters = hyperparameters
        Item2Vec(**hyperparameters)._validate_params()

    def get_params(self) -> dict:
        from .model import Item2Vec

        return Item2Vec(**self.hyperparameters).get_params()

    def fit(self, train: Corpus, callback=None) -> "Item2VecRecommender":
        from .model import Item2Vec

        return self.wrap(Item2Vec(**self.hyperparameters).fit(train, callback=callback), train)

    def wrap(self, model, train: Corpus) -> "Item2VecRecommender":
        """Use an already trained ``Item2Vec`` whose items come from ``train``."""
        self.model_ = model
        index = train.vocab.key_to_index
        self._to_catalogue = np.array([index.get(key, -1) for key in model.index_to_key], dtype=np.int32)
        if (self._to_catalogue < 0).any():
            raise ValueError("the item2vec model knows items that are not in the training catalogue")
        return self

    def recommend(self, task: NextItemTask, k: int, exclude_seen: bool = False, scorer: str = "mean",
                  n_last: int = 5, decay: float = 0.7, temperature: float | None = None) -> np.ndarray:
        from .recommend import encode_sessions, recommend_top_k

        encoded = encode_sessions(self.model_, task.prefix_keys())
        rows, _ = recommend_top_k(self.model_, encoded, k, scorer, n_last, decay, exclude_seen,
                                  temperature=temperature)
        return self._to_catalogue[rows]


MODEL_CLASSES = {"item2vec": Item2VecRecommender, "pop": Popularity, "itemknn": ItemKNN, "als": ALS, "bpr": BPR}


def make_model(name: str, params: dict | None = None):
    """A model by its ``--baselines`` name (or ``item2vec``) with hyperparameters ``params``."""
    if name not in MODEL_CLASSES:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODEL_CLASSES)}")
    return MODEL_CLASSES[name](**(params or {}))


@dataclass(frozen=True)
class ModelSpec:
    """One row of a comparison: which model, its hyperparameters and how it scores
    (``recommend`` options, including ``exclude_seen``). ``label`` names the row."""

    kind: str
    params: dict = field(default_factory=dict)
    scoring: dict = field(default_factory=dict)
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or self.kind

    @property
    def fit_key(self) -> str:
        """Rows with the same key share one fitted model."""
        return self.kind + json.dumps(self.params, sort_keys=True)

    def as_dict(self) -> dict:
        return {"kind": self.kind, "params": self.params, "scoring": self.scoring, "label": self.name}

    @classmethod
    def from_dict(cls, data: dict) -> "ModelSpec":
        try:
            return cls(data["kind"], dict(data.get("params", {})), dict(data.get("scoring", {})),
                       data.get("label", ""))
        except (KeyError, TypeError, AttributeError):
            raise ValueError(f"a model entry needs 'kind' (and optional 'params', 'scoring', 'label'), "
                             f"got {data!r}") from None


def parse_baselines(text: str) -> tuple[str, ...]:
    """``"pop,als"`` -> ``("pop", "als")``, rejecting unknown names."""
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in BASELINES]
    if unknown:
        raise ValueError(f"unknown baseline {unknown[0]!r} in --baselines; choose from {', '.join(BASELINES)}")
    return names
