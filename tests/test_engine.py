"""The Numba kernels against the slow reference in tests/naive.py, and the samplers' statistics."""

import numpy as np
import pytest
from scipy import stats

from item2vec import Corpus
from item2vec.engine._rng import seed_states
from item2vec.engine._sampling import build_alias, sample_many
from item2vec.engine._sgns import sample_group_negatives
from item2vec.engine.training import ExtraContexts, GroupNegatives, plan, run

import naive

SENTENCES = [
    ["a", "b", "c", "a", "d"],
    ["b", "c", "e"],
    ["a", "a", "b", "f", "c", "d", "b"],
    ["e", "f"],
    ["c", "a", "b", "d", "e", "f", "a", "c"],
    ["d"],
]


def _train_both(
    sg,
    shrink_windows=True,
    whole_sentence=False,
    forward_window=False,
    sample=0.3,
    weights=None,
    epochs=2,
    min_count=1,
    context_samples=0,
    extras=None,
    groups=None,
    global_context=None,
):
    """Train with the kernel and the reference; ``extras``: ``({centre: [extra rows]}, n_extra_rows,
    weight)``, the extra rows after the vocabulary's; ``groups``: ``(group label per row (-1: none),
    group negatives per centre)``; ``global_context``: a bool per token of ``SENTENCES``."""
    corpus = Corpus.from_sentences(SENTENCES)
    if weights is not None or global_context is not None:
        corpus = Corpus(corpus.tokens, corpus.offsets, corpus.vocab, weights, global_context=global_context)
    vocab, remap = corpus.vocab.prune(min_count)
    extra_map, n_extra, extra_weight = extras if extras is not None else ({}, 0, 1.0)
    rng = np.random.default_rng(0)
    syn0 = ((rng.random((len(vocab) + n_extra, 8)) - 0.5) / 8).astype(np.float32)
    syn1 = ((rng.random((len(vocab) + n_extra, 8)) - 0.5) / 8).astype(np.float32)
    ref0, ref1 = syn0.astype(np.float64), syn1.astype(np.float64)
    training = plan(corpus, vocab, remap, sample=sample, ns_exponent=0.75, workers=1)
    settings = dict(
        sg=sg,
        window=2,
        shrink_windows=shrink_windows,
        whole_sentence=whole_sentence,
        forward_window=forward_window,
        context_samples=context_samples,
        negative=3,
        alpha=0.05,
        min_alpha=0.001,
    )
    extra = None
    if extras is not None:
        lists = [extra_map.get(row, []) for row in range(len(vocab))]
        offsets = np.concatenate([[0], np.cumsum([len(rows) for rows in lists])]).astype(np.int64)
        extra = ExtraContexts(offsets, np.array(sum(lists, []), dtype=np.int32), extra_weight)
    group_tables, group_negative = {}, 0
    group_negatives = None
    if groups is not None:
        labels, group_negative = groups
        noise = vocab.negative_distribution(0.75)
        group_negatives = GroupNegatives.build(np.array(labels), noise, group_negative)
        for label in set(labels) - {-1}:
            members = [row for row, g in enumerate(labels) if g == label]
            if len(members) > 1:
                threshold, alias = build_alias(noise[members])
                group_tables.update({row: (members, threshold, alias) for row in members})
    reports = run(
        syn0, syn1, corpus, training, epochs=epochs, seed=7, compute_loss=True, extra=extra, groups=group_negatives,
        **settings,
    )  # fmt: skip

    pruned = corpus.prune(min_count)
    bounds = list(zip(pruned.offsets[:-1], pruned.offsets[1:]))
    sentences = [pruned.tokens[a:b].tolist() for a, b in bounds]
    token_weights = np.ones(pruned.n_tokens) if weights is None else pruned.weights
    sentence_weights = [token_weights[a:b].tolist() for a, b in bounds]
    flags = None if pruned.global_context is None else [pruned.global_context[a:b].tolist() for a, b in bounds]
    rng_ref = naive.SplitMix64(int(seed_states(7, 1)[0, 0]))
    losses = [
        naive.sgns_epoch(
            ref0,
            ref1,
            sentences,
            sentence_weights,
            training.keep_threshold,
            training.neg_threshold,
            training.neg_alias,
            **settings,
            words_before=e * pruned.n_tokens,
            total_words=epochs * pruned.n_tokens,
            rng=rng_ref,
            extras=extra_map,
            extra_weight=extra_weight,
            groups=group_tables,
            group_negative=group_negative,
            global_flags=flags,
        )
        for e in range(epochs)
    ]
    return syn0, syn1, ref0, ref1, [r.loss for r in reports], losses


@pytest.mark.parametrize("sg", [True, False], ids=["skipgram", "cbow"])
@pytest.mark.parametrize("window_mode", ["shrink", "fixed", "whole", "forward"])
def test_kernel_matches_naive_reference(sg, window_mode):
    syn0, syn1, ref0, ref1, loss, ref_loss = _train_both(
        sg,
        shrink_windows=window_mode in ("shrink", "forward"),
        whole_sentence=window_mode == "whole",
        forward_window=window_mode == "forward",
    )
    assert not np.allclose(ref0, ((np.random.default_rng(0).random(ref0.shape) - 0.5) / 8))  # it trained
    np.testing.assert_allclose(syn0, ref0, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(syn1, ref1, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-5)


@pytest.mark.parametrize("context_samples", [1, 3])
def test_sampled_session_context_matches_naive_reference(context_samples):
    syn0, syn1, ref0, ref1, loss, ref_loss = _train_both(
        True, whole_sentence=True, sample=0.0, context_samples=context_samples
    )
    np.testing.assert_allclose(syn0, ref0, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(syn1, ref1, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-5)
    every_pair, *_ = _train_both(True, whole_sentence=True, sample=0.0)
    assert not np.allclose(syn0, every_pair)  # long sessions did sample (a 7- and an 8-item one here)


@pytest.mark.parametrize("sg", [True, False], ids=["skipgram", "cbow"])
@pytest.mark.parametrize("whole", [False, True], ids=["window", "session"])
def test_extra_contexts_match_the_reference(sg, whole):
    """Attribute-style extra contexts (rows after the items, several per centre, some centres
    without, and the single-item session trained through its extras alone) against the reference."""
    n = len(Corpus.from_sentences(SENTENCES).vocab)
    extras = ({0: [n, n + 1], 2: [n + 1], 5: [n + 2], 4: [n]}, 3, 0.5)
    syn0, syn1, ref0, ref1, loss, ref_loss = _train_both(sg, whole_sentence=whole, extras=extras)
    np.testing.assert_allclose(syn0, ref0, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(syn1, ref1, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-5)
    plain0, *_ = _train_both(sg, whole_sentence=whole)
    assert not np.allclose(syn0[:n], plain0)  # the extras did change the items' training


#: Group labels of the six rows of ``SENTENCES``' vocabulary: two groups of two and three rows,
#: one row alone in its group (no group negatives) and one in none.
GROUP_LABELS = [7, 3, 7, 3, 9, -1]


@pytest.mark.parametrize("sg", [True, False], ids=["skipgram", "cbow"])
@pytest.mark.parametrize("whole", [False, True], ids=["window", "session"])
def test_group_negatives_match_the_reference(sg, whole):
    """In-group negatives after the noise ones (with attribute-style extras too, which share them)."""
    n = len(Corpus.from_sentences(SENTENCES).vocab)
    labels = GROUP_LABELS[:n]
    extras = ({0: [n], 3: [n]}, 1, 0.5)
    syn0, syn1, ref0, ref1, loss, ref_loss = _train_both(sg, whole_sentence=whole, extras=extras, groups=(labels, 2))
    np.testing.assert_allclose(syn0, ref0, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(syn1, ref1, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-5)
    without, *_ = _train_both(sg, whole_sentence=whole, extras=extras)
    assert not np.allclose(syn0, without)  # the group negatives did change training


@pytest.mark.parametrize("sg", [True, False], ids=["skipgram", "cbow"])
@pytest.mark.parametrize("min_count", [1, 4], ids=["all", "pruned"])
def test_global_contexts_match_the_reference(sg, min_count):
    """Flagged tokens (a session's converted items) are contexts of every other token of their
    sentence: several in a sentence, one repeated, one that the window reaches too, some pruned."""
    flags = np.zeros(sum(map(len, SENTENCES)), dtype=bool)
    flags[[4, 7, 9, 14, 16, 21, 22]] = True  # last items; a (repeated) and b in the 3rd; e, f in the 5th
    syn0, syn1, ref0, ref1, loss, ref_loss = _train_both(sg, global_context=flags, min_count=min_count)
    np.testing.assert_allclose(syn0, ref0, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(syn1, ref1, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-5)
    without, *_ = _train_both(sg, min_count=min_count)
    assert not np.allclose(syn0, without)  # the global contexts did change training


def test_group_tables_are_csr_by_group():
    tables = GroupNegatives.build(np.array([7, 3, 7, 3, 9, -1, 3]), np.full(7, 1 / 7), 2)
    assert tables.group_of.tolist() == [1, 0, 1, 0, -1, -1, 0]  # groups by label; 9 is a singleton
    assert tables.offsets.tolist() == [0, 3, 5] and tables.members.tolist() == [1, 3, 6, 0, 2]
    assert len(tables.threshold) == len(tables.alias) == 5


@pytest.mark.parametrize("seed", [11, 12])
def test_group_negatives_come_from_the_centre_group(seed):
    """The kernel's in-group draws for a centre: only its group's other rows, in proportion to
    their noise probability (the centre's own draws dropped). Calibrated on seeds 1-20: p-values
    0.08-0.97 against the right distribution, every one below 1e-300 against a uniform draw over
    the group (the power check)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, 60)
    noise = rng.dirichlet(np.ones(60))
    tables = GroupNegatives.build(labels, noise, 3)
    centre = int(np.flatnonzero(labels == labels[0])[1])
    rounds = 40_000
    draws = sample_group_negatives(
        centre, 3, tables.group_of, tables.offsets, tables.threshold, tables.alias, tables.members,
        seed_states(seed, 1)[0].copy(), rounds,
    )  # fmt: skip
    group = np.flatnonzero(labels == labels[centre])
    others = group[group != centre]
    assert set(np.unique(draws)) == set(others.tolist())
    share = noise[group] / noise[group].sum()
    expected = share[group != centre] * 3 * rounds  # each draw lands on the centre with its share: dropped
    observed = np.bincount(draws, minlength=60)[others]
    assert len(draws) == pytest.approx(3 * rounds * (1 - share[group == centre][0]), rel=0.02)
    assert stats.chisquare(observed, expected * len(draws) / expected.sum()).pvalue > 1e-3
    uniform = np.full(len(others), len(draws) / len(others))
    assert stats.chisquare(observed, uniform).pvalue < 1e-6


@pytest.mark.parametrize("sg", [True, False], ids=["skipgram", "cbow"])
def test_pruned_tokens_are_dropped_before_windowing(sg):
    syn0, syn1, ref0, ref1, loss, ref_loss = _train_both(sg, min_count=4)
    assert len(syn0) < len(Corpus.from_sentences(SENTENCES).vocab)
    np.testing.assert_allclose(syn0, ref0, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-5)


def test_token_weights_scale_updates_like_the_reference():
    weights = np.random.default_rng(1).uniform(0.2, 3.0, sum(map(len, SENTENCES))).astype(np.float32)
    syn0, syn1, ref0, ref1, _, _ = _train_both(True, weights=weights)
    np.testing.assert_allclose(syn0, ref0, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(syn1, ref1, rtol=1e-4, atol=1e-6)
    unweighted, *_ = _train_both(True)
    assert not np.allclose(syn0, unweighted)  # the weights did change training


@pytest.mark.parametrize("exponent", [0.75, 1.0, 0.0, -0.5])
def test_negative_sampler_follows_count_power(exponent):
    counts = np.array([500, 200, 90, 40, 20, 9, 5, 3, 2, 1], dtype=np.float64)
    expected = counts**exponent / (counts**exponent).sum()
    threshold, alias = build_alias(expected)
    draws = sample_many(threshold, alias, seed_states(11, 1)[0].copy(), 200_000)
    observed = np.bincount(draws, minlength=len(counts))
    assert stats.chisquare(observed, expected * len(draws)).pvalue > 1e-3
    # and a wrong exponent is detected by the same test (the test has power)
    wrong = counts ** (exponent + 0.25) / (counts ** (exponent + 0.25)).sum()
    assert stats.chisquare(observed, wrong * len(draws)).pvalue < 1e-6


def test_alias_table_is_exact():
    p = np.random.default_rng(3).dirichlet(np.ones(50))
    threshold, alias = build_alias(p)
    n = len(p)
    implied = threshold / 2.0**32 / n
    for i in range(n):
        implied[alias[i]] += (1 - threshold[i] / 2.0**32) / n
    np.testing.assert_allclose(implied, p, atol=1e-8)


def test_a_failing_worker_thread_fails_training(monkeypatch):
    import item2vec.engine.training as training

    def broken_kernel(**kwargs):
        raise FloatingPointError("boom")

    monkeypatch.setattr(training, "train_range", broken_kernel)
    corpus = Corpus.from_sentences(SENTENCES)
    vocab, remap = corpus.vocab.prune(1)
    syn0 = np.zeros((len(vocab), 4), np.float32)
    with pytest.raises(RuntimeError, match="training thread failed.*boom"):
        run(
            syn0,
            syn0.copy(),
            corpus,
            plan(corpus, vocab, remap, 0.0, 0.75, workers=2),
            sg=True,
            window=2,
            shrink_windows=True,
            forward_window=False,
            whole_sentence=False,
            context_samples=0,
            negative=2,
            alpha=0.025,
            min_alpha=0.0001,
            epochs=1,
            seed=1,
            compute_loss=True,
        )
