"""Protocols, metrics and the harness against the naive references; the CLI on real files."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from item2vec.data.corpus import Corpus, Vocab
from item2vec.evaluation import (
    NextItemTask,
    evaluate_models,
    hit_rate_curve,
    leave_last_out,
    parse_ks,
    ranking_metrics,
    read_prefix_label_file,
    read_training_sessions,
    split_last_sessions,
)

import naive
from conftest import run_cli, shared_file

sessions_strategy = st.lists(st.lists(st.sampled_from("abcdefgh"), min_size=0, max_size=7), min_size=1, max_size=12)


def _catalogue(keys) -> Vocab:
    return Vocab(tuple(keys), np.ones(len(keys), dtype=np.int64))


def _pairs(task: NextItemTask):
    keys = task.catalogue.keys
    return [(prefix, None if t < 0 else keys[t]) for prefix, t in zip(task.prefix_keys(), task.targets)]


# ---- protocols --------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(sessions=sessions_strategy, known=st.sets(st.sampled_from("abcdefgh"), min_size=1), last_only=st.booleans())
def test_pairs_from_sessions_match_naive(sessions, known, last_only):
    nonempty = [s for s in sessions if s]
    if not nonempty:
        return
    catalogue = _catalogue(sorted(known))
    task = NextItemTask.from_sessions(Corpus.from_sentences(nonempty), catalogue, last_only=last_only)
    expected = naive.next_item_pairs(nonempty, catalogue.keys, last_only)
    assert [(list(p), t) for p, t in _pairs(task)] == expected
    assert task.n_unseen_targets == sum(t is None for _, t in expected)
    positions = [[len(s) - 1] if last_only else range(1, len(s)) for s in nonempty]
    prefix_items = sum(i for ps in positions for i in ps if i > 0)
    assert task.n_unknown_prefix_items == prefix_items - sum(len(p) for p, _ in expected)


@settings(max_examples=40, deadline=None)
@given(sessions=sessions_strategy, known=st.sets(st.sampled_from("abcdefgh"), min_size=1))
def test_pairs_from_keys_match_pairs_from_sessions(sessions, known):
    nonempty = [s for s in sessions if s]
    if not nonempty:
        return
    catalogue = _catalogue(sorted(known))
    expected = naive.next_item_pairs(nonempty, sorted(known))
    raw = [(s[:i], s[i]) for s in nonempty for i in range(1, len(s))]
    task = NextItemTask.from_pairs([p for p, _ in raw], [t for _, t in raw], catalogue)
    assert [(list(p), t) for p, t in _pairs(task)] == expected


def test_subsample_keeps_whole_pairs():
    sessions = [list(np.random.default_rng(s).choice(list("abcdefghij"), size=2 + s % 6)) for s in range(60)]
    task = NextItemTask.from_sessions(Corpus.from_sentences(sessions), _catalogue("abcdefghij"))
    small = task.subsample(25, seed=3)
    assert len(small) == 25
    original = [(tuple(p), t) for p, t in _pairs(task)]
    drawn = [(tuple(p), t) for p, t in _pairs(small)]
    assert all(pair in original for pair in drawn)  # whole pairs: prefix and target stay together
    assert all(drawn.count(pair) <= original.count(pair) for pair in drawn)  # without replacement
    assert task.subsample(10_000) is task
    assert task.subsample(0) is task  # 0 = all of them
    with pytest.raises(ValueError, match="validation pairs must be >= 0"):
        task.subsample(-1)


def test_prefix_matrix_weightings():
    task = NextItemTask.from_pairs([["a", "b", "a"], ["c"], []], ["b", "a", "c"], _catalogue("abc"))
    count = task.prefix_matrix("count").toarray()
    np.testing.assert_allclose(count, [[2, 1, 0], [0, 0, 1], [0, 0, 0]])
    np.testing.assert_allclose(task.prefix_matrix("last").toarray(), [[1, 0, 0], [0, 0, 1], [0, 0, 0]])
    # recency: item a steps from the end weighs decay**a; "a" is at ages 0 and 2
    np.testing.assert_allclose(task.prefix_matrix("recency", 0.5).toarray(), [[1 + 0.25, 0.5, 0], [0, 0, 1], [0, 0, 0]])
    with pytest.raises(ValueError, match="unknown prefix weighting"):
        task.prefix_matrix("typo")


def test_split_last_sessions_keeps_order_and_every_session():
    sessions = [["a", "b"], ["b", "c", "a"], ["d"], ["a", "d", "e"], ["e", "f"]]
    head, tail = split_last_sessions(Corpus.from_sentences(sessions), 0.4)
    assert list(head) + list(tail) == sessions
    assert len(tail) == 2
    assert "f" not in head.vocab.key_to_index  # each part has its own vocabulary
    with pytest.raises(ValueError, match="fraction"):
        split_last_sessions(Corpus.from_sentences(sessions), 1.0)


def test_leave_last_out_matches_naive():
    histories = [["a", "b", "c"], ["b", "a"], ["z"], ["c", "a", "b", "y"]]
    train, task = leave_last_out(Corpus.from_sentences(histories))
    assert list(train) == [["a", "b"], ["b"], ["z"], ["c", "a", "b"]]
    expected = naive.next_item_pairs(histories, train.vocab.keys, last_only=True)
    assert [(list(p), t) for p, t in _pairs(task)] == expected
    assert task.n_unseen_targets == 1  # "y" occurs only as a held-out last item


# ---- metrics ----------------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(data=st.data(), n=st.integers(1, 30), width=st.integers(1, 12), n_items=st.integers(12, 40))
def test_ranking_metrics_match_naive(data, n, width, n_items):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    recommended = np.array([rng.permutation(n_items)[:width] for _ in range(n)], dtype=np.int32)
    recommended[rng.random(recommended.shape) < 0.1] = -1  # "no recommendation" slots
    targets = rng.integers(-1, n_items, n).astype(np.int32)  # -1: unseen in training
    ks = sorted(set(data.draw(st.lists(st.integers(1, width), min_size=1, max_size=3))))
    fast = ranking_metrics(recommended, targets, ks, n_items)
    slow = naive.ranking_metrics(recommended.tolist(), targets.tolist(), ks, n_items)
    assert fast.keys() == slow.keys()
    for key in fast:
        assert fast[key] == pytest.approx(slow[key], abs=1e-12), key
    curve = hit_rate_curve(recommended, targets)
    for k in ks:
        assert curve[k - 1] == pytest.approx(fast[f"HR@{k}"])


def test_unseen_targets_stay_in_the_denominator():
    recommended = np.array([[0, 1], [1, 0], [0, 1], [1, 0]])
    targets = np.array([0, 0, -1, -1])
    metrics = ranking_metrics(recommended, targets, [2], 2)
    assert metrics["HR@2"] == 0.5  # two hits out of four pairs, not out of two
    assert metrics["MRR@2"] == pytest.approx((1 + 0.5) / 4)


def test_parse_ks():
    assert parse_ks("20,10,20") == (10, 20)
    for bad in ("", "0", "a,b", "-5"):
        with pytest.raises(ValueError, match="--k"):
            parse_ks(bad)


# ---- files and bad input ----------------------------------------------------------------------


def _write(path, lines):
    path.write_text("".join(line + "\n" for line in lines))
    return path


def test_prefix_label_file_errors(tmp_path):
    catalogue = _catalogue("abc")
    good = read_prefix_label_file(_write(tmp_path / "ok.tsv", ["a b\tc", "c\tx"]), catalogue)
    assert len(good) == 2 and good.n_unseen_targets == 1
    with pytest.raises(ValueError, match=r"bad\.tsv: line 2 is not 'prefix items<TAB>next item'"):
        read_prefix_label_file(_write(tmp_path / "bad.tsv", ["a\tb", "a b c"]), catalogue)
    with pytest.raises(ValueError, match="line 1"):
        read_prefix_label_file(_write(tmp_path / "two.tsv", ["a\tb c"]), catalogue)
    with pytest.raises(ValueError, match="no \\(prefix, next item\\) pair"):
        read_prefix_label_file(_write(tmp_path / "empty.tsv", [""]), catalogue)
    with pytest.raises(ValueError, match="same dataset"):
        read_prefix_label_file(_write(tmp_path / "other.tsv", ["a\tx", "b\ty"]), catalogue)
    with pytest.raises(FileNotFoundError):
        read_prefix_label_file(tmp_path / "missing.tsv", catalogue)


def test_training_file_that_is_a_test_file_is_refused(tmp_path):
    with pytest.raises(ValueError, match="looks like a 'prefix<TAB>next item' test file"):
        read_training_sessions(_write(tmp_path / "t.tsv", ["a b\tc"]))
    with pytest.raises(ValueError, match="no session"):
        read_training_sessions(_write(tmp_path / "e.txt", ["", "  "]))


class _Fixed:
    """A model recommending a fixed list, to test the harness alone."""

    def __init__(self, row):
        self.row = np.asarray(row, dtype=np.int32)

    def recommend(self, task, k, **options):
        return np.tile(self.row[:k], (len(task), 1))


def test_harness_errors_and_figures():
    catalogue = _catalogue("abc")
    task = NextItemTask.from_pairs([["a"], ["b"]], ["b", "c"], catalogue, name="t")
    result = evaluate_models({"fixed": _Fixed([1, 2, 0])}, task, (1, 2))
    assert result.metrics["fixed"]["HR@1"] == 0.5 and result.metrics["fixed"]["HR@2"] == 1.0
    with pytest.raises(ValueError, match="exceeds the catalogue of 3"):
        evaluate_models({"fixed": _Fixed([1, 2, 0])}, task, (4,))
    empty = NextItemTask.from_pairs([], [], catalogue, name="nothing")
    with pytest.raises(ValueError, match="'nothing' is empty"):
        evaluate_models({"fixed": _Fixed([1, 2, 0])}, empty, (1,))


# ---- the real SR-GNN files, the CLI and implicit as a cross-check -----------------------------


def _diginetica_slice(tmp_path, n_train=6000, n_test=1500):
    train = tmp_path / "train.txt"
    test = tmp_path / "test.tsv"
    with gzip.open(shared_file("diginetica_srgnn_train_sessions.txt.gz"), "rt") as f:
        lines = f.readlines()
    train.write_text("".join(lines[-n_train:]))
    with gzip.open(shared_file("diginetica_srgnn_test_prefix_label.tsv.gz"), "rt") as f:
        test.write_text("".join(next(f) for _ in range(n_test)))
    return train, test


def test_srgnn_test_file_reads_every_pair():
    corpus = read_training_sessions(shared_file("diginetica_srgnn_train_sessions.txt.gz"))
    task = read_prefix_label_file(shared_file("diginetica_srgnn_test_prefix_label.tsv.gz"), corpus.vocab)
    assert len(task) == 60_858  # the published test size
    assert task.n_unseen_targets == 0 and task.n_unknown_prefix_items == 0  # SR-GNN filters both


def test_itemknn_metrics_agree_with_implicits_ranking_metrics(tmp_path):
    """implicit's ranking_metrics_at_k (a random-split tool, used here only as a cross-check):
    with the prefix as the "train" row and the target as the "test" row, its precision@K is HR@K
    (one relevant item), its map@K is MRR@K and its ndcg@K is NDCG@K, when seen items are excluded."""
    from implicit.evaluation import ranking_metrics_at_k
    from scipy.sparse import csr_matrix

    from item2vec.evaluation.models import ItemKNN

    train_path, test_path = _diginetica_slice(tmp_path)
    corpus = read_training_sessions(train_path)
    full = read_prefix_label_file(test_path, corpus.vocab)
    # implicit skips rows without a test item and never ranks a "liked" item: keep comparable pairs
    pairs = [(p, t) for p, t in _pairs(full) if t is not None and p and t not in p]
    task = NextItemTask.from_pairs([p for p, _ in pairs], [t for _, t in pairs], corpus.vocab)
    model = ItemKNN(K=50).fit(corpus)
    ours = evaluate_models({"knn": model}, task, (20,), {"knn": {"prefix": "count", "exclude_seen": True}}).metrics[
        "knn"
    ]
    targets = csr_matrix(
        (np.ones(len(task), np.float32), (np.arange(len(task)), task.targets)), shape=(len(task), len(task.catalogue))
    )
    theirs = ranking_metrics_at_k(model.model_, task.prefix_matrix("count"), targets, K=20, show_progress=False)
    assert ours["HR@20"] == pytest.approx(theirs["precision"], abs=0.01)
    assert ours["MRR@20"] == pytest.approx(theirs["map"], abs=0.01)
    assert ours["NDCG@20"] == pytest.approx(theirs["ndcg"], abs=0.01)


def _cli(args, cwd):
    """In-process, in ``cwd``, with tracking on the default store there (no MLFLOW_TRACKING_URI)."""
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    return run_cli(*args, cwd=cwd, env=env)


def _metrics(path: Path) -> dict:
    """The figures of an ``evaluate --json`` file without its timings (which differ run to run)."""
    timings = {"fit_seconds", "score_seconds"}
    return {
        name: {k: v for k, v in values.items() if k not in timings}
        for name, values in json.loads(path.read_text()).items()
    }


def test_cli_evaluate_writes_json_for_every_model(tmp_path):
    train, test = _diginetica_slice(tmp_path)
    out = tmp_path / "metrics.json"
    result = _cli(
        [
            "evaluate",
            "--train",
            str(train),
            "--test",
            str(test),
            "--baselines",
            "pop,itemknn",
            "--k",
            "5,20",
            "--json",
            str(out),
            "--no-track",
            "--epochs",
            "2",
            "--min-count",
            "1",
            "--workers",
            "1",
        ],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(out.read_text())
    assert set(figures) == {"item2vec", "pop", "itemknn"}
    for values in figures.values():
        assert {"HR@5", "MRR@5", "HR@20", "MRR@20", "NDCG@20", "coverage@20"} <= set(values)
        assert 0 <= values["MRR@20"] <= values["HR@20"] <= 1
        assert values["fit_seconds"] > 0 and values["score_seconds"] > 0
    assert figures["itemknn"]["HR@20"] > 3 * figures["pop"]["HR@20"]
    assert "unseen in training" in result.stdout
    assert not (tmp_path / "mlruns").exists()  # --no-track


@pytest.mark.parametrize(
    "args, message",
    [
        (["--k", "100000"], "exceeds the catalogue"),
        (["--baselines", "pop,knn"], "unknown baseline 'knn'"),
        (["--k", "0"], "--k must be"),
        (["--scorer", "mean", "--temperature", "4"], "--temperature applies to the mixture scorers"),
        (["--config", "tuned.json", "--decay", "0.5"], "--config holds each model's scoring; --decay would be"),
        (["--last-only"], "--last-only applies to --events only"),
    ],
)
def test_cli_evaluate_bad_input(tmp_path, args, message):
    train, test = _diginetica_slice(tmp_path, 500, 50)
    result = _cli(
        [
            "evaluate",
            "--train",
            str(train),
            "--test",
            str(test),
            "--baselines",
            "pop",
            "--no-track",
            "--epochs",
            "1",
            "--min-count",
            "1",
            *args,
        ],
        tmp_path,
    )
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_cli_evaluate_mismatched_files(tmp_path):
    train, test = _diginetica_slice(tmp_path, 500, 50)
    other = _write(tmp_path / "other.tsv", ["x1 x2\tx3"])
    result = _cli(["evaluate", "--train", str(train), "--test", str(other), "--no-track"], tmp_path)
    assert result.returncode == 2 and "same dataset" in result.stderr
    swapped = _cli(["evaluate", "--train", str(test), "--test", str(train), "--no-track"], tmp_path)
    assert swapped.returncode == 2 and "test file" in swapped.stderr


def test_cli_evaluate_on_an_event_log_split_in_time(tmp_path):
    from item2vec.data.synthetic import SyntheticClickstream

    events = tmp_path / "events.csv"
    SyntheticClickstream(n_users=600, n_items=200, n_groups=8, seed=5).events().write_csv(events)
    out = tmp_path / "m.json"
    result = _cli(
        [
            "evaluate",
            "--events",
            str(events),
            "--event-col",
            "event_type",
            "--test-days",
            "5",
            "--baselines",
            "pop,itemknn",
            "--k",
            "10",
            "--json",
            str(out),
            "--no-track",
            "--epochs",
            "2",
            "--min-count",
            "1",
            "--workers",
            "1",
        ],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(out.read_text())
    assert set(figures) == {"item2vec", "pop", "itemknn"}
    assert figures["itemknn"]["HR@10"] > figures["pop"]["HR@10"]
    assert "kept" in result.stderr  # the sessionisation summary
    missing = _cli(["evaluate", "--events", str(events), "--no-track"], tmp_path)
    assert missing.returncode == 2 and "--test-days" in missing.stderr


def test_cli_tune_writes_best_models_that_evaluate_reads(tmp_path):
    train, test = _diginetica_slice(tmp_path, 3000, 400)
    result = _cli(
        [
            "tune",
            "--train",
            str(train),
            "--test",
            str(test),
            "--models",
            "itemknn,pop",
            "--trials",
            "1",
            "--baseline-trials",
            "2",
            "--k",
            "10",
            "--select",
            "HR@10",
            "--no-track",
            "--out",
            str(tmp_path / "tuned"),
            "--json",
            str(tmp_path / "t.json"),
        ],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    best = json.loads((tmp_path / "tuned" / "best_models.json").read_text())
    assert [m["kind"] for m in best["models"]] == ["itemknn", "pop"]
    trials = (tmp_path / "tuned" / "trials.csv").read_text().splitlines()
    assert len(trials) == 1 + 2 + 1  # header, 2 item-kNN fits, 1 popularity fit
    tuned = _metrics(tmp_path / "t.json")
    again = _cli(
        [
            "evaluate",
            "--train",
            str(train),
            "--test",
            str(test),
            "--config",
            str(tmp_path / "tuned" / "best_models.json"),
            "--k",
            "10",
            "--no-track",
            "--json",
            str(tmp_path / "e.json"),
        ],
        tmp_path,
    )
    assert again.returncode == 0, again.stderr
    assert _metrics(tmp_path / "e.json") == tuned  # same models, same figures
    bad = _cli(["tune", "--train", str(train), "--test", str(test), "--baseline-trials", "0", "--no-track"], tmp_path)
    assert bad.returncode != 0 and "--baseline-trials must be an integer >= 1" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_sampled_item2vec_configurations_are_distinct_and_valid():
    from item2vec.evaluation.tuning import sample_configs

    configs = sample_configs("item2vec", 60, seed=3)
    assert len({json.dumps(c, sort_keys=True) for c in configs}) == 60
    assert not any(c.get("both_contexts") and c.get("whole_sentence") for c in configs)
    assert any(c.get("both_contexts") for c in configs[1:]) and any(c.get("whole_sentence") for c in configs[1:])


def test_trial_counts_give_item2vec_and_the_baselines_their_own_budget():
    from item2vec.evaluation.tuning import trial_counts

    assert trial_counts(["item2vec", "als", "pop"], 3) == {"item2vec": 3, "als": 3, "pop": 3}
    assert trial_counts(["item2vec", "als"], 2, 8) == {"item2vec": 2, "als": 8}
    with pytest.raises(ValueError, match="--trials must be an integer >= 1"):
        trial_counts(["item2vec"], 0)


def test_the_selected_metric_picks_the_variant_and_the_trial():
    """HR@20 alone prefers more hits at worse ranks; NDCG@20 (the default) weighs rank too."""
    from item2vec.evaluation import NextItemTask
    from item2vec.evaluation.tuning import Trial, best_specs, tune

    many_hits = ({"scorer": "a"}, {"HR@20": 0.50, "MRR@20": 0.10, "NDCG@20": 0.20})
    better_ranks = ({"scorer": "b"}, {"HR@20": 0.48, "MRR@20": 0.15, "NDCG@20": 0.23})
    assert Trial("item2vec", 0, {}, 0.0, [many_hits, better_ranks]).best == better_ranks
    assert Trial("item2vec", 0, {}, 0.0, [many_hits, better_ranks], select="HR@20").best == many_hits
    trials = [
        Trial("als", i, {"factors": f}, 0.0, [v]) for i, (f, v) in enumerate([(8, many_hits), (16, better_ranks)])
    ]
    assert best_specs({"als": trials})["als"].params == {"factors": 16}
    sessions = Corpus.from_sentences([["a", "b", "a"]])
    with pytest.raises(ValueError, match="--select 'recall@20' must be HR, MRR or NDCG"):
        tune(sessions, NextItemTask.from_sessions(sessions, sessions.vocab), ["pop"], 1, select="recall@20")


def test_cli_evaluate_reads_the_sessions_parquet_as_training_data(tmp_path):
    """The Parquet `item2vec sessions` writes is training data for evaluate (no re-sessionising):
    the same figures as the text file it was made from, and each model's scoring time reported."""
    import polars as pl

    train, test = _diginetica_slice(tmp_path, 3000, 400)
    parquet = tmp_path / "sessions.parquet"
    sessions = [line.split() for line in train.read_text().splitlines()]
    pl.DataFrame({"session_id": range(len(sessions)), "items": sessions}).write_parquet(parquet)
    figures = []
    for source in (train, parquet):
        out = tmp_path / f"{source.suffix}.json"
        result = _cli(
            [
                "evaluate",
                "--train",
                str(source),
                "--test",
                str(test),
                "--baselines",
                "pop,itemknn,vsknn",
                "--epochs",
                "2",
                "--workers",
                "1",
                "--no-track",
                "--json",
                str(out),
            ],
            tmp_path,
        )
        assert result.returncode == 0, result.stderr
        assert "scored vsknn on 400 pairs" in result.stderr
        figures.append(_metrics(out))
    assert figures[0] == figures[1]
    refused = _cli(["evaluate", "--train", parquet, "--leave-last-out", "--user-ids", "--no-track"], tmp_path)
    assert refused.returncode == 2 and "a sessions Parquet has no user ids" in refused.stderr


def _histories(path: Path, n_users: int = 300, seed: int = 3) -> list[list[str]]:
    """User histories that follow item chains (``i7`` then ``i8``...), one ``user items...`` line
    each, written to ``path``; every tenth user has a single item (it can only train)."""
    rng = np.random.default_rng(seed)
    histories = []
    for user in range(n_users):
        length = 1 if user % 10 == 0 else int(rng.integers(2, 9))
        start = int(rng.integers(0, 60))
        histories.append([f"i{(start + j) % 60}" for j in range(length)])
    _write(path, [f"u{user} " + " ".join(items) for user, items in enumerate(histories)])
    return histories


def test_cli_leave_last_out_on_user_histories(tmp_path):
    """S3-Rec style files: the user id starts each line and is no item; each history's last item
    is the test target, and tune validates on the items before them."""
    source = tmp_path / "histories.txt"
    histories = _histories(source)
    common = ["--train", source, "--leave-last-out", "--user-ids", "--k", "5", "--no-track"]
    out = tmp_path / "m.json"
    fit = ["--epochs", "2", "--workers", "1"]
    result = _cli(["evaluate", *common, "--baselines", "pop,sr", "--json", out, *fit], tmp_path)
    assert result.returncode == 0, result.stderr
    n_events = sum(len(h) for h in histories) - sum(len(h) > 1 for h in histories)
    n_items = len({item for h in histories for item in h})
    tested = sum(len(h) > 1 for h in histories)
    line = f"training: {len(histories):,} sessions, {n_events:,} events, {n_items:,} items; test: {tested:,} pairs"
    assert line in result.stderr
    figures = json.loads(out.read_text())
    assert figures["sr"]["HR@5"] > 2 * figures["pop"]["HR@5"]  # the chains are learnable
    tuned = _cli(["tune", *common, "--models", "pop,sr", "--trials", "1", "--select", "HR@5"], tmp_path)
    assert tuned.returncode == 0, tuned.stderr
    validated = sum(len(h) > 2 for h in histories)  # a history left last out twice still has a prefix
    held = f"the last item of each training history of two or more items ({validated:,}), {validated:,} pairs"
    assert held in " ".join(tuned.stderr.split())  # the console wraps long lines
    fraction = _cli(["tune", *common, "--models", "pop", "--validation-fraction", "0.2"], tmp_path)
    assert fraction.returncode == 2 and "--leave-last-out validates on each history's last" in fraction.stderr


@pytest.mark.parametrize(
    "extra, lines, message",
    [
        (["--test", "TEST"], None, "--leave-last-out takes its test targets from --train FILE: give no --test"),
        ([], ["u1 i1 i2", "u2 i2 i3", "u3"], "line 3 holds a user id ('u3') and no item"),
        (["--test-days", "3"], None, "--test-days applies to --events only"),
    ],
    ids=["with-a-test-file", "user-without-items", "test-days"],
)
def test_cli_leave_last_out_bad_input(tmp_path, extra, lines, message):
    source = tmp_path / "histories.txt"
    _write(source, lines) if lines else _histories(source, 20)
    args = ["evaluate", "--train", source, "--leave-last-out", "--user-ids", "--no-track", "--baselines", "pop"]
    result = _cli([*args, *(source if a == "TEST" else a for a in extra)], tmp_path)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
