"""Batch top-k from a trained model: the one place where "which items come next" is decided,
used alike by evaluation, ``item2vec recommend`` and the MLflow model.

Bad input is never fatal mid-batch: unknown items are skipped and counted, a session with no known
item gets the most popular items (flagged ``fallback``, score null/NaN).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields

import numpy as np
import polars as pl

from item2vec.scoring.encode import EncodedSessions, encode_sessions
from item2vec.scoring.options import ScoringOptions
from item2vec.scoring.scorers import get_scorer


def check_k(options: ScoringOptions, n_items: int) -> None:
    if options.k > n_items:
        raise ValueError(f"k must be an integer in [1, {n_items}] (the catalogue size), got {options.k}")


def recommend_top_k(
    model,
    encoded: EncodedSessions,
    options: ScoringOptions | None = None,
    allowed: np.ndarray | None = None,
    workers: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Top-``options.k`` item rows and scores per session, best first: arrays of shape ``(n, k)``.

    ``allowed`` is an optional boolean mask over the vocabulary (``False``: never recommended).
    Ties go to the more popular item. Sessions with no known item get the most popular (allowed)
    items with score ``nan``; find them with ``encoded.empty``. A session with fewer than ``k``
    candidates ends with item ``-1`` and score ``-inf``. ``workers`` threads (default: every
    core) score the sessions. Default ``options``: ``ScoringOptions.for_model(model)``.
    """
    options = options or ScoringOptions.for_model(model)
    check_k(options, len(model))
    top_items = np.empty((len(encoded), options.k), dtype=np.int32)
    top_scores = np.empty((len(encoded), options.k), dtype=np.float32)
    get_scorer(options.scorer).top_k(model, encoded, options, allowed, workers, top_items, top_scores)
    empty = encoded.empty
    if empty.any():
        top_items[empty] = popular_items(len(model), options.k, allowed)
        top_scores[empty] = np.nan
    return top_items, top_scores


def popular_items(n_items: int, k: int, allowed: np.ndarray | None = None) -> np.ndarray:
    """The ``k`` most popular allowed rows (the vocabulary is sorted by count), padded with -1."""
    candidates = np.arange(n_items, dtype=np.int32) if allowed is None else np.flatnonzero(allowed).astype(np.int32)
    out = np.full(k, -1, dtype=np.int32)
    out[: min(k, len(candidates))] = candidates[:k]
    return out


@dataclass
class BatchStats:
    """What a batch job read and how it coped: reported by the CLI, never silently dropped."""

    sessions: int = 0
    unknown_items: int = 0  # item occurrences skipped (not in the model)
    fallback_sessions: int = 0  # sessions with no known item: popularity fallback
    short_sessions: int = 0  # sessions with fewer than k candidates left (fewer rows)

    def add(self, other: BatchStats) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


class Recommender:
    """Batch top-k with fixed options, reused over many chunks of sessions.

    ``allow``/``deny`` are item keys: only allowed items (default: all) that are not denied are
    ever recommended; keys unknown to the model are ignored and counted in ``ignored_filter_keys``.
    Default ``options``: ``ScoringOptions.for_model(model)`` (the click scoring for a model trained
    on sessions).
    """

    def __init__(
        self,
        model,
        options: ScoringOptions | None = None,
        allow: Iterable | None = None,
        deny: Iterable | None = None,
        workers: int | None = None,
    ):
        self.model = model
        self.options = options or ScoringOptions.for_model(model)
        self.workers = workers
        self.allowed: np.ndarray | None = None
        self.ignored_filter_keys = 0
        check_k(self.options, len(model))
        get_scorer(self.options.scorer).check_model(model, self.options)
        self._keys = pl.Series("item", model.index_to_key, dtype=pl.String)
        if allow is not None:
            rows = self._rows(allow)
            if not len(rows):
                raise ValueError("the allow list has no item known to the model")
            self.allowed = np.zeros(len(model), dtype=np.bool_)
            self.allowed[rows] = True
        if deny is not None:
            if self.allowed is None:
                self.allowed = np.ones(len(model), dtype=np.bool_)
            self.allowed[self._rows(deny)] = False
            if not self.allowed.any():
                raise ValueError("the allow and deny lists leave no item to recommend")

    def _rows(self, keys: Iterable) -> np.ndarray:
        index = self.model.key_to_index
        keys = [k if isinstance(k, str) else str(k) for k in keys]
        rows = [index[k] for k in keys if k in index]
        self.ignored_filter_keys += len(keys) - len(rows)
        return np.asarray(rows, dtype=np.int64)

    def recommend(self, sessions: Sequence[Sequence] | pl.Series, ids=None) -> tuple[pl.DataFrame, BatchStats]:
        """Recommendations for one chunk: a frame ``id, rank, item, score, fallback`` (``rank``
        from 1; ``score`` null for fallback rows; fewer than ``k`` rows when a session runs out
        of candidates), plus ``cold`` for a model with cold items, and what the chunk contained."""
        encoded = encode_sessions(self.model, sessions)
        n, k = len(encoded), self.options.k
        if ids is None:
            ids = pl.Series("id", np.arange(n, dtype=np.int64))
        ids = pl.Series("id", ids) if not isinstance(ids, pl.Series) else ids.alias("id")
        if len(ids) != n:
            raise ValueError(f"{len(ids)} ids for {n} sessions")
        items, scores = recommend_top_k(self.model, encoded, self.options, self.allowed, self.workers)
        present = (items >= 0).ravel()
        rows = np.repeat(np.arange(n), k)[present]
        frame = pl.DataFrame(
            {
                "id": ids.gather(rows),
                "rank": np.tile(np.arange(1, k + 1, dtype=np.int32), n)[present],
                "item": self._keys.gather(items.ravel()[present]),
                "score": pl.Series("score", scores.ravel()[present], dtype=pl.Float32, nan_to_null=True),
                "fallback": encoded.empty[rows],
            }
        )
        n_cold = getattr(self.model, "n_cold_", 0)
        if n_cold:  # a model trained with attributes: flag the items that come from them alone
            frame = frame.with_columns(cold=pl.Series(items.ravel()[present] >= len(self.model) - n_cold))
        stats = BatchStats(
            sessions=n,
            unknown_items=encoded.n_unknown,
            fallback_sessions=int(encoded.empty.sum()),
            short_sessions=int((items[:, -1] < 0).sum()),
        )
        return frame, stats


def recommend_batch(
    model,
    sessions: Sequence[Sequence] | pl.Series,
    options: ScoringOptions | None = None,
    *,
    ids=None,
    allow: Iterable | None = None,
    deny: Iterable | None = None,
    workers: int | None = None,
) -> pl.DataFrame:
    """Top-``k`` items for every session as a Polars frame ``id, rank, item, score, fallback``.

    ``sessions`` are lists of item keys (or a Polars list Series); ``ids`` label them (default
    0..n-1). See ``Recommender`` for the allow/deny lists and ``recommend_top_k`` for the order.
    """
    return Recommender(model, options, allow, deny, workers).recommend(sessions, ids)[0]
