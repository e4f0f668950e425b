"""``item2vec`` under the harness' interface: an ``Item2Vec`` scored by ``item2vec.scoring``."""

from __future__ import annotations

import numpy as np

from item2vec import config
from item2vec.data.corpus import Corpus
from item2vec.data.session_pool import session_pool
from item2vec.data.successors import observed_successors
from item2vec.evaluation.early_stopping import EarlyStopping
from item2vec.evaluation.models.base import BaseModel
from item2vec.evaluation.task import NextItemTask
from item2vec.model import Item2Vec
from item2vec.scoring import ScoringOptions, encode_sessions, recommend_top_k


class Item2VecRecommender(BaseModel):
    """Trains an ``Item2Vec`` with ``hyperparameters`` (its own names) and scores prefixes with a
    scorer of ``item2vec.scoring``; evaluation keeps the prefix's items as candidates unless
    ``exclude_seen`` (``config.EVALUATION_EXCLUDE_SEEN``)."""

    name = "item2vec"
    report_every_scoring = True
    scoring_options = (
        {"scorer": "last"},
        {"scorer": "mean", "n_last": 5, "decay": 0.7},
        {"scorer": "mean", "n_last": 10, "decay": 0.3},
        {"scorer": "sequence", "n_last": 1, "decay": 1.0},
        {"scorer": "sequence", "n_last": 3, "decay": 0.5},
        {"scorer": "neighbours", "n_last": 100, "decay": 1.0, "temperature": 0.05},
        {"scorer": "neighbours", "n_last": 100, "decay": 1.0, "temperature": 0.1},
        {"scorer": "neighbours", "n_last": 100, "decay": 0.8, "temperature": 0.1},
        {"scorer": "mixture", "n_last": 100, "decay": 0.8, "temperature": 2.0},
        {"scorer": "mixture", "n_last": 100, "decay": 0.5, "temperature": 4.0},
        {"scorer": "mixture", "n_last": 100, "decay": 0.8, "temperature": 4.0},
        {"scorer": "mixture", "n_last": 100, "decay": 0.8, "temperature": 8.0},
        {"scorer": "blend", "n_last": 100, "temperature": 8.0},  # the weights and decay it chose in fit
        {"scorer": "blend", "n_last": 100, "temperature": 8.0, "session_weight": 0.0},
        {"scorer": "blend", "n_last": 100, "decay": 0.8, "temperature": 8.0},
        {"scorer": "blend", "n_last": 100, "decay": 0.65, "temperature": 8.0},
        {"scorer": "blend", "n_last": 100, "decay": 0.8, "temperature": 8.0, "blend_weight": 0.2},
        {"scorer": "blend", "n_last": 100, "decay": 0.8, "temperature": 8.0, "blend_weight": 0.5},
        {"scorer": "blend", "n_last": 100, "decay": 0.5, "temperature": 8.0, "blend_weight": 0.8},
    )
    #: The hyperparameters that matter on click data (Caselles-Dupre et al. 2018), plus whole-session
    #: context, around the click preset (trial 0) in its fast regime: 15-40 epochs at a high step
    #: (README, "Click defaults": 500 epochs at 0.025 scored like 25-40 at 0.1 in 1/20 of the time).
    #: Narrowed by exploratory fits on validation splits of Diginetica and Tmall (never their tests):
    #: ns_exponent -1/-0.5, sample 1e-5/1e-6, 300 dimensions and forward-only context were worse.
    search_space = {
        "ns_exponent": (0.0, 0.5, 0.75),
        "window": (1, 2, 3),
        "whole_sentence": (False, True),
        "both_contexts": (False, True),
        "sample": (1e-3, 1e-4),
        "epochs": (15, 25, 40),
        "vector_size": (100, 200),
        "alpha": (0.05, 0.1),
    }
    tuning_defaults = {"preset": "clicks"}

    def __init__(self, early_stop: dict | None = None, **hyperparameters):
        """``early_stop``: ``EarlyStopping.from_settings``' dict (``--early-stop``), or None."""
        self.hyperparameters = hyperparameters
        self.early_stop = early_stop
        Item2Vec(**hyperparameters)._validate_params()

    def get_params(self) -> dict:
        params = Item2Vec(**self.hyperparameters).get_params()
        return {**params, "early_stop": self.early_stop} if self.early_stop else params

    def fit(self, train: Corpus, callback=None) -> Item2VecRecommender:
        stopping = EarlyStopping.from_settings(self.early_stop) if self.early_stop else None
        return self.wrap(Item2Vec(**self.hyperparameters).fit(train, callback=callback, early_stopping=stopping), train)

    def wrap(self, model: Item2Vec, train: Corpus) -> Item2VecRecommender:
        """Use an already trained ``Item2Vec`` whose items come from ``train``."""
        self.model_ = model
        index = train.vocab.key_to_index
        self.to_catalogue_ = np.array([index.get(key, -1) for key in model.index_to_key], dtype=np.int32)
        if (self.to_catalogue_ < 0).any():
            raise ValueError("the item2vec model knows items that are not in the training catalogue")
        if model.successors_ is None:  # fitted on a corpus of kind "text": next-item data is behaviour all the same
            rows = np.array([model.key_to_index.get(key, -1) for key in train.vocab.keys], dtype=np.int64)
            sessions = train.as_sessions()
            model.successors_ = observed_successors(sessions, rows, len(model))
            model.sessions_ = session_pool(sessions, rows)
        return self

    @classmethod
    def load(cls, path, train: Corpus) -> Item2VecRecommender:
        """A model saved by ``save``, scoring in the catalogue of ``train``."""
        model = Item2Vec.load(path)
        return cls(**model.get_params()).wrap(model, train)

    def fitted_params(self) -> dict:
        model = self.model_
        chosen = {"blend_weight": model.blend_weight_, "recency_decay": model.recency_decay_}
        chosen["session_weight"] = model.session_weight_
        return {**model.params_, "preset": model.preset_, **chosen}

    def fit_summary(self) -> str:
        model = self.model_
        # the decay and session weight are None in models saved before they were chosen
        chosen = {"blend weight": model.blend_weight_, "decay": model.recency_decay_}
        chosen["session weight"] = model.session_weight_
        shown = [f"{name} {value:g}" for name, value in chosen.items() if value is not None]
        return f"{', '.join(shown)}, chosen on its training sessions" if shown else ""

    def training_log(self) -> list[dict]:
        return self.model_.training_log_

    def validation_log(self) -> list[dict]:
        return self.model_.validation_log_

    def save(self, path) -> None:
        """Save the trained ``Item2Vec`` (readable with ``Item2Vec.load``)."""
        self.model_.save(path)

    def check_scoring(self, scoring: dict) -> None:
        ScoringOptions.for_sessions(**scoring)

    def recommend(
        self, task: NextItemTask, k: int, exclude_seen: bool = config.EVALUATION_EXCLUDE_SEEN, **scoring
    ) -> np.ndarray:
        """``scoring``: ``ScoringOptions`` fields (scorer, n_last, decay, temperature, blend_weight,
        session_weight);
        those left out are the model's (``ScoringOptions.for_model``: the click scoring it chose)."""
        options = ScoringOptions.for_model(self.model_, **scoring, k=k, exclude_seen=exclude_seen)
        rows, _ = recommend_top_k(self.model_, encode_sessions(self.model_, task.prefix_keys()), options)
        # -1 marks a row that ran out of candidates: keep it -1 (indexing would wrap to the last item)
        return np.where(rows >= 0, self.to_catalogue_[rows], -1).astype(np.int32)
