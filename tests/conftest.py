"""Shared fixtures. Tests on the public datasets in ``../shared/data`` skip when it is absent,
and fail instead when ``ITEM2VEC_REQUIRE_SHARED=1`` (as in CI)."""

from __future__ import annotations

import os
import sys
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pytest

SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"

# Every Spark the tests start (the fixture, and the CLI run in-process) shares one driver JVM that
# caches many frames: Spark's default 1 GB heap ran out in the whole suite. Set before any JVM starts.
os.environ.setdefault("PYSPARK_SUBMIT_ARGS", "--driver-memory 4g pyspark-shell")


def shared_file(name: str) -> Path:
    """Path of a file in ``../shared/data``; skips the test (or fails, in CI) if it is missing."""
    path = SHARED_DATA / name
    if not path.exists():
        message = f"shared dataset {name} not found in {SHARED_DATA}"
        if os.environ.get("ITEM2VEC_REQUIRE_SHARED") == "1":
            pytest.fail(message + " (ITEM2VEC_REQUIRE_SHARED=1)")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def synthetic():
    """A small seeded synthetic clickstream with planted groups (fast to train on)."""
    from item2vec.data.synthetic import SyntheticClickstream

    return SyntheticClickstream(n_users=1500, n_items=300, n_groups=10, seed=3)


@dataclass
class CliResult:
    """What a CLI run left: its exit code and its two streams (as ``subprocess.run`` reports them)."""

    returncode: int
    stdout: str
    stderr: str


def run_cli(*args, cwd=None, env: dict | None = None, subprocess: bool = False) -> CliResult:
    """Run ``item2vec ARGS`` as a user would: ``main()`` with its error handling, in this process
    (fast: no interpreter and import start-up) or, with ``subprocess=True``, in a real one (for
    exit codes and "no traceback" as the shell sees them). ``env`` replaces the environment."""
    args = [str(a) for a in args]
    if subprocess:
        import subprocess as sp

        done = sp.run(
            [sys.executable, "-c", "from item2vec.cli import main; main()", *args],
            capture_output=True,
            text=True,
            cwd=cwd,
            env=env,
            timeout=900,
        )
        return CliResult(done.returncode, done.stdout, done.stderr)
    from click.testing import CliRunner

    from item2vec.cli import main

    code = 0
    saved_env, saved_cwd, saved_hook = dict(os.environ), os.getcwd(), warnings.showwarning
    with CliRunner().isolation() as streams, mock.patch.object(sys, "argv", ["item2vec", *args]):
        try:
            if env is not None:
                os.environ.clear()
                os.environ.update(env)
            if cwd is not None:
                os.chdir(cwd)
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:  # noqa: BLE001  (an escaped exception is what a user would see as a traceback)
            code = 1
            sys.stderr.write(traceback.format_exc())
        finally:
            os.chdir(saved_cwd)
            os.environ.clear()
            os.environ.update(saved_env)
            warnings.showwarning = saved_hook
        sys.stdout.flush()
        sys.stderr.flush()
        stdout, stderr = streams[0].getvalue(), streams[1].getvalue()
    return CliResult(code, stdout.decode(errors="replace"), stderr.decode(errors="replace"))


@pytest.fixture(scope="session")
def spark():
    """One local Spark (2 cores) for every Spark test, started as the CLI starts it; skips when
    pyspark is not installed (``pip install -e '.[spark]'``)."""
    pytest.importorskip("pyspark", reason="pyspark not installed (pip install -e '.[spark]')")
    from item2vec.data.spark import spark_session

    session = spark_session("local[2]")
    session.conf.set("spark.sql.shuffle.partitions", "2")
    yield session
    session.stop()
