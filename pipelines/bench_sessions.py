"""Benchmark: an event log to a training corpus, item2vec's Polars pipeline against pandas.

A seeded synthetic log (default 10M events, 1M users, 100k Zipf-popular items, string ids, event
types, repeats, in global time order as logs are appended) is written to Parquet (and CSV), then
each contender runs in its own subprocess so that its peak memory (max RSS) is its own:

- ``polars``: ``item2vec.sessions.sessionize`` (in memory) + ``Sessions.corpus()``;
- ``polars-csv``: the same from the CSV file;
- ``polars-buckets``: the bounded-memory path (``buckets=N`` user-hash partitions on disk);
- ``pandas``: a straightforward vectorised pandas implementation of the same rules, from the
  same Parquet file, ending in the same corpus arrays (item codes, offsets, weights).

Rules for all: 30-minute gap, weights view 1 / fav 2 / cart 3 / purchase 5, repeats collapsed
(max weight), items with fewer than 5 events dropped, sessions shorter than 2 dropped. Every run
prints events/second (events read / wall seconds), CPU seconds and peak RSS, and the contenders'
session counts must agree.

    python pipelines/bench_sessions.py                      # 10M events (several minutes)
    python pipelines/bench_sessions.py --events 1000000     # quick
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchlib import peak_rss_mb

GAP_MINUTES = 30
WEIGHTS = {"view": 1.0, "fav": 2.0, "cart": 3.0, "purchase": 5.0}
MIN_ITEM_COUNT = 5
MIN_LENGTH = 2


def synthetic_log(n_events: int, n_users: int, n_items: int, seed: int):
    """Sessions of geometric length (mean 4) at random times over 30 days, clicks ~90 s apart,
    Zipf item popularity, 10% immediate repeats, event types 85/8/4/3% view/cart/fav/purchase;
    rows sorted by time; string ids ``U0000042`` / ``I000042``."""
    import polars as pl

    rng = np.random.default_rng(seed)
    lengths = rng.geometric(0.25, n_events // 2)
    lengths = lengths[: int(np.searchsorted(np.cumsum(lengths), n_events)) + 1]
    lengths[-1] -= lengths.sum() - n_events
    first = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    session = np.repeat(np.arange(len(lengths)), lengths)
    gaps = rng.exponential(90.0, n_events)
    gaps[first] = 0
    elapsed = np.cumsum(gaps)
    elapsed -= np.repeat(elapsed[first], lengths)
    start = rng.uniform(0, 30 * 86400, len(lengths))
    times = (1_700_000_000 + start[session] + elapsed).astype(np.int64)
    popularity = 1.0 / np.arange(1, n_items + 1)
    items = rng.choice(n_items, n_events, p=popularity / popularity.sum())
    repeat = rng.random(n_events) < 0.1
    repeat[first] = False
    items = items[np.maximum.accumulate(np.where(repeat, 0, np.arange(n_events)))]
    users = rng.integers(0, n_users, len(lengths))[session]
    kinds = rng.choice(4, n_events, p=[0.85, 0.08, 0.04, 0.03])
    order = np.argsort(times, kind="stable")
    return pl.DataFrame(
        {"user": users[order], "item": items[order], "timestamp": times[order], "kind": kinds[order]}
    ).select(
        pl.format("U{}", pl.col("user").cast(pl.String).str.zfill(7)).alias("user_id"),
        pl.format("I{}", pl.col("item").cast(pl.String).str.zfill(6)).alias("item_id"),
        "timestamp",
        pl.col("kind")
        .replace_strict(dict(enumerate(["view", "cart", "fav", "purchase"])), return_dtype=pl.String)
        .alias("event_type"),
    )


# ---- contenders (each runs in a subprocess) -----------------------------------------------------


def run_polars(path: str, buckets: int) -> dict:
    from item2vec.sessions import EventFormat, SessionOptions, sessionize

    options = SessionOptions(
        gap_minutes=GAP_MINUTES,
        event_weights=WEIGHTS,
        min_item_count=MIN_ITEM_COUNT,
        min_length=MIN_LENGTH,
        buckets=buckets,
    )
    started, cpu = time.perf_counter(), time.process_time()
    sessions = sessionize(path, EventFormat(event="event_type", time_format="s"), options)
    corpus = sessions.corpus()
    return dict(
        seconds=time.perf_counter() - started,
        cpu_seconds=time.process_time() - cpu,
        rows=sessions.summary.rows_read,
        sessions=len(corpus),
        tokens=corpus.n_tokens,
        length_histogram=np.bincount(np.diff(corpus.offsets)).tolist(),
    )


def run_pandas(path: str) -> dict:
    """The same rules as a data scientist would write them in pandas (vectorised, no apply)."""
    import pandas as pd

    started, cpu = time.perf_counter(), time.process_time()
    df = pd.read_parquet(path)
    rows = len(df)
    df = df.dropna(subset=["user_id", "item_id", "timestamp"])
    df["time"] = df["timestamp"].astype("int64") * 1_000_000
    df = df.sort_values(["user_id", "time"], kind="stable").reset_index(drop=True)
    new_session = (df["user_id"] != df["user_id"].shift()) | (df["time"].diff() > GAP_MINUTES * 60_000_000)
    df["session"] = new_session.cumsum()
    df["weight"] = df["event_type"].map(WEIGHTS).fillna(1.0).astype("float32")
    run = ((df["session"] != df["session"].shift()) | (df["item_id"] != df["item_id"].shift())).cumsum()
    df["weight"] = df.groupby(run)["weight"].transform("max")
    df = df[~run.duplicated()]
    df = df[df["item_id"].map(df["item_id"].value_counts()) >= MIN_ITEM_COUNT]
    df = df[df.groupby("session")["session"].transform("size") >= MIN_LENGTH]
    codes, keys = pd.factorize(df["item_id"])
    lengths = df.groupby("session", sort=False).size().to_numpy()
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    weights = df["weight"].to_numpy()
    assert len(codes) == offsets[-1] == len(weights) and len(keys) > 0
    return dict(
        seconds=time.perf_counter() - started,
        cpu_seconds=time.process_time() - cpu,
        rows=rows,
        sessions=len(lengths),
        tokens=int(offsets[-1]),
        length_histogram=np.bincount(lengths).tolist(),
    )


def worker(args) -> None:
    if args.worker == "generate":
        log = synthetic_log(args.events, args.users, args.items, args.seed)
        log.write_parquet(Path(args.path) / "events.parquet")
        log.write_csv(Path(args.path) / "events.csv")
        return
    if args.worker == "pandas":
        result = run_pandas(args.path)
    else:
        result = run_polars(args.path, args.buckets if args.worker == "polars-buckets" else 1)
    result["peak_rss_gb"] = peak_rss_mb() / 1024
    print(json.dumps(result))


def measure(kind: str, path: Path, *options) -> dict | None:
    """Run ``kind`` in a fresh interpreter (so its memory is its own) and return its report."""
    command = [sys.executable, __file__, "--worker", kind, "--path", str(path), *map(str, options)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1]) if kind != "generate" else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--users", type=int, default=None, help="default: events / 10")
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--buckets", type=int, default=8, help="partitions of the bounded-memory run")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip", nargs="*", default=[], choices=["pandas", "polars-csv", "polars-buckets"])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)

    users = args.users or args.events // 10
    with tempfile.TemporaryDirectory(prefix="bench-sessions-") as tmp:
        started = time.perf_counter()
        measure(
            "generate", Path(tmp), "--events", args.events, "--users", users, "--items", args.items, "--seed", args.seed
        )
        parquet, csv = Path(tmp) / "events.parquet", Path(tmp) / "events.csv"
        print(
            f"synthetic log: {args.events:,} events, {users:,} users, {args.items:,} items "
            f"(generated in {time.perf_counter() - started:.1f}s); load average {os.getloadavg()[0]:.1f} "
            f"on {os.cpu_count()} cores"
        )
        runs = {"polars": measure("polars", parquet)}
        if "polars-csv" not in args.skip:
            runs["polars-csv"] = measure("polars-csv", csv)
        if "polars-buckets" not in args.skip:
            runs[f"polars-buckets={args.buckets}"] = measure("polars-buckets", parquet, "--buckets", args.buckets)
        if "pandas" not in args.skip:
            runs["pandas"] = measure("pandas", parquet)

    print(
        f"{'contender':<20}{'wall s':>9}{'cpu s':>9}{'events/s':>14}{'peak RSS GB':>13}{'sessions':>12}{'tokens':>12}"
    )
    for name, r in runs.items():
        print(
            f"{name:<20}{r['seconds']:>9.2f}{r['cpu_seconds']:>9.2f}{r['rows'] / r['seconds']:>14,.0f}"
            f"{r['peak_rss_gb']:>13.2f}{r['sessions']:>12,}{r['tokens']:>12,}"
        )
    reference = runs["polars"]
    for name, r in runs.items():
        if (r["sessions"], r["tokens"], r["length_histogram"]) != (
            reference["sessions"],
            reference["tokens"],
            reference["length_histogram"],
        ):
            raise SystemExit(f"{name} disagrees with polars on the sessions it kept")
    if "pandas" in runs:
        pandas = runs["pandas"]
        print(
            f"pandas / polars: {pandas['seconds'] / reference['seconds']:.1f}x the wall time, "
            f"{pandas['cpu_seconds'] / reference['cpu_seconds']:.1f}x the CPU time, "
            f"{pandas['peak_rss_gb'] / reference['peak_rss_gb']:.1f}x the peak memory"
        )
    print(f"load average after the runs: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
