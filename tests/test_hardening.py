"""Bad input through the real CLI (issue 15): one ``error:`` line naming the file, row or option,
exit code 2, no traceback, nothing left behind; a run succeeds only when its result is usable.

Most cases run ``item2vec.cli.main`` in this process (its error mapping included, and any
exception it lets through fails the test, as a traceback would show); those about processes
(a killed writer, concurrent MLflow runs) use real subprocesses.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from item2vec.cli import main
from item2vec.data.corpus import Corpus
from item2vec.model import Item2Vec

SMALL = ["--min-count", "1", "--epochs", "2", "--vector-size", "8", "--sample", "0", "--workers", "1", "--no-progress"]
LATIN1_LINE = 101  # the line of events.csv that latin1.csv spoils


def cli(capsys, *args) -> tuple[int, str, str]:
    """``item2vec ARGS`` through ``main()``: (exit code, stdout, stderr)."""
    argv = sys.argv
    sys.argv = ["item2vec", *map(str, args)]
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    finally:
        sys.argv = argv
    out, err = capsys.readouterr()
    return code, out, err


def refused(capsys, folder, fragment: str, *args) -> str:
    """Run a command that must fail: exit 2, exactly one ``error:`` line containing ``fragment``,
    and no file added to ``folder``. Returns the error line."""
    before = set(folder.rglob("*"))
    code, _, err = cli(capsys, *args)
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert code == 2, err
    assert len(errors) == 1 and "Traceback" not in err, err
    assert fragment in errors[0], errors[0]
    assert set(folder.rglob("*")) == before, f"left behind: {set(folder.rglob('*')) - before}"
    return errors[0]


def write_events(path, users: int = 60, items: int = 30, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    lines = ["user_id,item_id,timestamp"]
    for user in range(users):
        start = 1_600_000_000 + user * 3_600
        lines += [f"u{user},i{rng.integers(items)},{start + step * 60}" for step in range(6)]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """Input files shared by the cases (read only): a good event log, its Latin-1 twin, a model."""
    folder = tmp_path_factory.mktemp("inputs")
    events = folder / "events.csv"
    write_events(events)
    lines = events.read_bytes().split(b"\n")
    lines[LATIN1_LINE - 1] = b"u16,caf\xe9,1600057800"
    (folder / "latin1.csv").write_bytes(b"\n".join(lines))
    sessions = pl.read_csv(events).group_by("user_id", maintain_order=True).agg("item_id")["item_id"].to_list()
    Item2Vec(vector_size=8, min_count=1, epochs=2, sample=0, workers=1).fit(sessions).save(folder / "model")
    return folder


@pytest.fixture
def out(tmp_path):
    """An empty folder for a command's outputs; ``refused`` checks nothing lands in it."""
    return tmp_path


# ---- 1, 9: unreadable event logs ---------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["sessions", "{log}", "--out", "{out}/s.parquet"],
        ["train", "--events", "{log}", "--out", "{out}/model"],
        ["evaluate", "--events", "{log}", "--test-days", "1", "--no-track"],
        ["users", "{model}", "--events", "{log}", "--out", "{out}/u.parquet"],
    ],
    ids=["sessions", "train", "evaluate", "users"],
)
def test_latin1_event_log_names_line_and_byte(capsys, data, out, command):
    args = [a.format(log=data / "latin1.csv", out=out, model=data / "model") for a in command]
    error = refused(capsys, out, "latin1.csv: invalid UTF-8", *args)
    offset = len(b"\n".join((data / "events.csv").read_bytes().split(b"\n")[: LATIN1_LINE - 1])) + 1 + len("u16,caf")
    assert f"at byte {offset:,} (line {LATIN1_LINE})" in error and "iconv -f latin1" in error


def test_truncated_gzip_names_the_file(capsys, data, out, tmp_path_factory):
    log = tmp_path_factory.mktemp("gz") / "events.csv.gz"
    whole = gzip.compress((data / "events.csv").read_bytes())
    log.write_bytes(whole[: len(whole) // 2])
    refused(capsys, out, f"{log}: cannot decompress", "sessions", log, "--out", out / "s.parquet")


def test_binary_garbage_is_not_echoed(capsys, out, tmp_path_factory):
    folder = tmp_path_factory.mktemp("garbage")
    binary = folder / "binary.csv"
    binary.write_bytes(bytes(range(256)) * 4)
    refused(
        capsys, out, f"{binary}: a NUL byte (binary data?) at byte 0", "sessions", binary, "--out", out / "s.parquet"
    )
    # printable junk with commas: the column list is cut, not 513 bytes of it
    junk = folder / "junk.csv"
    junk.write_text(",".join(f"col{i}" for i in range(200)) + "\n" + ",".join("x" * 200) + "\n")
    error = refused(capsys, out, "columns present: col0, col1", "sessions", junk, "--out", out / "s.parquet")
    assert len(error) < 400 and error.endswith("(200 columns)")


# ---- 2, 3: training that cannot work -------------------------------------------------------------


@pytest.mark.parametrize(
    "extra, fragment",
    [
        (["--vector-size", str(10**12)], "of memory is available; lower vector_size"),
        (["--alpha", "1e6"], "training diverged in epoch 1"),
    ],
    ids=["memory", "diverged"],
)
def test_training_refuses_unusable_models(capsys, data, out, extra, fragment):
    refused(capsys, out, fragment, "train", "--events", data / "events.csv", "--out", out / "model", *SMALL, *extra)


def test_training_without_examples_is_an_error(capsys, out, tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    (folder / "tiny.txt").write_text("a b\nc d\n")
    (folder / "single.txt").write_text("a\nb\nc\n")
    common = ["--out", out / "model", "--min-count", "1", "--no-progress"]
    refused(capsys, out, "training made no example", "train", "--text", folder / "tiny.txt", *common)
    refused(capsys, out, "no session has two items", "train", "--text", folder / "single.txt", *common)


# ---- 4, 5: model directories ----------------------------------------------------------------------


def _damaged(data, folder, name, change):
    """A copy of the model with one file changed by ``change(model_dir)``."""
    import shutil

    target = folder / name
    shutil.copytree(data / "model", target)
    change(target)
    return target


def _edit_json(name, edit):
    def change(model):
        value = json.loads((model / name).read_text())
        (model / name).write_text(json.dumps(edit(value)))

    return change


def _set_vectors(transform):
    def change(model):
        np.save(model / "vectors.npy", transform(np.load(model / "vectors.npy")))

    return change


def _nan_row(vectors):
    vectors[3] = np.nan
    return vectors


@pytest.mark.parametrize(
    "change, fragment",
    [
        (_set_vectors(_nan_row), "vectors.npy: row 3 (item "),
        (_edit_json("keys.json", lambda keys: keys[:-1] + keys[:1]), "keys.json: item "),
        (_edit_json("config.json", lambda meta: {**meta, "params": []}), "config.json: 'params' must be an object"),
        (_edit_json("config.json", lambda meta: {k: v for k, v in meta.items() if k != "n_items"}), "'n_items'"),
        (_set_vectors(lambda v: (v * 100).astype(np.int64)), "vectors.npy: expected a 2-D float32 array"),
        (_set_vectors(lambda v: v.astype(np.float64)), "vectors.npy: expected float32 vectors, found float64"),
        (_edit_json("keys.json", lambda keys: list(range(len(keys)))), "keys.json: entry 0 is 0, expected a string"),
        (lambda model: (model / "counts.npy").unlink(), "counts.npy: missing"),
        (_edit_json("config.json", lambda meta: {**meta, "blend_weight": 7}), "'blend_weight' must be null"),
        (_edit_json("config.json", lambda meta: {**meta, "recency_decay": 0}), "'recency_decay' must be null or a"),
        (_edit_json("config.json", lambda meta: {**meta, "session_weight": -1}), "'session_weight' must be null"),
    ],
    ids=[
        *("nan", "duplicate-key", "params-list", "no-n-items", "int-vectors", "float64", "int-keys", "no-counts"),
        *("blend-weight", "recency-decay", "session-weight"),
    ],
)
def test_damaged_model_directories_are_refused(capsys, data, out, tmp_path_factory, change, fragment):
    model = _damaged(data, tmp_path_factory.mktemp("damaged"), "model", change)
    error = refused(capsys, out, fragment, "similar", model, "i1")
    assert str(model) in error
    sessions = out.parent / "sessions.txt"
    sessions.write_text("i1 i2\n")
    refused(capsys, out, fragment, "recommend", model, "--sessions", sessions, "--out", out / "r.parquet")


def test_duplicate_key_names_both_places(data, tmp_path):
    model = _damaged(data, tmp_path, "model", _edit_json("keys.json", lambda keys: keys[:-1] + keys[:1]))
    keys = json.loads((data / "model" / "keys.json").read_text())
    with pytest.raises(ValueError, match=f"item '{keys[0]}' appears twice \\(again at entry {len(keys) - 1}\\)"):
        Item2Vec.load(model)


# ---- 6: recommend on what is not sessions ---------------------------------------------------------


def test_recommend_refuses_vectors_read_as_sessions(capsys, data, out, tmp_path_factory):
    vectors = tmp_path_factory.mktemp("export") / "vectors.parquet"
    assert cli(capsys, "export", data / "model", vectors, "--format", "parquet")[0] == 0
    refused(
        capsys,
        out,
        f"{vectors}: column 'vector' holds Float32 values, expected item ids",
        *("recommend", data / "model", "--sessions", vectors, "--out", out / "r.parquet"),
    )


def test_recommend_refuses_sessions_without_a_known_item(capsys, data, out):
    sessions = out.parent / "other_shop.txt"
    sessions.write_text("x1 x2\nx3\n")
    refused(
        capsys,
        out,
        f"{sessions}: none of its 2 sessions has an item known to the model",
        *("recommend", data / "model", "--sessions", sessions, "--out", out / "r.parquet"),
    )


# ---- 7: temporaries of killed runs ------------------------------------------------------------------


def test_next_write_removes_temporaries_of_killed_runs(capsys, data, tmp_path):
    """A writer killed with SIGKILL inside ``atomic_path`` leaves its temporary; the next write to
    the same target removes it, and leaves a live process' temporary alone."""
    target = tmp_path / "recs.parquet"
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from item2vec.data.files import atomic_path\n"
            "with atomic_path(sys.argv[1]) as tmp:\n"
            "    tmp.write_bytes(b'partial'); print(tmp, flush=True); time.sleep(60)",
            str(target),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    stale = tmp_path / writer.stdout.readline().strip()
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    writer.stdout.close()
    assert stale.exists()
    stale_model = tmp_path / f".model.tmp-{writer.pid}"  # a partial model directory of the same dead run
    stale_model.mkdir()
    (stale_model / "vectors.npy").write_bytes(b"partial")
    live = tmp_path / f".recs.parquet.tmp-{os.getppid()}"
    live.write_bytes(b"someone else's")

    sessions = tmp_path / "sessions.txt"
    sessions.write_text("i1 i2\n")
    assert cli(capsys, "recommend", data / "model", "--sessions", sessions, "--out", target, "--k", "3")[0] == 0
    args = ["train", "--events", data / "events.csv", "--out", tmp_path / "model", *SMALL]
    assert cli(capsys, *args)[0] == 0
    assert not stale.exists() and not stale_model.exists() and live.exists()
    assert pl.read_parquet(target).height == 3 and Item2Vec.load(tmp_path / "model").vectors.shape[1] == 8


def _set_array(name, transform):
    def change(model):
        np.save(model / name, transform(np.load(model / name)))

    return change


@pytest.mark.parametrize(
    "change, fragment",
    [
        (_set_array("session_offsets.npy", lambda o: o[::-1].copy()), "session_offsets.npy: expected ascending"),
        (_set_array("session_offsets.npy", lambda o: np.append(o, o[-1])), "no session empty"),
        (_set_array("session_items.npy", lambda items: items + 10_000), "session_items.npy: an item row outside"),
        (_set_array("session_items.npy", lambda items: items.astype(np.float32)), "expected a 1-D integer array"),
        (lambda model: (model / "session_items.npy").unlink(), "session_items.npy: missing"),
        (lambda model: (model / "session_offsets.npy").unlink(), "session_offsets.npy: missing"),
        (_set_array("session_items.npy", lambda items: np.sort(items)[::-1].copy()), "distinct and ascending"),
    ],
    ids=["descending", "empty-session", "unknown-row", "float-items", "no-items", "no-offsets", "unsorted"],
)
def test_a_damaged_session_pool_is_refused(capsys, data, out, tmp_path_factory, change, fragment):
    """The pool ``blend`` searches for neighbour sessions is checked on load like every file."""
    folder = tmp_path_factory.mktemp("pool")
    sessions = pl.read_csv(data / "events.csv").group_by("user_id", maintain_order=True).agg("item_id")
    corpus = Corpus.from_sentences([[str(i) for i in s] for s in sessions["item_id"].to_list()]).as_sessions()
    Item2Vec(vector_size=8, min_count=1, epochs=2, sample=0, workers=1).fit(corpus).save(folder / "model")
    target = _damaged(folder, folder, "damaged", change)
    assert str(target) in refused(capsys, out, fragment, "similar", target, "i1")


# ---- 8: options and outputs checked before any work ------------------------------------------------


def test_outputs_and_options_fail_before_work(capsys, data, out):
    log = data / "events.csv"
    refused(capsys, out, "--json", "evaluate", "--events", log, "--test-days", "1", "--json", out / "no/m.json")
    bad = out.parent / "best.json"
    bad.write_text(json.dumps({"models": [{"kind": "item2vec", "params": {}, "scoring": {"scorer": "bogus"}}]}))
    code, _, err = cli(capsys, "evaluate", "--events", log, "--test-days", "1", "--config", bad, "--no-track")
    assert code == 2 and "unknown scorer 'bogus'" in err and "training:" not in err and "fitted" not in err
    code, _, err = cli(capsys, "tune", "--events", log, "--test-days", "1", "--select", "HR@99", "--no-track")
    assert code == 2 and "--select 'HR@99'" in err and "kept" not in err  # nothing sessionised
    recommend = ["recommend", data / "model", "--sessions", log, "--out", out / "r.parquet"]
    refused(capsys, out, "blend_weight must lie in [0, 1]", *recommend, "--blend-weight", "2")
    refused(capsys, out, "blend scorer only, not 'mean'", *recommend, "--scorer", "mean", "--blend-weight", "0.5")
    refused(capsys, out, "session_weight must lie in [0, 1]", *recommend, "--session-weight", "1.5")
    refused(capsys, out, "session_weight applies to the blend scorer only", *recommend, "--session-weight", "0.5")
    code, _, err = cli(capsys, "evaluate", "--events", log, "--test-days", "1", "--blend-weight", "-1", "--no-track")
    assert code == 2 and "blend_weight must lie in [0, 1]" in err and "kept" not in err
    code, _, err = cli(capsys, "evaluate", "--events", log, "--test-days", "1", "--session-weight", "2", "--no-track")
    assert code == 2 and "session_weight must lie in [0, 1]" in err and "kept" not in err
    for args in (
        ["sessions", log, "--out", out / "no" / "s.parquet"],
        ["train", "--events", log, "--out", out / "no" / "model"],
        ["recommend", data / "model", "--sessions", log, "--out", out / "no" / "r.parquet"],
        ["users", data / "model", "--events", log, "--out", out / "no" / "u.parquet"],
        ["tune", "--events", log, "--test-days", "1", "--out", out / "no" / "tuned", "--no-track"],
    ):
        code, _, err = cli(capsys, *args)
        assert code == 2 and f"--out {out / 'no'}" in err and "output directory not found" in err, err
        assert "kept" not in err and "read " not in err  # failed before reading the log


def test_write_errors_name_the_requested_path(tmp_path):
    from item2vec.data.files import write_parquet

    target = tmp_path / "locked" / "out.parquet"
    target.parent.mkdir()
    target.parent.chmod(0o500)
    try:
        if os.access(target.parent, os.W_OK):  # root ignores the mode: write where nobody can
            target = __import__("pathlib").Path("/proc/item2vec-out.parquet")
        with pytest.raises(OSError) as error:
            write_parquet(pl.DataFrame({"a": [1]}), target)
    finally:
        tmp_path.joinpath("locked").chmod(0o700)
    assert str(target) in str(error.value) and ".tmp-" not in str(error.value)


def test_ctrl_c_stops_with_130_and_leaves_nothing(data, tmp_path):
    args = ["train", "--events", data / "events.csv", "--out", tmp_path / "model", *SMALL, "--epochs", "1000000"]
    run = subprocess.Popen(
        [sys.executable, "-c", "from item2vec.cli import main; main()", *map(str, args)],
        stderr=subprocess.PIPE,
        text=True,
    )
    while "kept" not in run.stderr.readline():  # the log is read: training starts
        pass
    time.sleep(1)
    run.send_signal(signal.SIGINT)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 130 and "Traceback" not in err, err
    assert list(tmp_path.iterdir()) == []


# ---- MLflow -------------------------------------------------------------------------------------------


_TRACK = (
    "import sys, warnings; from item2vec.integrations.tracking import Tracker\n"
    "with warnings.catch_warnings(record=True) as caught:\n"
    "    warnings.simplefilter('always')\n"
    "    tracker = Tracker('race', uri=sys.argv[1])\n"
    "    with tracker.run('run'):\n"
    "        tracker.log_metrics({'m': 1.0})\n"
    "failed = [str(w.message) for w in caught if w.category.__name__ == 'TrackingWarning']\n"
    "print(*failed, sep='\\n'); sys.exit(3 if failed else 0)"
)


def test_concurrent_runs_on_a_new_store_are_all_recorded(tmp_path):
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path}/store/mlflow.db"
    runs = [subprocess.Popen([sys.executable, "-c", _TRACK, uri], stdout=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [run.communicate()[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0, 0], outputs
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("race")
    assert len(client.search_runs([experiment.experiment_id])) == 3
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"


def test_unwritable_store_warns_once_and_fast(tmp_path):
    from item2vec.integrations.tracking import Tracker, TrackingWarning

    database = tmp_path / "mlflow.db"
    database.write_bytes(b"not a database " * 100)
    tracker = Tracker("x", uri=f"sqlite:///{database}")
    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with tracker.run("run"):
            tracker.log_metrics({"m": 1.0})
            tracker.log_params({"p": 1})
    assert time.perf_counter() - started < 2
    assert [w.category for w in caught] == [TrackingWarning]
    assert tracker.summary().startswith("warning: MLflow tracking failed, this run is not (fully) recorded")


def test_store_is_found_from_a_subdirectory_and_experiments_are_classic_ml(tmp_path, monkeypatch):
    from mlflow.tracking import MlflowClient

    from item2vec.integrations.tracking import Tracker, tracking_uri

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    old = MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/mlruns/mlflow.db")
    old.create_experiment("item2vec")  # made by an item2vec that did not tag it
    (tmp_path / "deep" / "er").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "deep" / "er")
    assert tracking_uri() == f"sqlite:///{tmp_path}/mlruns/mlflow.db"
    tracker = Tracker("item2vec")
    with tracker.run("run"):
        pass
    experiment = old.get_experiment_by_name("item2vec").experiment_id
    assert tracker.summary() == (
        f"MLflow run {tracker.last_run_id} (experiment item2vec): "
        f"mlflow ui --backend-store-uri sqlite:///{tmp_path}/mlruns/mlflow.db then open "
        f"http://127.0.0.1:5000/#/experiments/{experiment}/runs/{tracker.last_run_id}?workflowType=machine_learning"
    )
    assert old.get_experiment_by_name("item2vec").tags["mlflow.experimentKind"] == "custom_model_development"
    assert not (tmp_path / "deep" / "er" / "mlruns").exists()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """One SQLite store for the tracked commands (creating its tables takes seconds)."""
    return f"sqlite:///{tmp_path_factory.mktemp('store')}/mlflow.db"


@pytest.mark.parametrize(
    "command",
    [
        ["evaluate", "--events", "{log}", "--test-days", "0.5", "--baselines", "pop", *SMALL[:-1]],
        ["train", "--events", "{log}", "--out", "{tmp}/model", "--track", *SMALL],
    ],
    ids=["evaluate", "train"],
)
def test_tracked_commands_print_the_run_and_the_ui_command(capsys, data, store, tmp_path, monkeypatch, command):
    from mlflow.tracking import MlflowClient

    uri = store
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    code, _, err = cli(capsys, *[a.format(log=data / "events.csv", tmp=tmp_path) for a in command])
    assert code == 0, err
    last = err.strip().splitlines()[-1]
    run_id = last.split()[2]
    experiment = "item2vec" if command[0] == "evaluate" else "item2vec-train"
    assert last.startswith(f"MLflow run {run_id} (experiment {experiment}): mlflow ui --backend-store-uri {uri} then")
    assert last.endswith(f"/runs/{run_id}?workflowType=machine_learning")
    assert MlflowClient(tracking_uri=uri).get_run(run_id).data.metrics


# ---- random input never shows a traceback -------------------------------------------------------------


_CSV_LIKE = st.lists(
    st.lists(st.text(alphabet="ab,1;\t\"'\\é\x00 ", max_size=8), min_size=1, max_size=4).map(",".join),
    max_size=6,
).map("\n".join)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.one_of(st.binary(max_size=300), _CSV_LIKE.map(str.encode)))
def test_random_input_gets_an_answer_never_a_traceback(capsys, tmp_path, content):
    source = tmp_path / "input.csv"
    source.write_bytes(content)
    for args in (
        ["sessions", source, "--out", tmp_path / "s.parquet"],
        ["train", "--text", source, "--out", tmp_path / "model", *SMALL],
    ):
        code, _, err = cli(capsys, *args)  # an exception other than SystemExit fails the test
        assert code in (0, 2) and (code == 0 or err.rstrip().splitlines()[-1].startswith("error:")), err
