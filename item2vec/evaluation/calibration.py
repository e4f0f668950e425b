"""The ``blend`` scorer's weight, chosen by each model in ``fit`` from its own training sessions.

How much the counted successors should weigh against the embedding depends on the data: on
strongly sequential logs (YOOCHOOSE, the built-in demo) validation wanted 0.8 of each item's
next-item distribution on them, on the SR-GNN splits of Diginetica, Tmall and #nowplaying 0.2
(README, "Click defaults"). ``choose_blend_weight`` holds out the last sessions of the training
data, counts the successors on the others only, and keeps the weight of ``config.BLEND_WEIGHTS``
whose click scoring ranks the held-out next items best. The embedding has seen the held-out
sessions, which flatters it and can only pull the choice towards smaller weights; on those four
logs the choice was the one a clean validation split makes.
"""

from __future__ import annotations

import copy

import numpy as np

from item2vec import config
from item2vec.data.corpus import Corpus
from item2vec.data.successors import observed_successors
from item2vec.evaluation.early_stopping import EarlyStopping, validation_figures
from item2vec.evaluation.protocols import split_last_sessions
from item2vec.evaluation.task import NextItemTask


def choose_blend_weight(model, corpus: Corpus) -> float | None:
    """The weight of ``config.BLEND_WEIGHTS`` with the best NDCG@k (``config.K``, at most the
    catalogue) on at most ``config.BLEND_CALIBRATION_PAIRS`` pairs of the last
    ``config.BLEND_CALIBRATION_FRACTION`` of ``corpus`` (the sessions ``model`` was fitted on);
    None when there are too few sessions or pairs to tell (the scorers then use
    ``config.BLEND_WEIGHT``)."""
    try:
        counted, held_out = split_last_sessions(corpus.as_sessions(), config.BLEND_CALIBRATION_FRACTION)
    except ValueError:  # too few sessions to hold any out
        return None
    task = NextItemTask.from_sessions(held_out, model.vocab_).subsample(config.BLEND_CALIBRATION_PAIRS, config.SEED)
    if len(task) < config.BLEND_CALIBRATION_MIN_PAIRS:
        return None
    rows = np.array([model.key_to_index.get(key, -1) for key in counted.vocab.keys], dtype=np.int64)
    probe = copy.copy(model)  # the fitted vectors, the successors of the counted sessions only
    probe.successors_ = observed_successors(counted, rows, len(model))
    pairs = EarlyStopping.from_task(task)  # the held-out pairs as item keys, as early stopping reads them
    k, workers = min(config.K, len(model)), model.params_["workers"]

    def ndcg(weight: float) -> float:
        scoring = {**config.CLICK_SCORING, "blend_weight": weight}
        return validation_figures(probe, pairs.prefixes, pairs.targets, scoring, k, workers)[f"NDCG@{k}"]

    return max(config.BLEND_WEIGHTS, key=ndcg)  # ties: the first, the smallest
