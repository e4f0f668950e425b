"""The on-disk corpus: a directory of raw arrays that training memory-maps, so that a corpus
larger than memory costs page cache (which the kernel can drop and re-read), not anonymous memory.

Format version 1 (every number little-endian, no pickle)::

    corpus.json   {"format": "item2vec-corpus", "format_version": 1, "kind": "text" | "sessions",
                   "n_tokens": N, "n_sentences": S, "n_keys": K, "weights": true | false}
    tokens.i32    N int32: ids into keys.json (the corpus' Vocab, by descending count)
    offsets.i64   S + 1 int64: sentence i is tokens[offsets[i]:offsets[i + 1]]
    weights.f32   N float32 per-token weights (only when "weights" is true)
    keys.json     K strings, a JSON list
    counts.i64    K int64: occurrences of each key

``Corpus.save`` writes it from arrays; ``CorpusWriter`` writes it as sentences stream in (text
files, sessions files), holding one chunk of ids at a time. A directory appears whole or not at
all (``files.atomic_dir``). ``load`` checks every size against ``corpus.json`` and refuses a
truncated or foreign directory with a one-line error naming the file.
"""

from __future__ import annotations

import itertools
import json
from array import array
from collections import defaultdict
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from pathlib import Path

import numpy as np

from item2vec import config
from item2vec.data.corpus import KINDS, Corpus, Vocab, count_codes, remap_codes
from item2vec.data.files import atomic_dir

FORMAT = "item2vec-corpus"
FORMAT_VERSION = 1
MANIFEST = "corpus.json"
#: file name -> little-endian dtype of each array file
ARRAYS = {"tokens.i32": "<i4", "offsets.i64": "<i8", "weights.f32": "<f4", "counts.i64": "<i8"}
_CHUNK = 1 << 22  # tokens buffered (and remapped) per step: 16 MB of ids


def save(corpus: Corpus, path) -> None:
    """Write ``corpus`` (in memory or itself memory-mapped) to the directory ``path``, atomically."""
    with atomic_dir(path, marker=MANIFEST) as tmp:
        for name, array_ in (("tokens.i32", corpus.tokens), ("offsets.i64", corpus.offsets)):
            _write_chunks(tmp / name, array_, ARRAYS[name])
        if corpus.weights is not None:
            _write_chunks(tmp / "weights.f32", corpus.weights, ARRAYS["weights.f32"])
        _write_vocab(tmp, corpus.vocab)
        _write_manifest(tmp, corpus.kind, corpus.n_tokens, len(corpus), len(corpus.vocab), corpus.weights is not None)


class CorpusWriter:
    """Stream sentences to a corpus directory: ``add_sentences`` (token lists; new tokens get
    the next id) or ``add_codes`` (ids into ``keys``, with sentence lengths). On a clean exit
    of the ``with`` block the vocabulary is sorted by count, unused keys dropped, the ids
    remapped in place on disk, and the directory appears at ``path``; ``corpus()`` then opens it.

    Empty sentences are skipped and longer ones than ``max_sentence_length`` cut into pieces,
    as ``Corpus.from_sentences`` does, so both build the same corpus from the same sentences.
    """

    def __init__(
        self,
        path,
        keys: Sequence[str] = (),
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
        self._index = defaultdict(itertools.count().__next__)
        for key in keys:
            self._index[key]  # noqa: B018  (registers the key at the next id)
        self._counts = np.zeros(0, dtype=np.int64)
        self._codes = array("i")
        self._lengths = array("q")
        self._written = 0  # tokens already on disk
        self._sentences_written = 0
        self._stack = ExitStack()

    def __enter__(self) -> CorpusWriter:
        self._tmp = self._stack.enter_context(atomic_dir(self.path, marker=MANIFEST))
        self._tokens_file = self._stack.enter_context(open(self._tmp / "tokens.i32", "wb"))
        self._offsets_file = self._stack.enter_context(open(self._tmp / "offsets.i64", "wb"))
        self._offsets_file.write(np.zeros(1, dtype="<i8").tobytes())
        return self

    def add_sentences(self, sentences: Iterable[Sequence]) -> None:
        """Append token lists (strings, or hashables converted with ``str`` in the vocabulary)."""
        code = self._index.__getitem__
        for sentence in sentences:
            if isinstance(sentence, (str, bytes)):
                raise ValueError("each sentence must be a list of tokens, not a string; split it first")
            n = len(sentence)
            if not n:
                continue
            self._codes.extend(map(code, sentence))
            self._add_length(n)
            if len(self._codes) >= _CHUNK:
                self._flush()

    def add_codes(self, codes: np.ndarray, lengths: np.ndarray) -> None:
        """Append sentences given as ids into the keys (``lengths`` of the sentences, in order)."""
        codes = np.asarray(codes, dtype=np.int32)
        lengths = np.asarray(lengths, dtype=np.int64)
        if lengths.sum() != len(codes) or (lengths < 0).any():
            raise ValueError(f"sentence lengths add up to {int(lengths.sum())}, but {len(codes)} codes were given")
        if len(codes) and (codes.min() < 0 or codes.max() >= len(self._index)):
            raise ValueError(f"codes must lie in [0, {len(self._index)}) (one per key)")
        self._flush()
        self._codes.frombytes(codes.tobytes())
        for n in lengths[lengths > 0].tolist():
            self._add_length(n)
        self._flush()

    @property
    def n_tokens(self) -> int:
        """Tokens added so far."""
        return self._written + len(self._codes)

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
        self._tokens_file.write(codes.astype("<i4", copy=False).tobytes())
        ends = self._written + np.cumsum(np.frombuffer(self._lengths, dtype=np.int64))
        self._offsets_file.write(ends.astype("<i8", copy=False).tobytes())
        self._written += len(codes)
        self._sentences_written += len(self._lengths)
        self._codes = array("i")
        self._lengths = array("q")

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:  # the directory is removed, the error goes on
            return self._stack.__exit__(exc_type, exc, tb)
        with self._stack:
            self._finish()
        return None

    def _finish(self) -> None:
        self._flush()
        self._tokens_file.close()
        self._offsets_file.close()
        counts = np.zeros(len(self._index), dtype=np.int64)
        counts[: len(self._counts)] = self._counts
        vocab, old_to_new = Vocab.from_counts(list(self._index), counts)
        n_used = int(np.count_nonzero(vocab.counts))
        vocab = Vocab(vocab.keys[:n_used], vocab.counts[:n_used])
        if self.n_tokens:
            remap_codes(np.memmap(self._tmp / "tokens.i32", dtype="<i4", mode="r+"), old_to_new)
        _write_vocab(self._tmp, vocab)
        _write_manifest(self._tmp, self.kind, self.n_tokens, self._sentences_written, len(vocab), False)

    def corpus(self) -> Corpus:
        """The written corpus, memory-mapped (after the ``with`` block)."""
        return load(self.path)


def load(path) -> Corpus:
    """Open a corpus directory memory-mapped; ``ValueError`` (one line, naming the file) for a
    truncated, damaged or foreign one, ``FileNotFoundError`` for a missing one."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"corpus directory not found: {path}")
    if not path.is_dir():
        raise ValueError(f"{path} is a file, not an item2vec corpus directory (written by Corpus.save or --corpus-cache)")

    def fault(name: str, message: str) -> ValueError:
        return ValueError(f"{path / name}: {message} (not a readable item2vec corpus)")

    try:
        meta = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise fault(MANIFEST, "missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise fault(MANIFEST, f"not valid JSON ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise fault(MANIFEST, f"'format' is not {FORMAT!r}")
    if meta.get("format_version") != FORMAT_VERSION:
        raise fault(MANIFEST, f"format version {meta.get('format_version')!r}, this item2vec reads {FORMAT_VERSION}")
    sizes = {}
    for field in ("n_tokens", "n_sentences", "n_keys"):
        value = meta.get(field)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise fault(MANIFEST, f"{field!r} must be an integer >= 0, found {value!r:.60}")
        sizes[field] = value
    if meta.get("kind") not in KINDS:
        raise fault(MANIFEST, f"'kind' must be one of {', '.join(KINDS)}, found {meta.get('kind')!r:.60}")
    n, s, k = sizes["n_tokens"], sizes["n_sentences"], sizes["n_keys"]

    def read(name: str, length: int, what: str) -> np.ndarray:
        file = path / name
        dtype = np.dtype(ARRAYS[name])
        try:
            found = file.stat().st_size
        except FileNotFoundError:
            raise fault(name, "missing") from None
        if found != length * dtype.itemsize:
            raise fault(name, f"{found:,} bytes, expected {length * dtype.itemsize:,} ({what} in {MANIFEST}): truncated?")
        if length == 0:
            return np.zeros(0, dtype=dtype.newbyteorder("="))
        # copy-on-write: the array types as an in-memory one for numba (one compiled kernel),
        # and a stray write could never reach the file
        return np.memmap(file, dtype=dtype, mode="c")

    tokens = read("tokens.i32", n, "n_tokens")
    offsets = read("offsets.i64", s + 1, "n_sentences + 1")
    weights = read("weights.f32", n, "n_tokens") if meta.get("weights") is True else None
    counts = np.array(read("counts.i64", k, "n_keys"), dtype=np.int64)
    try:
        keys = json.loads((path / "keys.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise fault("keys.json", "missing") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise fault("keys.json", f"not valid JSON ({exc})") from None
    if not isinstance(keys, list) or len(keys) != k or not all(isinstance(key, str) for key in keys):
        raise fault("keys.json", f"expected a list of {k:,} strings (n_keys)")
    try:
        return Corpus(tokens, offsets, Vocab(tuple(keys), counts), weights, meta["kind"])
    except ValueError as exc:
        raise ValueError(f"{path}: {exc} (not a readable item2vec corpus)") from None


def _write_chunks(file: Path, values: np.ndarray, dtype: str) -> None:
    with open(file, "wb") as out:
        for start in range(0, len(values), _CHUNK):
            out.write(np.ascontiguousarray(values[start : start + _CHUNK], dtype=dtype).tobytes())


def _write_vocab(directory: Path, vocab: Vocab) -> None:
    (directory / "keys.json").write_text(json.dumps(list(vocab.keys), ensure_ascii=False), encoding="utf-8")
    _write_chunks(directory / "counts.i64", vocab.counts, ARRAYS["counts.i64"])


def _write_manifest(directory: Path, kind: str, n_tokens: int, n_sentences: int, n_keys: int, weights: bool) -> None:
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "n_tokens": int(n_tokens),
        "n_sentences": int(n_sentences),
        "n_keys": int(n_keys),
        "weights": bool(weights),
    }
    (directory / MANIFEST).write_text(json.dumps(meta, indent=2), encoding="utf-8")
