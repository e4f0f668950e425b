"""The on-disk corpus (``item2vec.data.corpus_files``): what streams to disk equals what is built
in memory, trains the same vectors memory-mapped, round-trips, and a damaged or foreign directory
is refused with one line naming the file."""

from __future__ import annotations

import json

import numpy as np
import pytest

from item2vec.data.corpus import Corpus, CorpusWriter, Vocab
from item2vec.model import Item2Vec
from tests import naive
from tests.test_hardening import SMALL, cli, refused


def random_sentences(seed: int, n: int = 300, keys: int = 40) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    return [[f"i{x}" for x in rng.zipf(1.3, rng.integers(0, 12)) % keys] for _ in range(n)]


def assert_same_corpus(a: Corpus, b: Corpus) -> None:
    assert a.vocab.keys == b.vocab.keys
    np.testing.assert_array_equal(a.vocab.counts, b.vocab.counts)
    np.testing.assert_array_equal(a.tokens, b.tokens)
    np.testing.assert_array_equal(a.offsets, b.offsets)
    assert a.kind == b.kind


@pytest.mark.parametrize("seed", range(3))
def test_the_writer_builds_what_from_sentences_builds(tmp_path, seed):
    sentences = random_sentences(seed) + [[], ["long"] * 25]
    with CorpusWriter(tmp_path / "c", max_sentence_length=7) as writer:
        writer.add_sentences(sentences[:100])
        writer.add_sentences(sentences[100:])
    assert_same_corpus(writer.corpus(), Corpus.from_sentences(sentences, max_sentence_length=7))
    assert isinstance(writer.corpus().tokens, np.memmap)


def test_codes_and_sentences_mix(tmp_path):
    with CorpusWriter(tmp_path / "c", keys=["x", "y", "z"]) as writer:
        writer.add_codes(np.array([2, 2, 0, 1, 2]), np.array([2, 0, 3]))
        writer.add_sentences([["y", "new"]])
    expected = Corpus.from_sentences([["z", "z"], ["x", "y", "z"], ["y", "new"]])
    assert_same_corpus(writer.corpus(), expected)
    with pytest.raises(ValueError, match="add up to"), CorpusWriter(tmp_path / "d", keys=["x"]) as writer:
        writer.add_codes(np.array([0, 0]), np.array([1]))
    assert not (tmp_path / "d").exists()  # a failed write leaves nothing


def test_memory_mapped_training_equals_in_memory(tmp_path):
    sentences = random_sentences(7, n=400)
    memory = Corpus.from_sentences(sentences).as_sessions()
    memory.save(tmp_path / "c")
    mapped = Corpus.load(tmp_path / "c")
    assert isinstance(mapped.tokens, np.memmap) and mapped.kind == "sessions"
    params = dict(vector_size=12, epochs=3, workers=1, seed=3, min_count=2, sample=1e-2)
    a, b = Item2Vec(**params).fit(memory), Item2Vec(**params).fit(mapped)
    np.testing.assert_array_equal(a.vectors, b.vectors)
    np.testing.assert_array_equal(a.output_vectors_, b.output_vectors_)
    assert a.repeat_share_ == b.repeat_share_


def test_save_load_round_trip_with_weights(tmp_path):
    corpus = Corpus.from_sentences([["é", "b"], ["b", "c", "é"]])
    corpus = Corpus(corpus.tokens, corpus.offsets, corpus.vocab, np.arange(5, dtype=np.float32), "sessions")
    corpus.save(tmp_path / "c")
    loaded = Corpus.load(tmp_path / "c")
    assert list(loaded) == list(corpus) and loaded.weights.tolist() == list(range(5))
    assert_same_corpus(loaded, corpus)
    loaded.save(tmp_path / "c")  # replacing the directory it is mapped from
    assert list(Corpus.load(tmp_path / "c")) == list(corpus)


@pytest.mark.parametrize("seed", range(5))
def test_repeat_share_and_kept_lengths_match_naive(tmp_path, seed):
    sentences = random_sentences(seed, n=60, keys=6)
    Corpus.from_sentences(sentences).save(tmp_path / "c")
    corpus = Corpus.load(tmp_path / "c")
    assert corpus.repeat_share() == pytest.approx(naive.repeat_share([s for s in sentences if s]), abs=1e-12)
    keep = np.random.default_rng(seed).random(len(corpus.vocab)) < 0.5
    kept = set(np.array(corpus.vocab.keys)[keep])
    expected = [sum(token in kept for token in s) for s in sentences if s]
    assert corpus.kept_lengths(keep).tolist() == expected


def damage(directory, how: str) -> str:
    """Spoil a saved corpus directory; returns the file the error must name."""
    if how == "truncated tokens":
        data = (directory / "tokens.i32").read_bytes()
        (directory / "tokens.i32").write_bytes(data[:-4])
        return "tokens.i32"
    if how == "no manifest":
        (directory / "corpus.json").unlink()
        return "corpus.json"
    if how == "foreign manifest":
        (directory / "corpus.json").write_text(json.dumps({"format": "something-else"}))
        return "corpus.json"
    if how == "newer version":
        meta = json.loads((directory / "corpus.json").read_text())
        (directory / "corpus.json").write_text(json.dumps({**meta, "format_version": 99}))
        return "corpus.json"
    if how == "keys missing":
        (directory / "keys.json").write_text("[]")
        return "keys.json"
    if how == "offsets past the tokens":
        offsets = np.fromfile(directory / "offsets.i64", dtype="<i8")
        offsets[-1] += 5
        offsets.tofile(directory / "offsets.i64")
        return str(directory)
    raise AssertionError(how)


HOW = [
    "truncated tokens",
    "no manifest",
    "foreign manifest",
    "newer version",
    "keys missing",
    "offsets past the tokens",
]


@pytest.mark.parametrize("how", HOW)
def test_damaged_or_foreign_directories_are_refused(tmp_path, how):
    Corpus.from_sentences(random_sentences(1)).save(tmp_path / "c")
    name = damage(tmp_path / "c", how)
    with pytest.raises(ValueError, match="not a readable item2vec corpus") as error:
        Corpus.load(tmp_path / "c")
    assert name in str(error.value) and "\n" not in str(error.value)


def test_files_and_missing_directories_are_refused(tmp_path):
    (tmp_path / "f.npz").write_bytes(b"PK")
    with pytest.raises(ValueError, match="f.npz is a file, not an item2vec corpus directory"):
        Corpus.load(tmp_path / "f.npz")
    with pytest.raises(FileNotFoundError, match="nope"):
        Corpus.load(tmp_path / "nope")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("not a corpus")
    with pytest.raises(ValueError, match="refusing to replace"):
        Corpus.from_sentences([["a"]]).save(tmp_path / "mine")


def test_empty_vocab_directory_round_trips(tmp_path):
    Corpus(np.zeros(0, np.int32), np.zeros(1, np.int64), Vocab((), np.zeros(0, np.int64))).save(tmp_path / "c")
    assert Corpus.load(tmp_path / "c").n_tokens == 0


def test_cli_corpus_cache_then_corpus(tmp_path, capsys):
    text = tmp_path / "t.txt"
    text.write_text("\n".join(" ".join(s) for s in random_sentences(3) if s) + "\n")
    code, _, err = cli(
        capsys, "train", "--text", text, "--out", tmp_path / "m1", "--corpus-cache", tmp_path / "cc", *SMALL
    )
    assert code == 0, err
    assert_same_corpus(Corpus.load(tmp_path / "cc"), Corpus.from_file(text))
    code, _, err = cli(capsys, "train", "--corpus", tmp_path / "cc", "--out", tmp_path / "m2", *SMALL)
    assert code == 0, err
    code, _, err = cli(capsys, "train", "--text", text, "--out", tmp_path / "m3", *SMALL)
    assert code == 0, err
    vectors = [Item2Vec.load(tmp_path / m).vectors for m in ("m1", "m2", "m3")]
    np.testing.assert_array_equal(vectors[0], vectors[1])
    np.testing.assert_array_equal(vectors[0], vectors[2])


def test_cli_refuses_bad_corpus_directories(tmp_path, capsys):
    Corpus.from_sentences(random_sentences(1)).save(tmp_path / "c")
    damage(tmp_path / "c", "truncated tokens")
    refused(capsys, tmp_path, "tokens.i32", "train", "--corpus", tmp_path / "c", "--out", tmp_path / "m", *SMALL)
    refused(
        capsys,
        tmp_path,
        "leave out --corpus-cache",
        "train",
        "--corpus",
        tmp_path / "c",
        "--corpus-cache",
        tmp_path / "d",
        "--out",
        tmp_path / "m",
        *SMALL,
    )
    (tmp_path / "empty.txt").write_text("\n\n")
    refused(
        capsys,
        tmp_path,
        "empty.txt",
        "train",
        "--text",
        tmp_path / "empty.txt",
        "--corpus-cache",
        tmp_path / "d",
        "--out",
        tmp_path / "m",
        *SMALL,
    )


def test_session_files_stream_to_the_same_corpus(tmp_path):
    from item2vec.sessions.files import read_session_corpus

    sessions = tmp_path / "s.txt"
    sessions.write_text("\n".join(" ".join(s) for s in random_sentences(5)) + "\n")
    mapped = read_session_corpus(sessions, cache=tmp_path / "c")
    assert isinstance(mapped.tokens, np.memmap)
    assert_same_corpus(mapped, read_session_corpus(sessions))
    (tmp_path / "blank.txt").write_text("\n\n")
    with pytest.raises(ValueError, match="no session has any item"):
        read_session_corpus(tmp_path / "blank.txt", cache=tmp_path / "d")
    assert not (tmp_path / "d").exists()
