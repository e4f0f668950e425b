"""Protocols: the files and splits that become training sessions and ``NextItemTask``s (the SR-GNN
files, validation carved from the end of training, leave-last-out)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from item2vec.data.corpus import Corpus, Vocab, read_lines
from item2vec.evaluation.task import NextItemTask


def read_training_sessions(path) -> Corpus:
    """A sessions file: one session per line (item ids separated by spaces), refusing a
    prefix/label file given by mistake, or the sessions Parquet ``item2vec sessions`` writes."""
    from item2vec.sessions.files import is_parquet, read_session_corpus

    if is_parquet(path):
        return read_session_corpus(path)
    first = next((line for line in read_lines(path) if line.strip()), None)
    if first is None:
        raise ValueError(f"{path}: the training file has no session")
    if "\t" in first.strip():
        raise ValueError(
            f"{path}: line 1 contains a TAB, which looks like a 'prefix<TAB>next item' "
            f"test file; give the sessions file (one session per line) as --train"
        )
    return Corpus.from_file(path).as_sessions()


def read_prefix_label_pairs(path) -> tuple[list[list[str]], list[str]]:
    """The SR-GNN test format, ``prefix items (space-separated) TAB next item`` per line, as item keys."""
    prefixes: list[list[str]] = []
    targets: list[str] = []
    for line_no, line in enumerate(read_lines(path), 1):
        if not line.strip():
            continue
        parts = line.rstrip("\r\n").split("\t")
        if len(parts) != 2 or not parts[0].split() or len(parts[1].split()) != 1:
            raise ValueError(f"{path}: line {line_no} is not 'prefix items<TAB>next item': {line.strip()[:80]!r}")
        prefixes.append(parts[0].split())
        targets.append(parts[1].strip())
    if not targets:
        raise ValueError(f"{path}: the file has no (prefix, next item) pair")
    return prefixes, targets


def read_prefix_label_file(path, catalogue: Vocab, name: str = "") -> NextItemTask:
    """A ``read_prefix_label_pairs`` file as a task over ``catalogue``, refusing one from another dataset."""
    prefixes, targets = read_prefix_label_pairs(path)
    task = NextItemTask.from_pairs(prefixes, targets, catalogue, name=name or Path(path).name)
    if task.n_unseen_targets == len(task):
        raise ValueError(
            f"{path}: none of its {len(task):,} next items occurs in the training data; "
            f"are the training and test files from the same dataset?"
        )
    return task


def split_last_sessions(corpus: Corpus, fraction: float) -> tuple[Corpus, Corpus]:
    """Hold out the last ``fraction`` of the sessions (files in time order: the most recent), for
    validation carved from training data. Each part gets its own vocabulary."""
    if not 0 < fraction < 1:
        raise ValueError(f"the validation fraction must lie in (0, 1), got {fraction}")
    n_held = int(round(len(corpus) * fraction))
    if not 0 < n_held < len(corpus):
        raise ValueError(f"cannot hold out {fraction:.0%} of {len(corpus)} sessions for validation")
    cut = int(corpus.offsets[len(corpus) - n_held])
    keys = corpus.vocab.keys
    head = Corpus.from_codes(corpus.tokens[:cut], corpus.offsets[: len(corpus) - n_held + 1], keys)
    tail = Corpus.from_codes(corpus.tokens[cut:], corpus.offsets[len(corpus) - n_held :] - cut, keys)
    return dataclasses.replace(head, kind=corpus.kind), dataclasses.replace(tail, kind=corpus.kind)


def leave_last_out(corpus: Corpus) -> tuple[Corpus, NextItemTask]:
    """User-level leave-last-out (MovieLens-style): each history's last item is the target, the
    rest of every history trains. Histories with one item only train."""
    lengths = np.diff(corpus.offsets)
    keep = np.ones(corpus.n_tokens, dtype=bool)
    keep[corpus.offsets[1:][lengths > 1] - 1] = False
    kept_before = np.concatenate(([0], np.cumsum(keep, dtype=np.int64)))
    train = Corpus.from_codes(corpus.tokens[keep], kept_before[corpus.offsets], corpus.vocab.keys)
    train = dataclasses.replace(train, kind=corpus.kind)
    return train, NextItemTask.from_sessions(corpus, train.vocab, last_only=True, name="leave-last-out")
