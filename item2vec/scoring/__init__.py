"""Scoring: what a trained model recommends.

>>> from item2vec.scoring import ScoringOptions, recommend_batch
>>> recommend_batch(model, [["a", "b"], ["c"]], ScoringOptions(k=10, scorer="mixture"))

Modules: ``options`` (``ScoringOptions``, validated once), ``encode`` (sessions to vocabulary
rows), ``scorers`` (the registry: last, mean, sequence, neighbours, mixture), ``weighting``
(recency-weighted session rows), ``batch`` (top-k, ``Recommender``), ``audiences`` (user
vectors, campaign audiences, lookalikes).
"""

from item2vec.scoring.batch import BatchStats, Recommender, popular_items, recommend_batch, recommend_top_k
from item2vec.scoring.encode import EncodedSessions, encode_sessions
from item2vec.scoring.options import ScoringOptions
from item2vec.scoring.scorers import SCORERS, GraphScorer, QueryScorer, Scorer, get_scorer, query_vectors, register

__all__ = [
    "ScoringOptions",
    "Recommender",
    "recommend_batch",
    "recommend_top_k",
    "popular_items",
    "BatchStats",
    "EncodedSessions",
    "encode_sessions",
    "SCORERS",
    "Scorer",
    "QueryScorer",
    "GraphScorer",
    "get_scorer",
    "register",
    "query_vectors",
]
