"""The on-disk corpus: a directory of raw arrays that training memory-maps, so that a corpus
larger than memory costs page cache (which the kernel can drop and re-read), not anonymous memory.

Format version 1 (every number little-endian, no pickle)::

    corpus.json   {"format": "item2vec-corpus", "format_version": 1, "kind": "text" | "sessions",
                   "n_tokens": N, "n_sentences": S, "n_keys": K, "weights": true | false,
                   "global_context": true | false (absent: false)}
    tokens.i32    N int32: ids into keys.json (the corpus' Vocab, by descending count)
    offsets.i64   S + 1 int64: sentence i is tokens[offsets[i]:offsets[i + 1]]
    weights.f32   N float32 per-token weights (only when "weights" is true)
    global.u8     N uint8 per-token global-context flags, 0 or 1 (only when "global_context" is true)
    keys.json     K strings, a JSON list
    counts.i64    K int64: occurrences of each key

This module knows the bytes; ``Corpus.save``/``Corpus.load`` and ``CorpusWriter`` (streaming,
in ``corpus``) give them meaning. A directory appears whole or not at all (``files.atomic_dir``);
``read`` checks every size against ``corpus.json`` and refuses a truncated or foreign directory
with a one-line error naming the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from item2vec.data.files import atomic_dir, read_json_file, unreadable

FORMAT = "item2vec-corpus"
FORMAT_VERSION = 1
MANIFEST = "corpus.json"
#: file name -> little-endian dtype of each array file
ARRAYS = {"tokens.i32": "<i4", "offsets.i64": "<i8", "weights.f32": "<f4", "global.u8": "u1", "counts.i64": "<i8"}
_CHUNK = 1 << 22  # values written per step


@dataclass(frozen=True)
class CorpusArrays:
    """What a corpus directory holds; the arrays are memory maps (copy-on-write: they type as
    in-memory arrays for numba, so one compiled kernel serves both, and a stray write never
    reaches the file)."""

    tokens: np.ndarray
    offsets: np.ndarray
    weights: np.ndarray | None
    keys: tuple[str, ...]
    counts: np.ndarray
    kind: str
    global_context: np.ndarray | None = None


class DirectoryWriter:
    """Appends sentences to the array files of a directory being written (see ``writing``)."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.n_tokens = 0
        self.n_sentences = 0
        self._tokens = open(directory / "tokens.i32", "wb")
        self._offsets = open(directory / "offsets.i64", "wb")
        self._offsets.write(np.zeros(1, dtype="<i8").tobytes())

    def append(self, codes: np.ndarray, lengths: np.ndarray) -> None:
        """Sentences of ``lengths`` (each > 0) holding ``codes``, in order."""
        self._tokens.write(np.ascontiguousarray(codes, dtype="<i4").tobytes())
        self._offsets.write((self.n_tokens + np.cumsum(lengths, dtype=np.int64)).astype("<i8").tobytes())
        self.n_tokens += len(codes)
        self.n_sentences += len(lengths)

    def tokens(self) -> np.ndarray:
        """The tokens written so far, mapped for update in place (closes the array files)."""
        self.close()
        if self.n_tokens == 0:
            return np.zeros(0, dtype=np.int32)
        return np.memmap(self.directory / "tokens.i32", dtype="<i4", mode="r+")

    def finish(
        self,
        keys: Sequence[str],
        counts: np.ndarray,
        kind: str,
        weights: np.ndarray | None = None,
        global_context: np.ndarray | None = None,
    ) -> None:
        self.close()
        if weights is not None:
            write_array(self.directory / "weights.f32", weights)
        if global_context is not None:
            write_array(self.directory / "global.u8", global_context)
        (self.directory / "keys.json").write_text(json.dumps(list(keys), ensure_ascii=False), encoding="utf-8")
        write_array(self.directory / "counts.i64", counts)
        meta = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "kind": kind,
            "n_tokens": int(self.n_tokens),
            "n_sentences": int(self.n_sentences),
            "n_keys": len(keys),
            "weights": weights is not None,
            "global_context": global_context is not None,
        }
        (self.directory / MANIFEST).write_text(json.dumps(meta, indent=2), encoding="utf-8")

    def close(self) -> None:
        self._tokens.close()
        self._offsets.close()


@contextmanager
def writing(path) -> Iterator[DirectoryWriter]:
    """A ``DirectoryWriter`` on a temporary directory that replaces ``path`` when the block
    succeeds (after ``finish``) and is removed when it fails."""
    with atomic_dir(path, marker=MANIFEST) as tmp:
        writer = DirectoryWriter(tmp)
        try:
            yield writer
        finally:
            writer.close()


def write_array(file: Path, values: np.ndarray) -> None:
    """``values`` (in memory or a memory map) to ``file`` in this format's dtype for that name, in chunks."""
    dtype = ARRAYS[file.name]
    with open(file, "wb") as out:
        for start in range(0, len(values), _CHUNK):
            out.write(np.ascontiguousarray(values[start : start + _CHUNK], dtype=dtype).tobytes())


def read(path) -> CorpusArrays:
    """Open a corpus directory memory-mapped; ``ValueError`` (one line, naming the file) for a
    truncated, damaged or foreign one, ``FileNotFoundError`` for a missing one."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"corpus directory not found: {path}")
    if not path.is_dir():
        raise ValueError(
            f"{path} is a file, not an item2vec corpus directory (written by Corpus.save or --corpus-cache)"
        )

    def fault(name: str, message: str) -> ValueError:
        return unreadable(path / name, message, "item2vec corpus")

    def read_json(name: str):
        return read_json_file(path / name, "item2vec corpus")

    def read_array(name: str, length: int, what: str) -> np.ndarray:
        dtype = np.dtype(ARRAYS[name])
        try:
            found = (path / name).stat().st_size
        except FileNotFoundError:
            raise fault(name, "missing") from None
        if found != length * dtype.itemsize:
            raise fault(
                name, f"{found:,} bytes, expected {length * dtype.itemsize:,} ({what} in {MANIFEST}): truncated?"
            )
        if length == 0:
            return np.zeros(0, dtype=dtype.newbyteorder("="))
        return np.memmap(path / name, dtype=dtype, mode="c")

    meta = read_json(MANIFEST)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise fault(MANIFEST, f"'format' is not {FORMAT!r}")
    if meta.get("format_version") != FORMAT_VERSION:
        raise fault(MANIFEST, f"format version {meta.get('format_version')!r}, this item2vec reads {FORMAT_VERSION}")
    for field in ("n_tokens", "n_sentences", "n_keys"):
        value = meta.get(field)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise fault(MANIFEST, f"{field!r} must be an integer >= 0, found {value!r:.60}")
    if not isinstance(meta.get("kind"), str):
        raise fault(MANIFEST, f"'kind' must be a string, found {meta.get('kind')!r:.60}")
    n, k = meta["n_tokens"], meta["n_keys"]
    keys = read_json("keys.json")
    if not isinstance(keys, list) or len(keys) != k or not all(isinstance(key, str) for key in keys):
        raise fault("keys.json", f"expected a list of {k:,} strings (n_keys in {MANIFEST})")
    return CorpusArrays(
        tokens=read_array("tokens.i32", n, "n_tokens"),
        offsets=read_array("offsets.i64", meta["n_sentences"] + 1, "n_sentences + 1"),
        weights=read_array("weights.f32", n, "n_tokens") if meta.get("weights") is True else None,
        keys=tuple(keys),
        counts=np.array(read_array("counts.i64", k, "n_keys"), dtype=np.int64),
        kind=meta["kind"],
        global_context=(
            read_array("global.u8", n, "n_tokens").view(np.bool_) if meta.get("global_context") is True else None
        ),
    )
