"""Event logs to sessions: the Polars pipeline against the naive sessioniser in ``naive.py`` on
random logs and on the public samples, splits that never leak, and bad input."""

import csv
import gzip
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from item2vec import Item2Vec
from item2vec.sessions import (
    FORMATS,
    EventFormat,
    SessionOptions,
    codes,
    event_format,
    leave_last_out,
    sessionize,
    temporal_split,
)

import naive
from conftest import run_cli, shared_file

US = 1_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
WEIGHTS = {"view": 1.0, "cart": 3.0, "buy": 5.0}


# ---- helpers: run both implementations, compare session by session ----------------------------


def fast_rows(sessions):
    """(user, source session, items, weights, start_us, end_us) per session, in order."""
    frame = sessions.frame().with_columns(pl.col("start", "end").dt.epoch("us"))
    return [
        (r.get("user_id"), r.get("source_session_id"), r["items"], r.get("weights"), r["start"], r["end"])
        for r in frame.iter_rows(named=True)
    ]


def naive_rows(sessions, fmt, weighted):
    return [
        (
            s["user"] if fmt.user else None,
            s["session"] if fmt.session else None,
            [str(e[1]) for e in s["events"]],
            [e[3] for e in s["events"]] if weighted else None,
            s["events"][0][2],
            s["events"][-1][2],
        )
        for s in sessions
    ]


def without_absent(rows, fmt):
    """Drop the columns the fast frame leaves out (no user / no session column mapped)."""
    return [(r[0] if fmt.user else None, r[1] if fmt.session else None, *r[2:]) for r in rows]


def naive_steps(options: SessionOptions, by_session: bool) -> dict:
    """The naive sessioniser's arguments (microseconds) for ``options``."""
    return dict(
        by_session=by_session,
        gap=options.gap_us,
        max_duration=options.max_duration_us,
        event_types=options.event_types,
        event_weights=options.event_weights,
        keep_last=options.keep_last,
        min_item_count=options.min_item_count,
        min_length=options.min_length,
        iterate=options.iterate,
    )


def as_naive_events(frame: pl.DataFrame) -> list[dict]:
    """Rows of a test log (time in epoch seconds) as the naive sessioniser's events (microseconds)."""
    return [dict(row, time=None if row["time"] is None else row["time"] * US) for row in frame.iter_rows(named=True)]


# ---- random logs ----------------------------------------------------------------------------


@st.composite
def random_logs(draw):
    """Small logs with ties, nulls, repeats, unsorted times and gaps exactly at the thresholds
    (times are multiples of 30 s; the gap and durations are whole minutes)."""
    int_ids = draw(st.booleans())
    users = [1, 2, 3] if int_ids else ["a", "b", "c"]
    items = [10, 11, 12, 13] if int_ids else ["x", "y", "z", "w"]
    row = st.fixed_dictionaries(
        {
            "user": st.sampled_from(users * 4 + [None]),
            "item": st.sampled_from(items * 3 + [None]),
            "time": st.sampled_from([k * 30 for k in range(16)] * 2 + [None]),
            "session": st.sampled_from([7, 8, 9] * 3 + [None]),
            "event": st.sampled_from(["view", "view", "cart", "buy", None]),
        }
    )
    rows = draw(st.lists(row, max_size=40))
    id_type = pl.Int64 if int_ids else pl.String
    schema = {"user": id_type, "item": id_type, "time": pl.Int64, "session": pl.Int64, "event": pl.String}
    return pl.DataFrame(rows, schema=schema, orient="row")


@st.composite
def random_options(draw):
    return SessionOptions(
        gap_minutes=draw(st.sampled_from([None, 1.0, 2.0])),
        max_duration_minutes=draw(st.sampled_from([None, 1.5, 3.0])),
        event_types=draw(st.sampled_from([None, ("view", "cart"), ("buy",)])),
        event_weights=draw(st.sampled_from([None, WEIGHTS, {"cart": 2.5}])),
        min_length=draw(st.integers(1, 3)),
        keep_last=draw(st.sampled_from([None, 1, 2, 4])),
        min_item_count=draw(st.integers(1, 3)),
        iterate=draw(st.booleans()),
        buckets=draw(st.sampled_from([1, 1, 3])),
    )


def log_format(by_session: bool) -> EventFormat:
    return EventFormat(
        user="user", item="item", time="time", event="event", session="session" if by_session else None, time_format="s"
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log=random_logs(), options=random_options(), by_session=st.booleans(), as_pandas=st.booleans())
def test_sessionize_agrees_with_naive_sessioniser(log, options, by_session, as_pandas):
    fmt = log_format(by_session)
    expected = naive_rows(
        naive.naive_sessionize(as_naive_events(log), **naive_steps(options, by_session)),
        fmt,
        options.event_weights is not None,
    )
    source = log.to_pandas(use_pyarrow_extension_array=True) if as_pandas else log
    if not expected:
        with pytest.raises(ValueError, match="no events"):
            sessionize(source, fmt, options)
        return
    sessions = sessionize(source, fmt, options)
    assert fast_rows(sessions) == expected
    corpus = sessions.corpus()
    assert [corpus.sentence(i) for i in range(len(corpus))] == [r[2] for r in expected]
    assert (corpus.weights is None) == (options.event_weights is None)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    log=random_logs(),
    options=random_options(),
    by_session=st.booleans(),
    cutoff=st.integers(0, 16).map(lambda k: k * 30 - 15 * (k % 2)),
)
def test_temporal_split_agrees_with_naive_and_never_leaks(log, options, by_session, cutoff):
    fmt = log_format(by_session)
    weighted = options.event_weights is not None
    train, test = naive.naive_temporal_split(as_naive_events(log), cutoff * US, **naive_steps(options, by_session))
    when = datetime(1970, 1, 1) + timedelta(seconds=cutoff)
    if not train or not test:
        with pytest.raises(ValueError, match="no .*(events|sessions)"):
            temporal_split(log, fmt, options, cutoff=when)
        return
    split = temporal_split(log, fmt, options, cutoff=when)
    assert fast_rows(split.train) == naive_rows(train, fmt, weighted)
    assert fast_rows(split.test) == naive_rows(test, fmt, weighted)
    train_frame, test_frame = split.train.frame(), split.test.frame()
    assert train_frame["end"].max() < when <= test_frame["start"].min()
    assert set(test_frame["items"].explode()) <= set(train_frame["items"].explode())
    assert split.cutoff == when


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(log=random_logs(), options=random_options(), by_session=st.booleans())
def test_leave_last_out_agrees_with_naive(log, options, by_session):
    fmt = log_format(by_session)
    weighted = options.event_weights is not None
    train, test = naive.naive_leave_last_out(as_naive_events(log), **naive_steps(options, by_session))
    if not train or not test:
        with pytest.raises(ValueError, match="no "):
            leave_last_out(log, fmt, options)
        return
    split = leave_last_out(log, fmt, options)
    assert fast_rows(split.train) == naive_rows(train, fmt, weighted)
    assert fast_rows(split.test) == naive_rows(test, fmt, weighted)


def synthetic_log(n=400, seed=0):
    """A denser random log with text ids, for the tests that are not property tests."""
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "user": [f"u{u}" for u in rng.integers(0, 25, n)],
            "item": [f"i{i}" for i in rng.integers(0, 30, n)],
            "time": rng.integers(0, 40, n) * 60,
            "event": rng.choice(["view", "cart", "buy"], n, p=[0.8, 0.15, 0.05]),
            "session": rng.integers(0, 60, n),
        }
    )


@pytest.mark.parametrize("buckets", [1, 3])
def test_hash_collisions_fall_back_to_exact_codes(monkeypatch, buckets):
    log = synthetic_log()
    options = SessionOptions(gap_minutes=10, event_weights=WEIGHTS, min_item_count=2, buckets=buckets)
    expected = naive_rows(
        naive.naive_sessionize(as_naive_events(log), **naive_steps(options, False)), log_format(False), True
    )
    monkeypatch.setattr(codes, "identity_hash", lambda values: values.hash(seed=0) % 3)
    assert fast_rows(sessionize(log, log_format(False), options)) == expected


def test_buckets_give_the_same_sessions_as_memory(synthetic):
    log = synthetic.events()
    fmt = EventFormat(event="event_type")
    options = SessionOptions(gap_minutes=20, event_weights={"purchase": 5, "cart": 3}, min_item_count=3, iterate=True)
    in_memory = sessionize(log, fmt, options)
    bucketed = sessionize(log, fmt, replace(options, buckets=5))
    assert bucketed.frame().equals(in_memory.frame())
    assert bucketed.summary == in_memory.summary


# ---- the public formats' samples, read independently with csv/gzip ------------------------------


def _seconds(text):
    return round(float(text) * US)


def _iso(text):
    return (datetime.fromisoformat(text) - EPOCH) // timedelta(microseconds=1)


def _date(text):
    return (datetime.fromisoformat(text).replace(tzinfo=UTC) - EPOCH) // timedelta(microseconds=1)


SAMPLES = {  # preset: (file, separator, header, row -> naive event)
    "yoochoose": (
        "yoochoose_raw_sample_srgtm.dat.gz",
        ",",
        False,
        lambda r: dict(session=r[0], time=_iso(r[1]), item=r[2]),
    ),
    "session-rec": (
        "yoochoose_rsc15_100k_train_full.tsv.gz",
        "\t",
        True,
        lambda r: dict(session=r[0], item=r[1], time=_seconds(r[2])),
    ),
    "diginetica": (
        "diginetica_sample_train-item-views.csv.gz",
        ";",
        True,
        lambda r: dict(
            session=r[0], user=None if r[1] == "NA" else r[1], item=r[2], time=_date(r[4]) + int(r[3]) * 1000
        ),
    ),
    "retailrocket-srgtm": (
        "retailrocket_sample_srgtm.tsv.gz",
        "\t",
        True,
        lambda r: dict(time=_seconds(r[0]), user=r[1], item=r[2], session=r[3]),
    ),
    "taobao": (
        "taobao_UserBehavior_head.csv.gz",
        ",",
        False,
        lambda r: dict(user=r[0], item=r[1], event=r[3], time=_seconds(r[4])),
    ),
    "movielens-100k": ("ml-100k_u.data.gz", "\t", False, lambda r: dict(user=r[0], item=r[1], time=_seconds(r[3]))),
    "movielens": (
        "ml-latest-small_ratings.csv.gz",
        ",",
        True,
        lambda r: dict(user=r[0], item=r[1], time=_seconds(r[3])),
    ),
}


def read_sample(name):
    file, separator, header, to_event = SAMPLES[name]
    with gzip.open(shared_file(file), "rt", newline="") as f:
        rows = list(csv.reader(f, delimiter=separator))
    return [to_event(r) for r in rows[1 if header else 0 :]]


@pytest.mark.parametrize("name", SAMPLES)
def test_presets_read_their_public_sample(name):
    events = read_sample(name)
    fmt = FORMATS[name]
    options = SessionOptions(event_weights={"buy": 5, "cart": 3, "fav": 2} if fmt.event else None)
    sessions = sessionize(shared_file(SAMPLES[name][0]), fmt, options)
    expected = naive.naive_sessionize(events, **naive_steps(options, fmt.session is not None))
    assert sessions.summary.rows_read == len(events)
    assert fast_rows(sessions) == naive_rows(expected, fmt, options.event_weights is not None)


def test_retailrocket_preset_reads_the_kaggle_layout(tmp_path):
    """The full RetailRocket events.csv layout (ms timestamps, event types, a mostly empty last
    column), written from the real sample's events."""
    events = read_sample("retailrocket-srgtm")
    kinds = ["view"] * 6 + ["addtocart", "transaction"]
    path = tmp_path / "events.csv"
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["timestamp", "visitorid", "event", "itemid", "transactionid"])
        for i, e in enumerate(events):
            e["event"] = kinds[i % len(kinds)]
            out.writerow(
                [e["time"] // 1000, e["user"], e["event"], e["item"], i if e["event"] == "transaction" else ""]
            )
    options = SessionOptions(event_weights={"addtocart": 3, "transaction": 5})
    sessions = sessionize(path, FORMATS["retailrocket"], options)
    expected = naive.naive_sessionize([dict(e, session=None) for e in events], **naive_steps(options, False))
    assert fast_rows(sessions) == naive_rows(expected, FORMATS["retailrocket"], True)


# ---- sources and timestamps -----------------------------------------------------------------


def test_csv_gzip_parquet_and_dataframes_give_the_same_sessions(tmp_path):
    log = synthetic_log()
    fmt = log_format(False)
    frames = []
    log.write_csv(tmp_path / "log.csv")
    with gzip.open(tmp_path / "log.csv.gz", "wb") as f:
        f.write((tmp_path / "log.csv").read_bytes())
    log.write_csv(tmp_path / "log.tsv", separator="\t")
    log.write_parquet(tmp_path / "log.parquet")
    for source in ["log.csv", "log.csv.gz", "log.tsv", "log.parquet"]:
        frames.append(sessionize(tmp_path / source, fmt).frame().drop("user_id"))
    frames.append(sessionize(log.to_pandas(), fmt).frame().drop("user_id"))
    frames.append(sessionize(log.lazy(), fmt).frame().drop("user_id"))
    assert all(f.equals(frames[0]) for f in frames[1:])


@pytest.mark.parametrize(
    "values, time_format",
    [
        (["1700000000", "1700000060.5"], None),  # epoch seconds, text, with a fraction
        ([1700000000000, 1700000060500], None),  # epoch milliseconds
        ([1700000000000000, 1700000060500000], None),  # epoch microseconds
        ([1700000000000000000, 1700000060500000000], None),  # epoch nanoseconds
        (["2023-11-14T22:13:20Z", "2023-11-14T22:14:20.5Z"], None),  # ISO 8601, UTC
        (["2023-11-14 23:13:20+01:00", "2023-11-14 23:14:20.5+01:00"], None),  # with an offset
        (["14/11/2023 22:13:20", "14/11/2023 22:14:20.500"], "%d/%m/%Y %H:%M:%S%.f"),
        ([1700000000.0, 1700000060.5], "s"),
        ([1700000000000, 1700000060500], "ms"),
    ],
)
def test_timestamps_are_detected_or_follow_the_override(values, time_format):
    log = pl.DataFrame({"user_id": ["u", "u"], "item_id": ["a", "b"], "timestamp": values})
    sessions = sessionize(log, EventFormat(time_format=time_format))
    frame = sessions.frame()
    assert frame["start"][0] == datetime(2023, 11, 14, 22, 13, 20)
    assert frame["end"][0] == datetime(2023, 11, 14, 22, 14, 20, 500000)


def test_datetime_and_date_columns_are_used_as_they_are():
    start = datetime(2024, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    log = pl.DataFrame({"user_id": [1, 1], "item_id": [5, 6], "timestamp": [start, start + timedelta(minutes=5)]})
    frame = sessionize(log).frame()
    assert frame["start"][0] == datetime(2024, 3, 1, 10, 0) and frame["items"][0].to_list() == ["5", "6"]
    days = pl.DataFrame({"user_id": [1, 1], "item_id": [5, 6], "timestamp": [datetime(2024, 3, 1).date()] * 2})
    assert sessionize(days).frame()["end"][0] == datetime(2024, 3, 1)


def test_given_sessions_ignore_the_gap_but_not_max_duration():
    log = pl.DataFrame({"sid": ["s"] * 4, "item_id": list("abcd"), "timestamp": [0, 7200, 7260, 14400]})
    fmt = EventFormat(user=None, session="sid", time_format="s")
    assert sessionize(log, fmt).frame()["length"].to_list() == [4]
    cut = sessionize(log, fmt, SessionOptions(max_duration_minutes=120, min_length=1)).frame()
    assert cut["items"].to_list() == [["a"], ["b", "c"], ["d"]]
    assert cut["source_session_id"].to_list() == ["s", "s", "s"]


def test_a_gap_exactly_at_the_threshold_continues_the_session():
    log = pl.DataFrame({"user_id": ["u"] * 3, "item_id": list("abc"), "timestamp": [0, 1800, 3601]})
    assert sessionize(log, EventFormat(time_format="s"), SessionOptions(min_length=1)).frame()["items"].to_list() == [
        ["a", "b"],
        ["c"],
    ]


# ---- bad input --------------------------------------------------------------------------------


def write(path, text):
    path.write_text(text)
    return path


def test_missing_column_is_named_with_the_columns_present(tmp_path):
    path = write(tmp_path / "e.csv", "user,item,ts\nu,a,1\n")
    with pytest.raises(ValueError, match=r"time column 'timestamp' is missing; columns present: user, item, ts"):
        sessionize(path, EventFormat(user="user", item="item"))


@pytest.mark.parametrize("bad_line", [3, 15_000])  # inside and after the rows sampled for detection
def test_unparsable_timestamp_gives_line_and_value(tmp_path, bad_line):
    lines = ["user_id,item_id,timestamp"] + [f"u{k % 50},i{k % 7},{1_700_000_000 + k}" for k in range(20_000)]
    lines[bad_line - 1] = "u1,i1,yesterday"
    path = write(tmp_path / "e.csv", "\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=rf"e.csv line {bad_line}: cannot parse timestamp 'yesterday'"):
        sessionize(path)


@pytest.mark.parametrize(
    "bad, message",
    [
        ("u,x", r"line 4 has 2 fields, expected 3"),
        ("u,x,5,extra", r"line 4 has 4 fields, expected 3"),
        ('u,"x,5', r"malformed CSV in the record starting at line 4"),
    ],
)
@pytest.mark.parametrize("name", ["e.csv", "e.csv.gz"])
def test_malformed_csv_lines_are_reported_never_skipped(tmp_path, bad, message, name):
    text = "\n".join(["user_id,item_id,timestamp", "u,a,1", "u,b,2", bad, "u,c,3"]) + "\n"
    path = tmp_path / name
    path.write_bytes(gzip.compress(text.encode()) if name.endswith(".gz") else text.encode())
    with pytest.raises(ValueError, match=message):
        sessionize(path)


def test_empty_last_fields_are_nulls_not_malformed_lines(tmp_path):
    path = write(tmp_path / "e.csv", "user_id,item_id,timestamp,note\nu,a,1,\nu,b,2,\n,c,3,x\n")
    sessions = sessionize(path)
    assert sessions.summary.dropped["null"] == 1 and sessions.frame()["items"].to_list() == [["a", "b"]]


@pytest.mark.parametrize(
    "options, step",
    [
        (SessionOptions(event_types=("refund",)), "'event type' step"),
        (SessionOptions(min_length=30), "'short session' step"),
        (SessionOptions(min_item_count=1000), "'rare item' step"),
    ],
)
def test_filtering_everything_names_the_step(synthetic, options, step):
    with pytest.raises(ValueError, match=step):
        sessionize(synthetic.events().head(200), EventFormat(event="event_type"), options)


def test_split_errors_say_which_side_is_empty(synthetic):
    log = synthetic.events()
    with pytest.raises(ValueError, match="no training sessions end before 2000-01-01"):
        temporal_split(log, cutoff="2000-01-01")
    with pytest.raises(ValueError, match="give exactly one of cutoff and last_days"):
        temporal_split(log, cutoff="2000-01-01", last_days=3)


def test_last_days_cuts_before_the_latest_event(synthetic):
    log = synthetic.events()
    split = temporal_split(log, last_days=7)
    latest = datetime(1970, 1, 1) + timedelta(seconds=int(log["timestamp"].max()))
    assert split.cutoff == latest - timedelta(days=7)
    assert split.train.frame()["end"].max() < split.cutoff <= split.test.frame()["start"].min()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(gap_minutes=0), "gap_minutes must be a positive number"),
        (dict(min_length=0), "min_length must be >= 1"),
        (dict(event_weights={"view": -1}), "event weights must be finite and >= 0"),
        (dict(event_types="view"), "event_types must be a list"),
    ],
)
def test_bad_options_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SessionOptions(**kwargs)


def test_event_options_need_an_event_column_and_presets_must_exist():
    with pytest.raises(ValueError, match="no event type column is mapped"):
        sessionize(
            synthetic_log(), EventFormat(user="user", item="item", time="time"), SessionOptions(event_weights=WEIGHTS)
        )
    with pytest.raises(ValueError, match="unknown format 'yoochose'; known formats: yoochoose, session-rec"):
        event_format("yoochose")


# ---- CLI ----------------------------------------------------------------------------------------


def test_cli_sessions_writes_parquet_and_summary(tmp_path):
    sample = shared_file("taobao_UserBehavior_head.csv.gz")
    out = tmp_path / "s.parquet"
    result = run_cli("sessions", sample, "--format", "taobao", "--event-weights", "pv=1,cart=3,buy=5", "--out", out)
    assert result.returncode == 0, result.stderr
    expected = sessionize(sample, FORMATS["taobao"], SessionOptions(event_weights={"pv": 1, "cart": 3, "buy": 5}))
    assert pl.read_parquet(out).equals(expected.frame())
    assert "read 4,321 rows" in result.stderr and "kept" in result.stderr


def test_cli_sessions_split_writes_train_and_test(tmp_path):
    sample = shared_file("yoochoose_rsc15_100k_train_full.tsv.gz")
    result = run_cli(
        "sessions",
        sample,
        "--format",
        "session-rec",
        "--test-days",
        1,
        "--out",
        tmp_path / "train.parquet",
        "--test-out",
        tmp_path / "test.parquet",
    )
    assert result.returncode == 0, result.stderr
    train, test = pl.read_parquet(tmp_path / "train.parquet"), pl.read_parquet(tmp_path / "test.parquet")
    assert train["end"].max() < test["start"].min()
    assert set(test["items"].explode()) <= set(train["items"].explode())


def test_cli_errors_are_one_line_and_leave_no_output(tmp_path):
    out = tmp_path / "s.parquet"
    out.write_bytes(b"previous")
    path = write(tmp_path / "e.csv", "user_id,item_id,ts\nu,a,1\n")
    result = run_cli("sessions", path, "--out", out)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(errors) == 1 and "'timestamp' is missing; columns present: user_id, item_id, ts" in errors[0]
    assert out.read_bytes() == b"previous" and set(tmp_path.iterdir()) == {out, path}


def test_cli_train_from_events(tmp_path):
    sample = shared_file("yoochoose_rsc15_100k_train_full.tsv.gz")
    result = run_cli(
        "train",
        "--events",
        sample,
        "--format",
        "session-rec",
        "--min-item-count",
        5,
        "--out",
        tmp_path / "m",
        "--epochs",
        1,
        "--vector-size",
        8,
        "--min-count",
        1,
        "--no-progress",
    )
    assert result.returncode == 0, result.stderr
    model = Item2Vec.load(tmp_path / "m")
    expected = sessionize(sample, FORMATS["session-rec"], SessionOptions(min_item_count=5)).corpus()
    assert sorted(model.index_to_key) == sorted(expected.vocab.keys)
