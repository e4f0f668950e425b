"""Ad-targeting audiences from item vectors: user vectors, lookalike expansion, campaign audiences.

User vector (``user_vectors``): the weighted mean of the unit vectors of the items a user
interacted with, scaled to unit length. An event's weight is its type's weight (``event_weights``,
types not listed weigh 1) times ``0.5 ** (age / half_life)``, where ``age`` is the time between
the event and the user's latest event: an event ``half_life_days`` older than the user's latest
counts half as much, one ``2 * half_life_days`` older a quarter. (Measuring age from the user's
latest event rather than from "now" changes every weight of a user by the same factor, so the
direction is the same.) Events on items the model does not know are skipped and counted; users
left with no known event get no vector and are counted.

Every score is a cosine: user vectors and item unit vectors share one space.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from item2vec import config
from item2vec.engine.topk import max_inner

DEFAULT_HALF_LIFE_DAYS = config.HALF_LIFE_DAYS
METHODS = ("centroid", "max")


@dataclass(frozen=True)
class UserVectorStats:
    events: int  # rows read
    skipped_events: int  # events on items the model does not know, or with a null time (skipped)
    users: int  # users with a vector
    users_without_known_item: int  # users skipped: none of their events is on a known item


def user_vectors(
    model,
    events: pl.DataFrame | pl.LazyFrame,
    user_col: str = "user_id",
    item_col: str = "item_id",
    time_col: str | None = "timestamp",
    event_col: str | None = None,
    event_weights: Mapping[str, float] | None = None,
    half_life_days: float | None = DEFAULT_HALF_LIFE_DAYS,
) -> tuple[pl.DataFrame, UserVectorStats]:
    """One unit vector per user (see the module docstring for the weighting): a frame
    ``user, n_events, vector`` sorted by user, and what was read and skipped.

    ``time_col`` holds date-times or epoch seconds; ``None`` (or ``half_life_days=None``) turns
    recency weighting off. ``event_weights`` needs ``event_col``.
    """
    frame = events.lazy() if isinstance(events, pl.DataFrame) else events
    names = frame.collect_schema().names()
    wanted = [c for c in (user_col, item_col, time_col, event_col) if c is not None]
    missing = [c for c in wanted if c not in names]
    if missing:
        raise ValueError(f"events have no column {missing[0]!r} (columns: {', '.join(names)})")
    if event_weights and event_col is None:
        raise ValueError("event weights need the event type column (event_col)")
    if half_life_days is not None and not half_life_days > 0:
        raise ValueError(f"half_life_days must be positive, got {half_life_days!r}")

    weight = pl.lit(1.0, dtype=pl.Float64)
    if event_weights:
        bad = {k: v for k, v in event_weights.items() if not (np.isfinite(v) and v >= 0)}
        if bad:
            raise ValueError(f"event weights must be finite and >= 0, got {bad}")
        weight = (
            pl.col(event_col)
            .cast(pl.String)
            .replace_strict(
                list(event_weights), list(map(float, event_weights.values())), default=1.0, return_dtype=pl.Float64
            )
        )
    if time_col is not None and half_life_days is not None:
        seconds = _epoch_seconds(pl.col(time_col), frame.collect_schema()[time_col])
        age = seconds.max().over(user_col) - seconds
        weight = weight * (0.5 ** (age / (half_life_days * 86400.0)))
    table = (
        frame.select(
            pl.col(user_col).alias("user"),
            pl.col(item_col)
            .cast(pl.String)
            .replace_strict(
                model.index_to_key, np.arange(len(model), dtype=np.int32), default=None, return_dtype=pl.Int32
            )
            .alias("row"),
            weight.alias("weight"),
        )
        .filter(pl.col("user").is_not_null())
        .collect()
    )
    if table.height == 0:
        raise ValueError("no events with a user id")
    all_users = table["user"].n_unique()
    known = table.filter(pl.col("row").is_not_null() & pl.col("weight").is_not_null())
    if known.height == 0:
        raise ValueError(f"none of the {table.height} events is on an item the model knows")
    import scipy.sparse as sp  # here, not at the top: the CLI imports this module at start-up

    code = (known["user"].rank("dense") - 1).to_numpy().astype(np.int64)
    ids = known["user"].unique().sort()
    weights = sp.csr_matrix(
        (known["weight"].to_numpy().astype(np.float32), (code, known["row"].to_numpy())), shape=(len(ids), len(model))
    )
    vectors = np.asarray(weights @ np.asarray(model.unit_vectors), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors /= np.maximum(norms, 1e-30)
    frame = pl.DataFrame(
        {
            "user": ids,
            "n_events": np.bincount(code, minlength=len(ids)).astype(np.int64),
            "vector": pl.Series(vectors, dtype=pl.Array(pl.Float32, vectors.shape[1])),
        }
    )
    return frame, UserVectorStats(table.height, table.height - known.height, len(ids), all_users - len(ids))


def user_vectors_from_log(
    model,
    source,
    fmt,
    event_types: Iterable[str] | None = None,
    event_weights: Mapping[str, float] | None = None,
    half_life_days: float | None = DEFAULT_HALF_LIFE_DAYS,
) -> tuple[pl.DataFrame, UserVectorStats]:
    """``user_vectors`` of an event log read exactly as ``item2vec sessions`` reads it (``fmt``:
    file formats, presets, column mapping, timestamp parsing), optionally keeping only
    ``event_types``."""
    from item2vec.sessions.read import scan_events

    if fmt.user is None:
        raise ValueError("user vectors need a user column (--user-col)")
    if event_types and fmt.event is None:
        raise ValueError("an event type filter needs the event type column (--event-col)")
    frame = scan_events(source, fmt).collect()
    if event_types:
        frame = frame.filter(pl.col("event").is_in(list(event_types)))
    frame = frame.with_columns(pl.col("time").cast(pl.Datetime("us")))
    return user_vectors(
        model, frame, "user", "item", "time", "event" if fmt.event else None, event_weights, half_life_days
    )


def _epoch_seconds(column: pl.Expr, dtype) -> pl.Expr:
    if isinstance(dtype, pl.Datetime):
        return column.dt.epoch("ms").cast(pl.Float64) / 1000.0
    if isinstance(dtype, pl.Date):
        return column.cast(pl.Datetime("ms")).dt.epoch("ms").cast(pl.Float64) / 1000.0
    if dtype.is_numeric():
        return column.cast(pl.Float64)
    raise ValueError(f"time column has type {dtype}: give epoch seconds or date-times")


def read_user_vectors(path) -> tuple[pl.Series, np.ndarray]:
    """Users and their vectors from a file written by ``item2vec users``."""
    if not Path(path).exists():
        raise FileNotFoundError(f"file not found: {path}")
    try:
        frame = pl.read_parquet(path, columns=["user", "vector"])
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise ValueError(f"{path} is not a user-vector file written by `item2vec users` ({exc})") from None
    if not isinstance(frame.schema["vector"], pl.Array) or frame.height == 0:
        raise ValueError(f"{path}: expected a non-empty `vector` column of fixed-size float lists")
    return frame["user"], frame["vector"].to_numpy().astype(np.float32, copy=False)


def lookalike(
    users: pl.Series,
    vectors: np.ndarray,
    seeds: Iterable,
    size: int,
    method: str = "centroid",
    workers: int | None = None,
) -> tuple[pl.DataFrame, int]:
    """The ``size`` users most similar to a seed audience, seeds excluded: a frame
    ``user, rank, score`` best first, and the number of seed ids not found among ``users``
    (ignored; an error if none is found). ``method="centroid"`` scores the cosine to the seeds'
    mean vector; ``"max"`` the highest cosine to any seed (keeps niche seed clusters alive).
    Ties go to the user listed first."""
    if method not in METHODS:
        raise ValueError(f"unknown lookalike method {method!r}; choose one of {', '.join(METHODS)}")
    _check_size(size)
    _check_users(users, vectors)
    wanted = pl.Series("seed", list(seeds)).cast(pl.String).unique()
    if len(wanted) == 0:
        raise ValueError("the seed list is empty")
    is_seed = users.cast(pl.String).is_in(wanted.implode()).to_numpy()
    n_found = int(users.cast(pl.String).filter(is_seed).n_unique())
    if n_found == 0:
        raise ValueError(f"none of the {len(wanted)} seed users has a user vector")
    scores = lookalike_scores(vectors, vectors[is_seed], method, workers)
    scores[is_seed] = -np.inf
    return _ranked(users, scores, size), len(wanted) - n_found


def lookalike_scores(vectors: np.ndarray, seed_vectors: np.ndarray, method: str, workers: int | None = None):
    """Each user's score against the seeds: the cosine to their mean direction (``centroid``)
    or the best cosine to any seed (``max``); float32, one per row of ``vectors``."""
    if method == "centroid":
        return vectors @ unit(seed_vectors.mean(axis=0))
    return max_inner(vectors, seed_vectors, workers)


def campaign_audience(
    model, users: pl.Series, vectors: np.ndarray, items: Iterable, size: int
) -> tuple[pl.DataFrame, int]:
    """Item-to-audience affinity: the ``size`` users whose vectors are closest (cosine) to the
    mean unit vector of a campaign's items; a frame ``user, rank, score`` and the number of
    campaign items unknown to the model (ignored; an error if none is known)."""
    _check_size(size)
    _check_users(users, vectors)
    if vectors.shape[1] != model.vector_size_:
        raise ValueError(f"user vectors have {vectors.shape[1]} dimensions but the model has {model.vector_size_}")
    keys = [k if isinstance(k, str) else str(k) for k in items]
    rows = [model.key_to_index[k] for k in keys if k in model.key_to_index]
    if not rows:
        raise ValueError(f"none of the {len(keys)} campaign items is known to the model")
    centroid = unit(np.asarray(model.unit_vectors)[rows].mean(axis=0))
    return _ranked(users, vectors @ centroid, size), len(keys) - len(rows)


def _check_size(size) -> None:
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
        raise ValueError(f"audience size must be a positive integer, got {size!r}")


def _check_users(users: pl.Series, vectors: np.ndarray) -> None:
    if vectors.ndim != 2 or len(users) != len(vectors):
        raise ValueError(f"{len(users)} user ids for {len(vectors)} vectors")


def unit(vector: np.ndarray) -> np.ndarray:
    """``vector`` scaled to unit length (float32)."""
    return (vector / max(float(np.linalg.norm(vector)), 1e-30)).astype(np.float32)


def _ranked(users: pl.Series, scores: np.ndarray, size: int) -> pl.DataFrame:
    """The best ``size`` finite scores (ties: lower position first) as ``user, rank, score``."""
    finite = np.flatnonzero(np.isfinite(scores))
    size = min(size, len(finite))
    cut = np.partition(scores[finite], len(finite) - size)[len(finite) - size] if size else np.inf
    candidates = finite[scores[finite] >= cut]
    best = candidates[np.lexsort((candidates, -scores[candidates]))][:size]
    return pl.DataFrame(
        {
            "user": users.gather(best),
            "rank": np.arange(1, size + 1, dtype=np.int32),
            "score": scores[best].astype(np.float32),
        }
    )
