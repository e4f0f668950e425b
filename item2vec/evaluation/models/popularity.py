"""``pop``: the most frequent training items, the floor every model must clear."""

from __future__ import annotations

import numpy as np

from item2vec import config
from item2vec.data.corpus import Corpus
from item2vec.evaluation.models.base import BaseModel, check_k, top_k_dense
from item2vec.evaluation.task import NextItemTask


class Popularity(BaseModel):
    """The ``k`` most frequent training items (minus the prefix's with ``exclude_seen``)."""

    name = "pop"

    def fit(self, train: Corpus) -> Popularity:
        self.n_items_ = len(train.vocab)
        return self

    def recommend(self, task: NextItemTask, k: int, exclude_seen: bool = False) -> np.ndarray:
        check_k(k, self.n_items_)
        # catalogue ids are sorted by count, so the best k unseen lie among the first k + longest prefix
        width = min(self.n_items_, k + (int(task.lengths.max(initial=0)) if exclude_seen else 0))
        out = np.empty((len(task), k), dtype=np.int32)
        step = config.BASELINE_BATCH * 8
        for start in range(0, len(task), step):
            stop = min(start + step, len(task))
            scores = np.tile(-np.arange(width, dtype=np.float32), (stop - start, 1))
            out[start:stop] = top_k_dense(scores, k, task, start, exclude_seen)
        return out
