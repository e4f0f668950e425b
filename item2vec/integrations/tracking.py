"""MLflow tracking that never stops the work it records.

Store: ``MLFLOW_TRACKING_URI`` if set; else ``mlruns/mlflow.db`` (SQLite, artifacts beside it in
``mlruns/``; MLflow 3.13+ refuses a plain ``./mlruns`` file store) in the working directory or the
nearest parent that has one, as git finds ``.git``; else a new one in the working directory. A new
store is created under a file lock (``mlflow.db.lock``), so runs started at once on it are all
recorded. If the store cannot be written the ``Tracker`` finds out in well under a second (MLflow
itself retries for minutes), warns once (``TrackingWarning``) and turns into a no-op, so training
and evaluation still finish and save their outputs; ``summary`` then says the run was not recorded.
Runs opened while another is open are nested under it (one parent per tuning, one child per trial).
Experiments are tagged as classic ML (``mlflow.experimentKind``), so the UI opens on their runs;
MLflow 3.17's UI follows its GenAI/Model training switch instead (default GenAI, remembered by the
browser), so ``summary`` gives the run's page with ``?workflowType=machine_learning``.
"""

from __future__ import annotations

import fcntl
import os
import re
import sqlite3
import tempfile
import warnings
from contextlib import closing, contextmanager
from pathlib import Path

from item2vec.evaluation.harness import Hooks
from item2vec.evaluation.report import markdown_table

DEFAULT_URI = "sqlite:///mlruns/mlflow.db"
DEFAULT_EXPERIMENT = "item2vec"
#: The experiment tag MLflow's UI reads to choose its first page: the runs, not GenAI traces.
EXPERIMENT_KIND = {"mlflow.experimentKind": "custom_model_development"}


class TrackingWarning(UserWarning):
    """MLflow could not record something; the work itself went on."""


def tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI`` if set, else the ``mlruns/mlflow.db`` of the working directory or
    of its nearest parent that has one (as an absolute URI), else ``DEFAULT_URI`` (a new store in
    the working directory)."""
    if os.environ.get("MLFLOW_TRACKING_URI"):
        return os.environ["MLFLOW_TRACKING_URI"]
    relative = _sqlite_path(DEFAULT_URI)
    for folder in (Path.cwd(), *Path.cwd().parents):
        if (folder / relative).is_file():
            return f"sqlite:///{folder / relative}"
    return DEFAULT_URI


def metric_name(name: str) -> str:
    """A metric or parameter name MLflow accepts (letters, digits, ``_-. /:``): ``HR@20``
    becomes ``HR_at_20``."""
    return re.sub(r"[^\w.\- /:]", "_", name.replace("@", "_at_"))


def _sqlite_path(uri: str) -> Path | None:
    return Path(uri[len("sqlite:///") :]) if uri.startswith("sqlite:///") else None


@contextmanager
def _store_lock(database: Path):
    """Hold an exclusive lock beside the database while the store and experiment are created:
    MLflow's schema migrations race (\"duplicate column name\") when two processes create it."""
    with open(database.with_name(database.name + ".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _check_writable(database: Path) -> None:
    """Raise at once if the SQLite store cannot be written (MLflow would retry for minutes)."""
    database.parent.mkdir(parents=True, exist_ok=True)
    for path in (database.parent, database):
        if path.exists() and not os.access(path, os.W_OK):
            raise PermissionError(f"{path} is not writable")
    with closing(sqlite3.connect(database, timeout=60)) as connection:
        connection.execute("BEGIN IMMEDIATE")  # a write lock: fails on a read-only file or a non-database
        connection.rollback()


class Tracker:
    """Records runs, parameters, metrics and artifacts in MLflow; ``enabled=False`` records nothing."""

    def __init__(self, experiment: str = DEFAULT_EXPERIMENT, uri: str | None = None, enabled: bool = True):
        self.uri = uri or tracking_uri()
        self.experiment = experiment
        self.enabled = enabled
        self._client = None
        self._experiment_id = None
        self._runs: list[str] = []  # open runs, innermost last
        self.last_run_id: str | None = None  # the latest outermost run
        self.failure: str | None = None  # why tracking stopped, if it did

    # ---- plumbing ------------------------------------------------------------------------------

    def _disable(self, exc: BaseException) -> None:
        self.enabled = False
        self.failure = (
            f"cannot write to {self.uri} ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})"
        )
        warnings.warn(f"MLflow tracking is off for the rest of this run: {self.failure}", TrackingWarning, stacklevel=3)

    def summary(self) -> str | None:
        """One line for the end of a command: the run and the ``mlflow ui`` command that shows it,
        or that tracking failed; ``None`` when tracking was off from the start."""
        if self.failure is not None:
            return f"warning: MLflow tracking failed, this run is not (fully) recorded: {self.failure}"
        if not (self.enabled and self.last_run_id):
            return None
        database = _sqlite_path(self.uri)
        uri = f"sqlite:///{database.resolve()}" if database is not None else self.uri
        page = f"http://127.0.0.1:5000/#/experiments/{self._experiment_id}/runs/{self.last_run_id}"
        return (
            f"MLflow run {self.last_run_id} (experiment {self.experiment}): mlflow ui --backend-store-uri {uri} "
            f"then open {page}?workflowType=machine_learning"
        )

    def _call(self, action):
        """Run ``action(client)`` if tracking is on; any failure disables tracking with a warning."""
        if not self.enabled:
            return None
        try:
            if self._client is None:
                self._connect()
            return action(self._client)
        except Exception as exc:  # noqa: BLE001  (a tracking failure must never end the work)
            self._disable(exc)
            return None

    def _connect(self) -> None:
        from mlflow.tracking import MlflowClient

        database = _sqlite_path(self.uri)
        if database is None:
            self._client, self._experiment_id = self._open_experiment(MlflowClient(tracking_uri=self.uri), None)
            return
        _check_writable(database)
        with _store_lock(database):
            client = MlflowClient(tracking_uri=self.uri)
            self._client, self._experiment_id = self._open_experiment(client, database.parent.resolve().as_uri())

    def _open_experiment(self, client, artifacts: str | None):
        """``(client, experiment id)``, the experiment created (tagged classic ML, artifacts in
        ``artifacts``) if new, and tagged if an older item2vec made it without the tag."""
        found = client.get_experiment_by_name(self.experiment)
        if found is None:
            return client, client.create_experiment(self.experiment, artifact_location=artifacts, tags=EXPERIMENT_KIND)
        for key, value in EXPERIMENT_KIND.items():
            if key not in found.tags:
                client.set_experiment_tag(found.experiment_id, key, value)
        return client, found.experiment_id

    @property
    def run_id(self) -> str | None:
        """The innermost open run, if any."""
        return self._runs[-1] if self._runs else None

    # ---- runs ----------------------------------------------------------------------------------

    @contextmanager
    def run(self, name: str, tags: dict | None = None):
        """Open a run (nested under the open one, if any) for the ``with`` block."""
        parent = self.run_id
        run_tags = dict(tags or {})
        if parent is not None:
            run_tags["mlflow.parentRunId"] = parent
        created = self._call(lambda c: c.create_run(self._experiment_id, run_name=name, tags=run_tags))
        if created is not None:
            self._runs.append(created.info.run_id)
            if parent is None:
                self.last_run_id = created.info.run_id
        status = "FAILED"
        try:
            yield self
            status = "FINISHED"
        finally:
            if created is not None:
                self._runs.remove(created.info.run_id)
                self._call(lambda c: c.set_terminated(created.info.run_id, status))

    def log_params(self, params: dict, prefix: str = "") -> None:
        if not (self.enabled and self.run_id and params):
            return
        from mlflow.entities import Param

        items = [Param(metric_name(f"{prefix}{k}"), str(v)[:6000]) for k, v in params.items()]
        self._call(lambda c: c.log_batch(self.run_id, params=items))

    def log_metrics(self, metrics: dict, step: int | None = None, prefix: str = "") -> None:
        if not (self.enabled and self.run_id):
            return
        import time

        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        items = [
            Metric(metric_name(f"{prefix}{k}"), float(v), now, step or 0) for k, v in metrics.items() if v is not None
        ]
        if items:
            self._call(lambda c: c.log_batch(self.run_id, metrics=items))

    def set_tags(self, tags: dict) -> None:
        if self.run_id:
            run_id = self.run_id
            self._call(lambda c: [c.set_tag(run_id, k, str(v)) for k, v in tags.items()])

    # ---- what item2vec records -------------------------------------------------------------------

    def log_training_log(self, training_log: list[dict], validation_log: list[dict] = ()) -> None:
        """Per-epoch loss and words/second (``Item2Vec.training_log_``), step = epoch; a
        ``both_contexts`` model's two runs as ``window/loss``, ``session/loss``...; the
        early-stopping checks (``validation_log_``) as ``validation/HR@20``..."""
        for check in validation_log:
            figures = {k: v for k, v in check.items() if "@" in k}
            self.log_metrics(figures, prefix="validation/", step=int(check["epoch"]))
        for report in training_log:
            prefix = f"{report['context']}/" if "context" in report else ""
            self.log_metrics(
                {
                    "loss": report["loss"],
                    "mean_loss": report["mean_loss"],
                    "words_per_second": report["words_per_second"],
                },
                prefix=prefix,
                step=int(report["epoch"]),
            )

    def log_text(self, text: str, artifact_file: str) -> None:
        if self.run_id:
            run_id = self.run_id
            self._call(lambda c: c.log_text(run_id, text, artifact_file))

    def log_artifact_dir(self, directory, artifact_path: str) -> None:
        """Log a directory (e.g. a saved model) as artifacts."""
        if self.run_id:
            run_id = self.run_id
            self._call(lambda c: c.log_artifacts(run_id, str(directory), artifact_path))

    def log_model(self, model, artifact_path: str = "model") -> None:
        """Save a model (anything with ``save(directory)``: an ``Item2Vec``) and log its directory."""
        if not (self.enabled and self.run_id):
            return
        with tempfile.TemporaryDirectory() as tmp:
            model.save(Path(tmp) / "model")
            self.log_artifact_dir(Path(tmp) / "model", artifact_path)

    def log_evaluation(self, evaluation, prefix: str = "test") -> None:
        """Metrics per model (``{prefix}/{model}/HR_at_20``), the comparison table as CSV and
        Markdown, and the plot of recall@k against k for every model."""
        if not (self.enabled and self.run_id):
            return
        for name, values in evaluation.metrics.items():
            self.log_metrics(values, prefix=f"{prefix}/{name}/")
        self.log_metrics(
            {
                "pairs": evaluation.n_pairs,
                "unseen_targets": evaluation.n_unseen_targets,
                "empty_prefixes": evaluation.n_empty_prefixes,
            },
            prefix=f"{prefix}/",
        )
        table = evaluation.table()
        self.log_text(table.write_csv(), f"{prefix}_comparison.csv")
        self.log_text(markdown_table(table), f"{prefix}_comparison.md")
        figure = recall_plot(evaluation)
        if self.run_id:
            run_id = self.run_id
            self._call(lambda c: c.log_figure(run_id, figure, f"{prefix}_recall_at_k.png"))
        import matplotlib.pyplot as plt

        plt.close(figure)


class TrackingHooks(Hooks):
    """The harness' and the tuning's hooks, recorded in MLflow by ``tracker``: a run per scope,
    each fit's parameters and seconds, per-epoch training logs and the saved model of models that
    have them, each trial's validation metrics, the test comparison."""

    def __init__(self, tracker: Tracker):
        self.tracker = tracker

    def run(self, name, tags=None):
        return self.tracker.run(name, tags)

    def on_params(self, params):
        self.tracker.log_params(params)

    def on_fit(self, name, model, seconds):
        self.tracker.log_params(model.fitted_params(), prefix=f"{name}.")
        self.tracker.log_metrics({f"{name}/fit_seconds": seconds})
        self._log_training(model, f"{model.name}_model")

    def on_trial(self, trial, model):
        scoring, metrics = trial.best
        self.tracker.log_params({**model.fitted_params(), "best_scoring": scoring})
        self.tracker.log_metrics({"fit_seconds": trial.fit_seconds})
        self.tracker.log_metrics(metrics, prefix="val/")
        for variant, values in trial.variants:
            tag = ",".join(f"{k}={v}" for k, v in variant.items())
            self.tracker.log_metrics({trial.select: values[trial.select]}, prefix=f"val_variant/{tag}/")
        self._log_training(model)

    def on_tuning(self, report):
        self.tracker.log_params({f"best.{name}": spec.as_dict() for name, spec in report.best.items()})
        self.tracker.log_metrics(
            {f"{name}/fit_seconds_total": sum(t.fit_seconds for t in trials) for name, trials in report.trials.items()},
            prefix="budget/",
        )

    def on_evaluation(self, evaluation):
        self.tracker.log_evaluation(evaluation)

    def _log_training(self, model, artifact_path: str | None = None) -> None:
        """Per-epoch records (models that keep them) and, given ``artifact_path``, the saved model
        (models that can save themselves)."""
        if model.training_log():
            self.tracker.log_training_log(model.training_log(), model.validation_log())
        if artifact_path is not None and hasattr(model, "save"):
            self.tracker.log_model(model, artifact_path)


def recall_plot(evaluation):
    """Recall@k (= HR@k) against k = 1..max k, one line per model (matplotlib, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 4), dpi=100)
    for name, curve in evaluation.hit_rate_curves.items():
        axes.plot(range(1, len(curve) + 1), curve, label=name, marker="." if len(curve) <= 20 else None)
    axes.set_xlabel("k")
    axes.set_ylabel("recall@k (= HR@k)")
    axes.set_title(f"Next-item recall on {evaluation.task_name} ({evaluation.n_pairs:,} pairs)")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    return figure
