"""The per-user (or per-session-id) steps: order, cut into sessions, filter, collapse, truncate.

Every step here only looks at one user's (or one given session's) events, so a log can be cut into
hash partitions of users and each partition sessionised alone (see ``build``). The steps, in order:

1. drop rows with a null key (user, or session id when given), item or time;
2. order each key's events by time; ties keep their order in the source (stable);
3. cut: a new session starts at a new key, after an inactivity gap *longer* than ``gap`` (a gap
   exactly equal continues it; no gap rule with session ids), and every ``max_duration`` from the
   session's first event (window ``k`` holds the events with ``k*D <= t - start < (k+1)*D``);
4. keep the selected event types (sessions were cut on all activity);
5. collapse consecutive repeats of an item into its first event, weighing the largest weight
   (a global context if any event of the run is);
6. keep the last ``keep_last`` events of each session.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from item2vec.sessions import codes
from item2vec.sessions.options import SessionOptions
from item2vec.sessions.summary import Tally
from item2vec.sessions.table import EventTable


def sessionise(
    frame: pl.DataFrame, key: str, options: SessionOptions, tally: Tally, item_keys: pl.Series | None = None
) -> tuple[EventTable, pl.Series]:
    """Sessions of the canonical ``frame``, grouped by the column ``key``, with items coded into
    ``item_keys`` (default: the distinct items of ``frame``); returns them and the keys. Counts
    the rows read and dropped in ``tally``; may return an empty table. Pass ``frame`` without
    keeping a reference to it: its columns are released as soon as they are no longer needed."""
    n_rows, latest = frame.height, frame["time"].max()
    tally.read(n_rows, latest)
    frame = frame.filter(pl.all_horizontal(pl.col(key, "item", "time").is_not_null()))
    tally.drop("null", n_rows - frame.height)
    if not frame["row"].is_sorted():
        frame = frame.sort("row")
    item_codes, item_keys = codes.encode(frame["item"], item_keys)
    frame = frame.with_columns(item_codes.alias("item"))
    del item_codes
    keys = frame[key]
    events = _in_key_time_order(frame, key, _group_codes(keys), options)
    if not keys.dtype.is_integer() and _hash_collision(events, keys):
        events = _in_key_time_order(frame, key, keys.cast(pl.String).cast(pl.Categorical).to_physical(), options)
    frame = frame.select(c for c in ("user", "session") if c in frame.columns)  # release the rest
    info = frame[events.filter("starts")["position"]]
    del frame, keys
    events = events.drop("key", "starts", "position")

    if options.event_types is not None:
        n = events.height
        events = events.filter("wanted").drop("wanted")
        tally.drop("event type", n - events.height)
    events = _collapse_repeats(events, tally)
    if options.keep_last is not None:
        n = events.height
        events = events.filter(_position_from_end() < options.keep_last)
        tally.drop("truncated", n - events.height)
    return EventTable(events, info).compact(), item_keys  # the type filter may have emptied sessions


def _in_key_time_order(frame: pl.DataFrame, key: str, key_codes: pl.Series, options: SessionOptions) -> pl.DataFrame:
    """Events ordered by (key code, time), ties in source order, with ``starts`` (first event of
    a session), ``session`` numbers and ``position`` (row in ``frame``)."""
    events = frame.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("position"),
        key_codes.alias("key"),
        "item",
        "time",
        "row",
        *_event_columns(options),
    )
    # two stable sorts give (key, time) order with ties in source order, faster than one two-key
    # sort; logs are usually appended in time order already, which saves the first
    if not events["time"].is_sorted():
        events = events.sort("time", maintain_order=True)
    events = events.sort("key", maintain_order=True)
    events = events.with_columns(_session_starts(options, by_user=key == "user").alias("starts"))
    return events.with_columns((pl.col("starts").cum_sum() - 1).cast(pl.UInt32).alias("session"))


def _group_codes(keys: pl.Series) -> pl.Series:
    """Integer keys as they are; others by their identity hash, far cheaper than a categorical
    encoding (a collision is detected after sorting, see ``_hash_collision``)."""
    return keys if keys.dtype.is_integer() else codes.identity_hash(keys.cast(pl.String))


def _hash_collision(events: pl.DataFrame, keys: pl.Series) -> bool:
    """Do two different keys share an identity hash? Sorted by it, they would sit in one run of
    equal hashes whose check hashes differ."""
    check = codes.check_hash(keys.cast(pl.String)).gather(events["position"])
    return bool(((events["key"] == events["key"].shift(1)) & (check != check.shift(1))).any())


def _event_columns(options: SessionOptions) -> list[pl.Expr]:
    """``weight`` from the event-type weights, ``wanted`` from the event-type filter and
    ``global_context`` from the global-context event."""
    columns = []
    if options.global_context_event is not None:
        columns.append((pl.col("event") == options.global_context_event).fill_null(False).alias("global_context"))
    if options.event_types is not None:
        columns.append(pl.col("event").is_in(list(options.event_types)).fill_null(False).alias("wanted"))
    if options.event_weights is not None:
        columns.append(
            pl.col("event")
            .replace_strict(options.event_weights, default=1.0, return_dtype=pl.Float32)
            .fill_null(1.0)
            .alias("weight")
        )
    return columns


def _session_starts(options: SessionOptions, by_user: bool) -> pl.Expr:
    """True on the first event of every session (rows in (key, time) order); the inactivity gap
    only cuts users' histories, given session ids are trusted."""
    starts = (pl.col("key") != pl.col("key").shift(1)).fill_null(True)
    if options.gap_us is not None and by_user:
        starts = starts | (pl.col("time").diff() > options.gap_us).fill_null(False)
    if options.max_duration_us is not None:
        first_time = pl.when(starts).then(pl.col("time")).forward_fill()
        window = (pl.col("time") - first_time) // options.max_duration_us
        starts = starts | (window != window.shift(1)).fill_null(True)
    return starts


def _collapse_repeats(events: pl.DataFrame, tally: Tally) -> pl.DataFrame:
    """Keep the first event of each run of the same item within a session; with weights, the kept
    event weighs the largest weight of its run; it is a global context if any event of the run is."""
    run_start = (
        (pl.col("session") != pl.col("session").shift(1)) | (pl.col("item") != pl.col("item").shift(1))
    ).fill_null(True)
    starts = events.select(run_start.arg_true()).to_series().to_numpy()
    collapsed = events[starts]
    if "weight" in events.columns and len(starts):
        run_max = np.maximum.reduceat(events["weight"].to_numpy(), starts)  # runs are contiguous
        collapsed = collapsed.with_columns(pl.Series("weight", run_max, dtype=pl.Float32))
    if "global_context" in events.columns and len(starts):
        run_any = np.maximum.reduceat(events["global_context"].to_numpy(), starts)
        collapsed = collapsed.with_columns(pl.Series("global_context", run_any, dtype=pl.Boolean))
    tally.drop("repeat", events.height - collapsed.height)
    return collapsed


def _position_from_end() -> pl.Expr:
    """0 for the last event of each session, 1 for the one before, ... (sessions contiguous)."""
    index = pl.int_range(pl.len(), dtype=pl.Int64)
    is_last = (pl.col("session") != pl.col("session").shift(-1)).fill_null(True)
    return pl.when(is_last).then(index).backward_fill() - index
