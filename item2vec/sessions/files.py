"""Sessions files read in bounded chunks, for batch jobs over more sessions than fit in memory.

Two formats: a whitespace-separated text file with one session per line (``.gz`` accepted; a
blank line is an empty session), or Parquet with a list column of item ids (``items`` if
there are several), such as the sessions file ``item2vec sessions`` writes: one file, or a
directory of parts (``--engine spark``) read in part-name order, refused without Spark's
``_SUCCESS`` marker (the job that wrote it did not finish). Every chunk is
``(ids, sessions)``: two Polars Series
of equal length, ``sessions`` a list-of-strings column. A session's id is its id column (Parquet)
or its 0-based position in the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from item2vec.data.corpus import Corpus, CorpusWriter, read_lines
from item2vec.data.files import parquet_parts

#: The list column used when a Parquet file has several (``item2vec sessions`` also writes ``weights``).
ITEMS_COLUMN = "items"
#: Id columns looked for (in this order) when a Parquet file's id column is not given.
ID_COLUMNS = ("session_id", "user_id", "id")


def is_parquet(path) -> bool:
    """A Parquet file, or a directory of Parquet parts (``item2vec sessions --engine spark``)."""
    return Path(path).suffix.lower() in (".parquet", ".pq") or Path(path).is_dir()


def count_sessions(path) -> int | None:
    """Sessions in a Parquet file or directory (from the metadata); ``None`` for text, which
    would need a pass."""
    if not is_parquet(path):
        return None
    return sum(_open_parquet(part).metadata.num_rows for part in _parts(path))


def iter_session_chunks(
    path, chunk_size: int = 65_536, items_column: str | None = None, id_column: str | None = None
) -> Iterator[tuple[pl.Series, pl.Series]]:
    """Yield ``(ids, sessions)`` chunks of at most ``chunk_size`` sessions."""
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    if is_parquet(path):
        yield from _parquet_chunks(path, chunk_size, items_column, id_column)
        return
    if items_column or id_column:
        raise ValueError(f"{path} is a text file: --items-col/--id-col apply to Parquet input only")
    lines = read_lines(path)
    first = 0
    while chunk := list(islice(lines, chunk_size)):
        ids = pl.Series("id", np.arange(first, first + len(chunk), dtype=np.int64))
        yield ids, pl.Series("items", chunk, dtype=pl.String).str.extract_all(r"\S+")
        first += len(chunk)


def read_session_corpus(path, items_column: str | None = None, cache=None) -> Corpus:
    """A sessions file (text or Parquet, as above) as a click-data ``Corpus`` (``kind="sessions"``),
    read chunk by chunk: only the int32 ids stay in memory, or none with ``cache`` (a directory
    the ids stream to, memory-mapped afterwards; see ``text.reader.read_corpus``)."""
    sessions = (items for _, chunk in iter_session_chunks(path, items_column=items_column) for items in chunk.to_list())
    sessions = ([] if s is None else s for s in sessions)
    if cache is None:
        corpus = Corpus.from_sentences(sessions).as_sessions()
    else:
        with CorpusWriter(cache, kind="sessions") as writer:
            writer.add_sentences(sessions)
            if writer.n_tokens == 0:
                raise ValueError(f"{path}: no session has any item")
        corpus = writer.corpus()
    if corpus.n_tokens == 0:
        raise ValueError(f"{path}: no session has any item")
    return corpus


def event_histories(source, fmt, options, per: str = "user") -> tuple[pl.Series, pl.Series, list[str]]:
    """Sessions of an event log, sessionised as ``item2vec sessions`` does (``fmt``, ``options``):
    ``(ids, sessions, summary lines)``. ``per="user"`` joins each user's sessions in time order
    into one history (id: the user id), ``per="session"`` keeps them apart (id: the session's
    position in time order, as in the sessions Parquet file)."""
    from item2vec.sessions import sessionize

    if per not in ("user", "session"):
        raise ValueError(f"per must be 'user' or 'session', got {per!r}")
    result = sessionize(source, fmt, options)
    frame = result.frame()
    if per == "session":
        return frame["session_id"].alias("id"), frame["items"], result.summary.lines()
    if "user_id" not in frame.columns:
        raise ValueError("recommendations per user need a user column (--user-col); or use --per session")
    users = frame.group_by("user_id", maintain_order=True).agg(
        pl.col("items").list.explode(keep_nulls=False, empty_as_null=False)
    )
    return users["user_id"].alias("id"), users["items"], result.summary.lines()


def _open_parquet(path) -> pq.ParquetFile:
    if not Path(path).exists():
        raise FileNotFoundError(f"file not found: {path}")
    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise ValueError(f"{path} is not a readable Parquet file ({exc})") from None


def _parts(path) -> list[Path]:
    """The file itself, or the part files of a complete Parquet directory, in row order."""
    if not Path(path).is_dir():
        return [Path(path)]
    parts = parquet_parts(path)
    if not parts:
        raise ValueError(f"{path}: the Parquet directory has no part file")
    return parts


def _parquet_chunks(path, chunk_size, items_column, id_column):
    parts = _parts(path)
    handle = _open_parquet(parts[0])
    schema = pl.from_arrow(handle.schema_arrow.empty_table()).schema
    names = ", ".join(schema)
    if items_column is None:
        lists = [name for name, dtype in schema.items() if isinstance(dtype, (pl.List, pl.Array))]
        if ITEMS_COLUMN in lists:
            lists = [ITEMS_COLUMN]
        if len(lists) != 1:
            raise ValueError(
                f"{path}: cannot tell which column holds the sessions' items "
                f"(list columns: {', '.join(lists) or 'none'}); give --items-col"
            )
        items_column = lists[0]
    if items_column not in schema:
        raise ValueError(f"{path}: no column {items_column!r} (columns: {names})")
    if not isinstance(schema[items_column], (pl.List, pl.Array)):
        raise ValueError(
            f"{path}: column {items_column!r} has type {schema[items_column]}, expected a list of item ids"
        )
    inner = schema[items_column].inner
    if not (inner == pl.String or inner.is_integer() or isinstance(inner, (pl.Categorical, pl.Enum))):
        raise ValueError(
            f"{path}: column {items_column!r} holds {inner} values, expected item ids (text or integers); "
            f"is it a sessions file?"
        )
    if id_column is None:
        id_column = next((c for c in ID_COLUMNS if c in schema), None)
    elif id_column not in schema:
        raise ValueError(f"{path}: no column {id_column!r} (columns: {names})")
    columns = [items_column] + ([id_column] if id_column else [])
    first = 0
    try:
        for part in parts:
            for batch in _open_parquet(part).iter_batches(batch_size=chunk_size, columns=columns):
                frame = pl.from_arrow(batch)
                ids = (
                    frame[id_column] if id_column else pl.Series(np.arange(first, first + frame.height, dtype=np.int64))
                )
                first += frame.height
                yield ids.alias("id"), frame[items_column].cast(pl.List(pl.String)).alias("items")
    except (pa.ArrowException, OSError) as exc:
        raise ValueError(f"{path}: cannot read rows after row {first} ({exc})") from None
