"""Text corpora: stream large text files (plain or gzip) into a ``Corpus`` without holding the text.

A file is read in blocks of bytes cut at whitespace, so a corpus that is one 100 MB line (text8)
never becomes one Python string. Each line is a sentence; lines longer than
``max_sentence_length`` tokens become consecutive pieces (as in word2vec.c and gensim's
``LineSentence``); empty lines are skipped. Tokens become int32 ids as they stream
(``Corpus.from_sentences``): only the distinct words live as Python strings, the corpus costs
4 bytes a token.

Tokenisers (``tokenize=``):

- ``"whitespace"``: pre-tokenised text, split on whitespace, case kept (item ids, cleaned text).
- ``"lowercase"``: as ``whitespace``, lowercased.
- ``"text8"``: Matt Mahoney's text8 cleaning: markup tags (``<doc ...>``, ``</doc>``) and HTML
  entities removed, ASCII letters lowercased, each digit spelled out (``1984`` -> ``one nine
  eight four``), every other character (punctuation, accented and non-Latin letters) a separator.

Input must be UTF-8: invalid bytes or a NUL byte stop the read with an error that names the byte
offset (in the decompressed stream for ``.gz``) and the line. Lines end at ``\\n``; a ``\\r`` is
whitespace, so Windows line ends work.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from item2vec import config
from item2vec.data.corpus import Corpus, CorpusWriter
from item2vec.data.files import atomic_path

#: Bytes read per block; big enough that per-block work is negligible, small enough to stream.
BLOCK_SIZE = 4 << 20
#: A run of this many bytes without whitespace is not text: stop instead of buffering it.
MAX_TOKEN_BYTES = 64 << 20

_GZIP_MAGIC = b"\x1f\x8b"


# ---- reading ------------------------------------------------------------------------------------


def read_corpus(
    path, tokenize: str = "whitespace", max_sentence_length: int = config.MAX_SENTENCE_LENGTH, cache=None
) -> Corpus:
    """Read a text file (gzip or plain, detected by content) into a ``Corpus``, streaming. With
    ``cache`` (a directory), the ids stream to a corpus directory there and the corpus returned
    is memory-mapped from it (``Corpus.load``): the process never holds the corpus.

    Raises ``ValueError`` naming the file for an unknown tokeniser, invalid UTF-8 or binary data
    (with the byte offset), and for a file without any token.
    """
    sentences = iter_sentences(path, tokenize, max_sentence_length)
    if cache is None:
        corpus = Corpus.from_sentences(sentences, max_sentence_length=max_sentence_length)
    else:
        with CorpusWriter(cache, kind="text", max_sentence_length=max_sentence_length) as writer:
            writer.add_sentences(sentences)
            _require_tokens(writer.n_tokens, path, tokenize)  # before the directory appears
        corpus = writer.corpus()
    _require_tokens(corpus.n_tokens, path, tokenize)
    return corpus


def _require_tokens(n_tokens: int, path, tokenize: str) -> None:
    if n_tokens == 0:
        raise ValueError(f"{path}: the corpus is empty (no token after {tokenize} tokenisation)")


def iter_sentences(
    path,
    tokenize: str = "whitespace",
    max_sentence_length: int = config.MAX_SENTENCE_LENGTH,
    block_size: int = BLOCK_SIZE,
) -> Iterator[list[str]]:
    """Token lists, one per non-empty line, lines longer than ``max_sentence_length`` tokens cut
    into consecutive pieces. The result does not depend on ``block_size`` (a knob for tests)."""
    clean = tokenizer(tokenize)
    if max_sentence_length < 1:
        raise ValueError(f"max_sentence_length must be >= 1, got {max_sentence_length}")
    line: list[str] = []  # tokens of the line being read; a long line spans blocks
    for block in _text_blocks(path, block_size):
        *complete, last = clean(block).split("\n")
        for text in complete:
            line.extend(text.split())
            yield from _pieces(line, max_sentence_length)
            line = []
        line.extend(last.split())
        while len(line) > max_sentence_length:  # emit a very long line's full pieces as they come
            yield line[:max_sentence_length]
            del line[:max_sentence_length]
    yield from _pieces(line, max_sentence_length)


def check_text(path) -> None:
    """Read ``path`` through as the corpus reader does, raising its error (byte offset and line)
    at the first invalid UTF-8 byte, NUL byte or decompression failure: the diagnosis for readers
    that only say "invalid utf8" (Polars)."""
    for _ in _text_blocks(path, BLOCK_SIZE):
        pass


def _pieces(tokens: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(tokens), size):
        yield tokens[start : start + size]


def _text_blocks(path, block_size: int) -> Iterator[str]:
    """Decoded text in blocks that end at an ASCII whitespace byte (so neither a token nor a
    UTF-8 sequence is ever split), validated as UTF-8 without NUL bytes."""
    path = Path(path)
    offset = 0  # bytes of the (decompressed) stream before `carry`
    line = 1  # line number at `offset`
    carry = b""
    with open_binary(path) as raw:
        where = " of the decompressed text" if isinstance(raw, gzip.GzipFile) else ""
        while True:
            chunk = _read(raw, block_size, path)
            data = carry + chunk if carry else chunk
            if not chunk:
                if data:
                    yield _decode(data, path, offset, line, where)
                return
            cut = _cut_point(data)
            if cut == 0:
                if len(data) > MAX_TOKEN_BYTES:
                    raise ValueError(
                        f"{path}: no whitespace in {len(data):,} bytes from byte {offset}: not a text corpus"
                    )
                carry = data
                continue
            block, carry = data[:cut], data[cut:]
            yield _decode(block, path, offset, line, where)
            offset += len(block)
            line += block.count(b"\n")


def _cut_point(data: bytes) -> int:
    """Where to end a block: after its last newline or, inside a very long line, after the last
    space, tab or CR that cannot lie inside a markup tag (0: no such place yet)."""
    newline = data.rfind(b"\n")
    if newline >= 0:
        return newline + 1
    end = len(data)
    while True:
        space = max(data.rfind(ws, 0, end) for ws in (b" ", b"\t", b"\r"))
        if space < 0:
            return 0
        tag = data.rfind(b"<", 0, space)
        if tag < 0 or space - tag > _TAG_BYTES or data.find(b">", tag, space) >= 0:
            return space + 1
        end = tag  # a "<" still open at the space: the space may be inside a tag


def open_binary(path):
    """Open a file for reading bytes, decompressing it if it is gzip (detected by its first two
    bytes, whatever its name); clear errors for a missing path or a directory."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"file not found: {path}")
    if path.is_dir():
        raise ValueError(f"{path} is a directory, expected a text file")
    with open(path, "rb") as probe:
        compressed = probe.read(2) == _GZIP_MAGIC
    return gzip.open(path, "rb") if compressed else open(path, "rb")


def _read(raw, size: int, path: Path) -> bytes:
    try:
        return raw.read(size)
    except (gzip.BadGzipFile, EOFError, zlib.error, OSError) as exc:
        raise ValueError(f"{path}: cannot decompress ({exc})") from None


def _decode(block: bytes, path: Path, offset: int, line: int, where: str) -> str:
    nul = block.find(b"\x00")
    bad, reason = (nul, "a NUL byte (binary data?)") if nul >= 0 else (len(block), "")
    try:
        text = block[:bad].decode("utf-8")
    except UnicodeDecodeError as exc:
        bad, reason = exc.start, f"invalid UTF-8 ({exc.reason})"
    if reason:
        line += block.count(b"\n", 0, bad)
        raise ValueError(
            f"{path}: {reason} at byte {offset + bad:,}{where} (line {line:,}); convert the file to UTF-8 text "
            f"(from Latin-1: iconv -f latin1 -t utf-8 {path.name} > utf8-{path.name})"
        )
    return text


# ---- tokenisers ---------------------------------------------------------------------------------


def tokenizer(name: str) -> Callable[[str], str]:
    """The function that turns a block of text into whitespace-separated tokens, newlines kept."""
    try:
        return _TOKENIZERS[name]
    except KeyError:
        raise ValueError(f"unknown tokenize={name!r}; choose one of {', '.join(TOKENIZERS)}") from None


_TAG_BYTES = 1000  # a markup tag: "<", at most this many bytes on one line, ">"
_MARKUP = re.compile(rb"<[^>\n]{0,%d}>" % (_TAG_BYTES - 2))
_ENTITY = re.compile(rb"&(?:[A-Za-z]+|#[0-9]+|#[xX][0-9A-Fa-f]+);")
_DIGIT_WORDS = [
    (str(d).encode(), f" {w} ".encode())
    for d, w in enumerate(("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"))
]
# every byte but a-z and newline becomes a space (UTF-8 multi-byte letters included: not a-z)
_KEEP_A_TO_Z = bytes(b if (0x61 <= b <= 0x7A or b == 0x0A) else 0x20 for b in range(256))


def text8_clean(text: str) -> str:
    """text8 cleaning of a block of text (lines kept): see the module docstring. Works on the
    UTF-8 bytes, where every step is a C-speed bytes operation."""
    data = _ENTITY.sub(b" ", _MARKUP.sub(b" ", text.encode("utf-8"))).lower()
    for digit, word in _DIGIT_WORDS:
        data = data.replace(digit, word)
    return data.translate(_KEEP_A_TO_Z).decode("ascii")


_TOKENIZERS: dict[str, Callable[[str], str]] = {
    "whitespace": lambda text: text,
    "lowercase": str.lower,
    "text8": text8_clean,
}
TOKENIZERS = tuple(_TOKENIZERS)


# ---- writing ------------------------------------------------------------------------------------


def write_sentences(sentences: Iterable[Sequence[str]], target) -> int:
    """Write token lists one per line, space-separated, atomically (temp file then rename).
    Returns the number of tokens written."""
    n_tokens = 0
    with atomic_path(target) as tmp, open(tmp, "w", encoding="utf-8") as out:
        for sentence in sentences:
            n_tokens += len(sentence)
            out.write(" ".join(sentence))
            out.write("\n")
    return n_tokens


def corpus_sentences(corpus: Corpus) -> Iterator[list[str]]:
    """The sentences of a corpus as token lists (vectorised per sentence, for writing)."""
    keys = np.array(corpus.vocab.keys, dtype=object)
    offsets = corpus.offsets
    for i in range(len(corpus)):
        yield keys[corpus.tokens[offsets[i] : offsets[i + 1]]].tolist()


def write_text8(source, target) -> int:
    """Normalise a text file (``.gz`` accepted) with the ``text8`` tokeniser to one cleaned line
    per input line (empty ones skipped, lines over 10,000 tokens cut); written atomically.
    Returns the number of tokens."""
    return write_sentences(corpus_sentences(read_corpus(source, "text8")), target)
