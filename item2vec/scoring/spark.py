"""Batch recommendations and lookalike audiences on Spark: the single-machine code
(``Recommender``, ``audiences``) run inside the executors, one Arrow batch at a time.

>>> recs = recommend_spark(spark.read.parquet("sessions/"), "model_dir", ScoringOptions(k=20))
>>> write_parquet_dir(recs, "recs/")            # id, rank, item, score, fallback
>>> audience = lookalike_spark(spark.read.parquet("users/"), seeds, size=100_000)

The model directory is shipped to every executor once (``SparkContext.addFile``) and loaded
there memory-mapped, once per Python worker; only the session lists travel. Each batch is scored
exactly as ``item2vec recommend`` scores a chunk, so the lists are the same (tested). pyspark is
imported inside the functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import polars as pl

from item2vec import config
from item2vec.scoring.audiences import METHODS, _check_size, lookalike_scores, unit
from item2vec.scoring.batch import Recommender
from item2vec.scoring.options import ScoringOptions

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

#: Id columns looked for, in order, when ``id_column`` is not given (as for Parquet files).
ID_COLUMNS = ("session_id", "user_id", "id")
_LOADED: dict[tuple, Recommender] = {}  # per Python worker: the model is loaded once


def recommend_spark(
    sessions: DataFrame,
    model_dir,
    options: ScoringOptions | None = None,
    *,
    items_column: str = "items",
    id_column: str | None = None,
    allow: Iterable | None = None,
    deny: Iterable | None = None,
) -> DataFrame:
    """Top-``k`` items for every row of a Spark DataFrame of sessions (a list column of item ids
    and an id column, e.g. a sessions directory): a DataFrame ``id, rank, item, score, fallback``
    with the rows ``item2vec recommend`` writes for the same sessions, model and options.

    ``model_dir`` is a saved model directory on the driver (or a Hadoop-readable URI); it is
    checked here, before any Spark job, so bad options fail at once. Default ``options``:
    ``ScoringOptions.for_model`` of that model."""
    from pyspark import SparkFiles

    from item2vec.model import Item2Vec

    columns = sessions.columns
    if items_column not in columns:
        raise ValueError(f"sessions have no column {items_column!r} (columns: {', '.join(columns)})")
    if id_column is None:
        id_column = next((c for c in ID_COLUMNS if c in columns), None)
        if id_column is None:
            raise ValueError(f"sessions have none of the id columns {', '.join(ID_COLUMNS)}; give id_column")
    elif id_column not in columns:
        raise ValueError(f"sessions have no column {id_column!r} (columns: {', '.join(columns)})")
    allow, deny = (None if keys is None else [str(k) for k in keys] for keys in (allow, deny))
    model = Item2Vec.load(model_dir)
    options = options or ScoringOptions.for_model(model)
    Recommender(model, options, allow, deny)  # fail early: k, empty allow list
    name = _ship(sessions.sparkSession, model_dir)
    id_type = sessions.schema[id_column].dataType.simpleString()
    settings = options.as_dict()

    def score(batches: Iterator) -> Iterator:
        import pyarrow as pa

        key = (name, tuple(sorted(settings.items())), tuple(allow or ()), tuple(deny or ()))
        if key not in _LOADED:
            model = Item2Vec.load(SparkFiles.get(name))
            _LOADED[key] = Recommender(
                model, ScoringOptions.from_dict(settings), allow, deny, config.SPARK_SCORING_THREADS
            )
        recommender = _LOADED[key]
        for batch in batches:
            frame = pl.from_arrow(pa.Table.from_batches([batch]))
            chunk = frame[items_column].cast(pl.List(pl.String))
            recs, _ = recommender.recommend(chunk.fill_null(pl.lit([], dtype=pl.List(pl.String))), frame[id_column])
            yield from recs.to_arrow().cast(schema(recs)).to_batches()

    def schema(recs: pl.DataFrame):
        import pyarrow as pa

        return pa.schema(
            [
                ("id", recs["id"].to_arrow().type if recs["id"].dtype != pl.String else pa.string()),
                ("rank", pa.int32()),
                ("item", pa.string()),
                ("score", pa.float32()),
                ("fallback", pa.bool_()),
            ]
        )

    selected = sessions.select(id_column, items_column)
    return selected.mapInArrow(score, f"id {id_type}, rank int, item string, score float, fallback boolean")


def lookalike_spark(
    users: DataFrame,
    seeds: Iterable,
    size: int,
    method: str = "centroid",
    *,
    user_column: str = "user",
    vector_column: str = "vector",
) -> tuple[DataFrame, int]:
    """``lookalike`` over a Spark DataFrame of user vectors (``item2vec users`` output, or any
    ``user, vector`` frame): the ``size`` users most similar to the seeds, seeds excluded, as
    ``user, rank, score`` (ties: the user earlier in the frame), and the number of seed ids
    without a vector. The seeds' vectors are collected to the driver and broadcast."""
    from pyspark.sql import functions as F

    if method not in METHODS:
        raise ValueError(f"unknown lookalike method {method!r}; choose one of {', '.join(METHODS)}")
    _check_size(size)
    wanted = sorted({str(s) for s in seeds})
    if not wanted:
        raise ValueError("the seed list is empty")
    positioned = users.select(user_column, vector_column).withColumn("__pos", F.monotonically_increasing_id())
    seed_frame = users.sparkSession.createDataFrame([(s,) for s in wanted], "__seed string")
    found = positioned.join(seed_frame, F.col(user_column).cast("string") == F.col("__seed"), "left_semi")
    rows = found.orderBy("__pos").select(F.col(user_column).cast("string"), vector_column).collect()
    if not rows:
        raise ValueError(f"none of the {len(wanted)} seed users has a user vector")
    seed_vectors = np.asarray([r[1] for r in rows], dtype=np.float32)
    seed_ids = {r[0] for r in rows}
    threads = config.SPARK_SCORING_THREADS
    audience = _ranked(
        positioned,
        user_column,
        vector_column,
        size,
        lambda v: lookalike_scores(v, seed_vectors, method, threads),
        seed_ids,
    )
    return audience, len(wanted) - len(seed_ids)


def campaign_audience_spark(
    model, users: DataFrame, items: Iterable, size: int, *, user_column: str = "user", vector_column: str = "vector"
) -> tuple[DataFrame, int]:
    """``campaign_audience`` over a Spark DataFrame of user vectors: the ``size`` users closest
    (cosine) to the mean unit vector of a campaign's items, and the number of unknown items."""
    from pyspark.sql import functions as F

    _check_size(size)
    keys = [k if isinstance(k, str) else str(k) for k in items]
    rows = [model.key_to_index[k] for k in keys if k in model.key_to_index]
    if not rows:
        raise ValueError(f"none of the {len(keys)} campaign items is known to the model")
    centroid = unit(np.asarray(model.unit_vectors)[rows].mean(axis=0))
    positioned = users.select(user_column, vector_column).withColumn("__pos", F.monotonically_increasing_id())
    audience = _ranked(positioned, user_column, vector_column, size, lambda v: v @ centroid, set())
    return audience, len(keys) - len(rows)


def _ranked(frame, user_column, vector_column, size, scores_of, seed_ids: set) -> DataFrame:
    """Score every user in the executors (``scores_of(vectors)``, as the single-machine code
    scores them; seeds excluded), then the distributed top ``size`` by score, then position:
    ``user, rank, score``."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    user_type = frame.schema[user_column].dataType.simpleString()

    def score(batches: Iterator) -> Iterator:
        import pyarrow as pa

        for batch in batches:
            table = pl.from_arrow(pa.Table.from_batches([batch]))
            vectors = np.asarray(table[vector_column].to_list(), dtype=np.float32).reshape(len(table), -1)
            scores = np.asarray(scores_of(vectors), dtype=np.float32)
            scores[table[user_column].cast(pl.String).is_in(list(seed_ids)).to_numpy()] = -np.inf
            out = pa.table(
                {
                    "user": table[user_column].to_arrow(),
                    "score": pa.array(scores, pa.float32()),
                    "__pos": table["__pos"].to_arrow(),
                }
            )
            yield from out.to_batches()

    scored = frame.mapInArrow(score, f"user {user_type}, score float, __pos bigint")
    finite = scored.filter(~F.isnan("score") & (F.col("score") != float("-inf")))
    best = finite.orderBy(F.desc("score"), "__pos").limit(size)
    rank = F.row_number().over(Window.orderBy(F.desc("score"), "__pos")).cast("int")
    return best.withColumn("rank", rank).select("user", "rank", "score")


def _ship(spark, model_dir) -> str:
    """Send the model directory to every executor (once per path); its name for ``SparkFiles``."""
    path = Path(model_dir)
    text = str(path.resolve()) if "://" not in str(model_dir) else str(model_dir)
    spark.sparkContext.addFile(text, recursive=True)
    return path.name
