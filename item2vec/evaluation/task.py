"""``NextItemTask``: (prefix, next item) pairs over a training catalogue, the one input every
model of the harness is scored on.

Items are identified by their row in the *catalogue*: the vocabulary of the training data, in
which every model is fitted. A target unseen in training gets id ``-1``: it stays in the
denominator and counts as a miss for every model, and the task reports how many there were.
Prefix items unseen in training cannot inform any model; they are dropped and counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from item2vec.data.corpus import Corpus, Vocab
from item2vec.scoring.weighting import recency_matrix


@dataclass(frozen=True)
class NextItemTask:
    """(prefix, next item) pairs over a catalogue: prefixes as CSR of catalogue ids, one target each."""

    items: np.ndarray  # int32 catalogue ids of the known prefix items, in order
    offsets: np.ndarray  # int64, pair i's prefix is items[offsets[i]:offsets[i+1]]
    targets: np.ndarray  # int32 catalogue id of the next item, -1 if unseen in training
    catalogue: Vocab
    n_unknown_prefix_items: int = 0  # prefix item occurrences unseen in training (dropped)
    name: str = ""

    def __post_init__(self):
        if len(self.offsets) != len(self.targets) + 1:
            raise ValueError(f"{len(self.targets)} targets for {len(self.offsets) - 1} prefixes")

    def __len__(self) -> int:
        return len(self.targets)

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    @property
    def n_unseen_targets(self) -> int:
        """Targets that never occur in training: misses for every model, kept in the denominator."""
        return int(np.count_nonzero(self.targets < 0))

    @property
    def n_empty_prefixes(self) -> int:
        """Prefixes with no item known to training (models fall back to popularity)."""
        return int(np.count_nonzero(self.lengths == 0))

    def prefix_keys(self) -> list[list[str]]:
        """Prefixes as lists of item keys (the form ``recommend.encode_sessions`` reads)."""
        flat = np.asarray(self.catalogue.keys, dtype=object)[self.items].tolist()
        bounds = self.offsets.tolist()
        return [flat[a:b] for a, b in zip(bounds[:-1], bounds[1:])]

    def prefix_matrix(self, weighting: str = "count", decay: float = 1.0):
        """Prefixes as a sparse ``(pairs, catalogue)`` matrix, the "user row" of implicit's models.

        ``count``: each occurrence adds 1; ``last``: only the last item, weight 1; ``recency``:
        the item ``a`` steps before the end adds ``decay**a`` (repeats add up).
        """
        settings = {"count": (1.0, None), "last": (1.0, 1), "recency": (decay, None)}
        if weighting not in settings:
            raise ValueError(f"unknown prefix weighting {weighting!r}; choose count, last or recency")
        return recency_matrix(self.items, self.offsets, len(self.catalogue), *settings[weighting])

    def subsample(self, n: int, seed: int = 0) -> NextItemTask:
        """At most ``n`` pairs drawn without replacement (in their original order), for cheap tuning;
        ``n == 0`` keeps them all."""
        if n < 0:
            raise ValueError(f"validation pairs must be >= 0 (0 = all of them), got {n}")
        if n == 0 or n >= len(self):
            return self
        keep = np.sort(np.random.default_rng(seed).choice(len(self), n, replace=False))
        starts, ends = self.offsets[keep], self.offsets[keep + 1]
        lengths = ends - starts
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        index = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1])
        return NextItemTask(
            self.items[index], offsets, self.targets[keep], self.catalogue, self.n_unknown_prefix_items, self.name
        )

    @classmethod
    def from_pairs(
        cls, prefixes: Iterable[Sequence], targets: Sequence, catalogue: Vocab, name: str = ""
    ) -> NextItemTask:
        """Pairs given as item keys (non-string keys are looked up by ``str``)."""
        index = catalogue.key_to_index
        items: list[int] = []
        lengths: list[int] = []
        unknown = 0
        for prefix in prefixes:
            known = [index.get(k if isinstance(k, str) else str(k), -1) for k in prefix]
            kept = [i for i in known if i >= 0]
            unknown += len(known) - len(kept)
            items.extend(kept)
            lengths.append(len(kept))
        if len(lengths) != len(targets):
            raise ValueError(f"{len(lengths)} prefixes for {len(targets)} targets")
        offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        target_ids = np.array([index.get(t if isinstance(t, str) else str(t), -1) for t in targets], dtype=np.int32)
        return cls(np.asarray(items, dtype=np.int32), offsets, target_ids, catalogue, unknown, name)

    @classmethod
    def from_sessions(cls, sessions: Corpus, catalogue: Vocab, last_only: bool = False, name: str = "") -> NextItemTask:
        """Every prefix of every session predicts its next item (``last_only``: only the session's
        final item, from everything before it). Sessions are mapped into ``catalogue`` by key."""
        index = catalogue.key_to_index
        remap = np.array([index.get(k, -1) for k in sessions.vocab.keys], dtype=np.int32)
        ids = remap[sessions.tokens] if sessions.n_tokens else np.zeros(0, np.int32)
        starts = np.repeat(sessions.offsets[:-1], np.diff(sessions.offsets))
        position = np.arange(sessions.n_tokens) - starts  # position of each token in its session
        if last_only:
            is_target = np.zeros(sessions.n_tokens, dtype=bool)
            is_target[sessions.offsets[1:][np.diff(sessions.offsets) > 1] - 1] = True
        else:
            is_target = position > 0
        target_at = np.flatnonzero(is_target)
        # a pair's prefix is the tokens of its session before the target, minus unknown items
        prefix_lengths = position[target_at]
        raw_offsets = np.zeros(len(target_at) + 1, dtype=np.int64)
        np.cumsum(prefix_lengths, out=raw_offsets[1:])
        source = np.repeat(starts[target_at] - raw_offsets[:-1], prefix_lengths) + np.arange(raw_offsets[-1])
        prefix_ids = ids[source]
        known = prefix_ids >= 0
        kept_before = np.concatenate(([0], np.cumsum(known, dtype=np.int64)))
        return cls(
            prefix_ids[known], kept_before[raw_offsets], ids[target_at], catalogue, int(np.count_nonzero(~known)), name
        )
