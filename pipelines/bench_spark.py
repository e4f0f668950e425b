"""Benchmark: sessionisation and batch scoring on Spark (local mode) against the single-machine
Polars path, on the same input, each contender in its own process (``item2vec`` CLI, as a user
runs it).

Inputs: the largest event sample in ``../shared/data`` (MovieLens ml-latest-small, 100,836
ratings) and a seeded synthetic log of ``--events`` events (``bench_sessions.synthetic_log``:
string ids, event types, repeats). For each: ``item2vec sessions`` with ``--engine polars``
and ``--engine spark`` (``local[N]``, ``--cores``), then ``item2vec recommend`` of those
sessions with a small model, both engines. Spark's times include starting its JVM (about 6 s
here), reported separately as the time of a no-op Spark command. The outputs must agree (same
sessions; same recommendation rows).

    flock /tmp/item2vec-bench.lock python pipelines/bench_spark.py            # ~10 minutes on 2 cores
    flock /tmp/item2vec-bench.lock python pipelines/bench_spark.py --events 200000
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
from bench_sessions import synthetic_log

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
CLI = [sys.executable, "-c", "from item2vec.cli import main; main()"]


def timed(args: list, env: dict) -> float:
    start = time.perf_counter()
    done = subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, env=env)
    if done.returncode:
        raise SystemExit(f"failed: {' '.join(map(str, args))}\n{done.stderr}")
    return time.perf_counter() - start


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def sessions_frame(path: Path) -> pl.DataFrame:
    frame = pl.read_parquet(path / "*.parquet" if path.is_dir() else path)
    return frame.with_columns(pl.col("session_id", "length").cast(pl.Int64))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="events in the synthetic log")
    parser.add_argument("--cores", type=int, default=2, help="Spark local[N]")
    args = parser.parse_args()
    env = {**os.environ, "ITEM2VEC_SPARK_MASTER": f"local[{args.cores}]", "OPENBLAS_NUM_THREADS": "1"}
    with tempfile.TemporaryDirectory(prefix="bench-spark-") as tmp:
        root = Path(tmp)
        synthetic = root / "synthetic.parquet"
        synthetic_log(args.events, max(args.events // 10, 1), max(args.events // 100, 10), seed=0).write_parquet(
            synthetic
        )
        inputs = {
            "ml-latest-small (100,836 ratings)": (SHARED / "ml-latest-small_ratings.csv.gz", ["--format", "movielens"]),
            f"synthetic ({args.events:,} events)": (synthetic, ["--event-col", "event_type"]),
        }
        tiny = root / "tiny.csv"
        tiny.write_text("user_id,item_id,timestamp\nu,a,1\nu,b,2\n")
        startup = timed(["sessions", tiny, "--engine", "spark", "--out", root / "tiny"], env)
        print(f"Spark start-up (2-event log, --engine spark): {startup:.1f} s (load {load()})")
        print("| input | step | polars s | spark s | load average before |")
        print("|---|---|---:|---:|---|")
        for name, (path, options) in inputs.items():
            before = load()
            polars_s = timed(["sessions", path, *options, "--out", root / "s.parquet"], env)
            spark_s = timed(["sessions", path, *options, "--engine", "spark", "--out", root / "s"], env)
            assert sessions_frame(root / "s").equals(sessions_frame(root / "s.parquet")), name
            print(f"| {name} | sessions | {polars_s:.1f} | {spark_s:.1f} | {before} |", flush=True)
            model = root / "model"
            timed(["train", "--sessions", root / "s.parquet", "--epochs", 2, "--vector-size", 32, "--out", model,
                   "--no-track", "--no-progress"], env)  # fmt: skip
            before = load()
            polars_r = timed(["recommend", model, "--sessions", root / "s.parquet", "--out", root / "r.parquet",
                              "--no-progress"], env)  # fmt: skip
            spark_r = timed(["recommend", model, "--sessions", root / "s", "--engine", "spark", "--out", root / "r",
                             "--no-progress"], env)  # fmt: skip
            got = pl.read_parquet(root / "r" / "*.parquet").sort("id", "rank")
            want = pl.read_parquet(root / "r.parquet").sort("id", "rank")
            assert got.equals(want.with_columns(pl.col("id").cast(got.schema["id"]))), name
            print(f"| {name} | recommend (top 20) | {polars_r:.1f} | {spark_r:.1f} | {before} |", flush=True)
            for stale in ("s", "r", "s.parquet", "r.parquet"):
                target = root / stale
                if target.is_dir():
                    subprocess.run(["rm", "-rf", str(target)], check=True)
                else:
                    target.unlink(missing_ok=True)
        print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
