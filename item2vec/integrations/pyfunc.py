"""The MLflow model flavour: an item2vec model as an ``mlflow.pyfunc`` model that recommends.

``log_model`` stores the model directory as an artifact and the scoring options as the model
config; MLflow rebuilds the Python model from code (``pyfunc_entry.py``), so nothing is pickled.
``predict`` takes a DataFrame with an ``items`` column (one list of item ids per session) and
returns, per row, ``items`` (top-k item ids), ``scores`` (their scores; empty for the popularity
fallback) and ``fallback`` (no item of the session was known): exactly the lists
``item2vec recommend`` writes for the same sessions and options. ``k`` is a predict-time
parameter (``params={"k": 10}``).

On Spark the same model scores a DataFrame column of arrays, distributed over the executors::

    udf = mlflow.pyfunc.spark_udf(spark, model_uri, env_manager="local")  # result type from the signature
    scored = df.withColumn("recs", udf("items"))    # recs.items, recs.scores, recs.fallback
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import polars as pl

from item2vec.model import Item2Vec
from item2vec.scoring import Recommender, ScoringOptions

ENTRY = Path(__file__).with_name("pyfunc_entry.py")
INPUT_COLUMN = "items"


class SessionRecommender(mlflow.pyfunc.PythonModel):
    """Top-k items for each session of a DataFrame, from the model directory artifact ``model``."""

    def load_context(self, context):
        self.model = Item2Vec.load(context.artifacts["model"])
        self.options = ScoringOptions.for_model(self.model, **dict(context.model_config or {}))

    def predict(self, context, model_input: pd.DataFrame, params: dict | None = None) -> pd.DataFrame:
        if INPUT_COLUMN not in model_input.columns:
            raise ValueError(f"input needs a column {INPUT_COLUMN!r} of item-id lists, got {list(model_input.columns)}")
        options = self.options.replace(k=int(params["k"])) if params and "k" in params else self.options
        sessions = [[] if s is None else [str(item) for item in s] for s in model_input[INPUT_COLUMN]]
        frame, _ = Recommender(self.model, options).recommend(sessions)
        return rows_per_session(frame, len(sessions)).to_pandas()


def rows_per_session(frame: pl.DataFrame, n_sessions: int) -> pl.DataFrame:
    """``id, rank, item, score, fallback`` rows (ids 0..n-1) to one row per session with lists."""
    grouped = frame.group_by("id", maintain_order=True).agg(
        pl.col("item").alias("items"), pl.col("score").drop_nulls().alias("scores"), pl.col("fallback").first()
    )
    every = pl.DataFrame({"id": np.arange(n_sessions, dtype=np.int64)})
    return every.join(grouped, on="id", how="left", maintain_order="left").select(
        pl.col("items").fill_null(pl.lit([], dtype=pl.List(pl.String))),
        pl.col("scores").fill_null(pl.lit([], dtype=pl.List(pl.Float32))).cast(pl.List(pl.Float64)),
        pl.col("fallback").fill_null(False),
    )


def log_model(
    model: Item2Vec | str | Path,
    options: ScoringOptions | None = None,
    name: str = "model",
    registered_model_name: str | None = None,
):
    """Log ``model`` (an ``Item2Vec`` or a saved model directory) to the active MLflow run as a
    pyfunc recommender scoring with ``options`` (default ``ScoringOptions.for_model``), with a signature
    (input ``items``: list of strings; params ``k``) and an input example; returns MLflow's
    ``ModelInfo``."""
    from mlflow.models import infer_signature

    with tempfile.TemporaryDirectory() as scratch:
        if isinstance(model, Item2Vec):
            directory = Path(scratch) / "item2vec_model"
            model.save(directory)
        else:
            directory = Path(model)
            model = Item2Vec.load(directory)
        options = options or ScoringOptions.for_model(model)
        Recommender(model, options)  # fail early: k above the catalogue
        example = pd.DataFrame({INPUT_COLUMN: [list(model.index_to_key[:3]), list(model.index_to_key[3:4])]})
        python_model = SessionRecommender()
        python_model.model, python_model.options = model, options
        output = python_model.predict(None, example)
        signature = infer_signature(example, output, params={"k": options.k})
        return mlflow.pyfunc.log_model(
            name=name,
            python_model=str(ENTRY),
            artifacts={"model": str(directory)},
            model_config=options.as_dict(),
            signature=signature,
            input_example=example,
            pip_requirements=_requirements(),
            registered_model_name=registered_model_name,
        )


def _requirements() -> list[str]:
    """The runtime packages, pinned to the versions installed here. Stating them spares MLflow
    its slow inference (it loads the model in a subprocess); item2vec itself must be installed
    wherever the model is loaded."""
    from importlib.metadata import requires, version

    from packaging.requirements import Requirement

    names = [Requirement(line).name for line in requires("item2vec") or [] if "extra ==" not in line]
    return [f"{name}=={version(name)}" for name in names]
