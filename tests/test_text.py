"""Text corpora (issue 4): the streaming reader and tokenisers against a whole-file reference,
word2phrase against a sentence-by-sentence reference, the word benchmarks against gensim's
evaluators on the same vectors, bad input, and the CLI as a user runs it."""

from __future__ import annotations

import gzip
import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from item2vec import Corpus, Item2Vec
from item2vec.text import wordeval
from item2vec.text.phrases import find_phrases, phrase_pass
from item2vec.text.reader import corpus_sentences, iter_sentences, read_corpus, write_text8

import naive
from conftest import run_cli, shared_file

TOKENIZE = ("whitespace", "lowercase", "text8")
# characters that exercise every rule: case, digits, markup, entities, CRLF, non-ASCII letters,
# Unicode whitespace (NBSP, line separator) and the ASCII separators str.split() knows (\x1c)
ALPHABET = "aAbBzZ019 \n\t\r<>&;#x/é\u00a0Σ\u2028\x1c"


def _write(data: bytes, name: str = "corpus.txt", folder: str | None = None) -> Path:
    path = Path(folder or tempfile.mkdtemp()) / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    return path


def assert_same_corpus(a: Corpus, b: Corpus) -> None:
    assert a.vocab.keys == b.vocab.keys and np.array_equal(a.vocab.counts, b.vocab.counts)
    assert np.array_equal(a.tokens, b.tokens) and np.array_equal(a.offsets, b.offsets)


# ---- reader -------------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet=ALPHABET, max_size=300),
    tokenize=st.sampled_from(TOKENIZE),
    max_len=st.integers(1, 6),
    block_size=st.integers(1, 40),
)
def test_reader_matches_whole_file_reference_whatever_the_block_size(text, tokenize, max_len, block_size):
    data = text.encode("utf-8")
    expected = [s for s in naive.text_sentences(data, tokenize, max_len) if s]
    with tempfile.TemporaryDirectory() as folder:
        path = _write(data, folder=folder)
        assert list(iter_sentences(path, tokenize, max_len, block_size=block_size)) == expected


@pytest.mark.parametrize("tokenize", TOKENIZE)
def test_corpus_holds_the_sentences_and_gzip_reads_the_same(tokenize):
    data = ("The <b>cat</b> sat on 2 mats.\r\n\n&amp; THE cat\tsat\u00a0down  \n" * 7).encode()
    plain, packed = _write(data), _write(data, "corpus.txt.gz")
    corpus = read_corpus(plain, tokenize, max_sentence_length=4)
    assert list(corpus_sentences(corpus)) == [s for s in naive.text_sentences(data, tokenize, 4) if s]
    assert_same_corpus(read_corpus(packed, tokenize, max_sentence_length=4), corpus)


def test_whitespace_reading_equals_the_corpus_file_reader():
    path = shared_file("diginetica_srgnn_train_sessions.txt.gz")
    assert_same_corpus(read_corpus(path), Corpus.from_file(path))


def test_one_huge_line_streams_in_pieces_of_at_most_max_sentence_length():
    words = [f"w{i % 37}" for i in range(25_003)]
    path = _write((" ".join(words) + "\n").encode())
    pieces = list(iter_sentences(path, max_sentence_length=10_000, block_size=4096))
    assert [len(p) for p in pieces] == [10_000, 10_000, 5_003]
    assert sum(pieces, []) == words
    corpus = read_corpus(path)
    assert np.diff(corpus.offsets).tolist() == [10_000, 10_000, 5_003]


def test_markup_split_across_blocks_is_still_removed():
    line = "word " * 50 + '<doc id="1" url="http://x.org/wiki?curid=1" title="A title">' + " end" * 50
    path = _write(line.encode())
    for block_size in (7, 64, 256):
        assert list(iter_sentences(path, "text8", 1000, block_size)) == [naive.text8_line_tokens(line)]


def test_text8_on_the_wikipedia_sample_matches_the_reference():
    path = shared_file("enwiki2015_wikiextractor_AA.txt.gz")
    with gzip.open(path, "rb") as fh:
        head = b"".join(fh.readline() for _ in range(1500))
    sample = _write(head)
    expected = [s for s in naive.text_sentences(head, "text8", 10_000) if s]
    assert list(iter_sentences(sample, "text8")) == expected
    assert "curid" not in read_corpus(sample, "text8").vocab.keys  # a word only <doc> tags hold
    out = sample.with_name("clean.txt")
    assert write_text8(sample, out) == sum(map(len, expected))
    assert out.read_text().splitlines() == [" ".join(s) for s in expected]


# ---- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["bad.txt", "bad.txt.gz"])
def test_invalid_utf8_names_the_byte_offset_and_line(name):
    data = b"good line\nsecond \xff line\n" + b"x " * 5000
    with pytest.raises(ValueError, match=r"invalid UTF-8 .* at byte 17\b.*\(line 2\)"):
        read_corpus(_write(data, name))


def test_invalid_utf8_far_into_the_file_gets_its_true_offset():
    data = b"abc def\n" * 300_000 + b"caf\xe9\n"
    with pytest.raises(ValueError, match=r"at byte 2,400,003 .*line 300,001"):
        list(iter_sentences(_write(data), block_size=65_536))


def test_binary_data_is_refused():
    with pytest.raises(ValueError, match=r"NUL byte .* at byte 4\b"):
        read_corpus(_write(b"abc \x00\x01\x02 def\n"))


@pytest.mark.parametrize("data", [b"", b"\n\n  \n", b'<doc id="1">\n</doc>\n'])
def test_a_corpus_without_tokens_is_an_error(data):
    with pytest.raises(ValueError, match="corpus is empty"):
        read_corpus(_write(data), "text8")


def test_other_bad_paths_and_options(tmp_path):
    with pytest.raises(FileNotFoundError, match="file not found"):
        read_corpus(tmp_path / "missing.txt")
    with pytest.raises(ValueError, match="is a directory"):
        read_corpus(tmp_path)
    with pytest.raises(ValueError, match="unknown tokenize='stem'.*whitespace, lowercase, text8"):
        read_corpus(_write(b"a b\n"), "stem")
    truncated = gzip.compress(b"a b c\n" * 10_000)[:-30]
    with pytest.raises(ValueError, match="cannot decompress"):
        read_corpus(_write(truncated))


# ---- phrases ------------------------------------------------------------------------------------

sentences_strategy = st.lists(st.lists(st.sampled_from("aabbbcde"), max_size=12), min_size=1, max_size=30)


@settings(max_examples=200, deadline=None)
@given(
    sentences=sentences_strategy,
    threshold=st.sampled_from([0.0, 1.0, 2.5, 10.0, 40.0]),
    min_count=st.integers(1, 4),
    passes=st.integers(1, 3),
)
def test_phrases_match_word2phrase_reference(sentences, threshold, min_count, passes):
    if not any(sentences):
        return
    expected = [s for s in sentences if s]
    for _ in range(passes):
        expected = naive.word2phrase_pass(expected, threshold, min_count)
    result = find_phrases(Corpus.from_sentences(sentences), passes, threshold, min_count)
    assert list(corpus_sentences(result)) == expected
    assert result.n_tokens == sum(map(len, expected))


def test_phrases_on_wikipedia_text_match_the_reference_and_find_known_phrases():
    path = shared_file("enwiki2015_wikiextractor_AA.txt.gz")
    with gzip.open(path, "rb") as fh:
        head = b"".join(fh.readline() for _ in range(3000))
    corpus = read_corpus(_write(head), "text8")
    sentences = list(corpus_sentences(corpus))
    result = find_phrases(corpus, passes=2, threshold=20)
    expected = naive.word2phrase_pass(naive.word2phrase_pass(sentences, 20, 5), 20, 5)
    assert list(corpus_sentences(result)) == expected
    assert {"united_states", "new_york"} <= set(result.vocab.keys)


def test_a_phrase_that_is_already_a_token_shares_its_id():
    sentences = [["new", "york"]] * 20 + [["new_york"]] * 3 + [["new", "old", "york", "old"]] * 2
    result = phrase_pass(Corpus.from_sentences(sentences), threshold=0, min_count=1)
    counts = dict(zip(result.vocab.keys, result.vocab.counts.tolist()))
    assert counts["new_york"] == 23 and len(set(result.vocab.keys)) == len(result.vocab)


def test_phrase_options_are_validated():
    corpus = Corpus.from_sentences([["a", "b"]] * 3)
    with pytest.raises(ValueError, match="threshold"):
        phrase_pass(corpus, threshold=-1)
    with pytest.raises(ValueError, match="min_count"):
        phrase_pass(corpus, min_count=0)
    with pytest.raises(ValueError, match="passes"):
        find_phrases(corpus, passes=-1)
    weighted = Corpus(corpus.tokens, corpus.offsets, corpus.vocab, np.ones(corpus.n_tokens, np.float32))
    with pytest.raises(ValueError, match="unweighted"):
        phrase_pass(weighted)


# ---- evaluation against gensim ------------------------------------------------------------------

QUESTIONS = "gensim_questions-words.txt.gz"
PAIRS = ("gensim_wordsim353.tsv.gz", "gensim_simlex999.txt.gz")
QUERY_WORDS = {"king", "woman", "man", "paris", "war", "germany", "france"}


@pytest.fixture(scope="module")
def word_vectors():
    """gensim KeyedVectors holding vectors trained by item2vec on 1M words of Wikipedia, with a
    few keys recased (and recased duplicates added) so case folding is exercised."""
    from gensim.models import KeyedVectors

    path = shared_file("enwiki2015_wikiextractor_AA.txt.gz")
    with gzip.open(path, "rb") as fh:
        head = b"".join(fh.readline() for _ in range(20_000))
    model = Item2Vec(vector_size=50, epochs=2, min_count=3, workers=2, seed=3)
    model.fit(read_corpus(_write(head), "text8"))
    keys = list(model.index_to_key)
    vectors = np.array(model.vectors)
    rng = np.random.default_rng(0)
    for i in range(1, 3000, 7):
        if keys[i] not in QUERY_WORDS:
            keys[i] = keys[i].capitalize()
    extra = [keys[i].upper() for i in range(2, 3000, 11)]
    kv = KeyedVectors(vectors.shape[1])
    kv.add_vectors(
        keys[:2500] + extra + keys[2500:],
        np.vstack([vectors[:2500], rng.normal(size=(len(extra), vectors.shape[1])), vectors[2500:]]),
    )
    return kv


@pytest.mark.parametrize("restrict_vocab", [4000, 1500])
def test_analogy_accuracy_equals_gensim_on_the_same_vectors(word_vectors, restrict_vocab):
    path = shared_file(QUESTIONS)
    ours = wordeval.evaluate_analogies(word_vectors, path, restrict_vocab=restrict_vocab)
    score, sections = word_vectors.evaluate_word_analogies(str(path), restrict_vocab=restrict_vocab)
    theirs = {s["section"]: (len(s["correct"]), len(s["correct"]) + len(s["incorrect"])) for s in sections}
    assert ours.correct >= 10  # trained vectors: random ones would get about none right
    disagreements = sum(abs(s.correct - theirs[s.name][0]) for s in ours.sections)
    assert disagreements <= 2  # float32 near-ties may rank differently
    assert all(s.questions == theirs[s.name][1] for s in ours.sections)
    assert ours.accuracy == pytest.approx(score, abs=2 / ours.questions)
    assert ours.questions + ours.skipped == 19_544 and ours.malformed == 0


def test_similarity_equals_gensim_with_oov_counted(word_vectors):
    for name in PAIRS:
        path = shared_file(name)
        ours = wordeval.evaluate_similarity(word_vectors, path)
        pearson, spearman, oov_ratio = word_vectors.evaluate_word_pairs(str(path))
        assert ours.spearman == pytest.approx(spearman.statistic, abs=1e-4)
        assert ours.pearson == pytest.approx(pearson.statistic, abs=1e-4)
        assert 100 * ours.oov / (ours.oov + ours.pairs) == pytest.approx(oov_ratio)
        assert ours.oov > 0 and ours.malformed == 0


@pytest.mark.parametrize(
    "positive, negative",
    [(["king", "woman"], ["man"]), (["paris"], []), ([], ["war"]), (["{recased}", "germany"], ["france"])],
)
def test_most_similar_equals_gensim(word_vectors, positive, negative):
    positive = [word_vectors.index_to_key[8] if w == "{recased}" else w for w in positive]
    ours = wordeval.most_similar(word_vectors, positive, negative, topn=8)
    theirs = word_vectors.most_similar(positive=positive, negative=negative, topn=8)
    assert [k for k, _ in ours] == [k for k, _ in theirs]
    assert np.allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-5)
    restricted = wordeval.most_similar(word_vectors, positive or ["paris"], negative, topn=5, restrict_vocab=500)
    assert all(word_vectors.key_to_index[k] < 500 for k, _ in restricted)


def test_most_similar_bad_input(word_vectors):
    with pytest.raises(KeyError, match="'nosuchword'"):
        wordeval.most_similar(word_vectors, ["king", "nosuchword"])
    with pytest.raises(ValueError, match="at least one"):
        wordeval.most_similar(word_vectors)


def test_malformed_evaluation_lines_are_counted_not_fatal(word_vectors, tmp_path):
    with gzip.open(shared_file(QUESTIONS), "rb") as fh:
        lines = fh.read().splitlines()[:800]
    clean = tmp_path / "clean.txt"
    clean.write_bytes(b"\n".join(lines) + b"\n")
    junk = [b"athens greece baghdad", b"a b c d e", b"caf\xe9 x y z", b""]
    dirty = tmp_path / "dirty.txt"
    dirty.write_bytes(b"\n".join([b"king queen man woman"] + lines[:300] + junk + lines[300:]) + b"\n")
    good = wordeval.evaluate_analogies(word_vectors, clean, restrict_vocab=4000)
    bad = wordeval.evaluate_analogies(word_vectors, dirty, restrict_vocab=4000)
    assert bad.malformed == 3 and bad.malformed_lines == (302, 303, 304)
    assert bad.sections[0].name == "(no section)"
    assert bad.sections[0].questions + bad.sections[0].skipped == 1
    assert [(s.name, s.correct, s.questions, s.skipped) for s in bad.sections[1:]] == [
        (s.name, s.correct, s.questions, s.skipped) for s in good.sections
    ]

    pairs = tmp_path / "pairs.tsv"
    pairs.write_bytes(
        b"# comment\nking\tqueen\t8.5\nking\tqueen\nking\tqueen\tmany\n"
        b"war\tpeace\tnan\nman\twoman\t8.3\ncity town 7\n\xff\xfe\t1\n"
    )
    result = wordeval.evaluate_similarity(word_vectors, pairs)
    assert (result.pairs + result.oov, result.malformed, result.malformed_lines) == (3, 4, (3, 4, 5, 8))


# ---- CLI ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wiki_head(tmp_path_factory):
    path = shared_file("enwiki2015_wikiextractor_AA.txt.gz")
    target = tmp_path_factory.mktemp("text") / "wiki_head.txt.gz"
    with gzip.open(path, "rb") as fh:
        target.write_bytes(gzip.compress(b"".join(fh.readline() for _ in range(4000))))
    return target


def test_cli_phrases_writes_the_phrased_corpus(wiki_head, tmp_path):
    out = tmp_path / "phrased.txt"
    result = run_cli("phrases", wiki_head, out, "--tokenize", "text8", "--passes", 2, "--threshold", 50)
    assert result.returncode == 0, result.stderr
    expected = find_phrases(read_corpus(wiki_head, "text8"), 2, 50.0)
    assert out.read_text().splitlines() == [" ".join(s) for s in corpus_sentences(expected)]


def test_cli_train_text_with_phrases_then_evaluate(wiki_head, tmp_path):
    result = run_cli(
        "train",
        "--text",
        wiki_head,
        "--tokenize",
        "text8",
        "--phrases",
        1,
        "--out",
        tmp_path / "m",
        "--epochs",
        1,
        "--vector-size",
        20,
        "--no-progress",
    )
    assert result.returncode == 0, result.stderr
    model = Item2Vec.load(tmp_path / "m")
    assert "united_states" in model and "the" in model and "The" not in model
    report = tmp_path / "eval.json"
    result = run_cli(
        "evaluate-text",
        tmp_path / "m",
        "--analogies",
        shared_file(QUESTIONS),
        "--similarity",
        shared_file(PAIRS[0]),
        "--query",
        "king woman -man",
        "--json",
        report,
    )
    assert result.returncode == 0, result.stderr
    assert "capital-common-countries" in result.stdout and "Spearman" in result.stdout
    saved = json.loads(report.read_text())
    direct = wordeval.evaluate_analogies(model, shared_file(QUESTIONS))
    assert saved["analogies"]["correct"] == direct.correct
    assert saved["analogies"]["questions"] == direct.questions
    assert len(saved["queries"]["king woman -man"]) == 10


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "--text", "{bad}", "--out", "{tmp}/m"], "invalid UTF-8"),
        (["train", "--text", "{good}", "--tokenize", "stem", "--out", "{tmp}/m"], "unknown tokenize"),
        (["phrases", "{good}", "{tmp}/o.txt", "--passes", "0"], "--passes must be >= 1"),
        (["phrases", "{tmp}/missing.txt", "{tmp}/o.txt"], "file not found"),
        (["evaluate-text", "{tmp}"], "nothing to evaluate"),
    ],
)
def test_cli_errors_are_one_line(tmp_path, args, message):
    (tmp_path / "bad.txt").write_bytes(b"abc \xff\n")
    (tmp_path / "good.txt").write_text("a b c\n")
    args = [a.format(tmp=tmp_path, bad=tmp_path / "bad.txt", good=tmp_path / "good.txt") for a in args]
    result = run_cli(*args, "--no-progress") if args[0] == "train" else run_cli(*args)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
