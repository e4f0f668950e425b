"""Equal-budget hyperparameter search on a validation split carved from the training data.

Every tuned model gets the same number of trials (fits). Trial 0 is the model's defaults, the
others are distinct random points of its grid (seeded). After each fit every way the model can
score (``scoring_options``: item2vec's scorers, item-kNN's prefix weighting...) is tried with and
without excluding the prefix's items, on the same validation pairs; the best of them is the
trial's score. Each trial is an MLflow run nested under the tuning's parent run. The best
configuration of each model is then refitted on all training data and scored once on the test.
"""

from __future__ import annotations

import itertools
import json
import time
from contextlib import nullcontext
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from .baselines import ModelSpec, make_model
from .corpus import Corpus
from .evaluate import (Evaluation, NextItemTask, evaluate_models, fit_and_evaluate, markdown_table,
                       split_last_sessions)

#: Grids searched per model. item2vec: the hyperparameters that matter on click data
#: (Caselles-Dupre et al. 2018), plus whole-session context; its scorer is tried per fit. The
#: ranges were narrowed by exploratory fits scored on validation splits of Diginetica and Tmall
#: (never their tests): ns_exponent -1/-0.5, sample 1e-5/1e-6, 300 dimensions and forward-only
#: context were worse there; more epochs kept helping (Diginetica: HR@20 0.36 at 30, 0.46 at 200,
#: 0.47 at 500).
SEARCH_SPACES: dict[str, dict[str, tuple]] = {
    "item2vec": {"ns_exponent": (0.0, 0.5, 0.75, 1.0), "window": (1, 2, 3), "whole_sentence": (False, True),
                 "both_contexts": (False, True),
                 "sample": (1e-3, 1e-4), "epochs": (100, 300, 500), "vector_size": (100, 200),
                 "alpha": (0.025, 0.05)},
    "als": {"factors": (32, 64, 128, 256), "regularization": (0.001, 0.01, 0.1, 1.0),
            "alpha": (1.0, 5.0, 10.0, 20.0, 40.0), "iterations": (10, 15, 30)},
    "bpr": {"factors": (32, 64, 128, 256), "learning_rate": (0.005, 0.01, 0.05, 0.1),
            "regularization": (0.0001, 0.001, 0.01), "iterations": (50, 100, 200)},
    "itemknn": {"K": (20, 50, 100, 200, 500, 1000), "similarity": ("cosine", "bm25")},
    "pop": {},  # nothing to tune: one fit, its scoring variants still chosen on validation
}
#: Trial 0 of each model: the baselines' library defaults; item2vec's click-data preset, since
#: gensim's defaults lose by large factors on clicks (HR@20 0.11 on #nowplaying's validation
#: split). Every item is kept, like the baselines. ns_exponent 0 and whole-session context won
#: the searches on all three SR-GNN datasets; half window, half session context (``both_contexts``)
#: lifted Diginetica's validation HR@20 from 0.486 (session) and 0.482 (window) to 0.51.
CLICK_PRESET = {"min_count": 1, "window": 1, "sample": 1e-4, "epochs": 500, "ns_exponent": 0.0,
                "both_contexts": True, "vector_size": 200}
DEFAULTS: dict[str, dict] = {"item2vec": CLICK_PRESET, "als": {}, "bpr": {}, "itemknn": {}, "pop": {}}
TUNABLE = tuple(SEARCH_SPACES)
#: Validation metric that picks each model's trial and scoring: NDCG@20 credits a hit by its rank,
#: so one number serves both targets (HR@20 alone picked variants that gained hits but lost rank).
SELECT = "NDCG@20"


@dataclass
class Trial:
    """One fit of one model, scored on validation in every scoring variant."""

    model: str
    index: int
    params: dict
    fit_seconds: float
    variants: list[tuple[dict, dict]] = field(default_factory=list)  # (scoring, metrics)
    select: str = SELECT

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
    space = {name: values for name, values in SEARCH_SPACES[model].items() if name not in overrides}
    base = {**DEFAULTS[model], **overrides}
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


def tune(train: Corpus, validation: NextItemTask, models: Sequence[str], trials: int | dict[str, int],
         ks: Sequence[int] = (20,), select: str = SELECT, seed: int = 0, tracker=None,
         overrides: dict[str, dict] | None = None, log: Callable[[str], object] = print) -> dict[str, list[Trial]]:
    """Run ``trials`` fits of every model in ``models`` (or ``trials[model]``, see ``trial_counts``)
    on ``train``, scored on ``validation``. ``overrides[model]`` fixes hyperparameters for every
    trial (e.g. ``workers``)."""
    unknown = [m for m in models if m not in SEARCH_SPACES]
    if unknown:
        raise ValueError(f"cannot tune {unknown[0]!r}; tunable models: {', '.join(TUNABLE)}")
    counts = trials if isinstance(trials, dict) else trial_counts(models, trials)
    if select not in {f"{m}@{k}" for k in ks for m in ("HR", "MRR", "NDCG")}:
        raise ValueError(f"--select {select!r} must be HR, MRR or NDCG at one of the evaluated k {tuple(ks)}")
    results: dict[str, list[Trial]] = {}
    for name in models:
        results[name] = []
        for index, params in enumerate(sample_configs(name, counts[name], seed, (overrides or {}).get(name))):
            run = tracker.run(f"{name} trial {index}", tags={"model": name, "trial": index}) if tracker else nullcontext()
            with run:
                model = make_model(name, params)
                started = time.perf_counter()
                model.fit(train)
                trial = Trial(name, index, params, time.perf_counter() - started, select=select)
                trial.variants = score_variants(model, validation, ks)
                results[name].append(trial)
                scoring, metrics = trial.best
                others = [f"{m}@{max(ks)}" for m in ("HR", "MRR", "NDCG") if f"{m}@{max(ks)}" != select]
                shown = ", ".join(f"{m} {metrics[m]:.4f}" for m in others)
                log(f"{name} trial {index}: {select} {trial.score:.4f} ({shown}) with {scoring}, "
                    f"fit {trial.fit_seconds:.0f}s, {params}")
                if tracker:
                    tracker.log_params({**model.get_params(), "best_scoring": scoring})
                    tracker.log_metrics({"fit_seconds": trial.fit_seconds})
                    tracker.log_metrics(metrics, prefix="val/")
                    for variant, values in trial.variants:
                        tag = ",".join(f"{k}={v}" for k, v in variant.items())
                        tracker.log_metrics({select: values[select]}, prefix=f"val_variant/{tag}/")
                    if name == "item2vec":
                        tracker.log_training_log(model.model_.training_log_)
    return results


def best_specs(results: dict[str, list[Trial]]) -> dict[str, ModelSpec]:
    """The best trial of each model as a ``ModelSpec`` (its params and best scoring)."""
    return {name: max(trials, key=lambda t: t.score).spec() for name, trials in results.items() if trials}


def scorer_rows(spec: ModelSpec) -> list[ModelSpec]:
    """The chosen item2vec configuration scored with every scorer (reported beside the chosen one)."""
    from .baselines import Item2VecRecommender

    rows = []
    for option in Item2VecRecommender.scoring_options:  # one fit shared by all rows
        label = "item2vec[" + ",".join(f"{k}={v}" if k != "scorer" else v for k, v in option.items()) + "]"
        rows.append(ModelSpec("item2vec", spec.params, {**option, "exclude_seen": spec.scoring["exclude_seen"]}, label))
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
                rows.append({"model": name, "trial": trial.index, "params": json.dumps(trial.params, sort_keys=True),
                             "scoring": json.dumps(scoring, sort_keys=True), "fit_seconds": round(trial.fit_seconds, 2),
                             **{f"val_{k}": v for k, v in metrics.items()}})
        return pl.DataFrame(rows)

    def write(self, directory) -> None:
        """``best_models.json`` (readable by ``item2vec evaluate --config``), ``trials.csv`` and,
        with a test split, ``test_comparison.csv``/``.md``."""
        from pathlib import Path

        from .files import atomic_path

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        outputs = {"best_models.json": json.dumps({"models": [s.as_dict() for s in self.best.values()]}, indent=2),
                   "trials.csv": self.trials_frame().write_csv()}
        if self.evaluation is not None:
            table = self.evaluation.table()
            outputs["test_comparison.csv"] = table.write_csv()
            outputs["test_comparison.md"] = markdown_table(table)
        for name, text in outputs.items():
            with atomic_path(directory / name) as tmp:
                tmp.write_text(text)


def run_tuning(corpus: Corpus, test: NextItemTask | None, models: Sequence[str], trials: int | dict[str, int],
               ks: Sequence[int] = (20,), select: str = SELECT, validation_fraction: float = 0.1,
               validation_pairs: int = 10_000, seed: int = 0, tracker=None,
               overrides: dict[str, dict] | None = None, log: Callable[[str], object] = print) -> TuningReport:
    """The whole protocol: hold out the last ``validation_fraction`` of the training sessions,
    tune every model with ``trials`` fits (or ``trials[model]``) on (at most ``validation_pairs`` of,
    0 = all) their pairs, then refit each model's best on all of ``corpus`` and score it once on
    ``test``. The chosen item2vec is also reported with every scorer (rows ``item2vec[...]``)."""
    train, held_out = split_last_sessions(corpus, validation_fraction)
    validation = NextItemTask.from_sessions(held_out, train.vocab, name="validation").subsample(validation_pairs, seed)
    log(f"validation: last {validation_fraction:.0%} of the training sessions ({len(held_out):,}), "
        f"{len(validation):,} pairs ({validation.n_unseen_targets:,} next items unseen in the rest)")
    run = tracker.run("tune", tags={"command": "tune"}) if tracker else nullcontext()
    with run:
        if tracker:
            tracker.log_params({"models": ",".join(models), "trials_per_model": json.dumps(trials), "select": select,
                                "validation_fraction": validation_fraction, "validation_pairs": len(validation),
                                "seed": seed, "test": test.name if test is not None else ""})
        results = tune(train, validation, models, trials, ks, select, seed, tracker, overrides, log)
        best = best_specs(results)
        report = TuningReport(results, best, len(validation))
        if tracker:
            tracker.log_params({f"best.{name}": spec.as_dict() for name, spec in best.items()})
            tracker.log_metrics({f"{name}/fit_seconds_total": sum(t.fit_seconds for t in trials_)
                                 for name, trials_ in results.items()}, prefix="budget/")
        if test is not None:
            specs = []
            for name, spec in best.items():
                specs.append(spec)
                if name == "item2vec":
                    specs += scorer_rows(spec)
            report.evaluation, _ = fit_and_evaluate(specs, corpus, test, ks, tracker, log)
    return report
