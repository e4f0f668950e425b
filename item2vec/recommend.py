"""Scoring sessions from a trained model: the one place where "which items come next" is decided,
used alike by evaluation, batch recommendations and the MLflow model.

Scorers (``SCORERS``):
- ``last``: cosine similarity to the session's last known item.
- ``mean``: cosine to a recency-weighted mean of the last ``n_last`` known items' unit vectors
  (the most recent has weight 1, the one before ``decay``, then ``decay**2``...).
- ``sequence``: the skip-gram's own prediction of the next item: the same recency-weighted mean of
  the *input* vectors dotted with every item's *output* vector.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

SCORERS = ("last", "mean", "sequence")
DEFAULT_SCORER = "mean"
DEFAULT_N_LAST = 5
DEFAULT_DECAY = 0.7


@dataclass(frozen=True)
class EncodedSessions:
    """Sessions as rows of the model's vocabulary (CSR); unknown items are skipped and counted."""

    items: np.ndarray  # int32 rows of known items, in session order
    offsets: np.ndarray  # int64, len = n_sessions + 1
    n_unknown: int  # item occurrences not in the model's vocabulary (skipped)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    @property
    def empty(self) -> np.ndarray:
        """Sessions with no known item: they get the popularity fallback."""
        return self.lengths == 0


def encode_sessions(model, sessions: Sequence[Sequence]) -> EncodedSessions:
    """Map sessions (lists of item keys; non-string keys are looked up by ``str``) to vocabulary rows."""
    index = model.key_to_index
    rows: list[int] = []
    lengths = np.zeros(len(sessions), dtype=np.int64)
    unknown = 0
    for s, session in enumerate(sessions):
        if isinstance(session, (str, bytes)):
            raise ValueError(f"session {s} is a string, expected a list of item ids")
        known = [index.get(key if isinstance(key, str) else str(key)) for key in session]
        kept = [r for r in known if r is not None]
        unknown += len(known) - len(kept)
        rows.extend(kept)
        lengths[s] = len(kept)
    offsets = np.zeros(len(sessions) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return EncodedSessions(np.asarray(rows, dtype=np.int32), offsets, unknown)


def _check_scorer(scorer: str, n_last: int, decay: float) -> None:
    if scorer not in SCORERS:
        raise ValueError(f"unknown scorer {scorer!r}; choose one of {', '.join(SCORERS)}")
    if isinstance(n_last, bool) or not isinstance(n_last, (int, np.integer)) or n_last < 1:
        raise ValueError(f"n_last must be a positive integer, got {n_last!r}")
    if not 0 < decay <= 1:
        raise ValueError(f"decay must lie in (0, 1], got {decay!r}")


def query_vectors(model, encoded: EncodedSessions, scorer: str = DEFAULT_SCORER,
                  n_last: int = DEFAULT_N_LAST, decay: float = DEFAULT_DECAY) -> tuple[np.ndarray, np.ndarray]:
    """One query vector per session and the item matrix to score it against:
    ``scores = queries @ item_matrix.T``. Empty sessions get a zero query."""
    _check_scorer(scorer, n_last, decay)
    if scorer == "last":
        n_last = 1
    source = np.asarray(model.vectors if scorer == "sequence" else model.unit_vectors)
    queries = np.zeros((len(encoded), source.shape[1]), dtype=np.float32)
    ends = encoded.offsets[1:]
    for age in range(n_last):
        position = ends - 1 - age
        present = position >= encoded.offsets[:-1]
        if not present.any():
            break
        queries[present] += np.float32(decay ** age) * source[encoded.items[position[present]]]
    if scorer == "sequence":
        return queries, np.asarray(model.output_vectors_)
    norms = np.linalg.norm(queries, axis=1, keepdims=True)
    return queries / np.maximum(norms, 1e-12), np.asarray(model.unit_vectors)


def recommend_top_k(model, encoded: EncodedSessions, k: int = 20, scorer: str = DEFAULT_SCORER,
                    n_last: int = DEFAULT_N_LAST, decay: float = DEFAULT_DECAY,
                    exclude_seen: bool = True, batch_size: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` item rows and scores per session, best first: arrays of shape ``(n, k)``.

    Items already in the session are excluded unless ``exclude_seen=False``. Sessions with no
    known item get the most popular items (by training count) with score ``nan``; find them
    with ``encoded.empty``.
    """
    n_items = len(model.index_to_key)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n_items:
        raise ValueError(f"k must be an integer in [1, {n_items}] (the catalogue size), got {k!r}")
    queries, matrix = query_vectors(model, encoded, scorer, n_last, decay)
    top_items = np.empty((len(encoded), k), dtype=np.int32)
    top_scores = np.empty((len(encoded), k), dtype=np.float32)
    for start in range(0, len(encoded), batch_size):
        stop = min(start + batch_size, len(encoded))
        scores = queries[start:stop] @ matrix.T
        if exclude_seen:
            lo, hi = encoded.offsets[start], encoded.offsets[stop]
            owner = np.repeat(np.arange(stop - start), encoded.lengths[start:stop])
            scores[owner, encoded.items[lo:hi]] = -np.inf
        best = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        best_scores = np.take_along_axis(scores, best, axis=1)
        order = np.argsort(-best_scores, axis=1, kind="stable")
        top_items[start:stop] = np.take_along_axis(best, order, axis=1)
        top_scores[start:stop] = np.take_along_axis(best_scores, order, axis=1)
    empty = encoded.empty
    if empty.any():
        top_items[empty] = np.arange(k, dtype=np.int32)  # vocabulary is sorted by count
        top_scores[empty] = np.nan
    return top_items, top_scores
