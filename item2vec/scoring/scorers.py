"""The scorers: each turns encoded sessions into top-k item rows, registered by name.

- ``last``: cosine similarity to the session's last known item.
- ``mean``: cosine to a recency-weighted mean of the last ``n_last`` known items' unit vectors
  (the most recent has weight 1, the one before ``decay``, then ``decay**2``...).
- ``sequence``: the skip-gram's own prediction of the next item: the same recency-weighted mean of
  the *input* vectors dotted with every item's *output* vector.
- ``neighbours``: item2vec similarity used the way item-kNN uses co-occurrence: a recency-weighted
  mixture over the last ``n_last`` items ``p`` of ``exp((cos(p, c) - 1) / temperature)``, each
  item ``p`` reaching its ``config.NEIGHBOURS`` nearest items (itself included, so a session's
  own items rank high unless excluded: repeats are common next items).
- ``mixture``: a recency-weighted mixture of the last ``n_last`` items' next-item distributions:
  item ``p`` repeats with the probability measured in the training sessions (the model's
  ``repeat_share_``), else moves to one of its ``config.NEIGHBOURS`` best successors ``c`` with
  probability ``softmax(input(p) . output(c) / temperature)``. Unlike ``sequence`` (one prediction
  from the mean of the prefix), a candidate likely after *any* recent item scores high.

- ``blend``: the ``mixture``, each item's next-item distribution interpolated with the successors
  observed after it in the training sessions (``Item2Vec.successors_``), their share
  ``blend_weight`` (default: the model's own choice, ``Item2Vec.blend_weight_``): counted evidence
  where an item has history, the embedding's generalisation everywhere else. Share
  ``session_weight`` of every session's distribution (default: the model's choice,
  ``Item2Vec.session_weight_``) goes to the items of its nearest training sessions in embedding
  space (``session_neighbours``): what sessions with the same combination of items went on to.

For the mixtures the score is the mixture's log; items no neighbour list reaches rank after,
by popularity, with score ``-inf``.

A new scorer is one subclass of ``QueryScorer`` (one query vector per session) or ``GraphScorer``
(a mixture over per-item neighbour lists), decorated with ``@register``, plus its tests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import numpy as np

from item2vec import config
from item2vec.engine.topk import top_k_inner, top_k_sparse, unit_rows
from item2vec.scoring.encode import EncodedSessions, offsets_from_lengths
from item2vec.scoring.session_neighbours import SessionNeighbours
from item2vec.scoring.weighting import recency_matrix

#: ``(share, distributions)``: session-level next-item distributions, ``distributions(start, stop)``
#: for sessions ``start:stop`` (a sparse matrix over the vocabulary), mixed in at ``share``.
Evidence = tuple[float, Callable[[int, int], object]]

SCORERS: dict[str, type[Scorer]] = {}


def register(cls: type[Scorer]) -> type[Scorer]:
    """Class decorator: make ``cls`` available as ``ScoringOptions(scorer=cls.name)``."""
    SCORERS[cls.name] = cls
    return cls


def get_scorer(name: str) -> Scorer:
    if name not in SCORERS:
        raise ValueError(f"unknown scorer {name!r}; choose one of {', '.join(SCORERS)}")
    return SCORERS[name]()


class Scorer:
    """Ranks a model's items for sessions. ``temperature_setting`` names the ``config`` entry of
    the scorer's default temperature (None: the scorer has no temperature); ``takes_blend_weight``:
    the scorer reads ``ScoringOptions.blend_weight``."""

    name: ClassVar[str]
    temperature_setting: ClassVar[str | None] = None
    takes_blend_weight: ClassVar[bool] = False

    @classmethod
    def default_temperature(cls) -> float | None:
        return getattr(config, cls.temperature_setting) if cls.temperature_setting else None

    def check_model(self, model, options) -> None:
        """Raise if ``model`` lacks what this scorer reads under ``options`` (before any session
        is scored)."""

    def top_k(
        self,
        model,
        encoded: EncodedSessions,
        options,
        allowed: np.ndarray | None,
        workers: int | None,
        top_items: np.ndarray,
        top_scores: np.ndarray,
    ) -> None:
        """Fill ``top_items``/``top_scores`` (``(sessions, options.k)``), best first."""
        raise NotImplementedError


class QueryScorer(Scorer):
    """One query vector per session, scored against one item matrix by exact top-k search."""

    def recent(self, options) -> int:
        return options.n_last

    def source(self, model) -> np.ndarray:
        """The vectors a session's items contribute to its query."""
        return np.asarray(model.unit_vectors)

    def finish(self, model, queries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The final queries and the item matrix: cosine to the normalised mean by default."""
        return unit_rows(queries), np.asarray(model.unit_vectors)

    def query_vectors(self, model, encoded: EncodedSessions, options) -> tuple[np.ndarray, np.ndarray]:
        """``(queries, item_matrix)`` with ``scores = queries @ item_matrix.T``; empty sessions
        get a zero query."""
        source = self.source(model)
        queries = np.zeros((len(encoded), source.shape[1]), dtype=np.float32)
        ends = encoded.offsets[1:]
        for age in range(self.recent(options)):
            position = ends - 1 - age
            present = position >= encoded.offsets[:-1]
            if not present.any():
                break
            queries[present] += np.float32(options.decay**age) * source[encoded.items[position[present]]]
        return self.finish(model, queries)

    def top_k(self, model, encoded, options, allowed, workers, top_items, top_scores):
        for start in range(0, len(encoded), config.BATCH_SIZE):
            stop = min(start + config.BATCH_SIZE, len(encoded))
            chunk = encoded.slice(start, stop)
            queries, matrix = self.query_vectors(model, chunk, options)
            top_items[start:stop], top_scores[start:stop] = top_k_inner(
                queries,
                matrix,
                options.k,
                exclude=(chunk.items, chunk.offsets) if options.exclude_seen else None,
                allowed=allowed,
                workers=workers,
            )


@register
class Last(QueryScorer):
    name = "last"

    def recent(self, options) -> int:
        return 1


@register
class Mean(QueryScorer):
    name = "mean"


@register
class Sequence(QueryScorer):
    name = "sequence"

    def source(self, model):
        return np.asarray(model.vectors)

    def finish(self, model, queries):
        return queries, np.asarray(model.output_vectors_)


class GraphScorer(Scorer):
    """A recency-weighted mixture over the last ``n_last`` items of per-item neighbour lists,
    computed once for every item the sessions use; sessions are then scored in sparse batches."""

    def neighbour_lists(self, model, items: np.ndarray, options, workers: int | None) -> tuple[np.ndarray, np.ndarray]:
        """``(ids, weights)``, one row per vocabulary row in ``items``, under ``options``
        (``ScoringOptions``: the temperature, the blend weight)."""
        raise NotImplementedError

    def evidence(self, model, encoded, options, workers) -> Evidence | None:
        """Session-level evidence mixed into every session's distribution (none by default)."""
        return None

    def top_k(self, model, encoded, options, allowed, workers, top_items, top_scores):
        recency = recency_matrix(encoded.items, encoded.offsets, len(model), options.decay, options.n_last)
        items = np.unique(recency.indices)
        graph = NeighbourGraph(items, *self.neighbour_lists(model, items, options, workers), len(model))
        evidence = self.evidence(model, encoded, options, workers)
        graph.top_k(recency, encoded, options.exclude_seen, allowed, top_items, top_scores, evidence)


@register
class Neighbours(GraphScorer):
    name = "neighbours"
    temperature_setting = "NEIGHBOURS_TEMPERATURE"

    def neighbour_lists(self, model, items, options, workers):
        unit = np.asarray(model.unit_vectors)
        ids, scores = top_k_inner(unit[items], unit, min(config.NEIGHBOURS, len(unit)), workers=workers)
        # a cosine of 1 (the item itself) weighs 1; cosines never exceed 1, so exp cannot overflow
        return ids, np.exp((scores.astype(np.float64) - 1.0) / options.temperature)


@register
class Mixture(GraphScorer):
    name = "mixture"
    temperature_setting = "MIXTURE_TEMPERATURE"

    def neighbour_lists(self, model, items, options, workers):
        """Each item's next-item distribution: the model's repeat share on itself (repeats are
        common next items, and training rarely pairs an item with itself), the rest on its best
        successors by ``softmax(input(p) . output(c) / temperature)``."""
        repeat = config.REPEAT_SHARE if model.repeat_share_ is None else model.repeat_share_
        inputs, outputs = np.asarray(model.vectors), np.asarray(model.output_vectors_)
        own_ids = items[:, None]
        n_successors = min(config.NEIGHBOURS, len(outputs) - 1)
        if n_successors == 0:
            return own_ids, np.ones(own_ids.shape)
        own = (items, np.arange(len(items) + 1))
        ids, scores = top_k_inner(inputs[items], outputs, n_successors, exclude=own, workers=workers)
        logits = scores.astype(np.float64) / options.temperature
        successors = np.exp(logits - logits[:, :1])  # best first: the row maximum is column 0
        successors *= (1.0 - repeat) / successors.sum(axis=1, keepdims=True)
        return np.hstack([ids, own_ids]), np.hstack([successors, np.full(own_ids.shape, repeat)])


def session_weight(model, options) -> float:
    """The ``blend`` share of the session neighbours used: the options', else the one the model
    chose in ``fit`` (``Item2Vec.session_weight_``), else ``config.SESSION_WEIGHT``; 0 for a
    model without a session pool (text, or saved before it was kept)."""
    if options.session_weight is not None:
        return options.session_weight
    if getattr(model, "sessions_", None) is None:
        return 0.0
    chosen = getattr(model, "session_weight_", None)
    return config.SESSION_WEIGHT if chosen is None else chosen


def blend_weight(model, options) -> float:
    """The ``blend`` share used: the options', else the one the model chose in ``fit`` from its
    training sessions (``Item2Vec.blend_weight_``), else ``config.BLEND_WEIGHT``."""
    if options.blend_weight is not None:
        return options.blend_weight
    chosen = getattr(model, "blend_weight_", None)
    return config.BLEND_WEIGHT if chosen is None else chosen


@register
class Blend(Mixture):
    name = "blend"
    takes_blend_weight = True

    def check_model(self, model, options) -> None:
        if getattr(model, "successors_", None) is None:
            raise ValueError(
                "the 'blend' scorer needs the successors observed in the training sessions, which this model "
                "does not hold (trained on text, or saved by an older item2vec); refit on sessions or use "
                "--scorer mixture"
            )
        if options.session_weight and getattr(model, "sessions_", None) is None:
            raise ValueError(
                "session_weight needs the training sessions, which this model does not hold (trained on "
                "text, or saved by an older item2vec); refit on sessions or leave session_weight unset"
            )

    def evidence(self, model, encoded, options, workers):
        """The items of each session's nearest training sessions (``SessionNeighbours``) at share
        ``session_weight``; none at share 0."""
        share = session_weight(model, options)
        if share == 0:
            return None
        sessions = SessionNeighbours(model, workers)
        return share, lambda start, stop: sessions.distributions(encoded.slice(start, stop), options.n_last)

    def neighbour_lists(self, model, items, options, workers):
        """The ``mixture``'s next-item distribution of each item, ``1 - w`` of it, and ``w``
        (``blend_weight``) on the successors observed after the item in the training sessions
        (``model.successors_``, normalised); an item never followed keeps the mixture's."""
        self.check_model(model, options)
        ids, weights = super().neighbour_lists(model, items, options, workers)
        return self.with_successors(model, items, ids, weights, blend_weight(model, options))

    @staticmethod
    def with_successors(
        model, items: np.ndarray, ids: np.ndarray, weights: np.ndarray, weight: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``mixture`` lists ``(ids, weights)`` of ``items`` blended with their observed
        successors at share ``weight`` (apart, so that several weights can share one mixture)."""
        successors = model.successors_
        lengths = successors.lengths()[items]
        width = max(int(lengths.max(initial=0)), 1)
        present = np.arange(width) < lengths[:, None]
        at = np.where(present, successors.offsets[items][:, None] + np.arange(width), 0)
        observed_ids = np.where(present, successors.items[at] if len(successors.items) else 0, -1)
        observed = np.where(present, successors.weights[at] if len(successors.weights) else 0.0, 0.0)
        totals = observed.sum(axis=1, keepdims=True)
        share = np.where(totals > 0, weight, 0.0)
        observed = share * observed / np.where(totals > 0, totals, 1.0)
        return np.hstack([ids, observed_ids]), np.hstack([(1.0 - share) * weights, observed])


class NeighbourGraph:
    """A graph scorer's item-item weights, one neighbour list per vocabulary row in ``items``
    (sorted, unique: the rows some session uses), as a sparse matrix over ``n_items`` columns."""

    def __init__(self, items: np.ndarray, ids: np.ndarray, weights: np.ndarray, n_items: int):
        from scipy.sparse import csr_matrix

        if (np.diff(items) <= 0).any():  # ``scores`` finds a session's items by binary search
            raise ValueError("NeighbourGraph: items must be sorted and unique")
        self.items = items
        # a list runs short (-1) only when scores are not finite: never let -1 reach a column index
        found = ids >= 0
        indptr = offsets_from_lengths(found.sum(axis=1))
        self.matrix = csr_matrix((weights[found].astype(np.float32), ids[found], indptr), shape=(len(items), n_items))
        self.matrix.sum_duplicates()  # an item in two of a row's lists (``blend``) weighs their sum

    def scores(self, weights, mixed_in: tuple[float, object] | None = None):
        """``log(weights @ neighbour weights)``: sessions x vocabulary, sparse (CSR, sorted);
        ``mixed_in``: ``(share, distributions)``, mixed in as ``(1 - share) * mixture + share *
        distributions`` (a sparse matrix of the same shape, rows summing to 1 or empty)."""
        from scipy.sparse import csr_matrix

        weights = weights.tocoo()
        used = np.searchsorted(self.items, weights.col)
        compact = csr_matrix((weights.data, (weights.row, used)), shape=(weights.shape[0], len(self.items)))
        mixture = (compact @ self.matrix).tocsr()
        if mixed_in is not None:
            share, distributions = mixed_in
            mixture = (mixture * (1.0 - share) + distributions * share).tocsr()
        mixture.eliminate_zeros()  # underflowed weights: unreached, like items no list holds
        mixture.sort_indices()
        mixture.data = np.log(mixture.data, dtype=np.float32)
        return mixture

    def top_k(
        self,
        recency,
        encoded: EncodedSessions,
        exclude_seen: bool,
        allowed: np.ndarray | None,
        top_items: np.ndarray,
        top_scores: np.ndarray,
        evidence: Evidence | None = None,
    ) -> None:
        """Fill ``top_items``/``top_scores`` for ``encoded``, its items weighted by ``recency``
        (``weighting.recency_matrix``), in sparse batches; ``evidence``: ``(share,
        distributions(start, stop))``, session-level distributions mixed in (``scores``)."""
        for start in range(0, len(encoded), config.NEIGHBOUR_BATCH_SIZE):
            stop = min(start + config.NEIGHBOUR_BATCH_SIZE, len(encoded))
            chunk = encoded.slice(start, stop)
            mixed = None if evidence is None else (evidence[0], evidence[1](start, stop))
            top_k_sparse(
                self.scores(recency[start:stop], mixed),
                top_items[start:stop],
                top_scores[start:stop],
                exclude=(chunk.items, chunk.offsets) if exclude_seen else None,
                allowed=allowed,
            )


def query_vectors(model, encoded: EncodedSessions, options) -> tuple[np.ndarray, np.ndarray]:
    """One query vector per session and the item matrix to score it against (``QueryScorer``s
    only: the graph scorers mix one prediction per item and have no single query vector)."""
    scorer = get_scorer(options.scorer)
    if not isinstance(scorer, QueryScorer):
        raise ValueError(f"the {options.scorer!r} scorer mixes one prediction per item; it has no single query vector")
    return scorer.query_vectors(model, encoded, options)
