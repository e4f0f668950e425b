"""Observed successors: for every item, the items that followed it in the training sessions,
weighted by how close they followed. Sequential rules (the ``sr`` baseline) rank with them; the
``blend`` scorer mixes them into item2vec's next-item distributions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from item2vec import config
from item2vec.data.corpus import Corpus, sentence_chunks


@dataclass(frozen=True)
class Successors:
    """CSR over items: ``items[offsets[b]:offsets[b + 1]]`` followed ``b`` with total weights
    ``weights[...]``, heaviest first (ties to the lower id)."""

    offsets: np.ndarray  # int64, n_items + 1
    items: np.ndarray  # int32
    weights: np.ndarray  # float64

    @property
    def n_items(self) -> int:
        return len(self.offsets) - 1

    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def padded(self, n_items: int) -> Successors:
        """The same lists over ``n_items`` rows: the added last rows (cold items) have none."""
        tail = np.full(n_items - self.n_items, self.offsets[-1], dtype=np.int64)
        return Successors(np.concatenate([self.offsets, tail]), self.items, self.weights)

    def reordered(self, order: np.ndarray) -> Successors:
        """The lists after the rows are permuted so that new row ``i`` is old row ``order[i]``."""
        new_row = np.empty(len(order), dtype=np.int64)
        new_row[order] = np.arange(len(order))
        lengths = self.lengths()[order]
        offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        take = np.repeat(self.offsets[:-1][order] - offsets[:-1], lengths) + np.arange(offsets[-1])
        return Successors(offsets, new_row[self.items[take]].astype(np.int32), self.weights[take])


def count_successors(
    tokens: np.ndarray,
    offsets: np.ndarray,
    n_items: int,
    steps: int,
    weight_of_distance: Callable[[int], float],
    pruning: int = 0,
    remap: np.ndarray | None = None,
) -> Successors:
    """For every click c and every earlier click b at most ``steps`` clicks before it in its
    session, b -> c gains ``weight_of_distance(d)``, d the distance (an item before itself counts:
    repeats are successors too). Each item keeps its ``pruning`` heaviest successors (0: all).
    ``remap`` (optional, corpus id -> item, -1 dropped) maps the tokens first; distances are then
    counted among the kept tokens, as training's windows are. Counted a chunk of sessions at a
    time, merging as it goes: memory grows with the distinct pairs, not with the corpus
    (``tokens`` may be a memory map)."""
    keys = np.zeros(0, np.int64)
    totals = np.zeros(0)
    weights = [float(weight_of_distance(d)) for d in range(1, steps + 1)]
    for first, last in sentence_chunks(offsets):
        start = offsets[first]
        chunk = np.asarray(tokens[start : offsets[last]], dtype=np.int64)
        lengths = np.diff(offsets[first : last + 1])
        if remap is not None:
            chunk = remap[chunk].astype(np.int64)
            kept = chunk >= 0
            lengths = np.bincount(np.repeat(np.arange(len(lengths)), lengths)[kept], minlength=len(lengths))
            chunk = chunk[kept]
        position = np.arange(len(chunk)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        new_keys, new_weights = [keys], [totals]
        for d in range(1, steps + 1):
            at = np.flatnonzero(position >= d)
            if not len(at):
                break
            new_keys.append(chunk[at - d] * n_items + chunk[at])
            new_weights.append(np.full(len(at), weights[d - 1]))
        keys, where = np.unique(np.concatenate(new_keys), return_inverse=True)
        totals = np.bincount(where, weights=np.concatenate(new_weights), minlength=len(keys))
    sources, targets = np.divmod(keys, n_items)
    order = np.lexsort((targets, -totals, sources))  # per source: heaviest first, ties to the lower id
    sources, targets, totals = sources[order], targets[order], totals[order]
    if pruning:
        row_start = np.concatenate(([0], np.cumsum(np.bincount(sources, minlength=n_items))))
        keep = np.arange(len(sources)) - row_start[sources] < pruning
        sources, targets, totals = sources[keep], targets[keep], totals[keep]
    counts = np.bincount(sources, minlength=n_items)
    return Successors(np.concatenate(([0], np.cumsum(counts))).astype(np.int64), targets.astype(np.int32), totals)


def observed_successors(
    corpus: Corpus, remap: np.ndarray | None = None, n_items: int | None = None
) -> Successors | None:
    """What followed each item in a corpus of click sessions (``config.SUCCESSOR_STEPS``,
    ``config.SUCCESSOR_PRUNING``, weights 1 / distance), over ``n_items`` rows through ``remap``
    (default: the corpus' own ids); None for text, whose sentences are not behaviour."""
    if corpus.kind != "sessions":
        return None
    return count_successors(
        corpus.tokens,
        corpus.offsets,
        len(corpus.vocab) if n_items is None else n_items,
        config.SUCCESSOR_STEPS,
        lambda d: 1.0 / d,
        config.SUCCESSOR_PRUNING,
        remap=remap,
    )
