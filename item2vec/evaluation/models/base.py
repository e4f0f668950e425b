"""The contract every model of the harness honours, and the helpers the baselines share.

A model is fitted on training sessions (a ``Corpus`` whose vocabulary is the catalogue) and
recommends ``k`` catalogue ids per prefix of a ``NextItemTask``, best first. Where fewer than
``k`` candidates remain (the prefix's own items excluded from a small catalogue) a row ends with
``-1``; it never repeats an item and never returns an excluded one.
"""

from __future__ import annotations

import inspect
import os
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import ClassVar, Protocol, runtime_checkable

import numpy as np

from item2vec.data.corpus import Corpus
from item2vec.evaluation.task import NextItemTask


@runtime_checkable
class NextItemModel(Protocol):
    """What the harness and the tuning need of a model.

    ``scoring_options``: the ways a fitted model can score, tried on validation (each also with
    and without ``exclude_seen``); ``search_space``: the tuning grid (empty: nothing to tune);
    ``tuning_defaults``: trial 0's parameters (empty: the constructor's defaults).
    """

    name: ClassVar[str]
    scoring_options: ClassVar[tuple[dict, ...]]
    search_space: ClassVar[dict[str, tuple]]
    tuning_defaults: ClassVar[dict]

    def get_params(self) -> dict: ...

    def fit(self, train: Corpus) -> NextItemModel: ...

    def recommend(self, task: NextItemTask, k: int, exclude_seen: bool = False, **scoring) -> np.ndarray: ...

    def fit_summary(self) -> str: ...


class BaseModel:
    """scikit-learn's convention: hyperparameters stored verbatim by ``__init__`` under their own
    names, ``get_params`` read from the signature, learned state with a trailing underscore."""

    scoring_options: ClassVar[tuple[dict, ...]] = ({},)
    search_space: ClassVar[dict[str, tuple]] = {}
    tuning_defaults: ClassVar[dict] = {}
    #: Report the tuned model once per scoring option beside the chosen one (item2vec's scorers).
    report_every_scoring: ClassVar[bool] = False

    def get_params(self) -> dict:
        names = [
            name
            for name, p in inspect.signature(type(self).__init__).parameters.items()
            if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]
        return {name: getattr(self, name) for name in names}

    def fitted_params(self) -> dict:
        """The hyperparameters the last fit used, every default resolved (for tracking)."""
        return self.get_params()

    def fit_summary(self) -> str:
        """What the last fit chose by itself, for the harness' log line ("" if nothing)."""
        return ""

    def training_log(self) -> list[dict]:
        """Per-epoch records of the last fit (loss, words/s), for tracking; none by default."""
        return []

    def validation_log(self) -> list[dict]:
        """Validation checks made during the last fit (early stopping), for tracking; none by default."""
        return []

    def check_scoring(self, scoring: dict) -> None:
        """Raise now on scoring options that ``recommend`` would refuse only after the fit."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_params().items())})"


def check_k(k, n_items: int) -> None:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n_items:
        raise ValueError(f"k must be an integer in [1, {n_items}] (the catalogue size), got {k!r}")


def session_item_matrix(train: Corpus):
    """Sessions x catalogue counts (CSR float32): the "user_items" matrix implicit fits on."""
    from scipy.sparse import csr_matrix

    rows = np.repeat(np.arange(len(train)), np.diff(train.offsets))
    matrix = csr_matrix(
        (np.ones(train.n_tokens, dtype=np.float32), (rows, train.tokens)),
        shape=(len(train), len(train.vocab)),
        dtype=np.float32,
    )
    matrix.sum_duplicates()
    return matrix


@contextmanager
def single_threaded_blas():
    """implicit runs its own threads; a threaded OpenBLAS beside them is up to 10x slower."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, "blas"), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*expects CSR input.*")
        yield


def top_k_dense(scores: np.ndarray, k: int, task: NextItemTask, start: int, exclude_seen: bool) -> np.ndarray:
    """Top-``k`` columns of a dense score block for pairs ``start : start + len(scores)``, best
    first, ties to the lower column. With ``exclude_seen`` the pairs' prefix items (within the
    block's columns) are skipped; columns scored ``-inf`` (excluded) become ``-1`` padding, and so
    do the slots beyond the block's width."""
    width = scores.shape[1]
    if exclude_seen:
        stop = start + len(scores)
        lo, hi = task.offsets[start], task.offsets[stop]
        owner = np.repeat(np.arange(len(scores)), task.lengths[start:stop])
        items = task.items[lo:hi]
        inside = items < width
        scores[owner[inside], items[inside]] = -np.inf
    kept = min(k, width)
    best = np.argpartition(-scores, kept - 1, axis=1)[:, :kept]
    best_scores = np.take_along_axis(scores, best, axis=1)
    order = np.lexsort((best, -best_scores), axis=1)
    out = np.full((len(scores), k), -1, dtype=np.int32)
    ranked = np.take_along_axis(best, order, axis=1)
    out[:, :kept] = np.where(np.take_along_axis(best_scores, order, axis=1) > -np.inf, ranked, -1)
    return out


def popular_fill(recommended: np.ndarray, task: NextItemTask) -> np.ndarray:
    """Replace the rows of prefixes without known items by the most popular items."""
    empty = task.lengths == 0
    if empty.any():
        recommended[empty] = np.arange(recommended.shape[1], dtype=np.int32)  # catalogue ids are sorted by count
    return recommended


def check_positive_int(model: str, name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{model} {name} must be a positive integer, got {value!r}")


def check_choice(model: str, name: str, value, choices) -> None:
    if value not in choices:
        raise ValueError(f"unknown {model} {name} {value!r}; choose from {', '.join(map(str, choices))}")


def check_threads(model: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{model} threads must be an integer >= 0 (0: one per core), got {value!r}")


def check_positive_or_none(model: str, name: str, value) -> None:
    """A decay constant: a positive number, or ``None`` to switch the factor off."""
    if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0):
        raise ValueError(f"{model} {name} must be a positive number or None (off), got {value!r}")


def rows_on_threads(fill: Callable[[int, int, np.ndarray], None], n_rows: int, k: int, threads: int) -> np.ndarray:
    """An ``(n_rows, k)`` int32 array filled by ``fill(start, stop, out[start:stop])`` over
    contiguous row ranges on ``threads`` threads (0: one per core); ``fill`` must release the GIL
    (a ``nogil`` kernel) for the threads to run at once."""
    out = np.empty((n_rows, k), dtype=np.int32)
    workers = max(1, min(threads or os.cpu_count() or 1, n_rows))
    bounds = np.linspace(0, n_rows, 4 * workers + 1).astype(np.int64) if n_rows else np.zeros(1, np.int64)
    ranges = [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
    with ThreadPoolExecutor(workers) as pool:
        for future in [pool.submit(fill, a, b, out[a:b]) for a, b in ranges]:
            future.result()
    return out
