"""Vocabulary and corpus: the flat integer representation every trainer reads.

A ``Corpus`` stores sentences (sessions, documents) as CSR arrays: ``tokens`` (int32 ids into the
corpus' ``Vocab``) and ``offsets`` (int64, sentence ``i`` is ``tokens[offsets[i]:offsets[i+1]]``),
plus optional per-token ``weights``. Nothing downstream ever holds sentences as Python lists, so a
corpus of tens of millions of tokens costs four bytes a token; ``save``/``load`` keep it in a
directory that training memory-maps (``corpus_files``), for corpora larger than memory.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import itertools
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from item2vec import config
from item2vec.data import corpus_files

KINDS = ("text", "sessions")
_CHUNK = 1 << 22  # tokens per step when counting or remapping, to bound temporary memory


@dataclass(frozen=True)
class Vocab:
    """Keys sorted by descending count (ties keep first-seen order), with their counts."""

    keys: tuple[str, ...]
    counts: np.ndarray  # int64, same order as keys

    def __post_init__(self):
        if len(self.keys) != len(self.counts):
            raise ValueError(f"vocab has {len(self.keys)} keys but {len(self.counts)} counts")

    @classmethod
    def from_counts(cls, keys: Sequence, counts) -> tuple[Vocab, np.ndarray]:
        """Sort ``keys`` by count; return the vocab and ``old_to_new`` (position -> new id)."""
        counts = np.asarray(counts, dtype=np.int64)
        order = np.argsort(-counts, kind="stable")
        old_to_new = np.empty(len(order), dtype=np.int32)
        old_to_new[order] = np.arange(len(order), dtype=np.int32)
        text_keys = tuple(k if isinstance(k, str) else str(k) for k in (keys[i] for i in order))
        if len(set(text_keys)) != len(text_keys):
            raise ValueError("two different tokens have the same text (e.g. 1 and '1'); use one type")
        return cls(text_keys, counts[order]), old_to_new

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def total(self) -> int:
        """Number of token occurrences the counts describe."""
        return int(self.counts.sum())

    @property
    def key_to_index(self) -> dict[str, int]:
        return {k: i for i, k in enumerate(self.keys)}

    def prune(self, min_count: int = 1, max_final_vocab: int | None = None) -> tuple[Vocab, np.ndarray]:
        """Drop rare keys as gensim does; return the new vocab and ``old_to_new`` (-1 = dropped).

        ``max_final_vocab`` raises the effective ``min_count`` just enough that at most that many
        keys remain (keys tied on count are kept or dropped together).
        """
        if min_count < 1:
            raise ValueError(f"min_count must be >= 1, got {min_count}")
        effective = min_count
        if max_final_vocab is not None:
            if max_final_vocab < 1:
                raise ValueError(f"max_final_vocab must be >= 1, got {max_final_vocab}")
            if max_final_vocab < len(self):
                effective = max(effective, int(self.counts[max_final_vocab]) + 1)
        keep = self.counts >= effective
        n_keep = int(keep.sum())  # counts are sorted, so the kept keys are a prefix
        old_to_new = np.full(len(self), -1, dtype=np.int32)
        old_to_new[:n_keep] = np.arange(n_keep, dtype=np.int32)
        return Vocab(self.keys[:n_keep], self.counts[:n_keep].copy()), old_to_new

    def keep_probabilities(self, sample: float) -> np.ndarray:
        """word2vec's subsampling: keep an occurrence of key ``w`` with probability
        ``(sqrt(f/(s*N)) + 1) * (s*N)/f`` capped at 1 (``f`` its count, ``N`` the total)."""
        if sample < 0:
            raise ValueError(f"sample must be >= 0, got {sample}")
        if sample == 0:
            return np.ones(len(self), dtype=np.float64)
        threshold = sample * self.total
        f = self.counts.astype(np.float64)
        return np.minimum((np.sqrt(f / threshold) + 1.0) * threshold / f, 1.0)

    def negative_distribution(self, ns_exponent: float) -> np.ndarray:
        """Probability of drawing each key as a negative: ``count ** ns_exponent``, normalised.

        Negative exponents favour rare items and zero gives the uniform distribution; both are
        useful on click and music data (Caselles-Dupre et al., 2018).
        """
        weights = self.counts.astype(np.float64) ** float(ns_exponent)
        return weights / weights.sum()


@dataclass(frozen=True)
class Corpus:
    """Sentences as CSR arrays over a vocabulary, optionally with a weight per token.

    ``kind`` says what the sentences are: ``"sessions"`` (click data: what the sessionisers and
    session-file readers build, see ``as_sessions``) or ``"text"``; ``Item2Vec(preset="auto")``
    picks its defaults by it. ``global_context`` (optional, bool per token) marks *global
    contexts*: a marked token (e.g. the item a session converted on,
    ``SessionOptions.global_context_event``) is a context of every other token of its sentence,
    whatever the window (Grbovic & Cheng, KDD 2018)."""

    tokens: np.ndarray  # int32 ids into vocab
    offsets: np.ndarray  # int64, len = n_sentences + 1
    vocab: Vocab
    weights: np.ndarray | None = None  # float32 per token, scales that token's updates
    kind: str = "text"
    global_context: np.ndarray | None = None  # bool per token: a context of its whole sentence

    def __post_init__(self):
        if self.offsets.ndim != 1 or len(self.offsets) < 1 or self.offsets[0] != 0:
            raise ValueError("offsets must be a 1-D array starting at 0")
        if self.offsets[-1] != len(self.tokens):
            raise ValueError(f"offsets end at {self.offsets[-1]} but there are {len(self.tokens)} tokens")
        if np.any(np.diff(self.offsets) < 0):
            raise ValueError("offsets must be non-decreasing")
        if len(self.tokens) and (self.tokens.min() < 0 or self.tokens.max() >= len(self.vocab)):
            raise ValueError("token ids must lie in [0, len(vocab))")
        if self.kind not in KINDS:
            raise ValueError(f"corpus kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.weights is not None:
            if len(self.weights) != len(self.tokens):
                raise ValueError(f"{len(self.weights)} weights for {len(self.tokens)} tokens")
            for start in range(0, len(self.weights), _CHUNK):  # chunks: the weights may be a memory map
                chunk = self.weights[start : start + _CHUNK]
                if not np.all(np.isfinite(chunk)) or np.any(chunk < 0):
                    raise ValueError("token weights must be finite and >= 0")
        if self.global_context is not None and len(self.global_context) != len(self.tokens):
            raise ValueError(f"{len(self.global_context)} global-context flags for {len(self.tokens)} tokens")

    # ---- construction -------------------------------------------------------------------------

    @classmethod
    def from_codes(
        cls,
        codes,
        offsets,
        keys: Sequence,
        weights=None,
        max_sentence_length: int = config.MAX_SENTENCE_LENGTH,
        global_context=None,
    ) -> Corpus:
        """Build from ids into an arbitrary ``keys`` list: counts them, sorts the vocabulary by
        frequency, drops keys that never occur and splits sentences longer than
        ``max_sentence_length`` into consecutive pieces (each keeps its own global contexts)."""
        codes = np.array(codes, dtype=np.int32)
        if len(codes) and (codes.min() < 0 or codes.max() >= len(keys)):
            raise ValueError(f"codes must lie in [0, {len(keys)}) (one per key)")
        corpus = cls._from_owned_codes(codes, offsets, keys, weights, max_sentence_length)
        if global_context is None:
            return corpus
        return dataclasses.replace(corpus, global_context=np.asarray(global_context, dtype=np.bool_))

    @classmethod
    def _from_owned_codes(cls, codes: np.ndarray, offsets, keys: Sequence, weights, max_sentence_length: int) -> Corpus:
        """``from_codes`` for an int32 array the caller gives up: remapped in place, in chunks,
        so that a corpus of N tokens never needs more than about 4N bytes."""
        vocab, old_to_new = Vocab.from_counts(keys, count_codes(codes, len(keys)))
        n_used = int(np.count_nonzero(vocab.counts))
        vocab = Vocab(vocab.keys[:n_used], vocab.counts[:n_used])
        remap_codes(codes, old_to_new)
        offsets = split_long_sentences(drop_empty_sentences(np.asarray(offsets, dtype=np.int64)), max_sentence_length)
        w = None if weights is None else np.asarray(weights, dtype=np.float32)
        return cls(codes, offsets, vocab, w)

    @classmethod
    def from_sentences(
        cls, sentences: Iterable[Sequence], max_sentence_length: int = config.MAX_SENTENCE_LENGTH
    ) -> Corpus:
        """Build from any iterable of token lists, streaming: only ids are kept, 4 bytes a token.

        Tokens may be strings or other hashables (converted with ``str``); empty sentences are skipped.
        """
        index = defaultdict(itertools.count().__next__)  # a new token gets the next id, in C
        codes = array("i")
        lengths = array("q")
        for sentence in sentences:
            if isinstance(sentence, (str, bytes)):
                raise ValueError("each sentence must be a list of tokens, not a string; split it first")
            if len(sentence):
                codes.extend(map(index.__getitem__, sentence))
                lengths.append(len(sentence))
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(np.frombuffer(lengths, dtype=np.int64), out=offsets[1:])
        return cls._from_owned_codes(
            np.frombuffer(codes, dtype=np.int32), offsets, list(index), None, max_sentence_length
        )

    @classmethod
    def from_file(cls, path, max_sentence_length: int = config.MAX_SENTENCE_LENGTH) -> Corpus:
        """Read a whitespace-tokenised file, one sentence per line (``.gz`` accepted), streaming."""
        return cls.from_sentences((line.split() for line in read_lines(path)), max_sentence_length)

    def as_sessions(self) -> Corpus:
        """The same corpus marked as click sessions (``kind="sessions"``)."""
        return dataclasses.replace(self, kind="sessions")

    # ---- views --------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def n_tokens(self) -> int:
        return len(self.tokens)

    def repeat_share(self) -> float:
        """The share of tokens after a sentence's first that repeat an earlier token of the same
        sentence: how often a session's next item is one it already holds (0 for no tokens).
        One pass over the tokens with a table of one entry per key: no memory grows with the corpus."""
        lengths = np.diff(self.offsets)
        followers = self.n_tokens - int((lengths > 0).sum())
        if followers == 0:
            return 0.0
        from item2vec.data._repeats import count_repeats  # numba: not for every `import item2vec`

        return count_repeats(self.tokens, self.offsets, len(self.vocab)) / followers

    def kept_lengths(self, keep: np.ndarray) -> np.ndarray:
        """Per sentence, how many of its tokens ``t`` have ``keep[t]`` (a bool per vocabulary id),
        computed a chunk of sentences at a time."""
        out = np.empty(len(self), dtype=np.int64)
        for first, last in sentence_chunks(self.offsets):
            start, end = self.offsets[first], self.offsets[last]
            kept = np.zeros(end - start + 1, dtype=np.int64)
            np.cumsum(keep[self.tokens[start:end]], out=kept[1:])
            bounds = self.offsets[first : last + 1] - start
            out[first:last] = kept[bounds[1:]] - kept[bounds[:-1]]
        return out

    def sentence(self, i: int) -> list[str]:
        """Sentence ``i`` as keys (for inspection; training never calls this)."""
        keys = self.vocab.keys
        return [keys[t] for t in self.tokens[self.offsets[i] : self.offsets[i + 1]]]

    def __iter__(self) -> Iterator[list[str]]:
        return (self.sentence(i) for i in range(len(self)))

    def prune(self, min_count: int = 1, max_final_vocab: int | None = None) -> Corpus:
        """Remove rare tokens from the sentences (as gensim does before windowing) and drop
        sentences left empty."""
        vocab, old_to_new = self.vocab.prune(min_count, max_final_vocab)
        if len(vocab) == len(self.vocab):
            return self
        new_ids = old_to_new[self.tokens]
        keep = new_ids >= 0
        kept_before = np.concatenate(([0], np.cumsum(keep, dtype=np.int64)))
        offsets = drop_empty_sentences(kept_before[self.offsets])
        weights = None if self.weights is None else self.weights[keep]
        flags = None if self.global_context is None else self.global_context[keep]
        return Corpus(new_ids[keep], offsets, vocab, weights, self.kind, flags)

    # ---- persistence --------------------------------------------------------------------------

    def save(self, path) -> None:
        """Write the corpus directory ``path`` atomically (format: ``item2vec.data.corpus_files``),
        a chunk at a time: a memory-mapped corpus is saved without being read into memory."""
        with corpus_files.writing(path) as out:
            for first, last in sentence_chunks(self.offsets):
                start, end = self.offsets[first], self.offsets[last]
                out.append(self.tokens[start:end], np.diff(self.offsets[first : last + 1]))
            out.finish(self.vocab.keys, self.vocab.counts, self.kind, self.weights, self.global_context)

    @classmethod
    def load(cls, path) -> Corpus:
        """Open a corpus directory written by ``save``, ``CorpusWriter`` or ``train --corpus-cache``
        memory-mapped: the tokens stay in the file and the page cache, not in the process' memory."""
        arrays = corpus_files.read(path)
        try:
            vocab = Vocab(arrays.keys, arrays.counts)
            return cls(arrays.tokens, arrays.offsets, vocab, arrays.weights, arrays.kind, arrays.global_context)
        except ValueError as exc:
            raise ValueError(f"{path}: {exc} (not a readable item2vec corpus)") from None


class CorpusWriter:
    """Stream sentences to a corpus directory, holding one chunk of ids at a time:
    ``add_sentences`` (token lists; a new token gets the next id) or ``add_codes`` (ids into
    ``keys``, with sentence lengths). When the ``with`` block succeeds the vocabulary is sorted
    by count, unused keys dropped, the ids remapped in place on disk, and the directory appears
    at ``path`` (``corpus()`` opens it); when it fails, nothing is left.

    Empty sentences are skipped and longer ones than ``max_sentence_length`` cut into pieces, so
    the same sentences make the same corpus as ``Corpus.from_sentences``.
    """

    def __init__(
        self,
        path,
        keys: Sequence = (),
        kind: str = "text",
        max_sentence_length: int = config.MAX_SENTENCE_LENGTH,
    ):
        if kind not in KINDS:
            raise ValueError(f"corpus kind must be one of {', '.join(KINDS)}, got {kind!r}")
        if max_sentence_length < 1:
            raise ValueError(f"max_sentence_length must be >= 1, got {max_sentence_length}")
        self.path = Path(path)
        self.kind = kind
        self.max_sentence_length = max_sentence_length
        self._index = defaultdict(itertools.count().__next__)  # a new token gets the next id, in C
        for key in keys:
            self._index[key]  # noqa: B018  (registers the key at the next id)
        self._counts = np.zeros(0, dtype=np.int64)
        self._codes = array("i")
        self._lengths = array("q")

    def __enter__(self) -> CorpusWriter:
        self._stack = ExitStack()
        self._out = self._stack.enter_context(corpus_files.writing(self.path))
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:  # the directory is removed, the error goes on
            return self._stack.__exit__(exc_type, exc, tb)
        with self._stack:  # a failure while finishing removes it too
            self._finish()
        return None

    @property
    def n_tokens(self) -> int:
        """Tokens added so far."""
        return self._out.n_tokens + len(self._codes)

    def add_sentences(self, sentences: Iterable[Sequence]) -> None:
        """Append token lists (strings, or hashables converted with ``str`` in the vocabulary)."""
        code = self._index.__getitem__
        for sentence in sentences:
            if isinstance(sentence, (str, bytes)):
                raise ValueError("each sentence must be a list of tokens, not a string; split it first")
            if len(sentence):
                self._codes.extend(map(code, sentence))
                self._add_length(len(sentence))
                if len(self._codes) >= _CHUNK:
                    self._flush()

    def add_codes(self, codes, lengths) -> None:
        """Append sentences given as ids into the keys, ``lengths`` the sentences' lengths in order."""
        codes = np.asarray(codes, dtype=np.int32)
        lengths = np.asarray(lengths, dtype=np.int64)
        if (lengths < 0).any() or lengths.sum() != len(codes):
            raise ValueError(f"sentence lengths add up to {int(lengths.sum())}, but {len(codes)} codes were given")
        if len(codes) and (codes.min() < 0 or codes.max() >= len(self._index)):
            raise ValueError(f"codes must lie in [0, {len(self._index)}) (one per key)")
        self._flush()
        self._codes.frombytes(codes.tobytes())
        for n in lengths[lengths > 0].tolist():
            self._add_length(n)
        self._flush()

    def _add_length(self, n: int) -> None:
        while n > self.max_sentence_length:
            self._lengths.append(self.max_sentence_length)
            n -= self.max_sentence_length
        self._lengths.append(n)

    def _flush(self) -> None:
        if not self._codes:
            return
        codes = np.frombuffer(self._codes, dtype=np.int32)
        if len(self._counts) < len(self._index):
            self._counts = np.concatenate((self._counts, np.zeros(len(self._index) - len(self._counts), np.int64)))
        self._counts += count_codes(codes, len(self._counts))
        self._out.append(codes, np.frombuffer(self._lengths, dtype=np.int64))
        self._codes, self._lengths = array("i"), array("q")

    def _finish(self) -> None:
        self._flush()
        counts = np.zeros(len(self._index), dtype=np.int64)
        counts[: len(self._counts)] = self._counts
        vocab, old_to_new = Vocab.from_counts(list(self._index), counts)
        n_used = int(np.count_nonzero(vocab.counts))
        remap_codes(self._out.tokens(), old_to_new)
        self._out.finish(vocab.keys[:n_used], vocab.counts[:n_used], self.kind)

    def corpus(self) -> Corpus:
        """The written corpus, memory-mapped (after the ``with`` block)."""
        return Corpus.load(self.path)


def sentence_chunks(offsets: np.ndarray) -> Iterator[tuple[int, int]]:
    """``(first, last)`` sentence ranges covering ``offsets`` in order, each of about ``_CHUNK``
    tokens (or one longer sentence), to bound the temporaries of a pass over a large corpus."""
    first, n = 0, len(offsets) - 1
    while first < n:
        last = int(np.searchsorted(offsets, offsets[first] + _CHUNK, side="right")) - 1
        last = min(max(last, first + 1), n)
        yield first, last
        first = last


def count_codes(codes: np.ndarray, n_keys: int) -> np.ndarray:
    """Occurrences of each id in ``[0, n_keys)``, counted a chunk at a time (``codes`` may be a memory map)."""
    counts = np.zeros(n_keys, dtype=np.int64)
    for start in range(0, len(codes), _CHUNK):
        counts += np.bincount(codes[start : start + _CHUNK], minlength=n_keys)
    return counts


def remap_codes(codes: np.ndarray, old_to_new: np.ndarray) -> None:
    """``codes[:] = old_to_new[codes]`` in place, a chunk at a time (``codes`` may be a memory map)."""
    for start in range(0, len(codes), _CHUNK):
        codes[start : start + _CHUNK] = old_to_new[codes[start : start + _CHUNK]]


def drop_empty_sentences(offsets: np.ndarray) -> np.ndarray:
    """Offsets with zero-length sentences removed."""
    if len(offsets) <= 1:
        return np.zeros(1, dtype=np.int64)
    nonempty = np.diff(offsets) > 0
    return np.concatenate((offsets[:1], offsets[1:][nonempty])).astype(np.int64)


def split_long_sentences(offsets: np.ndarray, max_length: int) -> np.ndarray:
    """Offsets with every sentence longer than ``max_length`` cut into consecutive pieces."""
    if max_length < 1:
        raise ValueError(f"max_sentence_length must be >= 1, got {max_length}")
    lengths = np.diff(offsets)
    if len(lengths) == 0 or lengths.max() <= max_length:
        return offsets
    n_pieces = -(-lengths // max_length)
    piece_in_sentence = np.arange(n_pieces.sum()) - np.repeat(np.cumsum(n_pieces) - n_pieces, n_pieces)
    ends = np.minimum(
        np.repeat(offsets[:-1], n_pieces) + (piece_in_sentence + 1) * max_length, np.repeat(offsets[1:], n_pieces)
    )
    return np.concatenate((offsets[:1], ends)).astype(np.int64)


def read_lines(path) -> Iterator[str]:
    """Stream the lines of a UTF-8 text file (``.gz`` transparently), with a clear error for
    missing files and undecodable bytes."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"file not found: {path}")
    if path.is_dir():
        raise ValueError(f"{path} is a directory, expected a text file")
    raw = gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")
    with raw, io.TextIOWrapper(raw, encoding="utf-8", newline=None) as text:
        line_no = 0
        try:
            for line_no, line in enumerate(text, 1):  # noqa: B007  (line_no names the bad line below)
                yield line
        except UnicodeDecodeError as exc:
            raise ValueError(
                f"{path}: line {line_no + 1} is not valid UTF-8 ({exc.reason} at byte {exc.start} of a read block)"
            ) from None
        except (gzip.BadGzipFile, EOFError, OSError) as exc:
            raise ValueError(f"{path}: cannot read ({exc})") from None
