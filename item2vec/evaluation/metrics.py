"""Ranking metrics of next-item recommendations.

Every pair has exactly one target, so recall@k equals the hit rate ``HR@k``: the share of pairs
whose target is among the ``k`` recommendations. ``MRR@k`` averages ``1/rank`` of the target
(0 beyond ``k``); ``NDCG@k`` averages ``1/log2(rank + 1)`` (the ideal DCG of one target is 1).
``coverage@k`` is the share of the training catalogue that appears in at least one top-``k`` list.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def parse_ks(text: str | Sequence[int]) -> tuple[int, ...]:
    """``"10,20"`` -> ``(10, 20)``: positive, distinct, sorted."""
    try:
        ks = [int(k) for k in (text.split(",") if isinstance(text, str) else text)]
    except ValueError:
        raise ValueError(f"--k must be a comma-separated list of positive integers, got {text!r}") from None
    if not ks or min(ks) < 1:
        raise ValueError(f"--k must be a comma-separated list of positive integers, got {text!r}")
    return tuple(sorted(set(ks)))


def target_ranks(recommended: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """1-based rank of each target in its row of recommendations, 0 where it is absent."""
    hits = (recommended == targets[:, None]) & (targets[:, None] >= 0)
    return np.where(hits.any(axis=1), hits.argmax(axis=1) + 1, 0)


def ndcg_gains(recommended: np.ndarray, targets: np.ndarray, k: int) -> np.ndarray:
    """Each pair's NDCG@k: ``1/log2(rank + 1)`` of its target in the top ``k``, else 0 (their
    mean is ``ranking_metrics``' NDCG@k; pairs of them compare two rankers pair by pair)."""
    return _gains(target_ranks(recommended, targets), k)


def _gains(ranks: np.ndarray, k: int) -> np.ndarray:
    hit = (ranks >= 1) & (ranks <= k)
    return np.where(hit, 1.0 / np.log2(np.where(hit, ranks, 1) + 1.0), 0.0)


def ranking_metrics(
    recommended: np.ndarray, targets: np.ndarray, ks: Sequence[int], catalogue_size: int
) -> dict[str, float]:
    """HR@k, MRR@k, NDCG@k and coverage@k for each ``k`` from one ``(pairs, max k)`` array of
    recommended catalogue ids (best first, ``-1`` = no recommendation)."""
    if len(targets) == 0:
        raise ValueError("no (prefix, next item) pair to evaluate")
    if max(ks) > recommended.shape[1]:
        raise ValueError(f"asked for metrics at k={max(ks)} but got only {recommended.shape[1]} recommendations")
    ranks = target_ranks(recommended, targets)
    out: dict[str, float] = {}
    for k in ks:
        hit = (ranks >= 1) & (ranks <= k)
        safe = np.where(hit, ranks, 1)
        out[f"HR@{k}"] = float(hit.mean())
        out[f"MRR@{k}"] = float(np.where(hit, 1.0 / safe, 0.0).mean())
        out[f"NDCG@{k}"] = float(_gains(ranks, k).mean())
        shown = recommended[:, :k]
        out[f"coverage@{k}"] = float(len(np.unique(shown[shown >= 0])) / catalogue_size)
    return out


def hit_rate_curve(recommended: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """HR@k for k = 1 .. number of recommendations per pair."""
    ranks = target_ranks(recommended, targets)
    return np.cumsum(np.bincount(ranks, minlength=recommended.shape[1] + 1)[1:]) / len(targets)
