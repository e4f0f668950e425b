"""Private Numba kernels of the session baselines (``rules.py``, ``sessionknn.py``).

Every kernel fills ``out[pair - start]`` for the pairs ``start:stop`` of a task (prefixes as CSR
of catalogue ids: ``q_items``, ``q_offsets``) and releases the GIL, so the caller runs disjoint
pair ranges on threads. Scratch arrays are sized once per call and reset through the lists of
what a pair touched, so a pair costs what it reads, never the catalogue or the training log.

Ranking (``_rank``): items with a positive score first, by score, ties to the lower catalogue id
(the more popular item); then the unscored items in popularity order (catalogue id order); with
``exclude_seen`` the prefix's items are skipped; a row that runs out of items ends in ``-1``.

Codes shared with the Python side (``sessionknn.py`` names them):

``prefix_weighting`` - the weight of the prefix item whose last click is at position ``i`` of
``L`` (1 = first click, duplicates counted): 0 same (1), 1 div (i / L), 2 log
(1 / log10(L - i + 1.7)), 3 quadratic ((i / L)^2), 4 exp (exp((i - L) / lambda_spw), STAN).

``similarity`` - between the prefix's item set s (weights w) and a training session's set n:
0 vec (sum of w over s & n, divided by |s|: V-SKNN), 1 cosine (sum of w over s & n divided by
sqrt(sum of w^2 over s) * sqrt(|n|): STAN, and plain cosine when w = 1), 2 jaccard
(|s & n| / |s | n|).

``neighbour_decay`` - a neighbour's factor from ``t``, the distance from the end of the prefix of
the most recent prefix item it contains (t = 1: the last click): 0 none, 1 div (1 / t), 2 log
(1 / log10(t + 1.7)), 3 quadratic (1 / t^2), 4 exp (exp(-(t - 1) / lambda_ipw), VSTAN).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

SAME, DIV, LOG, QUADRATIC, EXP = 0, 1, 2, 3, 4
VEC, COSINE, JACCARD = 0, 1, 2


@njit(inline="always")
def _prefix_weight(code, i, length, lambda_spw):
    if code == DIV:
        return i / length
    if code == LOG:
        return 1.0 / math.log10(length - i + 1.7)
    if code == QUADRATIC:
        return (i / length) ** 2
    if code == EXP:
        return math.exp((i - length) / lambda_spw)
    return 1.0


@njit(inline="always")
def _neighbour_decay(code, t, lambda_ipw):
    if code == DIV:
        return 1.0 / t
    if code == LOG:
        return 1.0 / math.log10(t + 1.7)
    if code == QUADRATIC:
        return 1.0 / (t * t)
    if code == EXP:
        return math.exp(-(t - 1) / lambda_ipw)
    return 1.0


@njit(inline="always")
def _top_by_score(ids, scores, n, k):
    """Positions (into ``ids``/``scores``, first ``n``) of the ``k`` best: score descending, ties to
    the lower id. O(n) selection, then a sort of the (k plus tied) survivors."""
    if n > k:
        threshold = np.partition(scores[:n], n - k)[n - k]
        keep = np.flatnonzero(scores[:n] >= threshold)
    else:
        keep = np.arange(n)
    by_id = keep[np.argsort(ids[keep])]
    ranked = by_id[np.argsort(-scores[by_id], kind="mergesort")]
    return ranked[: min(k, n)]


@njit(inline="always")
def _rank(row, touched, n_touched, scores, excluded, n_items):
    """Fill ``row`` (see the module docstring); ``excluded[item]`` marks skipped items,
    ``scores[item] > 0`` the scored ones."""
    k = row.shape[0]
    ids = np.empty(n_touched, dtype=np.int64)
    values = np.empty(n_touched, dtype=np.float64)
    n = 0
    for j in range(n_touched):
        item = touched[j]
        if scores[item] > 0 and not excluded[item]:
            ids[n] = item
            values[n] = scores[item]
            n += 1
    best = _top_by_score(ids, values, n, k)
    filled = best.shape[0]
    for j in range(filled):
        row[j] = ids[best[j]]
    item = 0
    while filled < k and item < n_items:
        if not excluded[item] and not scores[item] > 0:
            row[filled] = item
            filled += 1
        item += 1
    for j in range(filled, k):
        row[j] = -1


@njit(nogil=True, cache=True)
def rules_top_k(
    q_items, q_offsets, start, stop, rule_offsets, rule_targets, rule_weights, n_items, push, exclude_seen, out
):
    """Sequential rules: the rule list of the last prefix item scores its targets. ``push``
    multiplies the score of an item clicked c times in the prefix by c + 1."""
    scores = np.zeros(n_items, dtype=np.float64)
    counts = np.zeros(n_items, dtype=np.int32)
    excluded = np.zeros(n_items, dtype=np.bool_)
    for pair in range(start, stop):
        lo, hi = q_offsets[pair], q_offsets[pair + 1]
        row = out[pair - start]
        if hi == lo:
            _rank(row, rule_targets[:0], 0, scores, excluded, n_items)
            continue
        for p in range(lo, hi):
            counts[q_items[p]] += 1
            excluded[q_items[p]] = exclude_seen
        last = q_items[hi - 1]
        a, b = rule_offsets[last], rule_offsets[last + 1]
        for r in range(a, b):
            item = rule_targets[r]
            scores[item] = rule_weights[r] * (counts[item] + 1 if push else 1)
        _rank(row, rule_targets[a:b], b - a, scores, excluded, n_items)
        for r in range(a, b):
            scores[rule_targets[r]] = 0.0
        for p in range(lo, hi):
            counts[q_items[p]] = 0
            excluded[q_items[p]] = False


@njit(nogil=True, cache=True)
def knn_top_k(
    q_items,
    q_offsets,
    start,
    stop,
    sess_tokens,
    sess_offsets,
    sess_distinct,
    post_sessions,
    post_offsets,
    item_factor,
    k,
    sample_size,
    prefix_weighting,
    lambda_spw,
    similarity,
    session_factor,
    neighbour_decay,
    lambda_ipw,
    distance_factor,
    push,
    exclude_seen,
    out,
):
    """Session kNN for every pair ``start:stop``.

    Candidates: the ``sample_size`` most recent training sessions (highest index: sessions are in
    time order) holding any prefix item. Each gets ``similarity`` times ``session_factor[s]``
    (STAN's recency decay; ones: off); the ``k`` most similar are the neighbours (ties to the more
    recent). A neighbour n adds to every item j it holds ``sim(n) * decay(n) *
    distance_factor[|pos(j) - pos*|]`` (positions of last clicks in n, pos* that of the last prefix
    item in n; STAN's exp(-d / lambda_inh) tabulated, ones: off); item j's total is multiplied by
    ``item_factor[j]`` (idf) and, with ``push``, by c + 1 for an item clicked c times in the prefix.
    """
    n_sessions = sess_offsets.shape[0] - 1
    n_items = item_factor.shape[0]
    weight = np.zeros(n_items, dtype=np.float64)  # prefix weight of each prefix item
    last_click = np.zeros(n_items, dtype=np.int64)  # 1-based position of its last click, 0 = absent
    counts = np.zeros(n_items, dtype=np.int32)
    excluded = np.zeros(n_items, dtype=np.bool_)
    scores = np.zeros(n_items, dtype=np.float64)
    scored = np.zeros(n_items, dtype=np.bool_)
    touched_items = np.empty(n_items, dtype=np.int64)
    position = np.zeros(n_items, dtype=np.int64)  # last position of an item inside one neighbour
    distinct = np.empty(n_items, dtype=np.int64)
    shared = np.zeros(n_sessions, dtype=np.float64)  # sum of prefix weights shared with a session
    overlap = np.zeros(n_sessions, dtype=np.int64)
    latest = np.zeros(n_sessions, dtype=np.int64)  # last prefix position of a shared item
    touched = np.empty(n_sessions, dtype=np.int64)
    for pair in range(start, stop):
        lo, hi = q_offsets[pair], q_offsets[pair + 1]
        row = out[pair - start]
        length = hi - lo
        if length == 0:
            _rank(row, touched_items, 0, scores, excluded, n_items)
            continue
        n_distinct = 0
        for p in range(lo, hi):
            item = q_items[p]
            if counts[item] == 0:
                distinct[n_distinct] = item
                n_distinct += 1
            counts[item] += 1
            last_click[item] = p - lo + 1
            excluded[item] = exclude_seen
        norm = 0.0
        for d in range(n_distinct):
            item = distinct[d]
            weight[item] = _prefix_weight(prefix_weighting, last_click[item], length, lambda_spw)
            norm += weight[item] * weight[item]
        # candidates: each prefix item's most recent sessions (the sample's members are among them)
        n_touched = 0
        for d in range(n_distinct):
            item = distinct[d]
            a, b = post_offsets[item], post_offsets[item + 1]
            for r in range(max(a, b - sample_size), b):
                s = post_sessions[r]
                if overlap[s] == 0:
                    touched[n_touched] = s
                    n_touched += 1
                overlap[s] += 1
                shared[s] += weight[item]
                if last_click[item] > latest[s]:
                    latest[s] = last_click[item]
        candidates = touched[:n_touched]
        if n_touched > sample_size:
            oldest = np.partition(candidates, n_touched - sample_size)[n_touched - sample_size]
            candidates = candidates[candidates >= oldest]
        n_cand = candidates.shape[0]
        sims = np.empty(n_cand, dtype=np.float64)
        for c in range(n_cand):
            s = candidates[c]
            if similarity == VEC:
                sim = shared[s] / n_distinct
            elif similarity == COSINE:
                sim = shared[s] / (math.sqrt(norm) * math.sqrt(sess_distinct[s]))
            else:
                sim = overlap[s] / (n_distinct + sess_distinct[s] - overlap[s])
            sims[c] = sim * session_factor[s]
        # neighbours: the k most similar, ties to the more recent session
        if n_cand > k:
            threshold = np.partition(sims, n_cand - k)[n_cand - k]
            above = np.flatnonzero(sims > threshold)
            tied = candidates[sims == threshold]
            tied = -np.sort(-tied)[: k - above.shape[0]]
            chosen = np.concatenate((candidates[above], tied))
            chosen_sims = np.concatenate((sims[above], np.full(tied.shape[0], threshold)))
        else:
            chosen = candidates
            chosen_sims = sims
        n_scored = 0
        for c in range(chosen.shape[0]):
            s = chosen[c]
            factor = chosen_sims[c] * _neighbour_decay(neighbour_decay, length - latest[s] + 1, lambda_ipw)
            a, b = sess_offsets[s], sess_offsets[s + 1]
            star = 0
            for r in range(a, b):
                position[sess_tokens[r]] = r - a + 1
                if counts[sess_tokens[r]] > 0:
                    star = r - a + 1
            for r in range(a, b):
                item = sess_tokens[r]
                if position[item] != r - a + 1:
                    continue  # score each item once, at its last click
                term = factor * distance_factor[abs(r - a + 1 - star)]
                if not scored[item]:
                    scored[item] = True
                    touched_items[n_scored] = item
                    n_scored += 1
                scores[item] += term
            for r in range(a, b):
                position[sess_tokens[r]] = 0
        for j in range(n_scored):
            item = touched_items[j]
            scores[item] *= item_factor[item] * (counts[item] + 1 if push else 1)
        _rank(row, touched_items, n_scored, scores, excluded, n_items)
        for j in range(n_scored):
            scores[touched_items[j]] = 0.0
            scored[touched_items[j]] = False
        for t in range(n_touched):
            s = touched[t]
            shared[s] = 0.0
            overlap[s] = 0
            latest[s] = 0
        for d in range(n_distinct):
            item = distinct[d]
            counts[item] = 0
            last_click[item] = 0
            weight[item] = 0.0
            excluded[item] = False
