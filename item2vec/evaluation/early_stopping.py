"""Early stopping: score the vectors on validation pairs every few epochs of ``Item2Vec.fit``,
stop when the score has not improved for ``patience`` checks, and keep the best check's vectors.

Why: how many epochs click data needs varies with the data (Diginetica's validation HR@20 still
rises at 80 epochs, a small shop log peaks within 10), and an epoch is the whole cost of a fit.
The learning rate still decays over the planned ``epochs``, so a stopped fit never anneals to
``min_alpha``: plan the epochs you could afford and let the check cut them short.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from item2vec import config
from item2vec.evaluation.metrics import ranking_metrics
from item2vec.scoring import ScoringOptions, encode_sessions, recommend_top_k

METRICS = ("NDCG", "HR", "MRR")


@dataclass(frozen=True)
class EarlyStopping:
    """Validation pairs (a prefix of item keys, the next item) and the rule: every ``every``
    epochs score them with ``scoring`` (``ScoringOptions`` fields), compare ``metric@k``, stop
    after ``patience`` checks without a gain of more than ``min_delta``."""

    prefixes: Sequence[Sequence]
    targets: Sequence
    every: int = config.EARLY_STOP_EVERY
    patience: int = config.EARLY_STOP_PATIENCE
    metric: str = "NDCG"
    k: int = config.K
    min_delta: float = 0.0
    #: the click scoring at the configured blend weight: the model chooses its own after training
    scoring: dict = field(default_factory=lambda: {**config.CLICK_SCORING, "blend_weight": config.BLEND_WEIGHT})

    def __post_init__(self):
        if len(self.prefixes) != len(self.targets):
            raise ValueError(
                f"early stopping: {len(self.prefixes)} validation prefixes for {len(self.targets)} targets"
            )
        if not self.targets:
            raise ValueError("early stopping needs at least one validation (prefix, next item) pair")
        for name in ("every", "patience", "k"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise ValueError(f"early stopping: {name} must be a positive integer, got {getattr(self, name)!r}")
        if self.metric.upper() not in METRICS:
            raise ValueError(f"early stopping: metric must be one of {', '.join(METRICS)}, got {self.metric!r}")
        if self.min_delta < 0:
            raise ValueError(f"early stopping: min_delta must be >= 0, got {self.min_delta}")
        ScoringOptions.from_dict(self.scoring, k=self.k)
        if self.scoring.get("session_weight"):  # the pool is kept after training: checks score without it
            raise ValueError("early stopping scores without the neighbour sessions: leave session_weight out")

    @classmethod
    def from_file(cls, path, **rule) -> EarlyStopping:
        """Validation pairs from a ``prefix items<TAB>next item`` file (the SR-GNN test format)."""
        from item2vec.evaluation.protocols import read_prefix_label_pairs

        prefixes, targets = read_prefix_label_pairs(path)
        return cls(prefixes, targets, **rule)

    @classmethod
    def from_settings(cls, settings: dict) -> EarlyStopping:
        """From the JSON-able ``{"validation": file, "every": n, "patience": n}`` the CLI builds
        (``--early-stop``), kept as such in evaluation specs and MLflow parameters."""
        return cls.from_file(settings["validation"], every=settings["every"], patience=settings["patience"])

    @classmethod
    def from_task(cls, task, **rule) -> EarlyStopping:
        """Validation pairs from a ``NextItemTask`` (e.g. carved from the end of the training sessions)."""
        keys = task.catalogue.keys
        targets = [keys[t] if t >= 0 else None for t in task.targets]
        return cls(task.prefix_keys(), targets, **rule)

    def monitor(self) -> Monitor:
        """A fresh record of one fit's checks."""
        return Monitor(self)


@dataclass
class Monitor:
    """What ``Item2Vec.fit`` asks between epochs: is a check due, did it improve, should it stop;
    ``log`` keeps every check (epoch, training seconds and CPU seconds so far without the checks'
    own time, HR/MRR/NDCG@k): a time-to-quality curve of the fit."""

    rule: EarlyStopping
    log: list[dict] = field(default_factory=list)
    best: float = -np.inf
    since_best: int = 0
    started: tuple[float, float] = field(default_factory=lambda: (time.perf_counter(), time.process_time()))
    checking: list[float] = field(default_factory=lambda: [0.0, 0.0])  # wall and CPU seconds spent in checks

    def due(self, epoch: int, epochs: int) -> bool:
        return epoch % self.rule.every == 0 or epoch == epochs

    def check(self, epoch: int, model, snapshot: Callable[[], object]) -> bool:
        """Score ``model`` (an ``Item2Vec`` holding the current vectors); call ``snapshot`` when it
        is the best so far. True when training should stop."""
        wall, cpu = time.perf_counter(), time.process_time()
        k = self.rule.k
        rule = self.rule
        figures = validation_figures(model, rule.prefixes, rule.targets, rule.scoring, k, model.params_["workers"])
        entry = {
            "epoch": epoch,
            "seconds": wall - self.started[0] - self.checking[0],
            "cpu_seconds": cpu - self.started[1] - self.checking[1],
            **{f"{m}@{k}": figures[f"{m}@{k}"] for m in METRICS},
        }
        score = entry[f"{self.rule.metric.upper()}@{k}"]
        improved = score > self.best + self.rule.min_delta
        if improved:
            self.best, self.since_best = score, 0
            snapshot()
        else:
            self.since_best += 1
        self.log.append({**entry, "best": improved})
        self.checking[0] += time.perf_counter() - wall
        self.checking[1] += time.process_time() - cpu
        return self.since_best >= self.rule.patience


def validation_figures(
    model, prefixes: Sequence[Sequence], targets: Sequence, scoring: dict, k: int, workers: int | None = None
) -> dict:
    """HR/MRR/NDCG@k of ``model`` (an ``Item2Vec``) on (prefix, next item key) pairs with the
    ``scoring`` fields, the prefix's items kept as candidates as in evaluation, on ``workers``
    threads; a target the model does not know (None, or an unknown key) is a miss."""
    options = ScoringOptions.from_dict(scoring, k=k, exclude_seen=config.EVALUATION_EXCLUDE_SEEN)
    rows, _ = recommend_top_k(model, encode_sessions(model, prefixes), options, workers=workers)
    index = model.key_to_index
    rows_of_targets = np.array([index.get(t, -1) if t is not None else -1 for t in targets], dtype=np.int64)
    return ranking_metrics(rows, rows_of_targets, [k], len(model))


def describe(log: list[dict], epochs: int) -> str:
    """One line on what early stopping did: the best check, and where training stopped."""
    best = max((c for c in log if c["best"]), key=lambda c: c["epoch"])
    figures = ", ".join(f"{k} {v:.4f}" for k, v in best.items() if "@" in k)
    stopped = log[-1]["epoch"]
    end = f"stopped after epoch {stopped} of {epochs}" if stopped < epochs else f"ran all {epochs} epochs"
    return f"early stopping: kept epoch {best['epoch']} (validation {figures}); {end}"
