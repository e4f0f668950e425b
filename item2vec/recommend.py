"""Scoring sessions from a trained model: the one place where "which items come next" is decided,
used alike by evaluation, batch recommendations and the MLflow model.

Scorers (``SCORERS``):
- ``last``: cosine similarity to the session's last known item.
- ``mean``: cosine to a recency-weighted mean of the last ``n_last`` known items' unit vectors
  (the most recent has weight 1, the one before ``decay``, then ``decay**2``...).
- ``sequence``: the skip-gram's own prediction of the next item: the same recency-weighted mean of
  the *input* vectors dotted with every item's *output* vector.
- ``neighbours``: item2vec similarity used the way item-kNN uses co-occurrence: a recency-weighted
  mixture over the last ``n_last`` items ``p`` of ``exp((cos(p, c) - 1) / temperature)``, each
  item ``p`` reaching its ``NEIGHBOURS`` nearest items (itself included, so a session's own items
  rank high unless excluded: repeats are common next items).
- ``mixture``: a recency-weighted mixture of the last ``n_last`` items' next-item distributions:
  item ``p`` repeats with the probability measured in the training sessions (the model's
  ``repeat_share_``: how often a next item repeats an earlier one of its session), else moves to
  one of its ``NEIGHBOURS`` best successors ``c`` with probability
  ``softmax(input(p) . output(c) / temperature)`` (the skip-gram's own prediction). Unlike
  ``sequence`` (one prediction from the mean of the prefix), a candidate likely after *any*
  recent item scores high.

For the two mixtures the score is the mixture's log; items no neighbour list reaches rank after,
by popularity, with score ``-inf``.

Bad input is never fatal mid-batch: unknown items are skipped and counted, a session with no known
item gets the most popular items (flagged ``fallback``, score null/NaN).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from .engine.topk import top_k_sparse_rows
from .topk import top_k_inner
from .weighting import recency_matrix

SCORERS = ("last", "mean", "sequence", "neighbours", "mixture")
MIXTURES = ("neighbours", "mixture")
DEFAULT_SCORER = "mean"
DEFAULT_N_LAST = 5
DEFAULT_DECAY = 0.7
#: Default temperature of each mixture scorer: cosines of close items differ by hundredths, the
#: skip-gram's input . output logits by units (both measured best on validation splits).
DEFAULT_TEMPERATURES = {"neighbours": 0.1, "mixture": 4.0}
DEFAULT_K = 20
#: Nearest items each session item reaches with the mixture scorers (more changed nothing measurable).
NEIGHBOURS = 200
#: Sessions whose query vectors are built at once (bounds memory: 64k x dim x 4 bytes).
BATCH_SIZE = 65_536
#: Sessions scored at once by the mixture scorers (bounds their sparse scores to ~100 MB).
NEIGHBOUR_BATCH_SIZE = 8_192
#: ``mixture``: the share of each item's next-item distribution on the item itself for models saved
#: before it was measured from the training sessions (Diginetica's validation split scored the
#: same for 0.1 to 0.5; 20% of its next items repeat a prefix item).
REPEAT_SHARE = 0.3


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

    def slice(self, start: int, stop: int) -> "EncodedSessions":
        """Sessions ``start:stop`` (``n_unknown`` is not split and is reported as 0)."""
        lo, hi = self.offsets[start], self.offsets[stop]
        return EncodedSessions(self.items[lo:hi], self.offsets[start:stop + 1] - lo, 0)


def encode_sessions(model, sessions: Sequence[Sequence] | pl.Series) -> EncodedSessions:
    """Map sessions (lists of item keys; non-string keys are looked up by ``str``) to vocabulary
    rows. A Polars list Series is encoded without Python loops."""
    if isinstance(sessions, pl.Series):
        return _encode_series(model, sessions)
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
    return EncodedSessions(np.asarray(rows, dtype=np.int32), _offsets(lengths), unknown)


def _encode_series(model, sessions: pl.Series) -> EncodedSessions:
    if not isinstance(sessions.dtype, (pl.List, pl.Array)):
        raise ValueError(f"sessions column {sessions.name!r} has type {sessions.dtype}, expected a list of item ids")
    sessions = sessions.cast(pl.List(pl.String))
    flat = pl.DataFrame({"row": np.arange(len(sessions), dtype=np.int64), "item": sessions}).explode("item")
    rows = flat["item"].replace_strict(model.index_to_key, np.arange(len(model), dtype=np.int32),
                                       default=None, return_dtype=pl.Int32)
    known = rows.is_not_null().to_numpy()
    owner = flat["row"].to_numpy()[known]
    total = int(sessions.list.len().fill_null(0).sum())
    lengths = np.bincount(owner, minlength=len(sessions)).astype(np.int64)
    return EncodedSessions(rows.to_numpy()[known].astype(np.int32), _offsets(lengths), total - int(known.sum()))


def _offsets(lengths: np.ndarray) -> np.ndarray:
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return offsets


def _check_scorer(scorer: str, n_last: int, decay: float, temperature: float | None = None) -> float | None:
    """Raise on a bad option; return the temperature to use (the scorer's default for None)."""
    if scorer not in SCORERS:
        raise ValueError(f"unknown scorer {scorer!r}; choose one of {', '.join(SCORERS)}")
    if isinstance(n_last, bool) or not isinstance(n_last, (int, np.integer)) or n_last < 1:
        raise ValueError(f"n_last must be a positive integer, got {n_last!r}")
    if not 0 < decay <= 1:
        raise ValueError(f"decay must lie in (0, 1], got {decay!r}")
    if temperature is None:
        return DEFAULT_TEMPERATURES.get(scorer)
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    return temperature


def _check_k(k, n_items: int) -> None:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n_items:
        raise ValueError(f"k must be an integer in [1, {n_items}] (the catalogue size), got {k!r}")


def query_vectors(model, encoded: EncodedSessions, scorer: str = DEFAULT_SCORER,
                  n_last: int = DEFAULT_N_LAST, decay: float = DEFAULT_DECAY) -> tuple[np.ndarray, np.ndarray]:
    """One query vector per session and the item matrix to score it against:
    ``scores = queries @ item_matrix.T``. Empty sessions get a zero query. The mixture scorers
    have no single query vector."""
    _check_scorer(scorer, n_last, decay)
    if scorer in MIXTURES:
        raise ValueError(f"the {scorer!r} scorer mixes one prediction per item; it has no single query vector")
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


class NeighbourGraph:
    """A mixture scorer's item-item weights for the items some session uses: each reaches its
    ``NEIGHBOURS`` best items (exact top-k), weighted ``exp((cos - 1) / temperature)`` for
    ``neighbours``; for ``mixture``, its next-item distribution (itself and its best successors)."""

    def __init__(self, model, scorer: str, items: np.ndarray, temperature: float, workers: int | None = None):
        from scipy.sparse import csr_matrix

        self.items = np.unique(items)  # vocabulary rows that have a neighbour list (sorted)
        if scorer == "neighbours":
            unit = np.asarray(model.unit_vectors)
            ids, scores = top_k_inner(unit[self.items], unit, min(NEIGHBOURS, len(unit)), workers=workers)
            # a cosine of 1 (the item itself) weighs 1; cosines never exceed 1, so exp cannot overflow
            weights = np.exp((scores.astype(np.float64) - 1.0) / temperature)
        else:
            ids, weights = self._next_item_distributions(model, temperature, workers)
        width = ids.shape[1]
        indptr = np.arange(0, len(self.items) * width + 1, width, dtype=np.int64)
        self.matrix = csr_matrix((weights.astype(np.float32).ravel(), ids.ravel(), indptr),
                                 shape=(len(self.items), len(model)))
        self.matrix.sort_indices()

    def _next_item_distributions(self, model, temperature: float, workers: int | None):
        """Each item's next-item distribution: the model's repeat share on itself (repeats are
        common next items, and training rarely pairs an item with itself), the rest on its best
        successors by ``softmax(input(p) . output(c) / temperature)``."""
        repeat = REPEAT_SHARE if model.repeat_share_ is None else model.repeat_share_
        inputs, outputs = np.asarray(model.vectors), np.asarray(model.output_vectors_)
        own_ids = self.items[:, None]
        n_successors = min(NEIGHBOURS, len(outputs) - 1)
        if n_successors == 0:
            return own_ids, np.ones(own_ids.shape)
        own = (self.items, np.arange(len(self.items) + 1))
        ids, scores = top_k_inner(inputs[self.items], outputs, n_successors, exclude=own, workers=workers)
        logits = scores.astype(np.float64) / temperature
        successors = np.exp(logits - logits[:, :1])  # best first: the row maximum is column 0
        successors *= (1.0 - repeat) / successors.sum(axis=1, keepdims=True)
        return np.hstack([ids, own_ids]), np.hstack([successors, np.full(own_ids.shape, repeat)])

    def scores(self, weights):
        """``log(weights @ neighbour weights)``: sessions x vocabulary, sparse (CSR, sorted)."""
        from scipy.sparse import csr_matrix

        weights = weights.tocoo()
        used = np.searchsorted(self.items, weights.col)
        compact = csr_matrix((weights.data, (weights.row, used)), shape=(weights.shape[0], len(self.items)))
        mixture = (compact @ self.matrix).tocsr()
        mixture.eliminate_zeros()  # underflowed weights: unreached, like items no list holds
        mixture.sort_indices()
        mixture.data = np.log(mixture.data, dtype=np.float32)
        return mixture


def _mixture_top_k(model, encoded: EncodedSessions, scorer: str, n_last: int, decay: float, temperature: float,
                   exclude_seen: bool, allowed: np.ndarray | None, workers: int | None,
                   top_items: np.ndarray, top_scores: np.ndarray) -> None:
    """Fill ``top_items``/``top_scores`` for a mixture scorer: neighbour lists are computed once
    for every item the sessions use, then sessions are scored in sparse batches."""
    weights = recency_matrix(encoded.items, encoded.offsets, len(model), decay, n_last)
    graph = NeighbourGraph(model, scorer, weights.indices, temperature, workers)
    mask = np.zeros(0, dtype=np.bool_) if allowed is None else np.ascontiguousarray(allowed, dtype=np.bool_)
    no_seen = np.zeros(0, dtype=np.int64)
    for start in range(0, len(encoded), NEIGHBOUR_BATCH_SIZE):
        stop = min(start + NEIGHBOUR_BATCH_SIZE, len(encoded))
        chunk = encoded.slice(start, stop)
        scores = graph.scores(weights[start:stop])
        top_k_sparse_rows(scores.indptr.astype(np.int64), scores.indices.astype(np.int32), scores.data, len(model),
                          chunk.items, chunk.offsets if exclude_seen else no_seen, mask,
                          top_items[start:stop], top_scores[start:stop])


def recommend_top_k(model, encoded: EncodedSessions, k: int = DEFAULT_K, scorer: str = DEFAULT_SCORER,
                    n_last: int = DEFAULT_N_LAST, decay: float = DEFAULT_DECAY,
                    exclude_seen: bool = True, batch_size: int = BATCH_SIZE,
                    allowed: np.ndarray | None = None, workers: int | None = None,
                    temperature: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Top-``k`` item rows and scores per session, best first: arrays of shape ``(n, k)``.

    Items already in the session are excluded unless ``exclude_seen=False``; ``allowed`` is an
    optional boolean mask over the vocabulary (``False``: never recommended). Ties go to the
    more popular item. Sessions with no known item get the most popular (allowed) items with
    score ``nan``; find them with ``encoded.empty``. A session with fewer than ``k`` candidates
    ends with item ``-1`` and score ``-inf``. ``workers`` threads (default: every core) score
    ``batch_size`` sessions at a time.
    """
    _check_k(k, len(model))
    temperature = _check_scorer(scorer, n_last, decay, temperature)
    top_items = np.empty((len(encoded), k), dtype=np.int32)
    top_scores = np.empty((len(encoded), k), dtype=np.float32)
    if scorer in MIXTURES:
        _mixture_top_k(model, encoded, scorer, n_last, decay, temperature, exclude_seen, allowed, workers,
                         top_items, top_scores)
    else:
        for start in range(0, len(encoded), batch_size):
            stop = min(start + batch_size, len(encoded))
            chunk = encoded.slice(start, stop)
            queries, matrix = query_vectors(model, chunk, scorer, n_last, decay)
            top_items[start:stop], top_scores[start:stop] = top_k_inner(
                queries, matrix, k, exclude=(chunk.items, chunk.offsets) if exclude_seen else None,
                allowed=allowed, workers=workers)
    empty = encoded.empty
    if empty.any():
        top_items[empty] = popular_items(len(model), k, allowed)
        top_scores[empty] = np.nan
    return top_items, top_scores


def popular_items(n_items: int, k: int, allowed: np.ndarray | None = None) -> np.ndarray:
    """The ``k`` most popular allowed rows (the vocabulary is sorted by count), padded with -1."""
    candidates = np.arange(n_items, dtype=np.int32) if allowed is None else np.flatnonzero(allowed).astype(np.int32)
    out = np.full(k, -1, dtype=np.int32)
    out[:min(k, len(candidates))] = candidates[:k]
    return out


@dataclass
class BatchStats:
    """What a batch job read and how it coped: reported by the CLI, never silently dropped."""

    sessions: int = 0
    unknown_items: int = 0  # item occurrences skipped (not in the model)
    fallback_sessions: int = 0  # sessions with no known item: popularity fallback
    short_sessions: int = 0  # sessions with fewer than k candidates left (fewer rows)

    def add(self, other: "BatchStats") -> None:
        for name in ("sessions", "unknown_items", "fallback_sessions", "short_sessions"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Recommender:
    """Batch top-k with fixed options, reused over many chunks of sessions.

    ``allow``/``deny`` are item keys: only allowed items (default: all) that are not denied are
    ever recommended; keys unknown to the model are ignored and counted in ``ignored_filter_keys``.
    """

    model: object
    k: int = DEFAULT_K
    scorer: str = DEFAULT_SCORER
    n_last: int = DEFAULT_N_LAST
    decay: float = DEFAULT_DECAY
    exclude_seen: bool = True
    allow: Iterable | None = None
    deny: Iterable | None = None
    workers: int | None = None
    temperature: float | None = None
    allowed: np.ndarray | None = field(init=False, default=None)
    ignored_filter_keys: int = field(init=False, default=0)

    def __post_init__(self):
        _check_k(self.k, len(self.model))
        self.temperature = _check_scorer(self.scorer, self.n_last, self.decay, self.temperature)
        self._keys = pl.Series("item", self.model.index_to_key, dtype=pl.String)
        if self.allow is not None:
            rows = self._rows(self.allow)
            if not len(rows):
                raise ValueError("the allow list has no item known to the model")
            self.allowed = np.zeros(len(self.model), dtype=np.bool_)
            self.allowed[rows] = True
        if self.deny is not None:
            if self.allowed is None:
                self.allowed = np.ones(len(self.model), dtype=np.bool_)
            self.allowed[self._rows(self.deny)] = False
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
        of candidates) and what the chunk contained."""
        encoded = encode_sessions(self.model, sessions)
        n = len(encoded)
        if ids is None:
            ids = pl.Series("id", np.arange(n, dtype=np.int64))
        ids = pl.Series("id", ids) if not isinstance(ids, pl.Series) else ids.alias("id")
        if len(ids) != n:
            raise ValueError(f"{len(ids)} ids for {n} sessions")
        items, scores = recommend_top_k(self.model, encoded, self.k, self.scorer, self.n_last, self.decay,
                                        self.exclude_seen, allowed=self.allowed, workers=self.workers,
                                        temperature=self.temperature)
        present = (items >= 0).ravel()
        rows = np.repeat(np.arange(n), self.k)[present]
        flat_scores = scores.ravel()[present]
        frame = pl.DataFrame({
            "id": ids.gather(rows),
            "rank": np.tile(np.arange(1, self.k + 1, dtype=np.int32), n)[present],
            "item": self._keys.gather(items.ravel()[present]),
            "score": pl.Series("score", flat_scores, dtype=pl.Float32, nan_to_null=True),
            "fallback": encoded.empty[rows],
        })
        stats = BatchStats(sessions=n, unknown_items=encoded.n_unknown,
                           fallback_sessions=int(encoded.empty.sum()),
                           short_sessions=int((items[:, -1] < 0).sum()))
        return frame, stats


def recommend_batch(model, sessions: Sequence[Sequence] | pl.Series, k: int = DEFAULT_K, *, ids=None,
                    scorer: str = DEFAULT_SCORER, n_last: int = DEFAULT_N_LAST, decay: float = DEFAULT_DECAY,
                    exclude_seen: bool = True, allow: Iterable | None = None, deny: Iterable | None = None,
                    workers: int | None = None, temperature: float | None = None) -> pl.DataFrame:
    """Top-``k`` items for every session as a Polars frame ``id, rank, item, score, fallback``.

    ``sessions`` are lists of item keys (or a Polars list Series); ``ids`` label them (default
    0..n-1). See ``Recommender`` for the allow/deny lists and ``recommend_top_k`` for the order.
    """
    recommender = Recommender(model, k, scorer, n_last, decay, exclude_seen, allow, deny, workers, temperature)
    return recommender.recommend(sessions, ids)[0]
