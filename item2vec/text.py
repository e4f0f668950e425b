"""Text corpora: streaming normalisation of large text files into token lines."""

from __future__ import annotations

import os
import re
from pathlib import Path

from .corpus import read_lines

_DIGITS = str.maketrans({d: f" {w} " for d, w in zip("0123456789", (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"))})
_NOT_LETTERS = re.compile(r"[^a-z]+")
_MARKUP = re.compile(r"<[^>]*>")


def text8_tokens(line: str) -> list[str]:
    """Tokens as Matt Mahoney's text8 cleaner makes them: markup removed, lowercase, digits spelled
    out, everything but a-z treated as a separator."""
    return _NOT_LETTERS.sub(" ", _MARKUP.sub(" ", line).lower().translate(_DIGITS)).split()


def write_text8(source, target) -> int:
    """Normalise a text file (``.gz`` accepted) to one cleaned document line per input line,
    skipping lines left empty; written atomically. Returns the number of tokens written."""
    target = Path(target)
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    n_tokens = 0
    try:
        with open(tmp, "w", encoding="ascii") as out:
            for line in read_lines(source):
                tokens = text8_tokens(line)
                if tokens:
                    n_tokens += len(tokens)
                    out.write(" ".join(tokens) + "\n")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return n_tokens
