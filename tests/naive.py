"""Slow, obviously correct reference implementations that the fast code is tested against.

Keep these simple: plain Python/NumPy loops that follow the textbook definition, no tricks.
"""

from __future__ import annotations

import math

import numpy as np


# ---- SGNS engine (issue 2) ---------------------------------------------------------------------
# The reference consumes the same random stream as the kernels (splitmix64, one 64-bit draw per
# token for subsampling, per position for the window, per negative), so that both make the same
# random choices and their vectors can be compared number for number.

_MASK64 = (1 << 64) - 1


class SplitMix64:
    def __init__(self, state: int):
        self.state = int(state)

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & _MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        return z ^ (z >> 31)


def keep_probability(count: int, total: int, sample: float) -> float:
    """word2vec's subsampling keep-probability for a word seen ``count`` times among ``total``."""
    if sample == 0:
        return 1.0
    t = sample * total
    return min(1.0, (math.sqrt(count / t) + 1) * t / count)


def alias_draw(threshold, alias, bits: int) -> int:
    i = ((bits >> 32) * len(threshold)) >> 32
    return i if (bits & 0xFFFFFFFF) < threshold[i] else int(alias[i])


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def sgns_epoch(syn0, syn1, sentences, weights, keep_threshold, neg_threshold, neg_alias, *, sg, window,
               shrink_windows, whole_sentence, negative, alpha, min_alpha, words_before, total_words,
               rng: SplitMix64):
    """One epoch of skip-gram or CBOW with negative sampling, one thread, float64, textbook order.
    Updates ``syn0``/``syn1`` in place; returns the summed logistic loss."""
    loss = 0.0
    done = words_before
    for sentence, sentence_weights in zip(sentences, weights):
        lr = max(alpha - (alpha - min_alpha) * done / total_words, min_alpha)
        done += len(sentence)
        kept = [(w, wt) for w, wt in zip(sentence, sentence_weights)
                if (rng.next() & 0xFFFFFFFF) < keep_threshold[w]]
        n = len(kept)
        for pos, (centre, centre_weight) in enumerate(kept):
            if whole_sentence:
                lo, hi = 0, n
            else:
                b = 1 + (((rng.next() >> 32) * window) >> 32) if shrink_windows else window
                lo, hi = max(0, pos - b), min(n, pos + b + 1)
            context = [kept[c][0] for c in range(lo, hi) if c != pos]
            step = lr * centre_weight
            if sg:
                for ctx in context:
                    hidden = syn0[ctx].copy()
                    grad, pair_loss = _predict(syn1, hidden, centre, step, negative, neg_threshold, neg_alias, rng)
                    syn0[ctx] += grad
                    loss += pair_loss
            elif context:
                hidden = np.mean([syn0[c] for c in context], axis=0)
                grad, pair_loss = _predict(syn1, hidden, centre, step, negative, neg_threshold, neg_alias, rng)
                for ctx in context:
                    syn0[ctx] += grad
                loss += pair_loss
    return loss


def _predict(syn1, hidden, centre, step, negative, neg_threshold, neg_alias, rng):
    targets = [(centre, 1.0)]
    for _ in range(negative):
        t = alias_draw(neg_threshold, neg_alias, rng.next())
        if t != centre:
            targets.append((t, 0.0))
    grad = np.zeros_like(hidden)
    loss = 0.0
    for target, label in targets:
        f = float(hidden @ syn1[target])
        p = sigmoid(f)
        g = (label - p) * step
        grad += g * syn1[target]
        syn1[target] += g * hidden
        loss += -math.log(p) if label else -math.log(1.0 - p)
    return grad, loss
