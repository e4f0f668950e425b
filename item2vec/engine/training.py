"""The training driver: one compiled call per worker thread per epoch, polled from the main thread.

The kernels release the GIL, so worker threads train in parallel (Hogwild) while the main thread
only watches ``progress`` for the progress bar and calls the user's callback between epochs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from item2vec.data.corpus import Corpus, Vocab
from item2vec.engine._rng import seed_states
from item2vec.engine._sampling import build_alias, keep_thresholds
from item2vec.engine._sgns import train_range


@dataclass(frozen=True)
class EpochReport:
    """What one epoch did; passed to the ``callback`` of ``Item2Vec.fit``."""

    epoch: int  # 1-based
    epochs: int
    loss: float  # summed over every (positive or negative) logistic example, float64
    examples: int  # positive predictions made (context->centre pairs, or CBOW windows)
    words: int  # corpus words processed (after min_count pruning, before subsampling)
    seconds: float

    @property
    def words_per_second(self) -> float:
        return self.words / self.seconds if self.seconds > 0 else float("inf")

    @property
    def mean_loss(self) -> float:
        """Loss per positive prediction (each carries its negatives), comparable across corpora."""
        return self.loss / self.examples if self.examples else float("nan")


@dataclass(frozen=True)
class TrainingPlan:
    """Everything the kernels need, derived once from a pruned corpus and the hyperparameters."""

    remap: np.ndarray  # corpus id -> row of the trained vocabulary, -1 if pruned
    keep_threshold: np.ndarray
    neg_threshold: np.ndarray
    neg_alias: np.ndarray
    thread_bounds: np.ndarray  # sentence index where each worker's share starts; len workers+1
    words_per_epoch: int  # corpus tokens that survive pruning


@dataclass(frozen=True)
class ExtraContexts:
    """Contexts of each centre row besides its window (CSR over rows), e.g. an item's attribute
    tokens (rows after the items): each predicts the centre like a window context, at ``weight``
    times its step (``_sgns.train_range``)."""

    offsets: np.ndarray  # int64, one more than the rows that can be a centre
    rows: np.ndarray  # int32 rows of syn0
    weight: float

    @classmethod
    def none(cls) -> ExtraContexts:
        """No extra context: training is exactly the plain kernel's."""
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32), 0.0)


@dataclass(frozen=True)
class GroupNegatives:
    """In-group negatives (Airbnb's market-aware negatives): each centre row also draws ``count``
    negatives from its own group, one alias table per group, all concatenated CSR-style (group
    ``g``'s table and member rows are ``threshold/alias/members[offsets[g]:offsets[g + 1]]``;
    ``alias`` holds indices within the group). ``group_of`` -1: a row in no group (no group
    negative); see ``build``."""

    group_of: np.ndarray  # int32 per centre row, -1 for none
    offsets: np.ndarray  # int64, one more than the groups
    threshold: np.ndarray  # int64
    alias: np.ndarray  # int32
    members: np.ndarray  # int32 rows of syn1
    count: int

    @classmethod
    def none(cls) -> GroupNegatives:
        """No group negative: training is exactly the plain kernel's."""
        return cls(
            np.zeros(0, dtype=np.int32),
            np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=np.int32),
            np.zeros(0, dtype=np.int32),
            0,
        )

    @classmethod
    def build(cls, groups: np.ndarray, probabilities: np.ndarray, count: int) -> GroupNegatives:
        """Tables for rows labelled ``groups`` (any int per row, -1: no group) drawing within their
        group in proportion to ``probabilities`` (the noise distribution, so in-group draws
        favour items as the noise ones do). Rows alone in their group get no group (their only
        draw would be themselves)."""
        groups = np.asarray(groups, dtype=np.int64)
        members = np.flatnonzero(groups >= 0)
        labels, sizes = np.unique(groups[members], return_counts=True)
        kept = labels[sizes >= 2]
        members = members[np.isin(groups[members], kept)]
        members = members[np.argsort(groups[members], kind="stable")]  # grouped, rows ascending within
        group_of = np.full(len(groups), -1, dtype=np.int32)
        group_of[members] = np.searchsorted(kept, groups[members]).astype(np.int32)
        offsets = np.zeros(len(kept) + 1, dtype=np.int64)
        np.cumsum(np.bincount(group_of[members], minlength=len(kept)), out=offsets[1:])
        threshold = np.empty(len(members), dtype=np.int64)
        alias = np.empty(len(members), dtype=np.int32)
        for lo, hi in zip(offsets[:-1], offsets[1:]):
            threshold[lo:hi], alias[lo:hi] = build_alias(np.asarray(probabilities)[members[lo:hi]])
        return cls(group_of, offsets, threshold, alias, members.astype(np.int32), int(count))


def plan(
    corpus: Corpus, vocab: Vocab, remap: np.ndarray, sample: float, ns_exponent: float, workers: int
) -> TrainingPlan:
    """Tables for training the rows of ``vocab`` (the corpus' vocabulary after pruning, with
    ``remap`` from corpus ids to its rows) and each worker's share of the sentences."""
    neg_threshold, neg_alias = build_alias(vocab.negative_distribution(ns_exponent))
    # split sentences into contiguous shares with about the same number of tokens
    targets = np.linspace(0, corpus.n_tokens, workers + 1)
    bounds = np.searchsorted(corpus.offsets, targets, side="left")
    bounds[0], bounds[-1] = 0, len(corpus)
    return TrainingPlan(
        remap.astype(np.int32),
        keep_thresholds(vocab.keep_probabilities(sample)),
        neg_threshold,
        neg_alias,
        np.maximum.accumulate(bounds).astype(np.int64),
        vocab.total,
    )


def context_settings(p: dict) -> dict:
    """The keyword options of ``run`` that come straight from resolved hyperparameters (``Item2Vec.params_``)
    and say how contexts and negatives are drawn; every caller passes them the same way."""
    return dict(
        sg=bool(p["sg"]),
        window=int(p["window"]),
        shrink_windows=bool(p["shrink_windows"]),
        forward_window=bool(p["forward_window"]),
        context_samples=int(p["context_samples"]),
        negative=int(p["negative"]),
    )


def run(
    syn0: np.ndarray, syn1: np.ndarray, corpus: Corpus, training: TrainingPlan, *, progress: bool = False, **options
) -> list[EpochReport]:
    """Train ``syn0``/``syn1`` in place for every epoch of ``epochs`` (``train_epochs``' options);
    return one report per epoch."""
    bar = ProgressBar(training.words_per_epoch * options["epochs"]) if progress else None
    try:
        return list(train_epochs(syn0, syn1, corpus, training, bar=bar, **options))
    finally:
        if bar:
            bar.close()


def train_epochs(
    syn0: np.ndarray,
    syn1: np.ndarray,
    corpus: Corpus,
    training: TrainingPlan,
    *,
    sg: bool,
    window: int,
    shrink_windows: bool,
    whole_sentence: bool,
    forward_window: bool,
    context_samples: int,
    negative: int,
    alpha: float,
    min_alpha: float,
    epochs: int,
    seed: int,
    compute_loss: bool,
    callback: Callable[[EpochReport], object] | None = None,
    bar: ProgressBar | None = None,
    extra: ExtraContexts | None = None,
    groups: GroupNegatives | None = None,
) -> Iterator[EpochReport]:
    """Train ``syn0``/``syn1`` in place, one epoch per step, yielding its report: a caller can
    interleave several trainings (``both_contexts``), look at the vectors between epochs and stop
    early (the learning rate then never reaches ``min_alpha``: the schedule runs over ``epochs``).
    The corpus' ``global_context`` flags (if any) are global contexts of their sentences.
    ``extra``: contexts of each centre besides its window (``ExtraContexts``; default none);
    ``groups``: negatives drawn from each centre's group besides the noise ones (``GroupNegatives``;
    default none); ``bar``: a progress bar shared by the interleaved trainings."""
    extra = extra if extra is not None else ExtraContexts.none()
    groups = groups if groups is not None else GroupNegatives.none()
    workers = len(training.thread_bounds) - 1
    states = seed_states(seed, workers)
    weights = corpus.weights if corpus.weights is not None else np.zeros(0, dtype=np.float32)
    global_flags = corpus.global_context if corpus.global_context is not None else np.zeros(0, dtype=np.bool_)
    per_epoch = training.words_per_epoch
    total_words = per_epoch * epochs
    for epoch in range(epochs):
        done = np.zeros(workers, dtype=np.int64)
        loss = np.zeros(workers, dtype=np.float64)
        examples = np.zeros(workers, dtype=np.int64)
        started = time.perf_counter()
        failures: list[BaseException] = []
        shared = dict(
            syn0=syn0,
            syn1=syn1,
            tokens=corpus.tokens,
            offsets=corpus.offsets,
            weights=weights,
            remap=training.remap,
            keep_threshold=training.keep_threshold,
            neg_threshold=training.neg_threshold,
            neg_alias=training.neg_alias,
            sg=sg,
            window=window,
            shrink_windows=shrink_windows,
            forward_window=forward_window,
            whole_sentence=whole_sentence,
            context_samples=context_samples,
            negative=negative,
            alpha=alpha,
            min_alpha=min_alpha,
            words_before=epoch * per_epoch,
            total_words=total_words,
            progress=done,
            loss_out=loss,
            examples_out=examples,
            compute_loss=compute_loss,
            extra_offsets=extra.offsets,
            extra_rows=extra.rows,
            extra_weight=np.float32(extra.weight),
            group_of=groups.group_of,
            group_table_offsets=groups.offsets,
            group_threshold=groups.threshold,
            group_alias=groups.alias,
            group_members=groups.members,
            group_negative=groups.count,
            global_flags=global_flags,
        )
        threads = [
            threading.Thread(
                target=_capture_failure,
                daemon=True,
                args=(failures, train_range),
                kwargs=dict(
                    shared,
                    first=training.thread_bounds[t],
                    last=training.thread_bounds[t + 1],
                    thread=t,
                    state=states[t],
                ),
            )
            for t in range(workers)
        ]
        for thread in threads:
            thread.start()
        shown = 0
        # wait on a thread still running: joining one that has finished returns at once, and the
        # loop would spin, taking a core from the workers while the slowest share finishes
        while running := [thread for thread in threads if thread.is_alive()]:
            running[0].join(timeout=0.2)
            if bar:
                shown = bar.advance(int(done.sum()), shown, epoch + 1, epochs)
        for thread in threads:
            thread.join()
        if failures:
            raise RuntimeError(f"a training thread failed: {failures[0]!r}") from failures[0]
        report = EpochReport(
            epoch + 1,
            epochs,
            float(loss.sum()),
            int(examples.sum()),
            int(done.sum()),
            time.perf_counter() - started,
        )
        if bar:
            bar.advance(per_epoch, shown, epoch + 1, epochs, report)
        if callback is not None:
            callback(report)
        yield report


def _capture_failure(failures: list, function, **kwargs) -> None:
    """Run ``function`` in a worker thread, keeping its exception for the main thread (a thread's
    exception would otherwise only be printed, and training would carry on as if it had worked)."""
    try:
        function(**kwargs)
    except BaseException as exc:  # noqa: BLE001  (re-raised on the main thread)
        failures.append(exc)


class ProgressBar:
    """A rich progress bar on stderr, updated from the main thread."""

    def __init__(self, total: int):
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[status]}"),
            console=Console(stderr=True),
            transient=False,
        )
        self._task = self._progress.add_task("training", total=total, status="")
        self._progress.start()

    def advance(self, done: int, shown: int, epoch: int, epochs: int, report: EpochReport | None = None) -> int:
        """Move the bar by the words one training did since it last showed ``shown`` of this epoch
        (several interleaved trainings share the bar); returns ``done``, what is shown now."""
        status = {"status": f"loss {report.mean_loss:.4f}  {report.words_per_second:,.0f} words/s"} if report else {}
        self._progress.update(self._task, advance=done - shown, description=f"epoch {epoch}/{epochs}", **status)
        return done

    def close(self):
        self._progress.stop()
