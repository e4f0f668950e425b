"""Early stopping inside ``Item2Vec.fit``: the stop rule, the vectors it keeps, the CLI options
and their bad input."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from item2vec import Corpus, Item2Vec
from item2vec.evaluation.early_stopping import EarlyStopping
from item2vec.evaluation.protocols import split_last_sessions
from item2vec.evaluation.task import NextItemTask
from item2vec.scoring import ScoringOptions

from conftest import run_cli

# A deterministic (one worker) fit on few sessions at a high constant learning rate: its validation
# score peaks early and then falls, so stopping and keeping the best check are both visible.
SETTINGS = dict(preset="clicks", epochs=16, vector_size=16, workers=1, seed=5, alpha=0.5, min_alpha=0.5)


@pytest.fixture(scope="module")
def split(synthetic):
    train, held = split_last_sessions(Corpus.from_sentences(synthetic.sessions()[:2500]).as_sessions(), 0.2)
    return train, NextItemTask.from_sessions(held, train.vocab).subsample(400, seed=0)


def expected_stop(scores: list[float], patience: int) -> int:
    """Naive rule: the 1-based check after which ``patience`` checks in a row beat no earlier best."""
    best, since = -np.inf, 0
    for i, score in enumerate(scores, 1):
        best, since = (score, 0) if score > best else (best, since + 1)
        if since >= patience:
            return i
    return len(scores)


def rescore(model: Item2Vec, stopping: EarlyStopping) -> float:
    """NDCG@20 of ``model`` on the validation pairs, by a fresh check."""
    monitor = stopping.monitor()
    monitor.check(0, model, lambda: None)
    return monitor.log[0]["NDCG@20"]


def test_stops_by_the_rule_and_keeps_the_best_checks_vectors(split):
    train, task = split
    full = Item2Vec(**SETTINGS).fit(train, early_stopping=EarlyStopping.from_task(task, every=1, patience=100))
    scores = [check["NDCG@20"] for check in full.validation_log_]
    assert len(scores) == SETTINGS["epochs"]
    assert scores[-1] < max(scores), "this setting must fluctuate, or the test shows nothing"
    # never stopped: the vectors kept are the best epoch's, not the last one's
    assert rescore(full, EarlyStopping.from_task(task)) == pytest.approx(max(scores), abs=1e-12)

    stopping = EarlyStopping.from_task(task, every=1, patience=2)
    early = Item2Vec(**SETTINGS).fit(train, early_stopping=stopping)
    stop = expected_stop(scores, 2)
    assert stop < SETTINGS["epochs"]
    assert [c["NDCG@20"] for c in early.validation_log_] == pytest.approx(scores[:stop], abs=1e-12)
    assert len(early.training_log_) == stop * 2  # both contexts, interleaved epoch by epoch
    assert rescore(early, stopping) == pytest.approx(max(scores[:stop]), abs=1e-12)


def test_checks_every_n_epochs_and_at_the_end(split):
    train, task = split
    model = Item2Vec(**{**SETTINGS, "epochs": 7}).fit(
        train, early_stopping=EarlyStopping.from_task(task, every=3, patience=100, metric="hr")
    )
    assert [c["epoch"] for c in model.validation_log_] == [3, 6, 7]
    assert all(0 <= c["HR@20"] <= 1 and c["MRR@20"] <= c["HR@20"] for c in model.validation_log_)


def test_a_text_model_stopped_early_still_serves_as_text(split):
    """The checks score with the click scoring, but the model keeps no successors for text."""
    train, task = split
    text = dataclasses.replace(train, kind="text")
    model = Item2Vec(**{**SETTINGS, "epochs": 2}).fit(text, early_stopping=EarlyStopping.from_task(task, every=1))
    assert len(model.validation_log_) == 2
    assert model.successors_ is None and model.blend_weight_ is None
    assert ScoringOptions.for_model(model) == ScoringOptions()


def test_the_validation_log_survives_save_and_load(split, tmp_path):
    train, task = split
    model = Item2Vec(**{**SETTINGS, "epochs": 2}).fit(train, early_stopping=EarlyStopping.from_task(task, every=1))
    model.save(tmp_path / "m")
    assert Item2Vec.load(tmp_path / "m").validation_log_ == model.validation_log_
    assert Item2Vec(**{**SETTINGS, "epochs": 1}).fit(train).validation_log_ == []


@pytest.mark.parametrize(
    "rule, message",
    [
        (dict(every=0), "every must be a positive integer"),
        (dict(patience=-1), "patience must be a positive integer"),
        (dict(metric="recall"), "metric must be one of NDCG, HR, MRR"),
        (dict(scoring={"scorer": "nope"}), "nope"),
    ],
)
def test_bad_rules_fail_when_built(rule, message):
    with pytest.raises(ValueError, match=message):
        EarlyStopping([["a"]], ["b"], **rule)
    with pytest.raises(ValueError, match="at least one validation"):
        EarlyStopping([], [])


@pytest.fixture(scope="module")
def files(synthetic, tmp_path_factory):
    root = tmp_path_factory.mktemp("early")
    sessions = synthetic.sessions()[:1500]
    (root / "train.txt").write_text("".join(" ".join(s) + "\n" for s in sessions[:1200]))
    pairs = [(s[:-1], s[-1]) for s in sessions[1200:] if len(s) > 1]
    (root / "valid.tsv").write_text("".join(f"{' '.join(p)}\t{t}\n" for p, t in pairs))
    return root


def test_train_cli_stops_early_and_says_so(files, tmp_path):
    done = run_cli(
        "train", "--sessions", files / "train.txt", "--out", tmp_path / "m", "--epochs", 6, "--vector-size", 16,
        "--early-stop", "--validation", files / "valid.tsv", "--check-every", 2, "--no-progress",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "early stopping: kept epoch" in done.stderr
    assert [c["epoch"] for c in Item2Vec.load(tmp_path / "m").validation_log_][:1] == [2]


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--early-stop"], "--early-stop needs validation data: --validation FILE"),
        (["--validation", "VALID"], "--validation is only read with --early-stop"),
        (["--early-stop", "--validation", "VALID", "--patience", "0"], "--patience must be a positive integer"),
        (["--early-stop", "--validation", "TRAIN"], "is not 'prefix items<TAB>next item'"),
        (["--early-stop", "--validation", "MISSING"], "MISSING"),
    ],
)
@pytest.mark.parametrize("command", ["train", "evaluate"])
def test_bad_early_stopping_options_fail_in_one_line_before_any_fit(files, tmp_path, command, extra, message):
    paths = {"VALID": files / "valid.tsv", "TRAIN": files / "train.txt", "MISSING": tmp_path / "MISSING.tsv"}
    extra = [str(paths.get(a, a)) for a in extra]
    data = ["--sessions", files / "train.txt", "--out", tmp_path / "m"] if command == "train" else []
    if command == "evaluate":
        data = ["--train", files / "train.txt", "--test", files / "valid.tsv", "--baselines", "pop", "--no-track"]
    done = run_cli(command, *data, *extra)
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "fitted" not in done.stderr and not (tmp_path / "m").exists()
