"""The harness: fit every model on the same training sessions, score all on the same pairs.

What happens around the work (MLflow runs, parameters, per-epoch logs, saved models) is the
business of ``Hooks``; the harness only calls them, so it has no tracker and no model-specific
case. ``integrations.tracking.TrackingHooks`` is the MLflow implementation.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

import numpy as np

from item2vec import config
from item2vec.data.corpus import Corpus
from item2vec.evaluation.metrics import hit_rate_curve, ranking_metrics
from item2vec.evaluation.models import NextItemModel, make_model
from item2vec.evaluation.task import NextItemTask


@dataclass(frozen=True)
class ModelSpec:
    """One row of a comparison: which model, its hyperparameters and how it scores
    (``recommend`` options, including ``exclude_seen``). ``label`` names the row."""

    kind: str
    params: dict = field(default_factory=dict)
    scoring: dict = field(default_factory=dict)
    label: str = ""

    @property
    def name(self) -> str:
        return self.label or self.kind

    @property
    def fit_key(self) -> str:
        """Rows with the same key share one fitted model."""
        return self.kind + json.dumps(self.params, sort_keys=True)

    def as_dict(self) -> dict:
        return {"kind": self.kind, "params": self.params, "scoring": self.scoring, "label": self.name}

    @classmethod
    def from_dict(cls, data: dict) -> ModelSpec:
        try:
            return cls(data["kind"], dict(data.get("params", {})), dict(data.get("scoring", {})), data.get("label", ""))
        except (KeyError, TypeError, AttributeError):
            raise ValueError(
                f"a model entry needs 'kind' (and optional 'params', 'scoring', 'label'), got {data!r}"
            ) from None


class Hooks:
    """What the harness and the tuning report as they work; every method is a no-op here.
    Subclass and override what you record (``integrations.tracking.TrackingHooks``)."""

    def run(self, name: str, tags: dict | None = None) -> AbstractContextManager:
        """A scope (an MLflow run) around a comparison, a tuning or one trial; nested scopes nest."""
        return nullcontext()

    def on_params(self, params: dict) -> None:
        """Settings of the open scope (a tuning's protocol, a comparison's scorings)."""

    def on_fit(self, name: str, model: NextItemModel, seconds: float) -> None:
        """``model`` (row ``name`` of a comparison, or one trial) has been fitted."""

    def on_trial(self, trial: object, model: NextItemModel) -> None:
        """A tuning trial was fitted and scored on validation (``tuning.Trial``)."""

    def on_tuning(self, report: object) -> None:
        """A tuning chose the best trial of every model (``tuning.TuningReport``, before the test)."""

    def on_evaluation(self, evaluation: Evaluation) -> None:
        """Every model of a comparison has been scored on the test pairs."""


@dataclass
class Evaluation:
    """Metrics per model on one task, plus what the task held (for the report)."""

    task_name: str
    ks: tuple[int, ...]
    n_pairs: int
    n_unseen_targets: int
    n_empty_prefixes: int
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    hit_rate_curves: dict[str, np.ndarray] = field(default_factory=dict)  # HR@1..max k per model
    seconds: dict[str, float] = field(default_factory=dict)  # scoring the task, per model
    fit_seconds: dict[str, float] = field(default_factory=dict)  # per model, when this run fitted it

    def as_json(self) -> dict[str, dict[str, float]]:
        """``{model: {metric: value, "fit_seconds": s, "score_seconds": s}}`` (``fit_seconds`` only
        for models fitted in this run; rows sharing one fit report the same seconds)."""
        return {
            name: {
                **values,
                **({"fit_seconds": self.fit_seconds[name]} if name in self.fit_seconds else {}),
                "score_seconds": self.seconds[name],
            }
            for name, values in self.metrics.items()
        }

    def table(self):
        """Comparison table as a Polars DataFrame: one row per model, one column per metric."""
        import polars as pl

        columns = [f"{m}@{k}" for k in self.ks for m in ("HR", "MRR", "NDCG", "coverage")]
        return pl.DataFrame(
            [{"model": name, **{c: values[c] for c in columns}} for name, values in self.metrics.items()],
            schema={"model": pl.String, **{c: pl.Float64 for c in columns}},
        )


def evaluate_models(
    models: Mapping[str, NextItemModel],
    task: NextItemTask,
    ks: Sequence[int] = config.KS,
    scoring: Mapping[str, dict] | None = None,
    log: Callable[[str], object] | None = None,
) -> Evaluation:
    """Score every fitted model (``recommend(task, k, **options)``, see ``models``) on the
    same pairs; ``scoring[name]`` holds that model's options (scorer, exclude_seen...); ``log``
    hears how long each took."""
    ks = tuple(ks)
    check_task(task, ks, len(task.catalogue))
    result = Evaluation(task.name, ks, len(task), task.n_unseen_targets, task.n_empty_prefixes)
    for name, model in models.items():
        started = time.perf_counter()
        recommended = model.recommend(task, max(ks), **(scoring or {}).get(name, {}))
        result.seconds[name] = time.perf_counter() - started
        if log is not None:
            log(f"scored {name} on {len(task):,} pairs in {result.seconds[name]:.1f}s")
        result.metrics[name] = ranking_metrics(recommended, task.targets, ks, len(task.catalogue))
        result.hit_rate_curves[name] = hit_rate_curve(recommended, task.targets)
    return result


def fit_and_evaluate(
    specs: Sequence[ModelSpec],
    train: Corpus,
    task: NextItemTask,
    ks: Sequence[int] = config.KS,
    hooks: Hooks | None = None,
    log: Callable[[str], object] = print,
) -> tuple[Evaluation, dict[str, NextItemModel]]:
    """Fit every spec on ``train`` (rows differing only in scoring share one fit) and score all
    on ``task``; ``hooks`` hear of every fit and of the evaluation. Returns the evaluation and
    the fitted models by ``fit_key``."""
    hooks = hooks or Hooks()
    check_task(task, ks, len(train.vocab))
    models = check_specs(specs)
    fitted: dict[str, NextItemModel] = {}
    fit_seconds: dict[str, float] = {}
    for spec in specs:
        if spec.fit_key in fitted:
            continue
        model = models[spec.fit_key]
        started = time.perf_counter()
        model.fit(train)
        fit_seconds[spec.fit_key] = time.perf_counter() - started
        fitted[spec.fit_key] = model
        summary = model.fit_summary()
        log(f"fitted {spec.kind} in {fit_seconds[spec.fit_key]:.1f}s" + (f" ({summary})" if summary else ""))
        hooks.on_fit(spec.name, model, fit_seconds[spec.fit_key])
    evaluation = evaluate_models(
        {spec.name: fitted[spec.fit_key] for spec in specs},
        task,
        ks,
        {spec.name: spec.scoring for spec in specs},
        log,
    )
    evaluation.fit_seconds.update({spec.name: fit_seconds[spec.fit_key] for spec in specs})
    hooks.on_params({f"{spec.name}.scoring": json.dumps(spec.scoring, sort_keys=True) for spec in specs})
    hooks.on_evaluation(evaluation)
    return evaluation, fitted


def check_specs(specs: Sequence[ModelSpec]) -> dict[str, NextItemModel]:
    """The unfitted model of every spec by ``fit_key``; a bad kind, hyperparameter or scoring
    option fails here, before any data is read or model fitted."""
    models = {spec.fit_key: make_model(spec.kind, spec.params) for spec in specs}
    for spec in specs:
        models[spec.fit_key].check_scoring(spec.scoring)
    return models


def check_task(task: NextItemTask, ks: Sequence[int], catalogue_size: int) -> None:
    if len(task) == 0:
        raise ValueError(f"the test split {task.name!r} is empty: no (prefix, next item) pair")
    if max(ks) > catalogue_size:
        raise ValueError(f"k={max(ks)} exceeds the catalogue of {catalogue_size} training items")
