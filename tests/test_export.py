"""Export formats read back by their real consumers (gensim, NumPy, Polars), and the MLflow
pyfunc model: logged to a throwaway SQLite store, loaded, and scored like `item2vec recommend`
(also on Spark in local mode when pyspark is installed)."""

import json

import mlflow
import numpy as np
import pandas as pd
import polars as pl
import pytest

from item2vec import Corpus, Item2Vec
from item2vec.integrations.export import export_vectors, keys_path
from item2vec.integrations.pyfunc import log_model
from item2vec.scoring import ScoringOptions, recommend_batch

from conftest import run_cli

FAST = dict(vector_size=24, window=3, min_count=1, epochs=3, seed=7)


@pytest.fixture(scope="module")
def trained(synthetic):
    return Item2Vec(**FAST).fit(synthetic.sessions())


@pytest.mark.parametrize("binary", [False, True])
def test_gensim_reads_word2vec_exports_with_identical_vectors(trained, tmp_path, binary):
    from gensim.models import KeyedVectors

    out = tmp_path / "vectors.bin"
    assert export_vectors(trained, out, "word2vec-binary" if binary else "word2vec") == [out]
    kv = KeyedVectors.load_word2vec_format(str(out), binary=binary)
    assert list(kv.index_to_key) == list(trained.index_to_key)
    assert np.array_equal(kv.vectors, np.asarray(trained.vectors))


def test_parquet_and_npy_exports_round_trip(trained, tmp_path):
    export_vectors(trained, tmp_path / "v.parquet", "parquet")
    frame = pl.read_parquet(tmp_path / "v.parquet")
    assert frame["item"].to_list() == list(trained.index_to_key)
    assert np.array_equal(frame["vector"].to_numpy(), np.asarray(trained.vectors))
    assert frame["count"].to_list() == trained.vocab_.counts.tolist()
    written = export_vectors(trained, tmp_path / "v.npy", "npy")
    assert written == [tmp_path / "v.npy", keys_path(tmp_path / "v.npy")]
    assert np.array_equal(np.load(tmp_path / "v.npy"), np.asarray(trained.vectors))
    assert json.loads(keys_path(tmp_path / "v.npy").read_text()) == list(trained.index_to_key)


def test_export_errors(trained, tmp_path):
    with pytest.raises(ValueError, match="unknown export format"):
        export_vectors(trained, tmp_path / "v", "csv")
    with pytest.raises(FileNotFoundError, match="output directory not found"):
        export_vectors(trained, tmp_path / "missing" / "v.parquet", "parquet")
    result = run_cli(
        "export",
        str(tmp_path / "no-model"),
        str(tmp_path / "v.txt"),
    )
    assert result.returncode == 2 and "model directory not found" in result.stderr
    assert list(tmp_path.iterdir()) == []


# ---- MLflow ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def logged(trained, tmp_path_factory):
    """The model logged once to a throwaway SQLite store (never the repository's mlruns/)."""
    root = tmp_path_factory.mktemp("mlflow")
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(f"sqlite:///{root / 'mlflow.db'}")
    mlflow.set_experiment("item2vec-tests")
    try:
        with mlflow.start_run():
            info = log_model(trained, ScoringOptions(k=6, scorer="sequence"), name="recommender")
        yield info
    finally:
        mlflow.set_tracking_uri(previous)


@pytest.fixture(scope="module")
def scored_by_cli(trained, synthetic, tmp_path_factory):
    """`item2vec recommend` over the first sessions plus an all-unknown and an empty one."""
    root = tmp_path_factory.mktemp("cli")
    trained.save(root / "m")
    sessions = synthetic.sessions()[:300] + [["unknown"], []]
    (root / "s.txt").write_text("\n".join(" ".join(s) for s in sessions) + "\n")
    result = run_cli(
        "recommend",
        str(root / "m"),
        "--sessions",
        str(root / "s.txt"),
        "--out",
        str(root / "r.parquet"),
        "--k",
        "6",
        "--scorer",
        "sequence",
        "--chunk-size",
        "100",
        "--no-progress",
    )
    assert result.returncode == 0, result.stderr
    frame = pl.read_parquet(root / "r.parquet")
    return sessions, frame.group_by("id", maintain_order=True).agg("item", "score", pl.col("fallback").first())


def test_logged_model_defaults_to_the_model_scoring(synthetic, tmp_path):
    """No options: a model trained on sessions serves its click scoring (``blend``) from MLflow too."""
    model = Item2Vec(**FAST).fit(Corpus.from_sentences(synthetic.sessions()).as_sessions())
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    try:
        with mlflow.start_run():
            info = log_model(model, name="recommender")
        loaded = mlflow.pyfunc.load_model(info.model_uri)
    finally:
        mlflow.set_tracking_uri(previous)
    assert loaded.unwrap_python_model().options == ScoringOptions.for_model(model)
    assert loaded.unwrap_python_model().options.scorer == "blend"
    sessions = synthetic.sessions()[:30]
    predicted = loaded.predict(pd.DataFrame({"items": sessions}))
    want = recommend_batch(model, sessions, ScoringOptions.for_model(model))
    want = want.group_by("id", maintain_order=True).agg("item")["item"].to_list()
    assert [list(items) for items in predicted["items"]] == want


def test_logged_model_has_signature_and_example(logged):
    assert [c["name"] for c in logged.signature.inputs.to_dict()] == ["items"]
    assert [c["name"] for c in logged.signature.outputs.to_dict()] == ["items", "scores", "fallback"]
    assert logged.signature.params.to_dict()[0]["name"] == "k"
    assert logged.saved_input_example_info is not None


def test_pyfunc_predict_equals_the_cli(logged, scored_by_cli):
    sessions, cli = scored_by_cli
    loaded = mlflow.pyfunc.load_model(logged.model_uri)
    predicted = loaded.predict(pd.DataFrame({"items": sessions}))
    assert len(predicted) == len(sessions)
    for (items, scores, fallback), (_, want_items, want_scores, want_fallback) in zip(
        predicted[["items", "scores", "fallback"]].itertuples(index=False), cli.iter_rows()
    ):
        assert list(items) == want_items and bool(fallback) == want_fallback
        assert list(scores) == ([] if want_fallback else want_scores)  # exact: same float32 values
    fewer = loaded.predict(pd.DataFrame({"items": sessions[:3]}), params={"k": 2})
    assert [list(x) for x in fewer["items"]] == [row[:2] for row in cli["item"].to_list()[:3]]


def test_pyfunc_rejects_input_without_items_column(logged):
    loaded = mlflow.pyfunc.load_model(logged.model_uri)
    with pytest.raises(Exception, match="items"):
        loaded.predict(pd.DataFrame({"sessions": [["a"]]}))


@pytest.mark.slow
def test_spark_udf_scores_like_the_cli(logged, scored_by_cli, spark):
    sessions, cli = scored_by_cli
    frame = spark.createDataFrame([(i, s) for i, s in enumerate(sessions)], "id long, items array<string>")
    udf = mlflow.pyfunc.spark_udf(spark, logged.model_uri, env_manager="local")
    rows = frame.repartition(2).withColumn("recs", udf("items")).orderBy("id").collect()
    assert len(rows) == len(sessions)
    for row, (_, want_items, _, want_fallback) in zip(rows, cli.iter_rows()):
        assert row.recs["items"] == want_items and row.recs["fallback"] == want_fallback
