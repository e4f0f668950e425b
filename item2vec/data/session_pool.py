"""The session pool: the most recent training sessions, each as its set of items, kept in the model
so that the ``blend`` scorer can find the training sessions most like a query session (session-level
neighbours in embedding space) and count what they held.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from item2vec import config
from item2vec.data.corpus import Corpus


@dataclass(frozen=True)
class SessionPool:
    """CSR over sessions: ``items[offsets[s]:offsets[s + 1]]`` are the distinct model rows of pooled
    session ``s``, ascending; sessions in training order (oldest first), none empty."""

    offsets: np.ndarray  # int64, n_sessions + 1
    items: np.ndarray  # int32

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def matrix(self, n_items: int):
        """Sessions x items, 1 where the session holds the item (CSR float32)."""
        from scipy.sparse import csr_matrix

        ones = np.ones(len(self.items), dtype=np.float32)
        return csr_matrix((ones, self.items, self.offsets), shape=(len(self), n_items))

    def reordered(self, order: np.ndarray) -> SessionPool:
        """The pool after the model's rows are permuted so that new row ``i`` is old row ``order[i]``."""
        new_row = np.empty(len(order), dtype=np.int32)
        new_row[order] = np.arange(len(order), dtype=np.int32)
        return _from_pairs(np.repeat(np.arange(len(self)), np.diff(self.offsets)), new_row[self.items])


def session_pool(corpus: Corpus, remap: np.ndarray, limit: int | None = None) -> SessionPool | None:
    """The last ``limit`` (default ``config.SESSION_POOL``) sessions of a click corpus that keep an
    item through ``remap`` (corpus id -> model row, -1 dropped); None for text, or when no session
    is left (the scorers then mix in no neighbour sessions)."""
    if corpus.kind != "sessions":
        return None
    limit = config.SESSION_POOL if limit is None else limit
    offsets = np.asarray(corpus.offsets)
    first = max(len(offsets) - 1 - limit, 0)
    tokens = remap[np.asarray(corpus.tokens[offsets[first] : offsets[-1]])]
    owner = np.repeat(np.arange(len(offsets) - 1 - first), np.diff(offsets[first:]))
    kept = tokens >= 0
    if not kept.any():
        return None
    return _from_pairs(owner[kept], tokens[kept])


def _from_pairs(owner: np.ndarray, items: np.ndarray) -> SessionPool:
    """The pool of (session, item) pairs, sessions in ``owner`` order: duplicates dropped, sessions
    without a pair left out."""
    base = int(items.max(initial=-1)) + 1
    owner, items = np.divmod(np.unique(owner.astype(np.int64) * base + items), max(base, 1))
    _, lengths = np.unique(owner, return_counts=True)
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    return SessionPool(offsets, items.astype(np.int32))
