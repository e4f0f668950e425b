"""Next-item evaluation: the protocols that turn data into (prefix, next item) pairs, the models
(item2vec and its baselines, one interface), the metrics, the harness that scores every model on
the same pairs, and the equal-budget tuning.

Modules, in the order data flows: ``task`` (``NextItemTask``), ``protocols`` (files and splits),
``models/`` (registry and one module per family), ``metrics``, ``harness`` (``ModelSpec``,
``Hooks``, ``fit_and_evaluate``), ``early_stopping`` (validation checks inside a fit), ``tuning``,
``report``.
"""

from item2vec.evaluation.early_stopping import EarlyStopping
from item2vec.evaluation.harness import Evaluation, Hooks, ModelSpec, evaluate_models, fit_and_evaluate
from item2vec.evaluation.metrics import hit_rate_curve, parse_ks, ranking_metrics, target_ranks
from item2vec.evaluation.models import BASELINES, MODELS, NextItemModel, make_model, parse_baselines
from item2vec.evaluation.protocols import (
    leave_last_out,
    read_prefix_label_file,
    read_training_sessions,
    split_last_sessions,
)
from item2vec.evaluation.report import markdown_table
from item2vec.evaluation.task import NextItemTask

__all__ = [
    "NextItemTask",
    "EarlyStopping",
    "read_training_sessions",
    "read_prefix_label_file",
    "split_last_sessions",
    "leave_last_out",
    "MODELS",
    "BASELINES",
    "NextItemModel",
    "make_model",
    "parse_baselines",
    "parse_ks",
    "ranking_metrics",
    "hit_rate_curve",
    "target_ranks",
    "Evaluation",
    "Hooks",
    "ModelSpec",
    "evaluate_models",
    "fit_and_evaluate",
    "markdown_table",
]
