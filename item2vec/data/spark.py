"""Spark plumbing shared by the Spark paths of sessionisation and scoring: starting a session
(or saying in one line how to install Spark), turning a failed job into one line, and writing a
directory of Parquet parts that appears whole or not at all.

pyspark is imported inside the functions, so the package works without the ``spark`` extra.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from item2vec import config
from item2vec.data.files import SUCCESS_MARKER, atomic_dir

INSTALL_HINT = "pip install 'item2vec[spark]' and Java 17 (e.g. apt-get install openjdk-17-jre-headless)"


class SparkUnavailable(ValueError):
    """pyspark is not importable or no Java runtime starts: the message says what to install."""


def spark_session(master: str | None = None):
    """The active SparkSession, or a new one: ``master`` if given (or ``$ITEM2VEC_SPARK_MASTER``),
    else what ``spark-submit`` set, else ``config.SPARK_LOCAL_MASTER``. Timestamps are handled in
    UTC (the session time zone) and local executors run this interpreter. Raises
    ``SparkUnavailable``."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise SparkUnavailable(f"Spark is not installed ({exc}); {INSTALL_HINT}") from None
    master = master or os.environ.get("ITEM2VEC_SPARK_MASTER")
    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        return active
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        raise SparkUnavailable(f"Spark needs Java, and no java is on PATH (JAVA_HOME unset); {INSTALL_HINT}")
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # no warning about the host's loopback name
    builder = SparkSession.builder.appName("item2vec")
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ  # run by spark-submit: its --master and --conf apply
    if master or not submitted:
        builder = builder.master(master or config.SPARK_LOCAL_MASTER)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # local workers import this environment
        builder = builder.config("spark.sql.shuffle.partitions", str(config.SPARK_LOCAL_SHUFFLE_PARTITIONS))
    builder = (
        builder.config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.log.level", config.SPARK_LOG_LEVEL)
    )
    try:
        return builder.getOrCreate()
    except Exception as exc:  # noqa: BLE001  (the JVM failed to start: Java missing or broken)
        raise SparkUnavailable(f"Spark did not start ({_first_line(str(exc))}); {INSTALL_HINT}") from None


@contextmanager
def utc_session(spark) -> Iterator[None]:
    """Build plans with the session time zone set to UTC (it is bound when a plan is analysed),
    restoring the caller's setting afterwards."""
    key = "spark.sql.session.timeZone"
    before = spark.conf.get(key)
    spark.conf.set(key, "UTC")
    try:
        yield
    finally:
        spark.conf.set(key, before)


@contextmanager
def spark_errors(origin: str) -> Iterator[None]:
    """Turn a failed Spark job (an executor error, a bad file) into a ``ValueError`` of one line:
    ``origin: Spark job failed: <the first error raised on an executor>``."""
    try:
        from py4j.protocol import Py4JError
        from pyspark.errors import PySparkException
    except ImportError:  # pragma: no cover - pyspark is imported before this is used
        yield
        return
    try:
        yield
    except (PySparkException, Py4JError) as exc:
        raise ValueError(f"{origin}: Spark job failed: {first_executor_error(exc)}") from None


def first_executor_error(exc: Exception) -> str:
    """The line that says what went wrong: the exception line of a Python worker's traceback,
    else the innermost ``Caused by:`` of a JVM stack trace, else the message's first line."""
    text = str(exc)
    java = getattr(exc, "java_exception", None)
    if java is not None:
        text = str(java.toString()) + "\n" + _java_causes(java)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if "Traceback (most recent call last)" in text:
        tail = text.split("Traceback (most recent call last)", 1)[1]
        frames = [line for line in tail.splitlines() if line.strip()]
        for line in frames:
            if re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Warning)\b", line):
                return _clean(line)
    causes = [line.removeprefix("Caused by:").strip() for line in lines if line.startswith("Caused by:")]
    if causes:
        return _clean(causes[-1])
    return _clean(lines[0] if lines else type(exc).__name__)


def _java_causes(java) -> str:
    """``Caused by:`` lines of a Java throwable's chain (py4j exposes ``getCause``)."""
    out, seen = [], 0
    cause = java.getCause()
    while cause is not None and seen < 20:
        out.append(f"Caused by: {cause.toString()}")
        cause, seen = cause.getCause(), seen + 1
    return "\n".join(out)


def _clean(line: str) -> str:
    """Drop Java class prefixes and SQLSTATE suffixes: ``[MALFORMED_CSV_RECORD] Malformed ...``."""
    line = re.sub(r"^(?:[a-z]+\.)+[A-Za-z]*(?:Exception|Error):\s*", "", line.strip())
    return _first_line(re.sub(r"\s*SQLSTATE: \w+\s*$", "", line))


def _first_line(text: str) -> str:
    text = text.strip()
    return text.splitlines()[0] if text else "unknown error"


def write_parquet_dir(frame, path) -> Path:
    """Write a Spark DataFrame as a directory of Parquet parts that appears whole or not at all.

    A local ``path`` is written under a hidden temporary name next to it and renamed when the
    job succeeded (an existing directory of ours, with ``_SUCCESS``, is replaced); a failed job
    leaves nothing. Other URIs (``hdfs://``, ``s3a://``) are written in place, and Spark's
    ``_SUCCESS`` marker, which every reader here checks, tells a complete directory from a
    partial one."""
    text = str(path)
    if re.match(r"^[a-z][a-z0-9+.-]*://", text) and not text.startswith("file://"):
        with spark_errors(text):
            frame.write.mode("overwrite").parquet(text)
        return Path(text)
    with atomic_dir(path, SUCCESS_MARKER, what="a Spark output directory") as tmp:
        with spark_errors(str(path)):
            frame.write.mode("overwrite").parquet(str(tmp.resolve()))
        if not (tmp / SUCCESS_MARKER).exists():  # committers configured not to mark success
            (tmp / SUCCESS_MARKER).touch()
    return Path(path)
