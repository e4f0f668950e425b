"""Equal-budget hyperparameter search on a validation split carved from the training data.

Every tuned model gets the same number of trials (fits). Trial 0 is the model's defaults, the
others are distinct random points of its grid (seeded). After each fit every way the model can
score (``scoring_options``: item2vec's scorers, item-kNN's prefix weighting...) is tried with and
without excluding the prefix's items, on the same validation pairs; the best of them is the
trial's score. Each trial is a scope of the hooks (an MLflow run nested under the tuning's). The best
configuration of each model is then refitted on all training data and scored once on the test.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from item2vec import config
from item2vec.data.corpus import Corpus
from item2vec.evaluation.harness import Evaluation, Hooks, ModelSpec, evaluate_models, fit_and_evaluate
from item2vec.evaluation.models import MODELS, make_model
from item2vec.evaluation.protocols import leave_last_out, split_last_sessions
from item2vec.evaluation.report import markdown_table
from item2vec.evaluation.task import NextItemTask


@dataclass
class Trial:
    """One fit of one model, scored on validation in every scoring variant."""

    model: str
    index: int
    params: dict
    fit_seconds: float
    variants: list[tuple[dict, dict]] = field(default_factory=list)  # (scoring, metrics)
    select: str = config.SELECT

    @property
    def best(self) -> tuple[dict, dict]:
        return max(self.variants, key=lambda v: v[1][self.select])

    @property
    def score(self) -> float:
        return self.best[1][self.select]

    def spec(self, label: str = "") -> ModelSpec:
        return ModelSpec(self.model, self.params, self.best[0], label)


def sample_configs(model: str, n: int, seed: int = 0, overrides: dict | None = None) -> list[dict]:
    """``n`` distinct valid configurations: the defaults first, then random points of the grid
    (fewer if the grid is smaller). ``overrides`` are fixed in every configuration."""
    overrides = overrides or {}
    space = {name: values for name, values in MODELS[model].search_space.items() if name not in overrides}
    base = {**MODELS[model].tuning_defaults, **overrides}
    configs = [dict(base)]
    grid = list(itertools.product(*space.values()))
    order = np.random.default_rng(seed).permutation(len(grid))
    seen = {_freeze(base)}
    for i in order:
        if len(configs) >= n:
            break
        config = {**base, **dict(zip(space, (_plain(v) for v in grid[i])))}
        if _freeze(config) not in seen and _valid(model, config):
            seen.add(_freeze(config))
            configs.append(config)
    return configs


def _valid(model: str, config: dict) -> bool:
    """Whether the model accepts the combination (e.g. item2vec's both_contexts excludes whole_sentence)."""
    try:
        make_model(model, config)
    except ValueError:
        return False
    return True


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def _freeze(config: dict) -> tuple:
    return tuple(sorted(config.items()))


def score_variants(model, task: NextItemTask, ks: Sequence[int]) -> list[tuple[dict, dict]]:
    """Validation metrics of a fitted model in each scoring option, with and without excluding
    the prefix's own items (repeats are common next items in session data)."""
    variants = []
    for option in model.scoring_options:
        for exclude_seen in (False, True):
            scoring = {**option, "exclude_seen": exclude_seen}
            metrics = evaluate_models({"m": model}, task, ks, {"m": scoring}).metrics["m"]
            variants.append((scoring, metrics))
    return variants


def check_select(select: str, ks: Sequence[int]) -> None:
    if select not in {f"{m}@{k}" for k in ks for m in ("HR", "MRR", "NDCG")}:
        raise ValueError(f"--select {select!r} must be HR, MRR or NDCG at one of the evaluated k {tuple(ks)}")


def trial_counts(models: Sequence[str], trials: int, baseline_trials: int | None = None) -> dict[str, int]:
    """Fits per model: ``trials`` for item2vec, ``baseline_trials`` (default ``trials``) for the
    others. More baseline trials than item2vec's only strengthens the baselines: the cheap way to
    keep a comparison conservative when item2vec's fits are slow."""
    for name, count in (("--trials", trials), ("--baseline-trials", baseline_trials)):
        if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
            raise ValueError(f"{name} must be an integer >= 1, got {count!r}")
    other = trials if baseline_trials is None else baseline_trials
    return {name: trials if name == "item2vec" else other for name in models}


def describe_counts(counts: dict[str, int]) -> str:
    """``{"item2vec": 1, "als": 8}`` -> ``"item2vec 1, als 8"`` (for tables and logs)."""
    return ", ".join(f"{name} {count}" for name, count in counts.items())


def tune(
    train: Corpus,
    validation: NextItemTask,
    models: Sequence[str],
    trials: int | dict[str, int],
    ks: Sequence[int] = config.KS,
    select: str = config.SELECT,
    seed: int = 0,
    hooks: Hooks | None = None,
    overrides: dict[str, dict] | None = None,
    log: Callable[[str], object] = print,
) -> dict[str, list[Trial]]:
    """Run ``trials`` fits of every model in ``models`` (or ``trials[model]``, see ``trial_counts``)
    on ``train``, scored on ``validation``. ``overrides[model]`` fixes hyperparameters for every
    trial (e.g. ``workers``); ``hooks`` open a scope per trial and hear of each."""
    hooks = hooks or Hooks()
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise ValueError(f"cannot tune {unknown[0]!r}; tunable models: {', '.join(MODELS)}")
    counts = trials if isinstance(trials, dict) else trial_counts(models, trials)
    check_select(select, ks)
    configs = {name: sample_configs(name, counts[name], seed, (overrides or {}).get(name)) for name in models}
    results: dict[str, list[Trial]] = {}
    for name in models:
        results[name] = []
        for index, params in enumerate(configs[name]):
            with hooks.run(f"{name} trial {index}", tags={"model": name, "trial": index}):
                model = make_model(name, params)
                started = time.perf_counter()
                model.fit(train)
                trial = Trial(name, index, params, time.perf_counter() - started, select=select)
                trial.variants = score_variants(model, validation, ks)
                results[name].append(trial)
                scoring, metrics = trial.best
                others = [f"{m}@{max(ks)}" for m in ("HR", "MRR", "NDCG") if f"{m}@{max(ks)}" != select]
                shown = ", ".join(f"{m} {metrics[m]:.4f}" for m in others)
                log(
                    f"{name} trial {index}: {select} {trial.score:.4f} ({shown}) with {scoring}, "
                    f"fit {trial.fit_seconds:.0f}s, {params}"
                )
                hooks.on_trial(trial, model)
    return results


def best_specs(results: dict[str, list[Trial]]) -> dict[str, ModelSpec]:
    """The best trial of each model as a ``ModelSpec`` (its params and best scoring)."""
    return {name: max(trials, key=lambda t: t.score).spec() for name, trials in results.items() if trials}


def scoring_rows(spec: ModelSpec) -> list[ModelSpec]:
    """The chosen configuration scored in every scoring option (one fit shared by all rows),
    reported beside the chosen one for models that ask for it (item2vec: one row per scorer)."""
    rows = []
    for option in MODELS[spec.kind].scoring_options:
        label = spec.kind + "[" + ",".join(f"{k}={v}" if k != "scorer" else v for k, v in option.items()) + "]"
        rows.append(ModelSpec(spec.kind, spec.params, {**option, "exclude_seen": spec.scoring["exclude_seen"]}, label))
    return rows


@dataclass
class TuningReport:
    """Everything a tuning produced: every trial, the best spec per model, the test comparison."""

    trials: dict[str, list[Trial]]
    best: dict[str, ModelSpec]
    validation_pairs: int
    evaluation: Evaluation | None = None

    def trials_frame(self):
        import polars as pl

        rows = []
        for name, trials in self.trials.items():
            for trial in trials:
                scoring, metrics = trial.best
                rows.append(
                    {
                        "model": name,
                        "trial": trial.index,
                        "params": json.dumps(trial.params, sort_keys=True),
                        "scoring": json.dumps(scoring, sort_keys=True),
                        "fit_seconds": round(trial.fit_seconds, 2),
                        **{f"val_{k}": v for k, v in metrics.items()},
                    }
                )
        return pl.DataFrame(rows)

    def write(self, directory) -> None:
        """``best_models.json`` (readable by ``item2vec evaluate --config``), ``trials.csv`` and,
        with a test split, ``test_comparison.csv``/``.md``."""
        from pathlib import Path

        from item2vec.data.files import atomic_path

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        outputs = {
            "best_models.json": json.dumps({"models": [s.as_dict() for s in self.best.values()]}, indent=2),
            "trials.csv": self.trials_frame().write_csv(),
        }
        if self.evaluation is not None:
            table = self.evaluation.table()
            outputs["test_comparison.csv"] = table.write_csv()
            outputs["test_comparison.md"] = markdown_table(table)
        for name, text in outputs.items():
            with atomic_path(directory / name) as tmp:
                tmp.write_text(text)


def run_tuning(
    corpus: Corpus,
    test: NextItemTask | None,
    models: Sequence[str],
    trials: int | dict[str, int],
    ks: Sequence[int] = config.KS,
    select: str = config.SELECT,
    validation_fraction: float = config.VALIDATION_FRACTION,
    validation_pairs: int = config.VALIDATION_PAIRS,
    seed: int = 0,
    hooks: Hooks | None = None,
    overrides: dict[str, dict] | None = None,
    validation_split: str = "last-sessions",
    log: Callable[[str], object] = print,
) -> TuningReport:
    """The whole protocol: hold out the last ``validation_fraction`` of the training sessions
    (``validation_split="leave-last-out"``: the last item of every history instead, for a test
    left last out), tune every model with ``trials`` fits (or ``trials[model]``) on (at most
    ``validation_pairs`` of, 0 = all) their pairs, then refit each model's best on all of
    ``corpus`` and score it once on ``test``. Models with ``report_every_scoring`` (item2vec) are
    also reported in every scoring option (rows ``item2vec[...]``)."""
    hooks = hooks or Hooks()
    if validation_split == "leave-last-out":
        train, validation = leave_last_out(corpus)
        held = f"the last item of each training history of two or more items ({len(validation):,})"
    elif validation_split == "last-sessions":
        train, held_out = split_last_sessions(corpus, validation_fraction)
        validation = NextItemTask.from_sessions(held_out, train.vocab)
        held = f"last {validation_fraction:.0%} of the training sessions ({len(held_out):,})"
    else:
        raise ValueError(f"validation_split must be 'last-sessions' or 'leave-last-out', got {validation_split!r}")
    validation = dataclasses.replace(validation, name="validation").subsample(validation_pairs, seed)
    unseen = validation.n_unseen_targets
    log(f"validation: {held}, {len(validation):,} pairs ({unseen:,} next items unseen in the rest)")
    with hooks.run("tune", tags={"command": "tune"}):
        hooks.on_params(
            {
                "models": ",".join(models),
                "trials_per_model": json.dumps(trials),
                "select": select,
                "validation_split": validation_split,
                "validation_fraction": validation_fraction if validation_split == "last-sessions" else "",
                "validation_pairs": len(validation),
                "seed": seed,
                "test": test.name if test is not None else "",
            }
        )
        results = tune(train, validation, models, trials, ks, select, seed, hooks, overrides, log)
        best = best_specs(results)
        report = TuningReport(results, best, len(validation))
        hooks.on_tuning(report)
        if test is not None:
            specs = []
            for name, spec in best.items():
                specs.append(spec)
                if MODELS[name].report_every_scoring:
                    specs += scoring_rows(spec)
            report.evaluation, _ = fit_and_evaluate(specs, corpus, test, ks, hooks, log)
    return report
