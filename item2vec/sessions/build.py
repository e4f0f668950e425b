"""The public entry points: an event log to sessions, or to a train/test split.

Reading and the per-user steps run either on the whole log in memory (``buckets=1``) or, for logs
larger than memory, one user-hash partition at a time: the log is first streamed into Parquet
partitions on disk (``TMPDIR``), so the raw log is never in memory; what is left is one partition
and the compact result (24 bytes per kept event, with transient copies while it is ordered and
turned into a corpus).
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from item2vec.sessions.filters import drop_rare_items_and_short_sessions
from item2vec.sessions.formats import EventFormat
from item2vec.sessions.options import SessionOptions
from item2vec.sessions.read import scan_events
from item2vec.sessions.result import Sessions, Split
from item2vec.sessions.sessionise import sessionise
from item2vec.sessions.split import hold_out_last, known_items, restrict_to_known_items, split_at
from item2vec.sessions.summary import Tally
from item2vec.sessions.table import EventTable

_EPOCH = datetime(1970, 1, 1)


def sessionize(source, fmt: EventFormat = EventFormat(), options: SessionOptions = SessionOptions()) -> Sessions:
    """Sessions of an event log: ``source`` is a CSV/TSV (``.gz`` ok) or Parquet path, or a
    Polars/pandas DataFrame; ``fmt`` maps its columns; ``options`` sets the rules.

    Raises ``ValueError`` with a one-line message for bad input, including when a step removes
    every event (the message names that step).
    """
    table, keys, tally = _sessionise_log(source, fmt, options)
    table = drop_rare_items_and_short_sessions(table, options, tally)
    tally.require(table.n_events)
    summary = tally.summary(
        {"events": table.n_events, "sessions": table.n_sessions, "items": int(known_items(table, len(keys)).sum())}
    )
    return Sessions(table.chronological(), keys, summary)


def temporal_split(
    source,
    fmt: EventFormat = EventFormat(),
    options: SessionOptions = SessionOptions(),
    *,
    cutoff: datetime | str | None = None,
    last_days: float | None = None,
) -> Split:
    """Sessions split at a global time: ``cutoff`` (a datetime or ISO 8601 text; naive means
    UTC) or ``last_days`` before the latest timestamp in the log.

    Training holds the sessions that end before the cutoff, cleaned by ``min_item_count`` and
    ``min_length`` on training counts only; test holds the sessions that start at or after it,
    restricted to items that occur in training and to ``min_length``. Sessions that straddle the
    cutoff are dropped (counted in the summary as "straddles cutoff").
    """
    if (cutoff is None) == (last_days is None):
        raise ValueError("give exactly one of cutoff and last_days")
    table, keys, tally = _sessionise_log(source, fmt, options)
    if last_days is not None:
        if not last_days > 0:
            raise ValueError(f"last_days must be > 0, got {last_days}")
        cutoff_us = tally.latest_us - round(last_days * 86_400_000_000)
    else:
        cutoff_us = _to_microseconds(cutoff)
    when = _EPOCH + timedelta(microseconds=cutoff_us)
    train, test = split_at(table, cutoff_us, tally)
    tally.require(train.n_events, f"training sessions end before {when.isoformat()}", ("straddles cutoff",))
    tally.require(test.n_events, f"test sessions start at or after {when.isoformat()}", ("straddles cutoff",))
    train = drop_rare_items_and_short_sessions(train, options, tally)
    tally.require(train.n_events, "training events")
    test = restrict_to_known_items(test, known_items(train, len(keys)), options, tally)
    tally.require(test.n_events, "test events", ("unseen item", "short test session"))
    return _split(train, test, keys, tally, when)


def leave_last_out(source, fmt: EventFormat = EventFormat(), options: SessionOptions = SessionOptions()) -> Split:
    """Sessions cleaned as by ``sessionize``, then each session's last event held out: training
    holds every session without it, test the whole sessions whose last item occurs in training."""
    table, keys, tally = _sessionise_log(source, fmt, options)
    table = drop_rare_items_and_short_sessions(table, options, tally)
    tally.require(table.n_events)
    train, test = hold_out_last(table, len(keys), tally)
    tally.require(train.n_events, "training events (every session has a single event)")
    tally.require(test.n_events, "test sessions", ("unseen target",))
    return _split(train, test, keys, tally, None)


def _sessionise_log(source, fmt: EventFormat, options: SessionOptions) -> tuple[EventTable, pl.Series, Tally]:
    """Read the log and run the per-user steps, in memory or partition by partition; return the
    sessions, the item keys and the tally."""
    typed = (options.event_types, options.event_weights, options.global_context_event)
    if any(option is not None for option in typed) and not fmt.event:
        raise ValueError("event types, weights or a global-context event are set but no event type column is mapped")
    scan = scan_events(source, fmt)
    tally = Tally(scan.origin)
    if options.buckets == 1:
        table, keys = sessionise(scan.collect(), fmt.key, options, tally)
    else:
        with tempfile.TemporaryDirectory(prefix="item2vec-sessions-") as tmp:
            parts = scan.sink_buckets(Path(tmp), options.buckets)
            tally.require(len(parts))  # no partition: the log has no rows
            everything = pl.scan_parquet([p / "*.parquet" for p in parts])
            keys = everything.select(pl.col("item").drop_nulls().unique().sort()).collect(engine="streaming")["item"]
            tables = [
                sessionise(pl.read_parquet(p).drop("time_bad", "short", strict=False), fmt.key, options, tally, keys)[0]
                for p in parts
            ]
        table = EventTable.concat(tables)
    tally.require(table.n_events)
    return table, keys, tally


def _split(train: EventTable, test: EventTable, keys: pl.Series, tally: Tally, cutoff: datetime | None) -> Split:
    summary = tally.summary(
        {
            "train events": train.n_events,
            "train sessions": train.n_sessions,
            "test events": test.n_events,
            "test sessions": test.n_sessions,
            "train items": int(known_items(train, len(keys)).sum()),
        }
    )
    return Split(Sessions(train.chronological(), keys, summary), Sessions(test.chronological(), keys, summary), cutoff)


def _to_microseconds(when: datetime | str) -> int:
    """Microseconds since the epoch of a datetime or ISO 8601 text (naive = UTC)."""
    if isinstance(when, str):
        try:
            when = datetime.fromisoformat(when)
        except ValueError:
            raise ValueError(f"cutoff {when!r} is not an ISO 8601 date or date-time") from None
    if not isinstance(when, datetime):
        raise ValueError(f"cutoff must be a datetime or ISO 8601 text, got {type(when).__name__}")
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return (when - _EPOCH) // timedelta(microseconds=1)
