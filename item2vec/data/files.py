"""Output files that appear whole or not at all: written under a temporary name in the same
directory and renamed over the target (``os.replace``) only once complete."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq


@contextmanager
def atomic_path(path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it replaces ``path``, on error it is removed."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a directory, expected a file name")
    if not path.parent.exists():
        raise FileNotFoundError(f"output directory not found: {path.parent}")
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_parquet(frame: pl.DataFrame, path) -> None:
    """Write one frame to Parquet atomically."""
    with atomic_path(path) as tmp:
        frame.write_parquet(tmp)


@contextmanager
def parquet_chunks(path) -> Iterator[Callable[[pl.DataFrame], None]]:
    """Yield ``write(frame)``, which appends frames of one schema to a Parquet file as row
    groups, so a job of any size holds one chunk in memory; the file appears at ``path`` only
    when the ``with`` block succeeds after at least one frame."""
    with atomic_path(path) as tmp:
        writer = None

        def write(frame: pl.DataFrame) -> None:
            nonlocal writer
            table = frame.to_arrow()
            if writer is None:
                writer = pq.ParquetWriter(tmp, table.schema)
            writer.write_table(table)

        try:
            yield write
        finally:
            if writer is not None:
                writer.close()
        if writer is None:
            raise ValueError(f"nothing to write to {path}: the input had no rows")
