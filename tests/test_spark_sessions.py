"""Sessionisation on Spark (local mode) against the Polars path: the same sessions, summaries and
errors on the random logs of ``test_sessions`` and on every preset's public sample; the CLI's
directory of Parquet parts read by every downstream command; bad input."""

import json
import sys
from datetime import datetime, timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from item2vec.sessions import FORMATS, SessionOptions, leave_last_out, sessionize, temporal_split

from conftest import run_cli, shared_file
from test_sessions import SAMPLES, log_format, random_logs, random_options

pytestmark = pytest.mark.slow
#: Few examples, and no shrinking: each example runs a dozen Spark jobs (about a second each on
#: 2 cores); a failure is reported as generated.
SPARK_EXAMPLES = settings(
    max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), phases=(Phase.explicit, Phase.generate)
)
_DDL = {pl.Int64: "bigint", pl.String: "string"}


def spark_frame(spark, log: pl.DataFrame):
    """The log as a Spark DataFrame with the same column types (rows in the same order)."""
    schema = ", ".join(f"`{name}` {_DDL[dtype]}" for name, dtype in log.schema.items())
    return spark.createDataFrame(log.rows(), schema)


def as_polars(frame) -> pl.DataFrame:
    """A Spark sessions frame in the Polars frame's dtypes (Spark has no unsigned integers)."""
    return pl.from_arrow(frame.toArrow()).with_columns(pl.col("session_id", "length").cast(pl.UInt32))


def same_summary(spark_summary, polars_summary) -> None:
    assert spark_summary.rows_read == polars_summary.rows_read
    assert spark_summary.dropped == polars_summary.dropped
    assert spark_summary.kept == polars_summary.kept


def same_outcome(run_polars, run_spark, compare) -> None:
    """Both raise the same message (up to the name of the source) or both give equal results."""
    from pyspark.sql import SparkSession

    try:
        expected = run_polars()
    except ValueError as exc:
        with pytest.raises(ValueError) as raised:
            run_spark()
        assert str(raised.value).partition(": ")[2] == str(exc).partition(": ")[2]
        return
    try:
        compare(expected, run_spark())
    finally:
        SparkSession.getActiveSession().catalog.clearCache()  # the results are cached frames


def compare_sessions(polars_result, spark_result) -> None:
    assert as_polars(spark_result.frame).equals(polars_result.frame())
    same_summary(spark_result.summary, polars_result.summary)


def compare_splits(polars_split, spark_split) -> None:
    assert as_polars(spark_split.train).equals(polars_split.train.frame())
    assert as_polars(spark_split.test).equals(polars_split.test.frame())
    same_summary(spark_split.summary, polars_split.summary)
    assert spark_split.cutoff == polars_split.cutoff


@SPARK_EXAMPLES
@given(log=random_logs(), options=random_options(), by_session=st.booleans())
def test_spark_sessionize_equals_polars(spark, log, options, by_session):
    from item2vec.sessions.spark import sessionize_spark

    fmt = log_format(by_session)
    same_outcome(
        lambda: sessionize(log, fmt, options),
        lambda: sessionize_spark(spark_frame(spark, log), fmt, options),
        compare_sessions,
    )


@SPARK_EXAMPLES
@given(
    log=random_logs(),
    options=random_options(),
    by_session=st.booleans(),
    cutoff=st.integers(0, 16).map(lambda k: k * 30 - 15 * (k % 2)),
)
def test_spark_temporal_split_equals_polars(spark, log, options, by_session, cutoff):
    from item2vec.sessions.spark import temporal_split_spark

    fmt, when = log_format(by_session), datetime(1970, 1, 1) + timedelta(seconds=cutoff)
    same_outcome(
        lambda: temporal_split(log, fmt, options, cutoff=when),
        lambda: temporal_split_spark(spark_frame(spark, log), fmt, options, cutoff=when),
        compare_splits,
    )


@SPARK_EXAMPLES
@given(log=random_logs(), options=random_options(), by_session=st.booleans())
def test_spark_leave_last_out_equals_polars(spark, log, options, by_session):
    from item2vec.sessions.spark import leave_last_out_spark

    fmt = log_format(by_session)
    same_outcome(
        lambda: leave_last_out(log, fmt, options),
        lambda: leave_last_out_spark(spark_frame(spark, log), fmt, options),
        compare_splits,
    )


@pytest.mark.parametrize("name", SAMPLES)
def test_spark_reads_every_preset_sample_as_polars_does(spark, name):
    from item2vec.sessions.spark import read_events_spark, sessionize_spark

    path, fmt = shared_file(SAMPLES[name][0]), FORMATS[name]
    options = SessionOptions(event_weights={"buy": 5, "cart": 3, "fav": 2} if fmt.event else None)
    same_outcome(
        lambda: sessionize(path, fmt, options),
        lambda: sessionize_spark(read_events_spark(spark, path, fmt), fmt, options, str(path)),
        compare_sessions,
    )


def test_spark_split_of_a_preset_sample_with_every_rule_equals_polars(spark):
    from item2vec.sessions.spark import read_events_spark, temporal_split_spark

    path, fmt = shared_file(SAMPLES["taobao"][0]), FORMATS["taobao"]
    options = SessionOptions(
        gap_minutes=20,
        max_duration_minutes=90,
        event_types=("pv", "cart", "buy"),
        event_weights={"buy": 5},
        keep_last=8,
        min_item_count=2,
        iterate=True,
    )
    same_outcome(
        lambda: temporal_split(path, fmt, options, last_days=1),
        lambda: temporal_split_spark(read_events_spark(spark, path, fmt), fmt, options, last_days=1),
        compare_splits,
    )


def test_cli_spark_sessions_feed_train_evaluate_and_recommend(spark, tmp_path):
    sample = shared_file("yoochoose_rsc15_100k_train_full.tsv.gz")
    common = ("--format", "session-rec", "--test-days", 1)
    done = run_cli(
        "sessions", sample, *common, "--engine", "spark", "--out", tmp_path / "train", "--test-out", tmp_path / "test"
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "train" / "_SUCCESS").exists() and not list(tmp_path.glob(".*tmp-*"))
    polars = run_cli(
        "sessions", sample, *common, "--out", tmp_path / "train.parquet", "--test-out", tmp_path / "test.parquet"
    )
    assert polars.returncode == 0, polars.stderr
    for name in ("train", "test"):
        got = pl.read_parquet(tmp_path / name / "*.parquet").with_columns(
            pl.col("session_id", "length").cast(pl.UInt32)
        )
        assert got.equals(pl.read_parquet(tmp_path / f"{name}.parquet"))
    model = tmp_path / "model"
    fast = ("--epochs", 1, "--vector-size", 16, "--no-track", "--no-progress")
    assert run_cli("train", "--sessions", tmp_path / "train", "--out", model, *fast).returncode == 0
    recs = run_cli(
        "recommend", model, "--sessions", tmp_path / "test", "--out", tmp_path / "r.parquet", "--no-progress"
    )
    assert recs.returncode == 0, recs.stderr
    want = run_cli(
        "recommend", model, "--sessions", tmp_path / "test.parquet", "--out", tmp_path / "w.parquet", "--no-progress"
    )
    assert want.returncode == 0 and pl.read_parquet(tmp_path / "r.parquet").equals(
        pl.read_parquet(tmp_path / "w.parquet")
    )
    test = pl.read_parquet(tmp_path / "test.parquet")["items"].to_list()
    (tmp_path / "pairs.tsv").write_text("".join(f"{' '.join(s[:-1])}\t{s[-1]}\n" for s in test))
    evaluated = run_cli(
        "evaluate", "--train", tmp_path / "train", "--test", tmp_path / "pairs.tsv", "--baselines", "pop",
        "--epochs", 1, "--vector-size", 16, "--no-track", "--json", tmp_path / "m.json",
    )  # fmt: skip
    assert evaluated.returncode == 0, evaluated.stderr
    assert "HR@20" in json.loads((tmp_path / "m.json").read_text())["item2vec"]


def test_readers_refuse_an_incomplete_directory(spark, tmp_path):
    from item2vec.sessions.files import read_session_corpus

    frame = spark.createDataFrame([(0, ["a", "b"])], "session_id bigint, items array<string>")
    frame.write.parquet(str(tmp_path / "parts"))
    (tmp_path / "parts" / "_SUCCESS").unlink()
    with pytest.raises(ValueError, match="incomplete Parquet directory"):
        read_session_corpus(tmp_path / "parts")
    done = run_cli("train", "--sessions", tmp_path / "parts", "--out", tmp_path / "m", "--no-track")
    assert done.returncode == 2 and "incomplete" in done.stderr and "Traceback" not in done.stderr


def test_executor_failure_is_one_line_and_leaves_no_directory(spark, tmp_path):
    events = tmp_path / "events.csv"
    events.write_text("user_id,item_id,timestamp\nu1,a,10\nu1,b,20\nu2,c,30,extra\nu2,d,40\n")
    out = tmp_path / "sessions"
    done = run_cli("sessions", events, "--engine", "spark", "--out", out)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: {events}: Spark job failed: ") and "Malformed CSV record" in last, last
    assert not out.exists() and not list(tmp_path.glob(".sessions.*"))


def test_a_udf_failing_on_one_value_fails_the_write_whole(spark, tmp_path):
    from pyspark.sql import functions as F

    from item2vec.data.spark import write_parquet_dir

    @F.udf("string")
    def checked(item):
        if item == "bad":
            raise ValueError(f"item {item!r} is not allowed")
        return item

    frame = spark.createDataFrame([(i, "bad" if i == 7 else "ok") for i in range(20)], "id int, item string")
    with pytest.raises(ValueError, match=r"^.*out: Spark job failed: ValueError: item 'bad' is not allowed$"):
        write_parquet_dir(frame.repartition(4).select("id", checked("item").alias("item")), tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("missing", ["pyspark", "java"])
def test_spark_missing_says_how_to_install_it(tmp_path, missing):
    import subprocess

    events = shared_file("taobao_UserBehavior_head.csv.gz")
    hide = "import sys; sys.modules['pyspark'] = None; " if missing == "pyspark" else ""
    env = {"PATH": str(tmp_path), "HOME": str(tmp_path)}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            f"{hide}from item2vec.cli import main; main()",
            "sessions",
            str(events),
            "--format",
            "taobao",
            "--engine",
            "spark",
            "--out",
            str(tmp_path / "s"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert line.startswith("error: Spark ") and "pip install 'item2vec[spark]'" in line and "Java 17" in line, line
    assert not (tmp_path / "s").exists()
