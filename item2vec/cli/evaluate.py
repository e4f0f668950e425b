"""``item2vec evaluate`` and ``item2vec tune``: next-item evaluation of item2vec against its
baselines on the same pairs, tracked in MLflow."""

from __future__ import annotations

import dataclasses
import json
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from item2vec import config
from item2vec.cli.app import app, fail, report_tracking, show_warning
from item2vec.cli.options import (
    BlendWeightOption,
    DecayOption,
    NLastOption,
    ScorerOption,
    SessionWeightOption,
    TemperatureOption,
    early_stop_options,
    hyperparameter_options,
    option_group,
)
from item2vec.cli.session_options import EventSpec, session_options
from item2vec.data.files import check_output
from item2vec.evaluation.models import BASELINES, MODELS

console = Console(width=None if sys.stdout.isatty() else 160)  # files and pipes get whole tables
err = Console(stderr=True)

_DATA = "Data (SR-GNN files, an event log with a temporal split, or user histories left last out)"
_TRACK = "Tracking"


_PROTOCOL_OPTIONS = {  # name: (type, default, help, flag declarations)
    "train": (Path | None, None, "Training sessions, one per line (SR-GNN *_train_sessions.txt.gz).", ()),
    "test": (Path | None, None, "Test pairs 'prefix items<TAB>next item' (SR-GNN *_test_prefix_label.tsv.gz).", ()),
    "events": (Path | None, None, "Event log (see the event-log options) split in time instead.", ()),
    "test_days": (float | None, None, "With --events: the last N days are the test split.", ()),
    "last_only": (bool, False, "With --events: predict only each test session's last item.", ()),
    "leave_last_out": (
        bool,
        False,
        "With --train and no --test: each line's last item is its test target, the rest trains (and tune's "
        "validation targets are the items before them).",
        (),
    ),
    "user_ids": (bool, False, "With --train: each line begins with its user's id (S3-Rec files), not an item.", ()),
}


@dataclass(frozen=True)
class Protocol:
    """Where the training data and the test pairs come from (the data options)."""

    train: Path | None
    test: Path | None
    events: Path | None
    test_days: float | None
    last_only: bool
    leave_last_out: bool
    user_ids: bool

    def check(self, require_test: bool = True) -> None:
        """Fail on an incomplete or contradictory choice of data, before anything is read."""
        if self.events is not None:
            if self.train is not None or self.test is not None:
                fail("give either --train/--test or --events, not both")
            if self.test_days is None:
                fail("--events needs --test-days N (the last N days become the test split)")
            if self.leave_last_out or self.user_ids:
                fail("--leave-last-out and --user-ids read --train; with --events use --test-days")
        elif self.test_days is not None or self.last_only:
            fail(f"{'--test-days' if self.test_days is not None else '--last-only'} applies to --events only")
        elif self.leave_last_out:
            if self.train is None or self.test is not None:
                fail("--leave-last-out takes its test targets from --train FILE: give no --test")
        elif self.train is None or (self.test is None and require_test):
            test = "--test FILE" if require_test else "[--test FILE]"
            fail(
                f"give --train FILE {test} (SR-GNN format), --train FILE --leave-last-out, "
                "or --events FILE --test-days N"
            )

    def load(self, events_spec: EventSpec, require_test: bool = True):
        """Training corpus and test task (``None`` when ``require_test`` is off and only
        ``--train`` was given), from SR-GNN files or from an event log split in time."""
        from item2vec.evaluation import NextItemTask, read_prefix_label_file, read_training_sessions

        self.check(require_test)
        if self.events is not None:
            from item2vec.sessions import temporal_split

            split = temporal_split(self.events, events_spec.fmt, events_spec.options, last_days=self.test_days)
            for line in split.summary.lines():
                err.print(line)
            corpus = split.train.corpus()
            task = NextItemTask.from_sessions(
                split.test.corpus(),
                corpus.vocab,
                self.last_only,
                name=f"{self.events.name} last {self.test_days:g} day{'' if self.test_days == 1 else 's'}",
            )
            return corpus, task
        corpus = read_training_sessions(self.train, self.user_ids)
        if self.leave_last_out:
            from item2vec.evaluation import leave_last_out

            corpus, task = leave_last_out(corpus)
            return corpus, dataclasses.replace(task, name=self.test_name)
        return corpus, read_prefix_label_file(self.test, corpus.vocab) if self.test is not None else None

    @property
    def validation(self) -> str:
        """How ``tune`` carves validation from training: as the test was carved from the data."""
        return "leave-last-out" if self.leave_last_out else "last-sessions"

    @property
    def test_name(self) -> str:
        if self.leave_last_out:
            return f"{self.train.name} leave-last-out"
        return (
            str(self.test)
            if self.test is not None
            else f"last {self.test_days:g} day{'' if self.test_days == 1 else 's'}"
        )


#: Decorate a command taking ``protocol: Protocol`` with the data options.
protocol_options = option_group("protocol", _PROTOCOL_OPTIONS, _DATA, build=lambda values: Protocol(**values))


def print_evaluation(evaluation, title: str) -> None:
    """The comparison as a table that fits the terminal: coverage columns only where there is room
    (every figure is in ``--json`` and the MLflow run)."""
    metrics = ("HR", "MRR", "NDCG", "coverage")
    if console.width < 40 + 40 * len(evaluation.ks):
        metrics = ("HR", "MRR", "NDCG")
    table = Table(title=title)
    table.add_column("model", overflow="fold")
    columns = [f"{metric}@{k}" for k in evaluation.ks for metric in metrics]
    for column in columns:
        table.add_column(column, justify="right", no_wrap=True)
    best = {c: max(values[c] for values in evaluation.metrics.values()) for c in columns}
    for name, values in evaluation.metrics.items():
        table.add_row(
            escape(name),
            *(f"[bold]{values[c]:.4f}[/]" if values[c] == best[c] else f"{values[c]:.4f}" for c in columns),
        )
    console.print(table)
    console.print(
        f"{evaluation.n_pairs:,} (prefix, next item) pairs; {evaluation.n_unseen_targets:,} next items "
        f"unseen in training ({evaluation.n_unseen_targets / evaluation.n_pairs:.2%}, counted as misses); "
        f"{evaluation.n_empty_prefixes:,} prefixes without a known item (popularity fallback). "
        f"HR@k = recall@k (one target per pair)."
        + ("" if "coverage" in metrics else " Coverage@k: in the MLflow run and --json.")
    )


def write_json(data: dict, path: Path) -> None:
    from item2vec.data.files import atomic_path

    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2) + "\n")


def _item2vec_spec(hyper: dict, scoring: dict):
    """The item2vec row with the ``scoring`` fields given (None: the model's click scoring,
    ``ScoringOptions.for_model``; another scorer named takes the click scoring's prefix fields),
    validated now (before anything is read or fitted)."""
    from item2vec.evaluation import ModelSpec
    from item2vec.scoring import ScoringOptions, get_scorer

    given = {name: value for name, value in scoring.items() if value is not None}
    scorer = get_scorer(given.get("scorer", config.CLICK_SCORING["scorer"]))
    if "temperature" in given and scorer.temperature_setting is None:
        fail(f"--temperature applies to the mixture scorers (neighbours, mixture, blend), not {scorer.name!r}")
    if scorer.name != config.CLICK_SCORING["scorer"]:  # the prefix the click evaluation weighs, not serving's 5 items
        fields = ("n_last", "decay", "temperature") if scorer.temperature_setting else ("n_last", "decay")
        given = {**{name: config.CLICK_SCORING[name] for name in fields}, **given}
    ScoringOptions.for_sessions(**given)
    return ModelSpec("item2vec", hyper, given)


def baseline_specs(names, exclude_seen: bool) -> list:
    """The baselines at their library defaults, scored as ``evaluate`` scores them without ``--config``
    (item-kNN over a recency-weighted prefix)."""
    from item2vec.evaluation import ModelSpec

    scoring = {"itemknn": {"prefix": "recency", "decay": 0.5}}
    return [ModelSpec(name, {}, {**scoring.get(name, {}), "exclude_seen": exclude_seen}) for name in names]


@app.command()
@hyperparameter_options
@early_stop_options
@protocol_options
@session_options
def evaluate(
    baselines: Annotated[
        str,
        typer.Option(
            help=f"Comma-separated baselines: {', '.join(BASELINES)}.",
        ),
    ] = ",".join(BASELINES),
    k: Annotated[str, typer.Option("--k", help="Cut-offs, comma-separated.")] = "10,20",
    scorer: ScorerOption = None,
    n_last: NLastOption = None,
    decay: DecayOption = None,
    temperature: TemperatureOption = None,
    blend_weight: BlendWeightOption = None,
    session_weight: SessionWeightOption = None,
    exclude_seen: Annotated[
        bool, typer.Option("--exclude-seen/--keep-seen", help="Never recommend the prefix's own items (all models).")
    ] = config.EVALUATION_EXCLUDE_SEEN,
    config: Annotated[
        Path | None, typer.Option(help="best_models.json from 'item2vec tune': use its tuned models instead.")
    ] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write {model: {metric: value}} here.")] = None,
    track: Annotated[
        bool, typer.Option("--track/--no-track", help="Record the run in MLflow.", rich_help_panel=_TRACK)
    ] = True,
    experiment: Annotated[str, typer.Option(help="MLflow experiment name.", rich_help_panel=_TRACK)] = "item2vec",
    *,
    hyper: dict,
    early_stop: dict | None,
    protocol: Protocol,
    events_spec: EventSpec,
):
    """Train item2vec and the baselines on the same training data and compare their next-item
    HR/recall, MRR, NDCG and coverage at k on the same test pairs."""
    from item2vec.evaluation import fit_and_evaluate, parse_baselines, parse_ks
    from item2vec.evaluation.harness import check_specs
    from item2vec.integrations.tracking import Tracker, TrackingHooks
    from item2vec.model import Item2Vec

    warnings.showwarning = show_warning
    if json_out is not None:
        check_output(json_out, "--json")
    ks = parse_ks(k)
    names = parse_baselines(baselines)
    scoring_flags = {"scorer": scorer, "n_last": n_last, "decay": decay, "temperature": temperature}
    scoring_flags.update(blend_weight=blend_weight, session_weight=session_weight)
    if config is not None:
        chosen = [f"--{name.replace('_', '-')}" for name, value in scoring_flags.items() if value is not None]
        if chosen:
            fail(f"--config holds each model's scoring; {chosen[0]} would be ignored: leave it out")
        specs = load_specs(config)
    else:
        Item2Vec(**hyper)._validate_params()
        if hyper["group_negatives"] is not None:
            fail("--group-negatives needs item attributes, which evaluate does not read; use train --item-attributes")
        params = {**hyper, "early_stop": early_stop} if early_stop else hyper
        specs = [
            _item2vec_spec(params, {**scoring_flags, "exclude_seen": exclude_seen}),
            *baseline_specs(names, exclude_seen),
        ]
    check_specs(specs)
    corpus, task = protocol.load(events_spec)
    err.print(
        f"training: {len(corpus):,} sessions, {corpus.n_tokens:,} events, {len(corpus.vocab):,} items; "
        f"test: {len(task):,} pairs ({task.name})"
    )
    tracker = Tracker(experiment, enabled=track)
    with tracker.run(f"evaluate {task.name}", tags={"command": "evaluate"}):
        tracker.log_params({"train": protocol.train or protocol.events, "test": protocol.test_name, "k": k})
        evaluation, _ = fit_and_evaluate(specs, corpus, task, ks, TrackingHooks(tracker), log=err.print)
        tracker.log_text(json.dumps(evaluation.as_json(), indent=2), "metrics.json")
    print_evaluation(evaluation, f"Next-item evaluation on {task.name}")
    if json_out is not None:
        write_json(evaluation.as_json(), json_out)
        err.print(f"wrote {json_out}")
    report_tracking(tracker)


def load_specs(path: Path) -> list:
    """Models from a ``best_models.json`` written by ``item2vec tune``."""
    from item2vec.evaluation import ModelSpec

    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"config file not found: {path}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("models"), list) or not data["models"]:
        raise ValueError(f'{path}: expected {{"models": [{{"kind": ..., "params": ..., "scoring": ...}}, ...]}}')
    return [ModelSpec.from_dict(entry) for entry in data["models"]]


@app.command()
@protocol_options
@session_options
def tune(
    models: Annotated[
        str,
        typer.Option(
            help=f"Models to tune (equal number of trials each): {', '.join(MODELS)}; pop has nothing to tune."
        ),
    ] = ",".join(MODELS),
    trials: Annotated[int, typer.Option(help="Fits per model (trial 0 = its defaults).")] = 8,
    baseline_trials: Annotated[
        int | None,
        typer.Option(help="Fits per baseline, if not --trials (more is conservative: stronger baselines)."),
    ] = None,
    validation_fraction: Annotated[
        float | None,
        typer.Option(
            help="Last share of the training sessions held out for validation (default "
            f"{config.VALIDATION_FRACTION:g}; not with --leave-last-out: it validates on each history's last item)."
        ),
    ] = None,
    validation_pairs: Annotated[
        int,
        typer.Option(
            min=0,
            help="At most this many validation pairs (random, seeded); 0 = all of them (slower, less selection noise).",
        ),
    ] = config.VALIDATION_PAIRS,
    k: Annotated[str, typer.Option("--k", help="Cut-offs, comma-separated.")] = "10,20",
    select: Annotated[
        str,
        typer.Option(
            help="Validation metric that picks the best trial and scoring "
            "(NDCG@20 weighs a hit by its rank: both HR and MRR count)."
        ),
    ] = config.SELECT,
    seed: Annotated[int, typer.Option(help="Seed of the search and the validation sample.")] = 0,
    workers: Annotated[int | None, typer.Option(help="item2vec training threads (default: all cores).")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Directory for best_models.json, trials.csv and the test comparison.")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the test figures {model: {metric: value}} here.")
    ] = None,
    track: Annotated[
        bool, typer.Option("--track/--no-track", help="Record the search in MLflow.", rich_help_panel=_TRACK)
    ] = True,
    experiment: Annotated[str, typer.Option(help="MLflow experiment name.", rich_help_panel=_TRACK)] = "item2vec-tune",
    *,
    protocol: Protocol,
    events_spec: EventSpec,
):
    """Equal-budget search of item2vec and baseline hyperparameters on a validation split carved
    from the training data; then the best of each model, refitted on all training data, is scored
    once on the test pairs. Every trial is an MLflow run nested under one parent."""
    from item2vec.evaluation import parse_ks
    from item2vec.evaluation.tuning import check_select, describe_counts, run_tuning, trial_counts
    from item2vec.integrations.tracking import Tracker, TrackingHooks

    warnings.showwarning = show_warning
    if out is not None:
        check_output(out, "--out", directory=True)
    if json_out is not None:
        check_output(json_out, "--json")
        if protocol.test is None and protocol.events is None and not protocol.leave_last_out:
            fail("--json needs a test split (--test, --events or --leave-last-out)")
    if protocol.leave_last_out and validation_fraction is not None:
        fail(
            "--validation-fraction splits off the last sessions; "
            "--leave-last-out validates on each history's last training item"
        )
    ks = parse_ks(k)
    names = [m.strip() for m in models.split(",") if m.strip()]
    counts = trial_counts(names, trials, baseline_trials)
    check_select(select, ks)
    corpus, task = protocol.load(events_spec, require_test=False)
    tracker = Tracker(experiment, enabled=track)
    hooks = TrackingHooks(tracker)
    overrides = {"item2vec": {"workers": workers}} if workers else None
    report = run_tuning(
        corpus,
        task,
        names,
        counts,
        ks,
        select,
        config.VALIDATION_FRACTION if validation_fraction is None else validation_fraction,
        validation_pairs,
        seed,
        hooks,
        overrides,
        validation_split=protocol.validation,
        log=err.print,
    )
    if report.evaluation is not None:
        print_evaluation(
            report.evaluation,
            f"Best of each model (tuned on validation; trials: {describe_counts(counts)}) "
            f"on {report.evaluation.task_name}",
        )
    if out is not None:
        report.write(out)
        err.print(
            f"wrote {out}/best_models.json, trials.csv" + (", test_comparison.csv/.md" if report.evaluation else "")
        )
    if json_out is not None:
        write_json(report.evaluation.as_json(), json_out)
    report_tracking(tracker)
