"""Event logs in, one lazy canonical frame out, with clear errors for bad input.

Sources: CSV/TSV (``.gz`` too: Polars decompresses while it scans) and Parquet files, scanned
lazily, or a Polars/pandas DataFrame. CSV columns are read as text so that ids stay labels ("007"
is not 7) and every timestamp is parsed by one rule below; Parquet and DataFrames keep their types.

The canonical frame has ``row`` (position in the source), ``item`` (text), ``time`` (Int64
microseconds since the epoch, UTC), ``user``/``session``/``event`` when mapped, and two flags the
checks read: ``time_bad`` (a value that is present but does not parse) and, for CSV, ``short``
(the line's last field is missing, the only trace Polars leaves of a line with too few fields).
"""

from __future__ import annotations

import csv
import sys
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from item2vec.data.corpus import read_lines
from item2vec.sessions.formats import EPOCH_UNITS, EventFormat
from item2vec.text.reader import check_text

#: Rows read from the top of the source to detect the epoch unit or the date-time format.
TIME_SAMPLE_ROWS = 10_000
_PARQUET_SUFFIXES = {".parquet", ".pq"}
_TAB_SUFFIXES = {".tsv", ".tab"}
_COMPRESSION_SUFFIXES = {".gz", ".zst"}
_TIME_HINT = "set the time format: s, ms, us, ns (epoch) or a strftime format such as '%Y-%m-%d %H:%M:%S'"


@dataclass(frozen=True)
class EventScan:
    """A lazily scanned event log in canonical columns, and how to report its rows."""

    raw: pl.LazyFrame  # the source as read, with a ``__row`` index (to quote bad values)
    fmt: EventFormat
    origin: str  # how messages name the source
    path: Path | None = None  # set for CSV files: malformed lines are diagnosed from the text
    separator: str = ","
    n_fields: int = 0
    header_lines: int = 0
    frame: pl.LazyFrame | None = None  # the canonical columns, set by ``scan_events``

    def where(self, row: int) -> str:
        """``events.csv line 12`` for files (one record per line), ``events DataFrame row 11`` otherwise."""
        if self.path is not None:
            return f"{self.origin} line {row + self.header_lines + 1}"
        return f"{self.origin} row {row}"

    def collect(self) -> pl.DataFrame:
        """Read everything into memory, checked (see ``check``)."""
        with self._polars_errors():
            frame = self.frame.collect()
        self.check(frame.lazy())
        return frame.drop("time_bad", "short", strict=False)

    def sink_buckets(self, directory: Path, buckets: int) -> list[Path]:
        """Stream the log into ``buckets`` Parquet partitions by hash of the grouping key (user or
        session), in bounded memory; return the partition directories that received rows."""
        bucket = (pl.col(self.fmt.key).hash(seed=0) % buckets).alias("__bucket")
        with self._polars_errors():
            self.frame.with_columns(bucket).sink_parquet(
                pl.PartitionBy(directory, key="__bucket", include_key=False), engine="streaming", mkdir=True
            )
        parts = [part for b in range(buckets) if (part := directory / f"__bucket={b}").exists()]
        if parts:
            self.check(pl.scan_parquet([part / "*.parquet" for part in parts]))
        return parts

    def check(self, frame: pl.LazyFrame) -> None:
        """Raise on malformed CSV lines and on present-but-unparsable timestamps (first row)."""
        names = frame.collect_schema().names()
        if "short" in names and frame.select(pl.col("short").any()).collect().item():
            self._raise_if_malformed()  # else the missing last fields were genuinely empty
        bad = frame.filter(pl.col("time_bad")).select(pl.col("row").min()).collect().item()
        if bad is not None:
            columns = [c for c in (self.fmt.time, self.fmt.time_offset) if c]
            values = self.raw.filter(pl.col("__row") == bad).select(columns).collect().row(0)
            value = " + ".join(str(v) for v in values)
            raise ValueError(
                f"{self.where(bad)}: cannot parse timestamp {value!r} in column {self.fmt.time!r}; {_TIME_HINT}"
            )

    @contextmanager
    def _polars_errors(self):
        """Turn Polars read errors into one-line messages, naming the line for malformed CSV."""
        try:
            yield
        except (pl.exceptions.PolarsError, OSError) as exc:
            if self.path is not None:
                _diagnose_text(self.path)
                if isinstance(exc, pl.exceptions.PolarsError):
                    self._raise_if_malformed()
            raise ValueError(f"{self.origin}: {_first_line(exc)}") from None

    def _raise_if_malformed(self) -> None:
        """Raise at the first line with the wrong number of fields or unbalanced quotes, if any:
        Polars counts the separators of every line; only if a suspect line has quotes (which may
        hide separators or span lines) does Python's csv module re-read the text to decide."""
        fields = pl.col("text").str.count_matches(self.separator, literal=True) + 1
        suspect = (
            pl.scan_lines(self.path, name="text", row_index_name="line", row_index_offset=1)
            .filter(
                (pl.col("text").str.strip_chars("\r").str.len_bytes() > 0)
                & ((fields != self.n_fields) | (pl.col("text").str.count_matches('"', literal=True) % 2 == 1))
            )
            .select("line", "text", fields.alias("fields"))
            .head(1)
            .collect()
        )
        if not suspect.height:
            return
        line, text, n = suspect.row(0)
        if '"' not in text:
            raise ValueError(
                f"{self.origin}: line {line} has {n} fields, expected {self.n_fields} (separator {self.separator!r})"
            )
        reader = csv.reader(read_lines(self.path), delimiter=self.separator, strict=True)
        start = 1
        try:
            for fields in reader:
                if fields and len(fields) != self.n_fields:
                    raise ValueError(
                        f"{self.origin}: line {start} has {len(fields)} fields, expected "
                        f"{self.n_fields} (separator {self.separator!r})"
                    )
                start = reader.line_num + 1
        except csv.Error as exc:
            raise ValueError(f"{self.origin}: malformed CSV in the record starting at line {start} ({exc})") from None


def scan_events(source, fmt: EventFormat) -> EventScan:
    """Scan ``source`` (path, Polars DataFrame/LazyFrame or pandas DataFrame) into canonical columns.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` naming the missing column
    (with the columns present) or the first unparsable timestamp of the sample.
    """
    scan = _open(source, fmt)
    schema = scan.raw.collect_schema()
    _check_columns(fmt, schema.names(), scan.origin)
    time_columns = [c for c in (fmt.time, fmt.time_offset) if c]
    with scan._polars_errors():
        sample = scan.raw.select("__row", *time_columns).drop_nulls().head(TIME_SAMPLE_ROWS).collect()
    time = _parse_time(pl.col(fmt.time), schema[fmt.time], fmt.time_format, sample[fmt.time], scan.origin)
    present = pl.col(fmt.time).is_not_null()
    if fmt.time_offset:
        offset_ms = pl.col(fmt.time_offset).cast(pl.String).cast(pl.Int64, strict=False)
        time = time + offset_ms * 1000
        present = present & pl.col(fmt.time_offset).is_not_null()
    _check_sample(scan, sample, time)
    columns = [
        pl.col("__row").alias("row"),
        pl.col(fmt.item).cast(pl.String).alias("item"),
        time.alias("time"),
        (present & time.is_null()).alias("time_bad"),
    ]
    for name, column in (("user", fmt.user), ("session", fmt.session)):
        if column:
            columns.append(pl.col(column).alias(name))
    if fmt.event:
        columns.append(pl.col(fmt.event).cast(pl.String).alias("event"))
    if scan.path is not None:
        columns.append(pl.col(schema.names()[-1]).is_null().alias("short"))
    return replace(scan, frame=scan.raw.select(columns))


def _open(source, fmt: EventFormat) -> EventScan:
    """The raw lazy frame (with a ``__row`` index) and how to name and diagnose it."""
    if isinstance(source, pl.LazyFrame):
        return EventScan(source.with_row_index("__row"), fmt, "events LazyFrame")
    if isinstance(source, pl.DataFrame):
        return EventScan(source.lazy().with_row_index("__row"), fmt, "events DataFrame")
    pandas = sys.modules.get("pandas")
    if pandas is not None and isinstance(source, pandas.DataFrame):
        frame = pl.from_pandas(source.reset_index(drop=True))
        return EventScan(frame.lazy().with_row_index("__row"), fmt, "events DataFrame")
    path = Path(source)
    if not path.exists():
        raise FileNotFoundError(f"event log not found: {path}")
    if path.is_dir():
        raise ValueError(f"{path} is a directory, expected an event log file")
    if _format_suffix(path) in _PARQUET_SUFFIXES:
        try:
            raw = pl.scan_parquet(path)
            raw.collect_schema()
        except pl.exceptions.PolarsError as exc:
            raise ValueError(f"{path}: not a readable Parquet file ({_first_line(exc)})") from None
        return EventScan(raw.with_row_index("__row"), fmt, str(path))
    return _open_csv(path, fmt)


def _open_csv(path: Path, fmt: EventFormat) -> EventScan:
    separator = fmt.separator or ("\t" if _format_suffix(path) in _TAB_SUFFIXES else ",")
    options = dict(
        separator=separator, has_header=fmt.has_header, infer_schema=False, null_values=list(fmt.null_values) or None
    )
    try:
        present = pl.scan_csv(path, **options).collect_schema().names()
    except (pl.exceptions.PolarsError, OSError) as exc:
        _diagnose_text(path)
        raise ValueError(f"{path}: cannot read as CSV ({_first_line(exc)})") from None
    if not all(_printable(name) for name in present):
        _diagnose_text(path)  # a header of binary bytes: say where they are
    if not fmt.has_header and fmt.names is not None:
        if len(fmt.names) != len(present):
            raise ValueError(
                f"{path}: {len(fmt.names)} column names given ({', '.join(fmt.names)}) "
                f"but the first line has {len(present)} fields (separator {separator!r})"
            )
        options["new_columns"] = list(fmt.names)
    raw = pl.scan_csv(path, **options).with_row_index("__row")
    return EventScan(raw, fmt, str(path), path, separator, len(present), 1 if fmt.has_header else 0)


def _check_columns(fmt: EventFormat, present: list[str], origin: str) -> None:
    roles = (
        ("item", fmt.item),
        ("time", fmt.time),
        ("user", fmt.user),
        ("session", fmt.session),
        ("event type", fmt.event),
        ("time offset", fmt.time_offset),
    )
    for role, column in roles:
        if column and column not in present:
            raise ValueError(
                f"{origin}: the {role} column {column!r} is missing; columns present: {_show_columns(present)}"
            )


def _printable(name: str) -> bool:
    return name.isprintable() and "\ufffd" not in name


def _show_columns(names: list[str], limit: int = 200) -> str:
    """Column names for a message: unprintable ones escaped, the list cut at ``limit`` characters."""
    shown = ", ".join(name if _printable(name) else ascii(name) for name in names if name != "__row")
    return shown if len(shown) <= limit else f"{shown[:limit]}... ({len(names) - 1} columns)"


def _diagnose_text(path: Path) -> None:
    """Raise the text reader's error (line and byte of the first invalid UTF-8 or NUL byte, or a
    truncated ``.gz``), if any, for a CSV file that Polars could not read."""
    if path.suffix.lower() != ".zst":  # the text reader reads plain and gzip files
        check_text(path)


def _parse_time(
    column: pl.Expr, dtype: pl.DataType, time_format: str | None, sample: pl.Series, origin: str
) -> pl.Expr:
    """An expression giving Int64 microseconds since the epoch (UTC), null where unparsable."""
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone:
            column = column.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        return column.dt.cast_time_unit("us").to_physical()
    if dtype == pl.Date:
        return column.cast(pl.Datetime("us")).to_physical()
    if dtype.is_numeric():
        if time_format is not None and time_format not in EPOCH_UNITS:
            raise ValueError(
                f"{origin}: time format {time_format!r} needs date-time text, but the "
                f"time column holds numbers; use one of {', '.join(EPOCH_UNITS)}"
            )
        unit = time_format or _detect_epoch_unit(sample)
        return _epoch_to_us(column, unit, float_input=dtype.is_float())
    if dtype == pl.String:
        numeric = sample.head(1).cast(pl.Float64, strict=False).null_count() == 0
        if time_format in EPOCH_UNITS or (time_format is None and numeric):
            unit = time_format or _detect_epoch_unit(sample.cast(pl.Float64, strict=False))
            return pl.coalesce(
                _epoch_to_us(column.cast(pl.Int64, strict=False), unit, float_input=False),
                _epoch_to_us(column.cast(pl.Float64, strict=False), unit, float_input=True),
            )
        return (
            column.str.to_datetime(format=time_format, time_unit="us", time_zone="UTC", strict=False)
            .dt.replace_time_zone(None)
            .to_physical()
        )
    raise ValueError(f"{origin}: the time column has type {dtype}; expected epoch numbers, dates or date-time text")


def _detect_epoch_unit(sample: pl.Series) -> str:
    """Seconds, milliseconds, microseconds or nanoseconds, from the largest value in the sample:
    epoch seconds stay below 1e11 until the year 5138, and each finer unit is 1000x larger."""
    largest = sample.abs().max() if len(sample) else 0
    for unit, limit in zip(EPOCH_UNITS, (1e11, 1e14, 1e17)):
        if largest is None or largest < limit:
            return unit
    return "ns"


def _epoch_to_us(column: pl.Expr, unit: str, float_input: bool) -> pl.Expr:
    if float_input:
        scale = {"s": 1e6, "ms": 1e3, "us": 1.0, "ns": 1e-3}[unit]
        return (column * scale).round(0).cast(pl.Int64)
    if unit == "ns":
        return column.cast(pl.Int64) // 1000
    return column.cast(pl.Int64) * {"s": 1_000_000, "ms": 1_000, "us": 1}[unit]


def _check_sample(scan: EventScan, sample: pl.DataFrame, time: pl.Expr) -> None:
    """Fail early, with the row and value, if the detected rule cannot parse the first timestamps
    (Polars may even raise while inferring a date-time format from the first value)."""
    if not sample.height:
        return
    try:
        parsed = sample.select(time)
    except pl.exceptions.PolarsError:
        parsed = pl.DataFrame({"time": [None]}, schema={"time": pl.Int64})
    failed = parsed.to_series().is_null().arg_true()
    if len(failed):
        row, *values = sample.row(int(failed[0]))
        raise ValueError(
            f"{scan.where(row)}: cannot parse timestamp {' + '.join(map(str, values))!r} "
            f"in column {scan.fmt.time!r}; {_TIME_HINT}"
        )


def _format_suffix(path: Path) -> str:
    """The suffix that tells the format, looking through .gz/.zst (``a.tsv.gz`` -> ``.tsv``)."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSION_SUFFIXES:
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
