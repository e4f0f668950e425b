"""Batch recommendations and lookalike audiences on Spark (local mode) against the single-machine
commands: the same lists from the same model, sessions and options; bad input."""

import polars as pl
import pytest

from item2vec import Corpus, Item2Vec

from conftest import run_cli

pytestmark = pytest.mark.slow
FAST = dict(vector_size=24, window=3, min_count=1, epochs=3, seed=7)


@pytest.fixture(scope="module")
def setup(synthetic, tmp_path_factory):
    """A saved model trained on sessions (its default scoring is ``blend``), the event log as CSV,
    its sessions as a Parquet file, and user vectors."""
    root = tmp_path_factory.mktemp("spark-scoring")
    Item2Vec(**FAST).fit(Corpus.from_sentences(synthetic.sessions()).as_sessions()).save(root / "model")
    synthetic.events().write_csv(root / "events.csv")
    done = run_cli("sessions", root / "events.csv", "--event-col", "event_type", "--out", root / "sessions.parquet")
    assert done.returncode == 0, done.stderr
    users = run_cli("users", root / "model", "--events", root / "events.csv", "--out", root / "users.parquet")
    assert users.returncode == 0, users.stderr
    return root


def recs(path) -> pl.DataFrame:
    """Recommendations in a fixed order (a Spark directory has no global row order)."""
    source = path / "*.parquet" if path.is_dir() else path
    return pl.read_parquet(source).sort("id", "rank")


@pytest.mark.parametrize(
    "scoring", [(), ("--scorer", "mixture", "--keep-seen", "--k", 7), ("--scorer", "last", "--n-last", 1)]
)
def test_spark_recommend_writes_the_lists_of_the_single_machine_command(spark, setup, tmp_path, scoring):
    common = ("recommend", setup / "model", "--sessions", setup / "sessions.parquet", *scoring, "--no-progress")
    local = run_cli(*common, "--out", tmp_path / "r.parquet")
    assert local.returncode == 0, local.stderr
    distributed = run_cli(*common, "--engine", "spark", "--out", tmp_path / "r")
    assert distributed.returncode == 0, distributed.stderr
    assert (tmp_path / "r" / "_SUCCESS").exists()
    got, want = recs(tmp_path / "r"), recs(tmp_path / "r.parquet")
    want = want.with_columns(pl.col("id").cast(pl.Int64))  # Spark reads UInt32 ids as bigint
    assert got.schema == want.schema and got.equals(want)  # the same floats: the same code scored them


@pytest.mark.parametrize("per", ["user", "session"])
def test_spark_recommend_from_events_equals_the_single_machine_command(spark, setup, tmp_path, per):
    (tmp_path / "deny.txt").write_text("item_1 item_2\n")
    common = ("recommend", setup / "model", "--events", setup / "events.csv", "--per", per, "--min-length", 1)
    common += ("--deny", tmp_path / "deny.txt", "--no-progress")
    local = run_cli(*common, "--out", tmp_path / "r.parquet")
    distributed = run_cli(*common, "--engine", "spark", "--out", tmp_path / "r")
    assert local.returncode == 0 and distributed.returncode == 0, distributed.stderr
    got = recs(tmp_path / "r")
    assert got.equals(recs(tmp_path / "r.parquet").with_columns(pl.col("id").cast(got.schema["id"])))
    assert not got["item"].is_in(["item_1", "item_2"]).any()


def test_spark_recommend_python_api_reads_a_sessions_directory(spark, setup, tmp_path):
    from item2vec.data.spark import write_parquet_dir
    from item2vec.scoring import ScoringOptions, recommend_batch
    from item2vec.scoring.spark import recommend_spark

    write_parquet_dir(spark.read.parquet(str(setup / "sessions.parquet")).repartition(3), tmp_path / "sessions")
    options = ScoringOptions(k=5, scorer="sequence")
    got = recommend_spark(spark.read.parquet(str(tmp_path / "sessions")), setup / "model", options, allow=None)
    frame = pl.read_parquet(setup / "sessions.parquet")
    want = recommend_batch(Item2Vec.load(setup / "model"), frame["items"], options, ids=frame["session_id"])
    got = pl.from_arrow(got.toArrow()).sort("id", "rank")
    assert got.equals(want.sort("id", "rank").with_columns(pl.col("id").cast(pl.Int64)))


@pytest.mark.parametrize("method", ["centroid", "max"])
def test_spark_lookalike_equals_the_single_machine_command(spark, setup, tmp_path, method):
    users = pl.read_parquet(setup / "users.parquet")
    (tmp_path / "seeds.txt").write_text("\n".join(users["user"].head(5).to_list() + ["nobody"]))
    common = ("lookalike", setup / "model", "--users", setup / "users.parquet", "--size", 40, "--method", method)
    local = run_cli(*common, "--seeds", tmp_path / "seeds.txt", "--out", tmp_path / "a.parquet")
    distributed = run_cli(*common, "--seeds", tmp_path / "seeds.txt", "--engine", "spark", "--out", tmp_path / "a")
    assert local.returncode == 0 and distributed.returncode == 0, distributed.stderr
    assert "1 seed id(s) have no vector" in distributed.stderr
    got, want = pl.read_parquet(tmp_path / "a" / "*.parquet").sort("rank"), pl.read_parquet(tmp_path / "a.parquet")
    assert got["user"].to_list() == want["user"].to_list() and got["rank"].to_list() == want["rank"].to_list()
    assert (got["score"] - want["score"]).abs().max() < 1e-6


def test_spark_campaign_audience_equals_the_single_machine_command(spark, setup, tmp_path):
    (tmp_path / "items.txt").write_text("item_3 item_4 unknown_item")
    common = ("lookalike", setup / "model", "--users", setup / "users.parquet", "--size", 25)
    local = run_cli(*common, "--items", tmp_path / "items.txt", "--out", tmp_path / "a.parquet")
    distributed = run_cli(*common, "--items", tmp_path / "items.txt", "--engine", "spark", "--out", tmp_path / "a")
    assert local.returncode == 0 and distributed.returncode == 0, distributed.stderr
    got, want = pl.read_parquet(tmp_path / "a" / "*.parquet").sort("rank"), pl.read_parquet(tmp_path / "a.parquet")
    assert got["user"].to_list() == want["user"].to_list()
    assert (got["score"] - want["score"]).abs().max() < 1e-6


def test_spark_recommend_refuses_sessions_the_model_does_not_know(spark, setup, tmp_path):
    pl.DataFrame({"session_id": [0, 1], "items": [["ghost"], ["phantom", "spectre"]]}).write_parquet(
        tmp_path / "s.parquet"
    )
    done = run_cli(
        "recommend", setup / "model", "--sessions", tmp_path / "s.parquet", "--engine", "spark", "--out", tmp_path / "r"
    )
    assert done.returncode == 2 and "none of its 2 sessions has an item known" in done.stderr
    assert not (tmp_path / "r").exists()
    text = run_cli(
        "recommend", setup / "model", "--sessions", tmp_path / "x.txt", "--engine", "spark", "--out", tmp_path / "r"
    )
    assert text.returncode == 2 and "reads Parquet sessions" in text.stderr
