"""Protocols: the files and splits that become training sessions and ``NextItemTask``s (the SR-GNN
files, validation carved from the end of training, leave-last-out)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from item2vec.data.corpus import Corpus, Vocab, read_lines
from item2vec.evaluation.task import NextItemTask


def read_training_sessions(path, user_ids: bool = False) -> Corpus:
    """A sessions file: one session per line (item ids separated by spaces), refusing a
    prefix/label file given by mistake, or the sessions Parquet ``item2vec sessions`` writes.
    ``user_ids``: each line is one user's history and begins with the user's id (the S3-Rec
    sequence files), which is not an item."""
    from item2vec.sessions.files import is_parquet, read_session_corpus

    if is_parquet(path):
        if user_ids:
            raise ValueError(f"{path}: a sessions Parquet has no user ids to drop from its item lists (--user-ids)")
        return read_session_corpus(path)
    first = next((line for line in read_lines(path) if line.strip()), None)
    if first is None:
        raise ValueError(f"{path}: the training file has no session")
    if "\t" in first.strip():
        raise ValueError(
            f"{path}: line 1 contains a TAB, which looks like a 'prefix<TAB>next item' "
            f"test file; give the sessions file (one session per line) as --train"
        )
    if not user_ids:
        return Corpus.from_file(path).as_sessions()
    return Corpus.from_sentences(_histories(path)).as_sessions()


def _histories(path):
    """The items of each ``user item item ...`` line, refusing a line with a user and no item."""
    for line_no, line in enumerate(read_lines(path), 1):
        tokens = line.split()
        if len(tokens) == 1:
            raise ValueError(f"{path}: line {line_no} holds a user id ({tokens[0][:40]!r}) and no item")
        yield tokens[1:]


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
