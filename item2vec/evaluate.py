"""Next-item evaluation: the protocols that turn data into (prefix, next item) pairs, the ranking
metrics, and the harness that scores every model on the same pairs.

Conventions (also in the README):
- Every pair has exactly one target, so recall@k equals the hit rate ``HR@k``: the share of pairs
  whose target is among the ``k`` recommendations. ``MRR@k`` averages ``1/rank`` of the target
  (0 beyond ``k``); ``NDCG@k`` averages ``1/log2(rank + 1)`` (the ideal DCG of one target is 1).
  ``coverage@k`` is the share of the training catalogue that appears in at least one top-``k`` list.
- Items are identified by their row in the *catalogue*: the vocabulary of the training data, in
  which every model is fitted. A target unseen in training gets id ``-1``: it stays in the
  denominator and counts as a miss for every model, and the task reports how many there were.
  Prefix items unseen in training cannot inform any model; they are dropped and counted.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .corpus import Corpus, Vocab, read_lines
from .weighting import recency_matrix

DEFAULT_KS = (20,)


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

    def subsample(self, n: int, seed: int = 0) -> "NextItemTask":
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
        return NextItemTask(self.items[index], offsets, self.targets[keep], self.catalogue,
                            self.n_unknown_prefix_items, self.name)

    @classmethod
    def from_pairs(cls, prefixes: Iterable[Sequence], targets: Sequence, catalogue: Vocab,
                   name: str = "") -> "NextItemTask":
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
        target_ids = np.array([index.get(t if isinstance(t, str) else str(t), -1) for t in targets],
                              dtype=np.int32)
        return cls(np.asarray(items, dtype=np.int32), offsets, target_ids, catalogue, unknown, name)

    @classmethod
    def from_sessions(cls, sessions: Corpus, catalogue: Vocab, last_only: bool = False,
                      name: str = "") -> "NextItemTask":
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
        return cls(prefix_ids[known], kept_before[raw_offsets], ids[target_at], catalogue,
                   int(np.count_nonzero(~known)), name)


# ---- protocols --------------------------------------------------------------------------------


def read_training_sessions(path) -> Corpus:
    """A sessions file (one session per line, item ids separated by spaces), refusing a
    prefix/label file given by mistake."""
    first = next((line for line in read_lines(path) if line.strip()), None)
    if first is None:
        raise ValueError(f"{path}: the training file has no session")
    if "\t" in first.strip():
        raise ValueError(f"{path}: line 1 contains a TAB, which looks like a 'prefix<TAB>next item' "
                         f"test file; give the sessions file (one session per line) as --train")
    return Corpus.from_file(path)


def read_prefix_label_file(path, catalogue: Vocab, name: str = "") -> NextItemTask:
    """The SR-GNN test format: ``prefix items (space-separated) TAB next item`` per line."""
    prefixes: list[list[str]] = []
    targets: list[str] = []
    for line_no, line in enumerate(read_lines(path), 1):
        if not line.strip():
            continue
        parts = line.rstrip("\r\n").split("\t")
        if len(parts) != 2 or not parts[0].split() or len(parts[1].split()) != 1:
            raise ValueError(f"{path}: line {line_no} is not 'prefix items<TAB>next item': {line.strip()[:80]!r}")
        prefixes.append(parts[0].split())
        targets.append(parts[1].strip())
    if not targets:
        raise ValueError(f"{path}: the test file has no (prefix, next item) pair")
    task = NextItemTask.from_pairs(prefixes, targets, catalogue, name=name or Path(path).name)
    if task.n_unseen_targets == len(task):
        raise ValueError(f"{path}: none of its {len(task):,} next items occurs in the training data; "
                         f"are the training and test files from the same dataset?")
    return task


def split_last_sessions(corpus: Corpus, fraction: float) -> tuple[Corpus, Corpus]:
    """Hold out the last ``fraction`` of the sessions (files in time order: the most recent), for
    validation carved from training data. Each part gets its own vocabulary."""
    if not 0 < fraction < 1:
        raise ValueError(f"the validation fraction must lie in (0, 1), got {fraction}")
    n_held = int(round(len(corpus) * fraction))
    if not 0 < n_held < len(corpus):
        raise ValueError(f"cannot hold out {fraction:.0%} of {len(corpus)} sessions for validation")
    cut = int(corpus.offsets[len(corpus) - n_held])
    keys = corpus.vocab.keys
    head = Corpus.from_codes(corpus.tokens[:cut], corpus.offsets[:len(corpus) - n_held + 1], keys)
    tail = Corpus.from_codes(corpus.tokens[cut:], corpus.offsets[len(corpus) - n_held:] - cut, keys)
    return head, tail


def leave_last_out(corpus: Corpus) -> tuple[Corpus, NextItemTask]:
    """User-level leave-last-out (MovieLens-style): each history's last item is the target, the
    rest of every history trains. Histories with one item only train."""
    lengths = np.diff(corpus.offsets)
    keep = np.ones(corpus.n_tokens, dtype=bool)
    keep[corpus.offsets[1:][lengths > 1] - 1] = False
    kept_before = np.concatenate(([0], np.cumsum(keep, dtype=np.int64)))
    train = Corpus.from_codes(corpus.tokens[keep], kept_before[corpus.offsets], corpus.vocab.keys)
    return train, NextItemTask.from_sessions(corpus, train.vocab, last_only=True, name="leave-last-out")


# ---- metrics ----------------------------------------------------------------------------------


def parse_ks(text: str | Sequence[int]) -> tuple[int, ...]:
    """``"10,20"`` -> ``(10, 20)``: positive, distinct, sorted."""
    try:
        ks = [int(k) for k in (text.split(",") if isinstance(text, str) else text)]
    except ValueError:
        raise ValueError(f"--k must be a comma-separated list of positive integers, got {text!r}") from None
    if not ks or min(ks) < 1:
        raise ValueError(f"--k must be a comma-separated list of positive integers, got {text!r}")
    return tuple(sorted(set(ks)))


def target_ranks(recommended: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """1-based rank of each target in its row of recommendations, 0 where it is absent."""
    hits = (recommended == targets[:, None]) & (targets[:, None] >= 0)
    return np.where(hits.any(axis=1), hits.argmax(axis=1) + 1, 0)


def ranking_metrics(recommended: np.ndarray, targets: np.ndarray, ks: Sequence[int],
                    catalogue_size: int) -> dict[str, float]:
    """HR@k, MRR@k, NDCG@k and coverage@k for each ``k`` from one ``(pairs, max k)`` array of
    recommended catalogue ids (best first, ``-1`` = no recommendation)."""
    if len(targets) == 0:
        raise ValueError("no (prefix, next item) pair to evaluate")
    if max(ks) > recommended.shape[1]:
        raise ValueError(f"asked for metrics at k={max(ks)} but got only {recommended.shape[1]} recommendations")
    ranks = target_ranks(recommended, targets)
    out: dict[str, float] = {}
    for k in ks:
        hit = (ranks >= 1) & (ranks <= k)
        safe = np.where(hit, ranks, 1)
        out[f"HR@{k}"] = float(hit.mean())
        out[f"MRR@{k}"] = float(np.where(hit, 1.0 / safe, 0.0).mean())
        out[f"NDCG@{k}"] = float(np.where(hit, 1.0 / np.log2(safe + 1.0), 0.0).mean())
        shown = recommended[:, :k]
        out[f"coverage@{k}"] = float(len(np.unique(shown[shown >= 0])) / catalogue_size)
    return out


def hit_rate_curve(recommended: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """HR@k for k = 1 .. number of recommendations per pair."""
    ranks = target_ranks(recommended, targets)
    return np.cumsum(np.bincount(ranks, minlength=recommended.shape[1] + 1)[1:]) / len(targets)


# ---- harness ----------------------------------------------------------------------------------


@dataclass
class Evaluation:
    """Metrics per model on one task, plus what the task held (for the report)."""

    task_name: str
    ks: tuple[int, ...]
    n_pairs: int
    n_unseen_targets: int
    n_empty_prefixes: int
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    hit_rate_curves: dict[str, np.ndarray] = field(default_factory=dict)  # HR@1..max k per model
    seconds: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, dict[str, float]]:
        return {name: dict(values) for name, values in self.metrics.items()}

    def table(self):
        """Comparison table as a Polars DataFrame: one row per model, one column per metric."""
        import polars as pl

        columns = [f"{m}@{k}" for k in self.ks for m in ("HR", "MRR", "NDCG", "coverage")]
        return pl.DataFrame([{"model": name, **{c: values[c] for c in columns}}
                             for name, values in self.metrics.items()],
                            schema={"model": pl.String, **{c: pl.Float64 for c in columns}})


def evaluate_models(models: Mapping[str, object], task: NextItemTask, ks: Sequence[int] = DEFAULT_KS,
                    scoring: Mapping[str, dict] | None = None) -> Evaluation:
    """Score every fitted model (``recommend(task, k, **options)``, see ``baselines``) on the
    same pairs; ``scoring[name]`` holds that model's options (scorer, exclude_seen...)."""
    ks = tuple(ks)
    if len(task) == 0:
        raise ValueError(f"the test split {task.name!r} is empty: no (prefix, next item) pair")
    if max(ks) > len(task.catalogue):
        raise ValueError(f"k={max(ks)} exceeds the catalogue of {len(task.catalogue)} training items")
    result = Evaluation(task.name, ks, len(task), task.n_unseen_targets, task.n_empty_prefixes)
    for name, model in models.items():
        started = time.perf_counter()
        recommended = model.recommend(task, max(ks), **(scoring or {}).get(name, {}))
        result.seconds[name] = time.perf_counter() - started
        result.metrics[name] = ranking_metrics(recommended, task.targets, ks, len(task.catalogue))
        result.hit_rate_curves[name] = hit_rate_curve(recommended, task.targets)
    return result


def fit_and_evaluate(specs: Sequence, train: Corpus, task: NextItemTask, ks: Sequence[int] = DEFAULT_KS,
                     tracker=None, log=print) -> tuple[Evaluation, dict]:
    """Fit every ``baselines.ModelSpec`` on ``train`` (rows differing only in scoring share one
    fit) and score all on ``task``. Parameters, item2vec's per-epoch loss and words/s, the metrics,
    the comparison table, the recall@k plot and the item2vec model go to ``tracker``'s open run.
    Returns the evaluation and the fitted models by ``fit_key``."""
    from .baselines import make_model

    if len(task) == 0:
        raise ValueError(f"the test split {task.name!r} is empty: no (prefix, next item) pair")
    if max(ks) > len(train.vocab):
        raise ValueError(f"k={max(ks)} exceeds the catalogue of {len(train.vocab)} training items")
    fitted: dict = {}
    for spec in specs:
        if spec.fit_key in fitted:
            continue
        model = make_model(spec.kind, spec.params)
        started = time.perf_counter()
        model.fit(train)
        seconds = time.perf_counter() - started
        fitted[spec.fit_key] = model
        log(f"fitted {spec.kind} in {seconds:.1f}s")
        if tracker is not None:
            tracker.log_params(model.get_params(), prefix=f"{spec.name}.")
            tracker.log_metrics({f"{spec.name}/fit_seconds": seconds})
            if spec.kind == "item2vec":
                tracker.log_training_log(model.model_.training_log_)
                tracker.log_model(model.model_, "item2vec_model")
    models = {spec.name: fitted[spec.fit_key] for spec in specs}
    evaluation = evaluate_models(models, task, ks, {spec.name: spec.scoring for spec in specs})
    if tracker is not None:
        tracker.log_params({f"{spec.name}.scoring": json.dumps(spec.scoring, sort_keys=True) for spec in specs})
        tracker.log_evaluation(evaluation)
    return evaluation, fitted


def markdown_table(frame, digits: int = 4) -> str:
    """A Polars DataFrame as a GitHub Markdown table (floats rounded)."""
    def cell(value):
        return f"{value:.{digits}f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(frame.columns) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.iter_rows()]
    return "\n".join(lines) + "\n"
