"""Sessionisation on Spark: the rules of the Polars path (README, "Event logs to sessions"), with
Spark window functions, for logs that outgrow one machine.

>>> from item2vec.sessions.spark import read_events_spark, sessionize_spark
>>> events = read_events_spark(spark, "s3a://bucket/clicks/", fmt)    # CSV, Parquet, a directory
>>> result = sessionize_spark(events, fmt, SessionOptions(gap_minutes=30))
>>> result.frame.write.parquet("sessions/")                           # or data.spark.write_parquet_dir
>>> result.summary                                                    # read / dropped / kept

Same input, same sessions: the tests compare this module with ``sessionize``, ``temporal_split``
and ``leave_last_out`` on random logs and on every preset's public sample. The frame has the
sessions schema (``session_id, user_id, [source_session_id], items, [weights], start, end,
length``), in chronological order, ``session_id`` 0..n-1 in that order.

How the rules map to Spark: a window per user (or given session) ordered by ``(time, row)``
cuts sessions (``lag`` for the gap, the first time of a session for ``max_duration``); a window
per session collapses repeats (runs numbered by a running sum) and keeps the last events
(``row_number`` from the end); item and session counts are window counts. ``row`` is the
position in the source (``monotonically_increasing_id``), so ties keep their order in a file
(across the part files of a directory: Spark's read order). Every step that the summary counts
is one Spark action on a cached frame; pyspark is imported only here, so the package works
without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from item2vec.data.spark import spark_errors, utc_session
from item2vec.sessions.build import _EPOCH, _to_microseconds
from item2vec.sessions.formats import EPOCH_UNITS, EventFormat
from item2vec.sessions.options import SessionOptions
from item2vec.sessions.read import TIME_SAMPLE_ROWS, _check_columns, _format_suffix
from item2vec.sessions.summary import Summary, Tally

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

_TIME_HINT = "set the time format: s, ms, us, ns (epoch) or a strftime format such as '%Y-%m-%d %H:%M:%S'"
#: strftime directives and the Spark datetime patterns that read the same text.
_STRFTIME = {"%Y": "yyyy", "%m": "MM", "%d": "dd", "%H": "HH", "%M": "mm", "%S": "ss", "%f": "SSSSSS", "%z": "XX"}
#: The columns that identify a session while the rules run: the key, the gap-session number, the window.
_SESSION = ("key", "seq", "win")


@dataclass(frozen=True)
class SparkSessions:
    """Sessions on Spark: ``frame`` (a cached Spark DataFrame in the sessions schema) and
    ``summary`` (read / dropped by reason / kept, as ``Sessions.summary``)."""

    frame: DataFrame
    summary: Summary

    def __len__(self) -> int:
        return self.summary.kept.get("sessions", self.summary.kept.get("train sessions", 0))


@dataclass(frozen=True)
class SparkSplit:
    """Training and test sessions on Spark, as ``Split``: ``cutoff`` for a temporal split."""

    train: DataFrame
    test: DataFrame
    summary: Summary
    cutoff: datetime | None = None


def read_events_spark(spark: SparkSession, source, fmt: EventFormat = EventFormat()) -> DataFrame:
    """An event log as Spark reads it: a CSV/TSV file (``.gz`` ok), a Parquet file, or a directory
    of either (Parquet if it holds ``.parquet`` parts), with the column layout of ``fmt``. CSV is
    read as text (ids stay labels), and a malformed line fails the job (``FAILFAST``) rather than
    being skipped, as in the Polars path."""
    text = str(source)
    local = Path(text)
    if "://" not in text and not local.exists():
        raise FileNotFoundError(f"event log not found: {local}")
    if local.is_dir():
        parquet = any(p.suffix in (".parquet", ".pq") for p in local.rglob("*"))
        suffix = _format_suffix(next((p for p in sorted(local.rglob("*")) if p.is_file()), local))
    else:
        suffix = _format_suffix(local)
        parquet = suffix in (".parquet", ".pq")
    if parquet:
        return spark.read.parquet(text)
    separator = fmt.separator or ("\t" if suffix in (".tsv", ".tab") else ",")
    options = dict(header=fmt.has_header, sep=separator, inferSchema=False, mode="FAILFAST", escape='"')
    if fmt.null_values:
        options["nullValue"] = fmt.null_values[0]
    frame = spark.read.options(**options).csv(text)
    if not fmt.has_header and fmt.names is not None:
        if len(fmt.names) != len(frame.columns):
            raise ValueError(
                f"{source}: {len(fmt.names)} column names given ({', '.join(fmt.names)}) "
                f"but the first line has {len(frame.columns)} fields (separator {separator!r})"
            )
        frame = frame.toDF(*fmt.names)
    return frame


def sessionize_spark(
    events: DataFrame, fmt: EventFormat = EventFormat(), options: SessionOptions = SessionOptions(), origin: str = ""
) -> SparkSessions:
    """Sessions of a Spark DataFrame of events, by the rules of ``sessionize`` (``options.buckets``
    plays no part: Spark partitions by itself). ``origin`` names the source in messages.

    Raises ``ValueError`` with one line for bad input, including when a step removes every event.
    """
    with _Run(events, fmt, options, origin) as run:
        return _sessionize(run)


def _sessionize(run: _Run) -> SparkSessions:
    table = run.filters(run.sessionise())
    n_events, n_sessions, n_items = run.sizes(table)
    run.tally.require(n_events)
    summary = run.tally.summary({"events": n_events, "sessions": n_sessions, "items": n_items})
    frame = run.frame(table)
    run.release(frame)
    return SparkSessions(frame, summary)


def temporal_split_spark(
    events: DataFrame,
    fmt: EventFormat = EventFormat(),
    options: SessionOptions = SessionOptions(),
    *,
    cutoff: datetime | str | None = None,
    last_days: float | None = None,
    origin: str = "",
) -> SparkSplit:
    """``temporal_split`` on Spark: training sessions end before the cutoff (cleaned on training
    counts), test sessions start at or after it (known items, ``min_length``), sessions that
    straddle it are dropped."""

    if (cutoff is None) == (last_days is None):
        raise ValueError("give exactly one of cutoff and last_days")
    if last_days is not None and not last_days > 0:
        raise ValueError(f"last_days must be > 0, got {last_days}")
    with _Run(events, fmt, options, origin) as run:
        return _temporal_split(run, cutoff, last_days)


def _temporal_split(run: _Run, cutoff, last_days) -> SparkSplit:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    options = run.options
    table = run.sessionise()
    if last_days is not None:
        cutoff_us = run.tally.latest_us - round(last_days * 86_400_000_000)
    else:
        cutoff_us = _to_microseconds(cutoff)
    when = _EPOCH + timedelta(microseconds=cutoff_us)
    session = Window.partitionBy(*_SESSION)
    spans = table.withColumns({"start": F.min("time").over(session), "end": F.max("time").over(session)})
    spans = spans.withColumns({"train": F.col("end") < cutoff_us, "test": F.col("start") >= cutoff_us})
    n_train, n_test, n_straddle = run.count(spans, "train", "test", ~F.col("train") & ~F.col("test"))
    run.tally.drop("straddles cutoff", n_straddle)
    run.tally.require(n_train, f"training sessions end before {when.isoformat()}", ("straddles cutoff",))
    run.tally.require(n_test, f"test sessions start at or after {when.isoformat()}", ("straddles cutoff",))
    train = run.filters(run.cache(spans.filter("train").drop("start", "end", "train", "test")))
    n_train_events, n_train_sessions, n_train_items = run.sizes(train)
    run.tally.require(n_train_events, "training events")
    test = spans.filter("test").drop("start", "end", "train", "test")
    known = train.select("item").distinct().withColumn("known", F.lit(True))
    test = test.join(known, "item", "left").withColumn("known", F.coalesce("known", F.lit(False)))
    test = test.withColumn("length", F.sum(F.col("known").cast("int")).over(session))
    test = run.cache(test.withColumn("long", F.col("length") >= options.min_length))
    (n_unseen, n_short) = run.count(test, ~F.col("known"), F.col("known") & ~F.col("long"))
    run.tally.drop("unseen item", n_unseen)
    run.tally.drop("short test session", n_short)
    test = run.cache(test.filter(F.col("known") & F.col("long")).drop("known", "length", "long"))
    n_test_events, n_test_sessions, _ = run.sizes(test)
    run.tally.require(n_test_events, "test events", ("unseen item", "short test session"))
    return run.split(
        train, test, (n_train_events, n_train_sessions, n_test_events, n_test_sessions, n_train_items), when
    )


def leave_last_out_spark(
    events: DataFrame, fmt: EventFormat = EventFormat(), options: SessionOptions = SessionOptions(), origin: str = ""
) -> SparkSplit:
    """``leave_last_out`` on Spark: training holds every cleaned session without its last event,
    test the whole sessions whose last item occurs in training."""

    with _Run(events, fmt, options, origin) as run:
        return _leave_last_out(run)


def _leave_last_out(run: _Run) -> SparkSplit:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    table = run.filters(run.sessionise())
    run.tally.require(run.count(table, F.lit(True))[0])
    from_end = Window.partitionBy(*_SESSION).orderBy(F.desc("time"), F.desc("row"))
    table = run.cache(table.withColumn("last", F.row_number().over(from_end) == 1))
    train = run.cache(table.filter(~F.col("last")).drop("last"))
    known = train.select("item").distinct().withColumn("known", F.lit(True))
    targets = (
        table.filter("last")
        .join(known, "item", "left")
        .select(*_SESSION, F.coalesce("known", F.lit(False)).alias("known"))
    )
    targets = run.cache(targets)
    run.tally.drop("unseen target", run.count(targets, ~F.col("known"))[0])  # counted first, as hold_out_last
    n_train_events, n_train_sessions, n_train_items = run.sizes(train)
    run.tally.require(n_train_events, "training events (every session has a single event)")
    test = run.cache(table.join(targets.filter("known").select(*_SESSION), list(_SESSION), "left_semi").drop("last"))
    n_test_events, n_test_sessions, _ = run.sizes(test)
    run.tally.require(n_test_events, "test sessions", ("unseen target",))
    return run.split(
        train, test, (n_train_events, n_train_sessions, n_test_events, n_test_sessions, n_train_items), None
    )


class _Run:
    """One sessionisation run: the canonical events, the tally, and the cached frames to release."""

    def __init__(self, events: DataFrame, fmt: EventFormat, options: SessionOptions, origin: str):
        if (options.event_types is not None or options.event_weights is not None) and not fmt.event:
            raise ValueError("event types or weights are set but no event type column is mapped")
        if options.global_context_event is not None:
            raise ValueError("a global-context event is not supported by the Spark sessioniser; sessionise with Polars")
        self.fmt, self.options = fmt, options
        self.origin = origin or "events Spark DataFrame"
        self.spark = events.sparkSession
        self.tally = Tally(self.origin)
        self.cached: list[DataFrame] = []
        self.events = events

    def __enter__(self) -> _Run:
        with utc_session(self.spark):
            try:
                self.events = self._canonical(self.events)
            except BaseException:
                self.release()
                raise
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is not None:  # a failed run leaves nothing cached
            self.release()

    # ---- reading ----------------------------------------------------------------------------

    def _canonical(self, raw: DataFrame) -> DataFrame:
        """``row, key, item, time[, user][, session][, event]``, time in Int64 microseconds (UTC)
        and ``key`` the grouping column, after checking columns and timestamps as ``scan_events``
        does; counts the rows read and those dropped for a null key, item or time (rule 1)."""
        from pyspark.sql import functions as F

        fmt = self.fmt
        _check_columns(fmt, raw.columns, self.origin)
        raw = raw.withColumn("__row", F.monotonically_increasing_id())
        time_columns = [c for c in (fmt.time, fmt.time_offset) if c]
        sample = self._collect(raw.select(*time_columns).dropna().limit(TIME_SAMPLE_ROWS))
        time = self._parse_time(raw.schema[fmt.time].dataType, [r[0] for r in sample])
        present = F.col(fmt.time).isNotNull()
        if fmt.time_offset:
            time = time + F.col(fmt.time_offset).cast("string").try_cast("long") * 1000
            present = present & F.col(fmt.time_offset).isNotNull()
        key = fmt.session or fmt.user
        columns = [
            F.col("__row").alias("row"),
            F.col(key).alias("key"),
            F.col(fmt.item).cast("string").alias("item"),
            time.alias("time"),
            (present & time.isNull()).alias("time_bad"),
        ]
        columns += [F.col(c).alias(name) for name, c in (("user", fmt.user), ("session", fmt.session)) if c]
        if fmt.event:
            columns.append(F.col(fmt.event).cast("string").alias("event"))
        frame = self.cache(raw.select(*columns))
        n_rows, latest, bad = self._collect(
            frame.agg(F.count(F.lit(1)), F.max("time"), F.min(F.when(F.col("time_bad"), F.col("row"))))
        )[0]
        if bad is not None:
            values = self._collect(raw.filter(F.col("__row") == bad).select(*time_columns))[0]
            value = " + ".join(str(v) for v in values)
            raise ValueError(f"{self.origin}: cannot parse timestamp {value!r} in column {fmt.time!r}; {_TIME_HINT}")
        self.tally.read(n_rows, latest)
        kept = frame.filter(F.col("key").isNotNull() & F.col("item").isNotNull() & F.col("time").isNotNull())
        kept = self.cache(kept.drop("time_bad"))
        self.n_kept = self.count(kept, F.lit(True))[0]
        self.tally.drop("null", n_rows - self.n_kept)
        return kept

    def _parse_time(self, dtype, sample: list) -> Column:
        """Int64 microseconds since the epoch (UTC), null where unparsable: the rules of
        ``read._parse_time`` (epoch unit from the largest of the first values, ISO text, strftime)."""
        from pyspark.sql import functions as F
        from pyspark.sql import types as T

        column, time_format = F.col(self.fmt.time), self.fmt.time_format
        if isinstance(dtype, T.TimestampType | T.TimestampNTZType):
            return F.unix_micros(column.cast("timestamp"))
        if isinstance(dtype, T.DateType):
            return F.unix_date(column).cast("long") * 86_400_000_000
        if isinstance(dtype, T.NumericType):
            if time_format is not None and time_format not in EPOCH_UNITS:
                raise ValueError(
                    f"{self.origin}: time format {time_format!r} needs date-time text, but the "
                    f"time column holds numbers; use one of {', '.join(EPOCH_UNITS)}"
                )
            unit = time_format or _detect_epoch_unit([float(v) for v in sample])
            floating = isinstance(dtype, T.FloatType | T.DoubleType | T.DecimalType)
            return _epoch_to_us(column.cast("double") if floating else column.cast("long"), unit, floating)
        if isinstance(dtype, T.StringType):
            numeric = bool(sample) and _is_number(sample[0])
            if time_format in EPOCH_UNITS or (time_format is None and numeric):
                unit = time_format or _detect_epoch_unit([float(v) for v in sample if _is_number(v)])
                return F.coalesce(
                    _epoch_to_us(column.try_cast("long"), unit, False),
                    _epoch_to_us(column.try_cast("double"), unit, True),
                )
            parsed = (
                F.try_to_timestamp(column)
                if time_format is None
                else F.try_to_timestamp(column, F.lit(_pattern(time_format)))
            )
            return F.unix_micros(parsed)
        raise ValueError(
            f"{self.origin}: the time column has type {dtype.simpleString()}; "
            "expected epoch numbers, dates or date-time text"
        )

    # ---- the rules --------------------------------------------------------------------------

    def sessionise(self) -> DataFrame:
        """Rules 2-6: order, cut, keep event types, collapse repeats, keep the last events. One row
        per kept event: ``key, seq, win, item, time, row[, weight]`` and the session's info
        columns (``user``/``session`` of its first event)."""
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        options, fmt = self.options, self.fmt
        by_key = Window.partitionBy("key").orderBy("time", "row")
        previous = F.lag("time").over(by_key)
        starts = previous.isNull()
        if options.gap_us is not None and fmt.session is None:
            starts = starts | (F.col("time") - previous > options.gap_us)
        events = self.events.withColumn("starts", starts.cast("long"))
        events = events.withColumn("seq", F.sum("starts").over(by_key.rowsBetween(Window.unboundedPreceding, 0)))
        if options.max_duration_us is not None:
            events = events.withColumn("first_time", F.min("time").over(Window.partitionBy("key", "seq")))
            events = events.withColumn("win", F.expr(f"(time - first_time) div {options.max_duration_us}"))
        else:
            events = events.withColumn("win", F.lit(0).cast("long"))
        in_session = Window.partitionBy(*_SESSION).orderBy("time", "row")
        info = [c for c in ("user", "session") if c in events.columns]
        events = events.withColumns({f"info_{c}": F.first(c).over(in_session) for c in info})
        if options.event_weights is not None:
            weights = F.create_map(*[F.lit(x) for kv in options.event_weights.items() for x in kv])
            events = events.withColumn("weight", F.coalesce(weights[F.col("event")], F.lit(1.0)).cast("float"))
        if options.event_types is not None:
            events = events.filter(F.col("event").isin(list(options.event_types)))
        events = events.select(
            *_SESSION,
            "item",
            "time",
            "row",
            *(["weight"] if options.event_weights else []),
            *[F.col(f"info_{c}").alias(c) for c in info],
        )
        events = self.cache(events)
        n = self.count(events, F.lit(True))[0]
        if options.event_types is not None:
            self.tally.drop("event type", self.n_kept - n)
        # rule 5: a run of one item within a session becomes its first event, with the run's largest weight
        previous_item = F.lag("item").over(in_session)
        events = events.withColumn(
            "run",
            F.sum((previous_item.isNull() | (previous_item != F.col("item"))).cast("long")).over(
                in_session.rowsBetween(Window.unboundedPreceding, 0)
            ),
        )
        aggregates = [F.min(F.struct("time", "row")).alias("first")]
        if options.event_weights is not None:
            aggregates.append(F.max("weight").alias("weight"))
        collapsed = events.groupBy(*_SESSION, "run", "item", *info).agg(*aggregates)
        collapsed = collapsed.select(
            *_SESSION, "item", "first.time", "first.row", *(["weight"] if options.event_weights else []), *info
        )
        collapsed = self.cache(collapsed)
        n_collapsed = self.count(collapsed, F.lit(True))[0]
        self.tally.drop("repeat", n - n_collapsed)
        if options.keep_last is not None:
            from_end = Window.partitionBy(*_SESSION).orderBy(F.desc("time"), F.desc("row"))
            kept = self.cache(
                collapsed.withColumn("__end", F.row_number().over(from_end))
                .filter(F.col("__end") <= options.keep_last)
                .drop("__end")
            )
            n_kept = self.count(kept, F.lit(True))[0]
            self.tally.drop("truncated", n_collapsed - n_kept)
            collapsed, n_collapsed = kept, n_kept
        self.tally.require(n_collapsed)
        return collapsed

    def filters(self, table: DataFrame) -> DataFrame:
        """Rule 7, as ``drop_rare_items_and_short_sessions``: rare items, then short sessions,
        repeated with ``iterate`` until a pass finds no rare item."""
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        options = self.options
        first_pass, previous = True, None
        while True:
            frequent = F.count(F.lit(1)).over(Window.partitionBy("item")) >= options.min_item_count
            flagged = table.withColumn("frequent", frequent)
            length = F.sum(F.col("frequent").cast("long")).over(Window.partitionBy(*_SESSION))
            flagged = self.cache(flagged.withColumn("long", length >= options.min_length))
            n_rare, n_short = self.count(flagged, ~F.col("frequent"), F.col("frequent") & ~F.col("long"))
            if previous is not None:  # materialised in ``flagged`` now: one pass's rows in memory, not all
                previous.unpersist()
            previous = flagged
            if not first_pass and n_rare == 0:
                return table
            first_pass = False
            self.tally.drop("rare item", n_rare)
            self.tally.drop("short session", n_short)
            table = flagged.filter(F.col("frequent") & F.col("long")).drop("frequent", "long")
            if not options.iterate:
                return table

    # ---- results ----------------------------------------------------------------------------

    def frame(self, table: DataFrame) -> DataFrame:
        """One row per session in the sessions schema, in chronological order (start time, then
        source row of the first event), ``session_id`` 0..n-1 in that order."""
        from pyspark.sql import functions as F

        info = [c for c in ("user", "session") if c in table.columns]
        fields = ["time", "row", "item"] + (["weight"] if "weight" in table.columns else [])
        grouped = table.groupBy(*_SESSION, *info).agg(F.sort_array(F.collect_list(F.struct(*fields))).alias("ev"))
        columns = {"user": "user_id", "session": "source_session_id"}
        sessions = grouped.select(
            *[F.col(c).alias(columns[c]) for c in info],
            F.transform("ev", lambda e: e["item"]).alias("items"),
            *([F.transform("ev", lambda e: e["weight"]).alias("weights")] if "weight" in fields else []),
            F.col("ev")[0]["time"].alias("start_us"),
            F.col("ev")[0]["row"].alias("first_row"),
            F.element_at("ev", -1)["time"].alias("end_us"),
            F.size("ev").alias("length"),
        )
        ordered = self.cache(
            sessions.orderBy("start_us", "first_row").withColumns(
                {"__part": F.spark_partition_id(), "__index": F.monotonically_increasing_id()}
            )
        )
        counts = dict(self._collect(ordered.groupBy("__part").count()))
        offsets, total = [], 0
        for part in sorted(counts):
            offsets += [F.lit(part), F.lit(total)]
            total += counts[part]
        offset = F.create_map(*offsets)[F.col("__part")] if offsets else F.lit(0)
        local = F.col("__index").bitwiseAND((1 << 33) - 1)
        with_id = ordered.withColumn("session_id", (offset + local).cast("long"))
        with utc_session(self.spark):
            result = with_id.select(
                "session_id",
                *[columns[c] for c in info],
                "items",
                *(["weights"] if "weight" in fields else []),
                F.timestamp_micros("start_us").cast("timestamp_ntz").alias("start"),
                F.timestamp_micros("end_us").cast("timestamp_ntz").alias("end"),
                "length",
            )
        result = self.cache(result.orderBy("session_id"))
        self.count(result, F.lit(True))  # materialised, so the frames it was computed from can go
        return result

    def split(self, train: DataFrame, test: DataFrame, sizes: tuple, when: datetime | None) -> SparkSplit:
        names = ("train events", "train sessions", "test events", "test sessions", "train items")
        summary = self.tally.summary(dict(zip(names, sizes)))
        train, test = self.frame(train), self.frame(test)
        self.release(train, test)
        return SparkSplit(train, test, summary, when)

    def sizes(self, table: DataFrame) -> tuple[int, int, int]:
        """Events, sessions and distinct items of a table."""
        from pyspark.sql import functions as F

        row = self._collect(table.agg(F.count(F.lit(1)), F.count_distinct(*_SESSION), F.count_distinct("item")))[0]
        return int(row[0]), int(row[1]), int(row[2])

    # ---- Spark actions ----------------------------------------------------------------------

    def cache(self, frame: DataFrame) -> DataFrame:
        self.cached.append(frame)
        return frame.persist()

    def count(self, frame: DataFrame, *conditions) -> list[int]:
        """How many rows meet each condition, in one job."""
        from pyspark.sql import functions as F

        conditions = [F.col(c) if isinstance(c, str) else c for c in conditions]
        row = self._collect(frame.agg(*[F.count(F.when(c, 1)) for c in conditions]))[0]
        return [int(v) for v in row]

    def release(self, *keep: DataFrame) -> None:
        """Unpersist the intermediate frames (``keep``: the results, already materialised)."""
        for frame in self.cached:
            if not any(frame is k for k in keep):
                frame.unpersist()

    def _collect(self, frame: DataFrame) -> list:
        with spark_errors(self.origin):
            return frame.collect()


def _detect_epoch_unit(sample: list[float]) -> str:
    """The unit rule of ``read._detect_epoch_unit``: from the largest absolute value."""
    largest = max((abs(v) for v in sample), default=0)
    for unit, limit in zip(EPOCH_UNITS, (1e11, 1e14, 1e17)):
        if largest < limit:
            return unit
    return "ns"


def _epoch_to_us(column, unit: str, floating: bool):
    from pyspark.sql import functions as F

    if floating:
        scale = {"s": 1e6, "ms": 1e3, "us": 1.0, "ns": 1e-3}[unit]
        return F.bround(column * scale, 0).cast("long")
    if unit == "ns":  # floor division, exact: decimal arithmetic on the 19-digit values
        return F.floor(column.cast("decimal(20,0)") / 1000).cast("long")
    return column * {"s": 1_000_000, "ms": 1_000, "us": 1}[unit]


def _is_number(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _pattern(time_format: str) -> str:
    """A strftime format as a Spark datetime pattern (``%Y-%m-%d`` -> ``yyyy-MM-dd``)."""
    out, i = [], 0
    while i < len(time_format):
        part = time_format[i : i + 2]
        if part in _STRFTIME:
            out.append(_STRFTIME[part])
            i += 2
        elif time_format[i] == "%":
            raise ValueError(
                f"time format {time_format!r}: {part} has no Spark equivalent here; "
                f"use {', '.join(_STRFTIME)} or an epoch unit"
            )
        else:
            out.append(f"'{time_format[i]}'" if time_format[i].isalpha() else time_format[i])
            i += 1
    return "".join(out)
