"""``item2vec sessions``: an event log to a Parquet file of sessions, optionally split for evaluation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from item2vec.cli.app import app, fail
from item2vec.cli.session_options import EventSpec, session_options
from item2vec.data.files import check_output

console = Console(stderr=True, soft_wrap=True)
ENGINES = ("polars", "spark")


@app.command()
@session_options
def sessions(
    events: Annotated[
        Path,
        typer.Argument(help="Event log: CSV/TSV (.gz ok) or Parquet; with --engine spark also a directory of parts."),
    ],
    out: Annotated[
        Path,
        typer.Option(
            help="Parquet file of sessions (the training sessions with a split); "
            "with --engine spark a directory of parts."
        ),
    ],
    test_out: Annotated[Path | None, typer.Option(help="With a split: Parquet file of the test sessions.")] = None,
    split_at: Annotated[
        str | None,
        typer.Option(
            help="Temporal split: sessions ending before this ISO 8601 time train, those starting at or after it test."
        ),
    ] = None,
    test_days: Annotated[
        float | None, typer.Option(help="Temporal split at this many days before the last event.")
    ] = None,
    leave_last_out: Annotated[
        bool, typer.Option(help="Hold out the last event of every session (test keeps whole sessions).")
    ] = False,
    engine: Annotated[
        str, typer.Option(help="polars (one machine) or spark (local cores, or a cluster under spark-submit).")
    ] = "polars",
    *,
    events_spec: EventSpec,
):
    """Turn an event log into sessions: one row per session with its items, start, end and length."""
    from item2vec.sessions import leave_last_out as hold_out_last
    from item2vec.sessions import sessionize, temporal_split

    n_splits = (split_at is not None) + (test_days is not None) + leave_last_out
    if n_splits > 1:
        fail("choose one split: --split-at, --test-days or --leave-last-out")
    if (n_splits == 1) != (test_out is not None):
        fail("--test-out goes with a split (--split-at, --test-days or --leave-last-out) and a split needs it")
    if engine not in ENGINES:
        fail(f"unknown --engine {engine!r}; choose one of {', '.join(ENGINES)}")
    spark = engine == "spark"
    check_output(out, "--out", directory=spark)
    if test_out is not None:
        check_output(test_out, "--test-out", directory=spark)
    fmt, options = events_spec.fmt, events_spec.options
    if spark:
        _sessions_on_spark(events, out, test_out, split_at, test_days, leave_last_out, events_spec)
        return
    if leave_last_out:
        result = hold_out_last(events, fmt, options)
    elif n_splits:
        result = temporal_split(events, fmt, options, cutoff=split_at, last_days=test_days)
    else:
        result = sessionize(events, fmt, options)
    for line in result.summary.lines():
        console.print(line)
    if n_splits:
        result.train.write_parquet(out)
        result.test.write_parquet(test_out)
        cut = f" (cutoff {result.cutoff.isoformat()})" if result.cutoff else ""
        console.print(
            f"wrote {out} ({len(result.train):,} training sessions) and {test_out} "
            f"({len(result.test):,} test sessions){cut}"
        )
    else:
        result.write_parquet(out)
        console.print(f"wrote {out}: {len(result):,} sessions, {result.n_events:,} events")


def _sessions_on_spark(events, out, test_out, split_at, test_days, leave_last_out, events_spec: EventSpec) -> None:
    """The same rules on Spark, written as directories of Parquet parts (whole or not at all)."""
    from item2vec.data.spark import spark_session, write_parquet_dir
    from item2vec.sessions.spark import (
        leave_last_out_spark,
        read_events_spark,
        sessionize_spark,
        temporal_split_spark,
    )

    fmt, options = events_spec.fmt, events_spec.options
    if options.buckets != 1:
        fail("--buckets applies to --engine polars; Spark partitions the log by itself")
    spark = spark_session()
    frame = read_events_spark(spark, events, fmt)
    origin = str(events)
    if leave_last_out:
        result = leave_last_out_spark(frame, fmt, options, origin=origin)
    elif split_at is not None or test_days is not None:
        result = temporal_split_spark(frame, fmt, options, cutoff=split_at, last_days=test_days, origin=origin)
    else:
        result = sessionize_spark(frame, fmt, options, origin=origin)
    for line in result.summary.lines():
        console.print(line)
    kept = result.summary.kept
    if test_out is None:
        write_parquet_dir(result.frame, out)
        console.print(f"wrote {out}/: {kept['sessions']:,} sessions, {kept['events']:,} events (Parquet parts)")
        return
    write_parquet_dir(result.train, out)
    write_parquet_dir(result.test, test_out)
    cut = f" (cutoff {result.cutoff.isoformat()})" if result.cutoff else ""
    console.print(
        f"wrote {out}/ ({kept['train sessions']:,} training sessions) and {test_out}/ "
        f"({kept['test sessions']:,} test sessions){cut}"
    )
