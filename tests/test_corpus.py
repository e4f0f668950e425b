"""Corpus and vocabulary: construction, pruning, subsampling and negative distributions."""

import gzip

import numpy as np
import pytest

from item2vec import Corpus, Vocab

import naive


def test_from_sentences_counts_and_sorts_by_frequency():
    corpus = Corpus.from_sentences([["b", "a", "b"], [], ["c", "b", "a"]])
    assert corpus.vocab.keys == ("b", "a", "c")
    assert corpus.vocab.counts.tolist() == [3, 2, 1]
    assert len(corpus) == 2  # the empty sentence is skipped
    assert list(corpus) == [["b", "a", "b"], ["c", "b", "a"]]


def test_integer_tokens_become_strings_and_mixed_types_that_collide_fail():
    assert Corpus.from_sentences([[1, 2, 2]]).vocab.keys == ("2", "1")
    with pytest.raises(ValueError, match="same text"):
        Corpus.from_sentences([[1, "1"]])


def test_long_sentences_are_split_not_cut(tmp_path):
    path = tmp_path / "long.txt.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(" ".join(f"w{i % 7}" for i in range(25)) + "\n\n" + "x y\n")
    corpus = Corpus.from_file(path, max_sentence_length=10)
    assert np.diff(corpus.offsets).tolist() == [10, 10, 5, 2]
    assert corpus.n_tokens == 27


def test_prune_matches_gensim_rules():
    corpus = Corpus.from_sentences([["a"] * 5 + ["b"] * 3 + ["c"] * 3 + ["d"], ["d", "e"]])
    pruned = corpus.prune(min_count=2)
    assert pruned.vocab.keys == ("a", "b", "c", "d")
    assert pruned.n_tokens == 13 and len(pruned) == 2
    # max_final_vocab raises min_count until at most that many keys remain (ties go together)
    assert corpus.prune(max_final_vocab=2).vocab.keys == ("a",)
    assert corpus.prune(max_final_vocab=3).vocab.keys == ("a", "b", "c")
    only_rare = Corpus.from_sentences([["x", "y"], ["a", "a"]]).prune(min_count=2)
    assert len(only_rare) == 1  # the sentence left empty is dropped


def test_prune_keeps_weights_aligned():
    corpus = Corpus.from_sentences([["a", "b", "a", "c"]])
    corpus = Corpus(corpus.tokens, corpus.offsets, corpus.vocab, np.array([1, 2, 3, 4], np.float32))
    pruned = corpus.prune(min_count=2)
    assert pruned.weights.tolist() == [1, 3]


def test_keep_probabilities_match_word2vec_formula():
    vocab = Vocab(("a", "b", "c"), np.array([10_000, 100, 1]))
    for sample in (0, 1e-3, 1e-5):
        expected = [naive.keep_probability(c, 10_101, sample) for c in (10_000, 100, 1)]
        np.testing.assert_allclose(vocab.keep_probabilities(sample), expected)


@pytest.mark.parametrize("exponent", [0.75, 0.0, -1.0])
def test_negative_distribution(exponent):
    vocab = Vocab(("a", "b", "c"), np.array([8, 4, 1]))
    p = vocab.negative_distribution(exponent)
    expected = np.array([8, 4, 1], float) ** exponent
    np.testing.assert_allclose(p, expected / expected.sum())


@pytest.mark.parametrize("seed", range(5))
def test_repeat_share_matches_naive(seed):
    rng = np.random.default_rng(seed)
    sentences = [[f"i{x}" for x in rng.integers(0, 6, rng.integers(0, 9))] for _ in range(40)]
    corpus = Corpus.from_sentences(sentences)
    assert corpus.repeat_share() == pytest.approx(naive.repeat_share(sentences), abs=1e-12)


def test_repeat_share_of_sentences_without_followers_is_zero():
    assert Corpus.from_sentences([["a"], ["b"], []]).repeat_share() == 0.0
    assert Corpus.from_sentences([["a", "b", "a", "a"]]).repeat_share() == pytest.approx(2 / 3)


def test_bad_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        Corpus.from_file(tmp_path / "nope.txt")
    (tmp_path / "latin1.txt").write_bytes("ok\ncaf\xe9\n".encode("latin-1"))
    with pytest.raises(ValueError, match="latin1.txt.*UTF-8"):
        Corpus.from_file(tmp_path / "latin1.txt")
    with pytest.raises(ValueError, match="list of tokens"):
        Corpus.from_sentences(["a b c"])
