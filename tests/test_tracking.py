"""MLflow tracking against a real SQLite store in a temporary directory (never the repo's mlruns/)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from item2vec.data.corpus import Corpus
from item2vec.evaluation import NextItemTask, fit_and_evaluate, split_last_sessions
from item2vec.integrations.tracking import Tracker, TrackingHooks, TrackingWarning, metric_name, tracking_uri


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """One SQLite store for the module (creating its tables takes seconds); tests use their own
    experiments."""
    return f"sqlite:///{tmp_path_factory.mktemp('tracking')}/store/mlflow.db"


def _client(uri):
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=uri)


def _artifacts(client, run_id, path=""):
    """Every artifact file of a run, recursively."""
    files = []
    for entry in client.list_artifacts(run_id, path):
        files += _artifacts(client, run_id, entry.path) if entry.is_dir else [entry.path]
    return files


@pytest.fixture(scope="module")
def small(synthetic):
    train, held = split_last_sessions(Corpus.from_sentences(synthetic.sessions()[:2500]), 0.2)
    return train, NextItemTask.from_sessions(held, train.vocab, name="synthetic held-out").subsample(600)


def test_evaluation_run_records_everything(store, small, tmp_path):
    from item2vec.evaluation import ModelSpec

    train, task = small
    specs = [
        ModelSpec(
            "item2vec",
            {"vector_size": 16, "epochs": 3, "min_count": 1, "workers": 1},
            {"scorer": "last", "exclude_seen": False},
        ),
        ModelSpec("pop", {}, {"exclude_seen": True}),
    ]
    tracker = Tracker("test-eval", uri=store)
    with tracker.run("evaluate"):
        run_id = tracker.run_id
        evaluation, _ = fit_and_evaluate(specs, train, task, (5, 10), TrackingHooks(tracker), log=lambda *_: None)
    client = _client(store)
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.data.params["item2vec.vector_size"] == "16" and run.data.params["item2vec.window"] == "5"
    assert float(run.data.metrics["test/item2vec/HR_at_10"]) == pytest.approx(evaluation.metrics["item2vec"]["HR@10"])
    assert float(run.data.metrics["test/pop/MRR_at_5"]) == pytest.approx(evaluation.metrics["pop"]["MRR@5"])
    losses = client.get_metric_history(run_id, "loss")
    assert [m.step for m in losses] == [1, 2, 3]  # one point per epoch
    assert len(client.get_metric_history(run_id, "words_per_second")) == 3
    files = _artifacts(client, run_id)
    for expected in (
        "test_comparison.csv",
        "test_comparison.md",
        "test_recall_at_k.png",
        "item2vec_model/config.json",
        "item2vec_model/vectors.npy",
    ):
        assert expected in files
    artifact_root = client.get_experiment_by_name("test-eval").artifact_location
    assert artifact_root.startswith("file://") and artifact_root.endswith("/store")  # beside the database
    csv = client.download_artifacts(run_id, "test_comparison.csv", str(tmp_path))
    assert open(csv).read().splitlines()[0].startswith("model,HR@5,MRR@5,NDCG@5,coverage@5,HR@10")
    from item2vec.model import Item2Vec

    model_dir = client.download_artifacts(run_id, "item2vec_model", str(tmp_path / "dl"))
    assert len(Item2Vec.load(model_dir)) == len(train.vocab)


def test_nested_trials_under_one_parent(store, small):
    from item2vec.evaluation.tuning import run_tuning

    train, task = small
    tracker = Tracker("test-tune", uri=store)
    report = run_tuning(
        train,
        task,
        ["item2vec", "als", "pop"],
        trials=2,
        ks=(10,),
        select="HR@10",
        validation_pairs=400,
        hooks=TrackingHooks(tracker),
        overrides={"item2vec": {"workers": 1, "vector_size": 16, "epochs": 2}, "als": {"threads": 1, "iterations": 3}},
        log=lambda *_: None,
    )
    client = _client(store)
    experiment = client.get_experiment_by_name("test-tune")
    runs = client.search_runs([experiment.experiment_id])
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert len(parents) == 1
    assert len(children) == 2 + 2 + 1  # equal budgets: 2 fits each; pop has nothing to tune
    assert {r.data.tags["mlflow.parentRunId"] for r in children} == {parents[0].info.run_id}
    assert all("val/HR_at_10" in r.data.metrics for r in children)
    assert {r.data.tags["model"] for r in children} == {"item2vec", "als", "pop"}
    # the best of each was scored once on the test split, plus item2vec with each scorer
    assert set(report.evaluation.metrics) >= {"item2vec", "als", "pop", "item2vec[last]"}
    assert "test/item2vec/HR_at_10" in parents[0].data.metrics


def test_unwritable_store_warns_and_the_work_finishes(tmp_path, small):
    from item2vec.evaluation import ModelSpec

    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    tracker = Tracker(uri=f"sqlite:///{blocker}/mlflow.db")
    train, task = small
    with pytest.warns(TrackingWarning, match="tracking is off"):
        with tracker.run("evaluate"):
            evaluation, _ = fit_and_evaluate(
                [ModelSpec("pop")], train, task, (10,), TrackingHooks(tracker), log=lambda *_: None
            )
    assert not tracker.enabled
    assert evaluation.metrics["pop"]["HR@10"] > 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once, then silent
        tracker.log_metrics({"x": 1.0})


def test_disabled_tracker_touches_nothing(tmp_path, monkeypatch, small):
    from item2vec.evaluation import ModelSpec

    monkeypatch.chdir(tmp_path)
    tracker = Tracker(enabled=False)
    with tracker.run("evaluate"):
        fit_and_evaluate([ModelSpec("pop")], *small, (10,), TrackingHooks(tracker), log=lambda *_: None)
    assert list(tmp_path.iterdir()) == []


def test_uri_default_and_override(monkeypatch, tmp_path):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    assert tracking_uri() == "sqlite:///mlruns/mlflow.db"  # no store here nor above: a new one here
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:////tmp/elsewhere.db")
    assert tracking_uri() == "sqlite:////tmp/elsewhere.db"
    assert Tracker().uri == "sqlite:////tmp/elsewhere.db"


def test_metric_names_are_valid_for_mlflow():
    from mlflow.utils.validation import _validate_metric_name

    for name in ("HR@20", "val_variant/scorer=mean,n_last=5/HR@20", "coverage@10"):
        _validate_metric_name(metric_name(name))
    assert metric_name("HR@20") == "HR_at_20"


def test_recall_plot_has_one_line_per_model(small):
    from item2vec.evaluation import ModelSpec
    from item2vec.integrations.tracking import recall_plot

    evaluation, _ = fit_and_evaluate(
        [ModelSpec("pop"), ModelSpec("itemknn", {"K": 20, "threads": 1})], *small, (5, 10), log=lambda *_: None
    )
    figure = recall_plot(evaluation)
    lines = figure.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["pop", "itemknn"]
    np.testing.assert_allclose(
        lines[1].get_ydata()[[4, 9]], [evaluation.metrics["itemknn"]["HR@5"], evaluation.metrics["itemknn"]["HR@10"]]
    )


def test_early_stopping_checks_are_logged_per_epoch(store, small, tmp_path):
    from item2vec.evaluation import ModelSpec

    train, task = small
    (tmp_path / "valid.tsv").write_text(
        "".join(
            f"{' '.join(prefix)}\t{task.catalogue.keys[t]}\n" for prefix, t in zip(task.prefix_keys(), task.targets)
        )
    )
    early = {"validation": str(tmp_path / "valid.tsv"), "every": 2, "patience": 10}
    params = {"vector_size": 16, "epochs": 4, "min_count": 1, "workers": 1, "early_stop": early}
    tracker = Tracker("test-early", uri=store)
    with tracker.run("evaluate"):
        run_id = tracker.run_id
        _, fitted = fit_and_evaluate(
            [ModelSpec("item2vec", params, {"scorer": "last"})], train, task, (10,), TrackingHooks(tracker), log=print
        )
    history = _client(store).get_metric_history(run_id, metric_name("validation/HR@20"))
    model = next(iter(fitted.values())).model_
    assert [m.step for m in history] == [2, 4]
    assert [m.value for m in history] == pytest.approx([c["HR@20"] for c in model.validation_log_])
