"""Output files that appear whole or not at all: written under a temporary name in the same
directory and renamed over the target (``os.replace``) only once complete.

Every output goes through here: ``check_output`` refuses an unwritable target before any work,
``temporary_path`` names the hidden ``.NAME.tmp-PID`` a write goes to, and
``remove_stale_temporaries`` clears those that runs killed mid-write left behind (their process
is gone), so each write to a target cleans up after the crashed ones before it.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

#: The file Spark (and ``data.spark.write_parquet_dir``) leaves in a directory of Parquet parts
#: once every part is written; a directory without it is incomplete and never read.
SUCCESS_MARKER = "_SUCCESS"


def parquet_parts(directory) -> list[Path]:
    """The Parquet part files of a directory written by Spark, in name order (the order of the
    rows), refusing a directory without ``_SUCCESS``: its job failed or is still running."""
    directory = Path(directory)
    if not (directory / SUCCESS_MARKER).exists():
        raise ValueError(
            f"{directory} is an incomplete Parquet directory (no {SUCCESS_MARKER} marker): "
            "the job that wrote it failed or is still running"
        )
    return sorted(p for p in directory.iterdir() if p.suffix == ".parquet" and not p.name.startswith(("_", ".")))


def check_output(path, option: str | None = None, directory: bool = False) -> Path:
    """Raise now, naming ``option`` and ``path``, if ``path`` cannot be written: its folder is
    missing or not writable, or it is a directory (``directory=False``) or a file
    (``directory=True``, for model directories). Commands call it for every output before
    reading or fitting anything."""
    path = Path(path)
    name = f"{option} {path}" if option else str(path)
    if not directory and path.is_dir():
        raise ValueError(f"{name} is a directory, expected a file name")
    if directory and path.exists() and not path.is_dir():
        raise ValueError(f"{name} is a file, expected a directory")
    parent = path.parent
    if not parent.is_dir():
        found = f"{parent} is a file, not a directory" if parent.exists() else f"output directory not found: {parent}"
        raise FileNotFoundError(f"{name}: {found}")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(f"{name}: output folder {parent} is not writable")
    return path


def temporary_path(path, kind: str = "tmp") -> Path:
    """The hidden name next to ``path`` this process writes to (``kind="old"``: where a replaced
    directory is set aside)."""
    path = Path(path)
    return path.with_name(f".{path.name}.{kind}-{os.getpid()}")


def remove_stale_temporaries(path) -> list[Path]:
    """Remove the temporaries of ``path`` left by processes that no longer run; a set-aside
    ``.old-PID`` copy whose target is missing (killed between the two renames) is put back
    instead. Returns what was removed or restored."""
    path = Path(path)
    done = []
    for kind in ("tmp", "old"):
        for stale in sorted(path.parent.glob(f".{glob.escape(path.name)}.{kind}-*")):
            pid = stale.name.rpartition("-")[2]
            if not pid.isdigit() or _running(int(pid)):
                continue
            if kind == "old" and not path.exists():
                os.replace(stale, path)
            elif stale.is_dir() and not stale.is_symlink():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.unlink(missing_ok=True)
            done.append(stale)
    return done


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


@contextmanager
def atomic_path(path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it replaces ``path``, on error it is
    removed. Write errors name ``path``, never the temporary."""
    path = check_output(path)
    remove_stale_temporaries(path)
    tmp = temporary_path(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise _write_error(exc, tmp, path) from None
    finally:
        tmp.unlink(missing_ok=True)


def _write_error(exc: Exception, tmp: Path, path: Path) -> Exception:
    """An error about writing ``tmp`` restated about ``path``; any other error unchanged."""
    filename = getattr(exc, "filename", None)
    if isinstance(exc, OSError) and filename is not None and tmp in (Path(filename), *Path(filename).parents):
        return OSError(f"cannot write {path}: {exc.strerror or exc}")
    if str(tmp) in str(exc):
        return OSError(f"cannot write {path}: {str(exc).replace(str(tmp), str(path)).splitlines()[0]}")
    return exc


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


@contextmanager
def atomic_dir(path, marker: str, what: str = "an item2vec model directory") -> Iterator[Path]:
    """Yield a temporary directory next to ``path``; on success it replaces ``path`` whole (an
    existing directory is set aside, then removed), on error it is removed. An existing
    non-empty directory without the file ``marker`` is refused: it is not ours to replace."""
    path = check_output(path, directory=True)
    remove_stale_temporaries(path)
    tmp, old = temporary_path(path), temporary_path(path, "old")
    if path.is_dir() and not (path / marker).exists() and any(path.iterdir()):
        raise ValueError(f"{path} exists and is not {what} (no {marker}); refusing to replace it")
    try:
        tmp.mkdir()
        yield tmp
        if path.exists():
            os.replace(path, old)
        os.replace(tmp, path)
        shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        raise _write_error(exc, tmp, path) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def unreadable(file: Path, message: str, what: str) -> ValueError:
    """The one-line error of a damaged file in a saved directory: ``<file>: <message> (not a readable <what>)``."""
    return ValueError(f"{file}: {message} (not a readable {what})")


def read_json_file(file: Path, what: str):
    """The parsed JSON of one file of a saved ``what`` (a model, a corpus); ``unreadable`` when it is
    missing or not JSON."""
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise unreadable(file, "missing", what) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise unreadable(file, f"not valid JSON ({exc})", what) from None
