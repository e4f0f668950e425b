"""Conversion as global context (issue 17, part 2): the sessioniser flags the items of a
global-context event, the corpus keeps the flags through pruning and its files, training uses
them (the kernel against the reference is in test_engine.py), and bad options fail first."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import polars as pl
import pytest

from item2vec import Corpus, Item2Vec
from item2vec.sessions import EventFormat, SessionOptions, leave_last_out, sessionize

from conftest import run_cli

FMT = EventFormat(user="user", item="item", time="time", event="event", time_format="s")
#: Two users' sessions (gaps of a minute): u1 views a, b, views and buys c (one collapsed run),
#: views a; u2 views d, e and buys e later (not adjacent: a token of its own), views f.
EVENTS = [
    ("u1", "a", 0, "pv"),
    ("u1", "b", 60, "pv"),
    ("u1", "c", 120, "pv"),
    ("u1", "c", 180, "buy"),
    ("u1", "a", 240, "pv"),
    ("u2", "d", 0, "pv"),
    ("u2", "e", 60, "pv"),
    ("u2", "d", 120, "pv"),
    ("u2", "e", 180, "buy"),
    ("u2", "f", 240, "pv"),
    ("u3", "a", 0, "pv"),
    ("u3", "b", 60, "pv"),
]


@pytest.fixture(scope="module")
def log(tmp_path_factory):
    path = tmp_path_factory.mktemp("global") / "events.csv"
    pl.DataFrame(EVENTS, schema=["user", "item", "time", "event"], orient="row").write_csv(path)
    return path


def _flagged(sessions):
    corpus = sessions.corpus()
    return [
        [(key, bool(flag)) for key, flag in zip(corpus.sentence(i), corpus.global_context[a:b])]
        for i, (a, b) in enumerate(zip(corpus.offsets[:-1], corpus.offsets[1:]))
    ]


def test_sessioniser_flags_the_converted_items(log):
    sessions = sessionize(log, FMT, SessionOptions(global_context_event="buy"))
    got = sorted(_flagged(sessions))
    assert got == sorted(
        [
            [("a", False), ("b", False), ("c", True), ("a", False)],  # the pv/buy run of c is one flagged token
            [("d", False), ("e", False), ("d", False), ("e", True), ("f", False)],
            [("a", False), ("b", False)],
        ]
    )
    frame = sessions.frame()
    assert frame["global_context"].list.sum().sort().to_list() == [0, 1, 1]
    assert sessionize(log, FMT).corpus().global_context is None  # off: no flags at all


def test_bounded_memory_and_splits_flag_alike(log):
    """The bucketed path (partitions of users) flags as the in-memory one; a split's training part
    keeps the flags of its sessions."""
    options = SessionOptions(global_context_event="buy")
    assert sorted(_flagged(sessionize(log, FMT, replace(options, buckets=3)))) == sorted(
        _flagged(sessionize(log, FMT, options))
    )
    train = leave_last_out(log, FMT, options).train  # without each session's last view
    assert sorted(key for s in _flagged(train) for key, flag in s if flag) == ["c", "e"]


def test_flags_survive_pruning_and_the_corpus_files(log, tmp_path):
    corpus = sessionize(log, FMT, SessionOptions(global_context_event="buy")).corpus()
    pruned = corpus.prune(min_count=2)  # c and f occur once
    assert [k for k, f in zip(pruned.tokens, pruned.global_context) if f] == [pruned.vocab.key_to_index["e"]]
    corpus.save(tmp_path / "c")
    loaded = Corpus.load(tmp_path / "c")
    np.testing.assert_array_equal(loaded.global_context, corpus.global_context)
    assert Corpus.load(_saved_plain(corpus, tmp_path)).global_context is None


def _saved_plain(corpus, tmp_path):
    Corpus(corpus.tokens, corpus.offsets, corpus.vocab, kind=corpus.kind).save(tmp_path / "plain")
    return tmp_path / "plain"


def test_global_contexts_change_training_and_off_changes_nothing(log):
    flagged = sessionize(log, FMT, SessionOptions(global_context_event="buy")).corpus()
    plain = sessionize(log, FMT).corpus()
    settings = dict(workers=1, epochs=3, vector_size=8, sample=0.0, window=1, both_contexts=False)
    with_flags = Item2Vec(**settings).fit(flagged)
    without = Item2Vec(**settings).fit(plain)
    unflagged = Item2Vec(**settings).fit(
        Corpus(
            flagged.tokens,
            flagged.offsets,
            flagged.vocab,
            kind="sessions",
            global_context=np.zeros(flagged.n_tokens, bool),
        )
    )
    assert not np.allclose(with_flags.vectors, without.vectors)
    np.testing.assert_array_equal(unflagged.vectors, without.vectors)  # no flag set: the plain training
    # window 1: a (first in u1's session) never sees c in its window, only as a global context
    assert with_flags.training_log_[0]["examples"] > without.training_log_[0]["examples"]


def test_bad_global_context_options():
    with pytest.raises(ValueError, match="'buy' is not among the kept event types \\(pv\\)"):
        SessionOptions(event_types=("pv",), global_context_event="buy")
    with pytest.raises(ValueError, match="global_context_event must be an event type name"):
        SessionOptions(global_context_event="")
    with pytest.raises(ValueError, match="4 global-context flags for 3 tokens"):
        Corpus.from_codes([0, 1, 0], [0, 3], ["a", "b"], global_context=np.zeros(4, bool))


def _train(log, out, *extra):
    return ("train", "--events", log, "--user-col", "user", "--item-col", "item", "--time-col", "time",
            "--time-format", "s", "--out", out, "--epochs", 2, "--sample", 0, "--vector-size", 8, "--workers", 1,
            "--no-progress", *extra)  # fmt: skip


def test_cli_trains_with_a_global_context_event(log, tmp_path):
    done = run_cli(*_train(log, tmp_path / "m", "--event-col", "event", "--global-context-event", "buy"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "m" / "vectors.npy").exists()


@pytest.mark.parametrize(
    "extra, message",
    [
        (("--global-context-event", "buy"), "no event type column is mapped"),
        (("--event-col", "event", "--event-types", "pv", "--global-context-event", "buy"),
         "global_context_event 'buy' is not among the kept event types (pv)"),
    ],
    ids=["no-event-column", "filtered-out"],
)  # fmt: skip
def test_cli_bad_global_context_event_exits_2_before_training(log, tmp_path, extra, message):
    done = run_cli(*_train(log, tmp_path / "never", *extra), subprocess=True)
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and not (tmp_path / "never").exists(), done.stderr
