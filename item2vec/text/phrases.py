"""Phrase detection as word2vec's ``word2phrase``: frequent bigrams become single tokens.

A bigram ``a b`` inside a sentence scores ``(count(ab) - min_count) * N / (count(a) * count(b))``
(``N`` = tokens in the corpus); above ``threshold`` it is joined into ``a_b``. Like word2phrase,
one pass scans each sentence left to right and a token just joined to its left neighbour cannot
also join its right neighbour, so ``a b c`` gives ``a_b c`` at most; repeated passes build longer
phrases (``new_york`` + ``times`` -> ``new_york_times``). Unlike word2phrase.c, bigrams never
cross a sentence boundary and counts are exact (no vocabulary pruning).

The pass runs on the corpus' id arrays with NumPy: no token is ever a Python string.
"""

from __future__ import annotations

import numpy as np

from item2vec.data.corpus import Corpus

#: word2phrase.c's defaults.
THRESHOLD = 100.0
MIN_COUNT = 5
DELIMITER = "_"


def find_phrases(
    corpus: Corpus,
    passes: int = 1,
    threshold: float = THRESHOLD,
    min_count: int = MIN_COUNT,
    delimiter: str = DELIMITER,
) -> Corpus:
    """The corpus with frequent bigrams joined, after ``passes`` passes of word2phrase."""
    if isinstance(passes, bool) or not isinstance(passes, (int, np.integer)) or passes < 0:
        raise ValueError(f"phrase passes must be an integer >= 0, got {passes!r}")
    for _ in range(passes):
        corpus = phrase_pass(corpus, threshold, min_count, delimiter)
    return corpus


def phrase_pass(
    corpus: Corpus, threshold: float = THRESHOLD, min_count: int = MIN_COUNT, delimiter: str = DELIMITER
) -> Corpus:
    """One word2phrase pass (see the module docstring); returns a new corpus."""
    if not (isinstance(threshold, (int, float)) and threshold >= 0 and np.isfinite(threshold)):
        raise ValueError(f"phrase threshold must be a number >= 0, got {threshold!r}")
    if isinstance(min_count, bool) or not isinstance(min_count, (int, np.integer)) or min_count < 1:
        raise ValueError(f"phrase min_count must be an integer >= 1, got {min_count!r}")
    if corpus.weights is not None:
        raise ValueError("phrase detection needs an unweighted corpus (text), this one has token weights")
    joined = _joined_pairs(corpus, float(threshold), int(min_count))
    if not joined.any():
        return corpus
    return _merge(corpus, np.flatnonzero(joined), delimiter)


def _joined_pairs(corpus: Corpus, threshold: float, min_count: int) -> np.ndarray:
    """Boolean per position ``i``: tokens ``i`` and ``i + 1`` are joined in this pass."""
    tokens, counts, n = corpus.tokens, corpus.vocab.counts, corpus.n_tokens
    if n < 2:
        return np.zeros(max(n - 1, 0), dtype=bool)
    n_keys = len(counts)
    left, right = tokens[:-1], tokens[1:]
    inside = np.ones(n - 1, dtype=bool)
    inside[corpus.offsets[1:-1] - 1] = False  # no bigram across a sentence boundary
    where = np.flatnonzero(inside)
    pairs, pair_counts = np.unique(left[where].astype(np.int64) * n_keys + right[where], return_counts=True)
    # exact integers in float64 and one correctly rounded division: the reference's very score.
    # A word rarer than min_count scores below 0 (count(ab) <= count(a)), as word2phrase's 0.
    score = ((pair_counts - min_count) * n).astype(np.float64) / (
        counts[pairs // n_keys] * counts[pairs % n_keys]
    ).astype(np.float64)
    joinable = pairs[score > threshold]  # sorted
    # positions holding a joinable pair: a cheap filter on each word, then an exact lookup
    is_left, is_right = np.zeros(n_keys, dtype=bool), np.zeros(n_keys, dtype=bool)
    is_left[joinable // n_keys] = True
    is_right[joinable % n_keys] = True
    where = where[is_left[left[where]] & is_right[right[where]]]
    pair = left[where].astype(np.int64) * n_keys + right[where]
    found = np.minimum(np.searchsorted(joinable, pair), max(len(joinable) - 1, 0))
    above = np.zeros(n - 1, dtype=bool)
    if len(joinable):
        above[where[joinable[found] == pair]] = True
    # in a run of consecutive joinable pairs the 1st, 3rd, 5th... join (a joined token's
    # right neighbour sees count 0 in word2phrase)
    position = np.arange(n - 1)
    run_start = np.where(above & ~np.concatenate(([False], above[:-1])), position, 0)
    np.maximum.accumulate(run_start, out=run_start)
    return above & ((position - run_start) % 2 == 0)


def _merge(corpus: Corpus, starts: np.ndarray, delimiter: str) -> Corpus:
    """Replace the tokens at ``starts`` by the phrase with their right neighbour and drop the
    neighbour; the vocabulary is recounted."""
    keys = corpus.vocab.keys
    n_keys = len(keys)
    pair = corpus.tokens[starts].astype(np.int64) * n_keys + corpus.tokens[starts + 1]
    pairs, inverse = np.unique(pair, return_inverse=True)
    key_to_code = dict(zip(keys, range(n_keys)))  # a phrase may already be a token of the corpus
    phrase_codes = np.empty(len(pairs), dtype=np.int64)
    for i, (a, b) in enumerate(zip((pairs // n_keys).tolist(), (pairs % n_keys).tolist())):
        phrase_codes[i] = key_to_code.setdefault(keys[a] + delimiter + keys[b], len(key_to_code))
    codes = corpus.tokens.astype(np.int64)
    codes[starts] = phrase_codes[inverse.ravel()]
    keep = np.ones(len(codes), dtype=bool)
    keep[starts + 1] = False
    kept_before = np.concatenate(([0], np.cumsum(keep, dtype=np.int64)))
    return Corpus.from_codes(codes[keep], kept_before[corpus.offsets], list(key_to_code))
