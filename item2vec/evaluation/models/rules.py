"""``sr``: sequential rules (Kamehkhosh et al. 2017; session-rec ``algorithms/baselines/sr.py``)."""

from __future__ import annotations

import math

import numpy as np

from item2vec.data.corpus import Corpus
from item2vec.data.successors import count_successors
from item2vec.evaluation.models import _session_kernels as kernels
from item2vec.evaluation.models.base import (
    BaseModel,
    check_choice,
    check_k,
    check_positive_int,
    check_threads,
    rows_on_threads,
)
from item2vec.evaluation.models.sessionknn import REMINDERS
from item2vec.evaluation.task import NextItemTask

#: Weight of a rule b -> c whose items are ``d`` clicks apart (session-rec's functions).
RULE_WEIGHTINGS = {
    "linear": lambda d: 1 - 0.1 * d if d <= 100 else 0.0,
    "same": lambda d: 1.0,
    "div": lambda d: 1 / d,
    "log": lambda d: 1 / math.log10(d + 1.7),
    "quadratic": lambda d: 1 / (d * d),
}


class SequentialRules(BaseModel):
    """For every training click c and every earlier click b at most ``steps`` clicks before it in
    its session, rule b -> c gains ``weighting(d)``, d the distance (an item before itself counts:
    repeats are rules too); each item keeps its ``pruning`` heaviest rules (0: all; ties to the
    lower catalogue id, where session-rec keeps the first seen). A prefix is scored by the rules
    of its last item. Only positive rule weights rank (``linear`` is negative beyond 10 steps).
    Reminders as the session-kNN models: ``reminders="push"`` multiplies the score of an item
    clicked c times in the prefix by c + 1."""

    name = "sr"
    scoring_options = tuple({"reminders": r} for r in REMINDERS)
    search_space = {
        "steps": (2, 3, 5, 10, 15, 20, 30),
        "weighting": tuple(RULE_WEIGHTINGS),
        "pruning": (0, 10, 20, 50),
    }

    def __init__(self, steps: int = 10, weighting: str = "div", pruning: int = 20, threads: int = 0):
        self.steps = steps
        self.weighting = weighting
        self.pruning = pruning
        self.threads = threads
        check_positive_int(self.name, "steps", steps)
        check_choice(self.name, "weighting", weighting, tuple(RULE_WEIGHTINGS))
        if isinstance(pruning, bool) or not isinstance(pruning, (int, np.integer)) or pruning < 0:
            raise ValueError(f"sr pruning must be an integer >= 0 (0: keep every rule), got {pruning!r}")
        check_threads(self.name, threads)

    def fit(self, train: Corpus) -> SequentialRules:
        rules = count_successors(
            train.tokens, train.offsets, len(train.vocab), self.steps, RULE_WEIGHTINGS[self.weighting], self.pruning
        )
        self.rule_offsets_, self.rule_targets_, self.rule_weights_ = rules.offsets, rules.items, rules.weights
        return self

    def recommend(self, task: NextItemTask, k: int, exclude_seen: bool = False, reminders: str = "keep") -> np.ndarray:
        n_items = len(self.rule_offsets_) - 1
        check_k(k, n_items)
        check_choice(self.name, "reminders", reminders, REMINDERS)
        items = np.ascontiguousarray(task.items, dtype=np.int32)
        offsets = np.ascontiguousarray(task.offsets, dtype=np.int64)

        def fill(start: int, stop: int, out: np.ndarray) -> None:
            kernels.rules_top_k(
                items,
                offsets,
                start,
                stop,
                self.rule_offsets_,
                self.rule_targets_,
                self.rule_weights_,
                n_items,
                reminders == "push",
                bool(exclude_seen),
                out,
            )

        return rows_on_threads(fill, len(task), k, self.threads)
