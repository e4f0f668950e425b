"""The CLI as a user runs it: a real subprocess, exit codes, one-line errors, no tracebacks."""

import pytest

from item2vec import Item2Vec

from conftest import run_cli


def item2vec(*args, cwd=None):
    """A real ``python -c 'from item2vec.cli import main; main()'`` process: the shell's view."""
    return run_cli(*args, cwd=cwd, subprocess=True)


@pytest.fixture(scope="module")
def sessions_file(tmp_path_factory, synthetic):
    path = tmp_path_factory.mktemp("data") / "sessions.txt"
    path.write_text("\n".join(" ".join(s) for s in synthetic.sessions()) + "\n")
    return path


def test_train_writes_a_loadable_model(tmp_path, sessions_file):
    result = item2vec(
        "train",
        "--text",
        sessions_file,
        "--out",
        tmp_path / "m",
        "--epochs",
        2,
        "--vector-size",
        16,
        "--min-count",
        1,
        "--no-progress",
        "--cbow",
    )
    assert result.returncode == 0, result.stderr
    model = Item2Vec.load(tmp_path / "m")
    assert model.vector_size_ == 16 and model.sg is False and model.epochs == 2
    assert len(model.training_log_) == 2
    assert model.preset_ == "text" and "preset text:" in result.stderr


@pytest.mark.parametrize("preset, expected", [("auto", "clicks"), ("text", "text")])
def test_train_on_sessions_takes_the_click_preset(tmp_path, sessions_file, synthetic, preset, expected):
    """The same file as --sessions is click data: auto picks the clicks preset (printed, saved)."""
    import polars as pl

    parquet = tmp_path / "sessions.parquet"
    pl.DataFrame({"session_id": range(len(synthetic.sessions())), "items": synthetic.sessions()}).write_parquet(parquet)
    for source in (sessions_file, parquet):
        out = tmp_path / f"m-{source.suffix}"
        result = run_cli(
            "train",
            "--sessions",
            source,
            "--out",
            out,
            "--epochs",
            1,
            "--vector-size",
            8,
            "--preset",
            preset,
            "--no-progress",
        )
        assert result.returncode == 0, result.stderr
        assert f"preset {expected}:" in result.stderr
        model = Item2Vec.load(out)
        assert model.preset_ == expected and model.params_["min_count"] == (1 if expected == "clicks" else 5)
    result = run_cli("train", "--sessions", sessions_file, "--out", tmp_path / "x", "--preset", "music")
    assert result.returncode == 2 and "preset must be auto, clicks or text" in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--text", "{missing}"], "file not found"),
        (["--text", "{sessions}", "--window", "0"], "window must be an integer >= 1"),
        (["--text", "{sessions}", "--min-count", "100000"], "min_count=100000 removed every item"),
        ([], "--text"),
        (
            ["--text", "{sessions}", "--sessions", "{sessions}"],
            "one of --text FILE, --events FILE, --sessions FILE or --corpus DIR",
        ),
    ],
)
def test_train_errors_are_one_line(tmp_path, sessions_file, args, message):
    args = [a.format(missing=tmp_path / "nope.txt", sessions=sessions_file) for a in args]
    result = item2vec("train", "--out", tmp_path / "m", "--no-progress", *args)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(errors) == 1 and message in errors[0], result.stderr
    assert not (tmp_path / "m").exists()


def test_bad_option_value_is_a_usage_error(tmp_path, sessions_file):
    result = item2vec("train", "--out", tmp_path / "m", "--text", sessions_file, "--epochs", "many")
    assert result.returncode == 2 and "Traceback" not in result.stderr


@pytest.mark.slow
def test_demo_runs(tmp_path):
    result = item2vec("demo", "--users", 800, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "group recovery" in result.stdout
    assert "item2vec: HR@20" in result.stdout and "the best baseline (" in result.stdout
    assert "decay" in result.stdout and "chosen on its training sessions" in result.stdout  # the model's scoring
