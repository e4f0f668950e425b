"""The ``Item2Vec`` estimator: gensim-named hyperparameters, ``fit``, vectors, ``similar``,
save/load (a directory of ``.npy`` + JSON, never pickle) and word2vec-format export."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from item2vec import config, refresh
from item2vec.data.attributes import attribute_layout, input_to_output, mean_rows, read_item_attributes
from item2vec.data.corpus import Corpus, Vocab
from item2vec.data.files import atomic_dir, atomic_path, read_json_file, unreadable
from item2vec.data.session_pool import SessionPool, session_pool
from item2vec.data.successors import Successors, observed_successors
from item2vec.engine.topk import unit_rows
from item2vec.engine.training import (
    EpochReport,
    ExtraContexts,
    GroupNegatives,
    ProgressBar,
    context_settings,
    plan,
    train_epochs,
)

if TYPE_CHECKING:
    from item2vec.evaluation.early_stopping import EarlyStopping

_HYPERPARAMETERS = (
    "vector_size",
    "window",
    "negative",
    "ns_exponent",
    "sample",
    "min_count",
    "max_final_vocab",
    "epochs",
    "alpha",
    "min_alpha",
    "sg",
    "shrink_windows",
    "forward_window",
    "whole_sentence",
    "both_contexts",
    "context_samples",
    "workers",
    "seed",
    "compute_loss",
    "init",
    "attribute_weight",
    "group_negatives",
    "group_negative_count",
)


#: How vectors start: random (word2vec's) or from the SVD of the shifted positive PMI matrix.
INITS = ("random", "sppmi")


class Item2Vec:
    """Skip-gram / CBOW with negative sampling over sessions or sentences.

    Hyperparameters keep gensim ``Word2Vec``'s names and meanings. ``whole_sentence=True`` uses
    every other item of the session as context (the item2vec paper's order-free mode for
    baskets) instead of a window. ``both_contexts=True`` trains the first ``vector_size // 2``
    dimensions with the window and the rest with the whole session, as two independent runs
    (seeds ``seed`` and ``seed + 1``) whose vectors are concatenated: next-item scores add up
    what comes next and what belongs together (Diginetica validation HR@20 0.51, against 0.48-0.49
    for either context alone). ``context_samples=m`` caps the whole-session context: a centre
    trains on ``m`` random other items of its session per epoch instead of all of them, so a long
    session costs linear, not quadratic, time. ``workers=None`` uses every core; ``workers=1`` is
    bit-for-bit reproducible for a given ``seed``.

    ``fit(corpus, item_attributes=...)`` trains attribute tokens (``column=value``) jointly with the
    items, as extra contexts of every item occurrence weighted by ``attribute_weight``
    (Meta-Prod2Vec); items of the attribute file that occur in no event become *cold* items whose
    vectors are the mean of their attribute tokens' vectors (``n_cold_``, ``is_cold``).
    ``group_negatives="category"`` (an attribute column; needs ``item_attributes``) adds
    ``group_negative_count`` negatives per positive example drawn from the centre item's own group
    (its first value in that column), so the vectors learn to tell apart items of one group that
    random negatives rarely contrast (Airbnb's market negatives). Items in no group or alone in
    theirs draw no group negative. A corpus with ``global_context`` flags (a session's converted
    items, ``SessionOptions.global_context_event``) trains each flagged item as a context of every
    other item of its session, whatever the window.

    ``preset`` chooses every hyperparameter left as None: ``"text"`` (gensim's defaults),
    ``"clicks"`` (``config.CLICK_PRESET``) or ``"auto"``: clicks for a sessions corpus (what the
    sessionisers and session-file readers build, ``Corpus.kind``), text otherwise.

    After ``fit``: ``preset_`` and ``params_`` (the preset used, every value as trained),
    ``vectors`` (input), ``output_vectors_``, ``vocab_``, ``training_log_`` (per
    epoch), ``validation_log_`` (the early-stopping checks),
    ``repeat_share_`` (``Corpus.repeat_share`` of the training data; the ``mixture``
    scorer's share of repeats), ``successors_`` (on click data: what followed each item in the
    training sessions, ``data.successors.Successors``, the ``blend`` scorer's evidence; None for
    text), ``sessions_`` (on click data: the last ``config.SESSION_POOL`` training sessions as sets
    of items, ``data.session_pool.SessionPool``, where ``blend`` finds a session's neighbours; a
    warm refresh keeps the new data's, as it does its successors),
    ``blend_weight_``, ``recency_decay_`` and ``session_weight_`` (the ``blend`` share of those
    successors, the decay over a session's items and the share of its neighbour sessions, chosen on
    the training sessions, ``evaluation.calibration``; None for text), ``n_cold_`` (cold items, the last rows)
    and ``attribute_keys_``, ``attribute_vectors_``, ``attribute_output_vectors_`` (empty without attributes).
    """

    def __init__(
        self,
        vector_size: int | None = None,
        window: int | None = None,
        negative: int | None = None,
        ns_exponent: float | None = None,
        sample: float | None = None,
        min_count: int | None = None,
        max_final_vocab: int | None = config.MAX_FINAL_VOCAB,
        epochs: int | None = None,
        alpha: float | None = None,
        min_alpha: float | None = None,
        sg: bool | None = None,
        shrink_windows: bool | None = None,
        forward_window: bool | None = None,
        whole_sentence: bool | None = None,
        both_contexts: bool | None = None,
        context_samples: int | None = None,
        workers: int | None = config.WORKERS,
        seed: int = config.SEED,
        compute_loss: bool = config.COMPUTE_LOSS,
        init: str | None = None,
        attribute_weight: float = config.ATTRIBUTE_WEIGHT,
        group_negatives: str | None = None,
        group_negative_count: int = config.GROUP_NEGATIVE_COUNT,
        preset: str = "auto",
    ):
        self.vector_size = vector_size
        self.window = window
        self.negative = negative
        self.ns_exponent = ns_exponent
        self.sample = sample
        self.min_count = min_count
        self.max_final_vocab = max_final_vocab
        self.epochs = epochs
        self.alpha = alpha
        self.min_alpha = min_alpha
        self.sg = sg
        self.shrink_windows = shrink_windows
        self.forward_window = forward_window
        self.whole_sentence = whole_sentence
        self.both_contexts = both_contexts
        self.context_samples = context_samples
        self.workers = workers
        self.seed = seed
        self.compute_loss = compute_loss
        self.init = init
        self.attribute_weight = attribute_weight
        self.group_negatives = group_negatives
        self.group_negative_count = group_negative_count
        self.preset = preset

    def get_params(self) -> dict:
        """The constructor's arguments as given (None: the preset's value)."""
        return {name: getattr(self, name) for name in (*_HYPERPARAMETERS, "preset")}

    def __repr__(self) -> str:
        changed = {k: v for k, v in self.get_params().items() if v != type(self)().get_params()[k]}
        return f"Item2Vec({', '.join(f'{k}={v!r}' for k, v in changed.items())})"

    def resolve(self, kind: str = "text") -> tuple[str, dict]:
        """The preset used for a corpus of ``kind`` (``Corpus.kind``) and every hyperparameter it
        gives: explicit arguments win, None takes the preset's value. An explicit
        ``whole_sentence=True`` turns off the preset's ``both_contexts`` (they exclude each other)."""
        if self.preset not in (*config.PRESETS, "auto"):
            raise ValueError(f"preset must be auto, {' or '.join(config.PRESETS)}; got {self.preset!r}")
        name = self.preset if self.preset != "auto" else ("clicks" if kind == "sessions" else "text")
        base = dict(config.PRESETS[name])
        if self.whole_sentence and self.both_contexts is None:
            base["both_contexts"] = False
        params = {k: (getattr(self, k) if getattr(self, k) is not None else base.get(k)) for k in _HYPERPARAMETERS}
        return name, params

    # ---- training -----------------------------------------------------------------------------

    def fit(
        self,
        corpus: Corpus | Iterable[Sequence],
        callback: Callable[[EpochReport], object] | None = None,
        progress: bool = False,
        item_attributes=None,
        warm_start=None,
        early_stopping: EarlyStopping | None = None,
    ) -> Item2Vec:
        """Learn vectors from a ``Corpus`` or an iterable of token lists; returns ``self``.

        ``callback(report)`` runs on the calling thread after every epoch with the epoch's loss
        and words/second; ``progress=True`` shows a progress bar on stderr.
        ``item_attributes``: an ``ItemAttributes``, a file path (``read_item_attributes``) or a
        Polars frame with the item id in the first column; see the class docstring.
        ``warm_start``: a trained ``Item2Vec`` or a saved model directory to continue from with
        this corpus (a warm refresh, ``item2vec.refresh``): its items keep their vectors as the
        starting point, hyperparameters left unset take its values.
        ``early_stopping``: an ``item2vec.evaluation.EarlyStopping`` (validation pairs and a
        rule): every few epochs the vectors are scored on the pairs, training stops when the score
        stops improving and keeps the best check's vectors; ``validation_log_`` lists the checks.
        """
        if not isinstance(corpus, Corpus):
            corpus = Corpus.from_sentences(corpus)
        preset, p = self.resolve(corpus.kind)
        old = None
        if warm_start is not None:
            old = warm_start if isinstance(warm_start, Item2Vec) else Item2Vec.load(warm_start, mmap=False)
            old._require_fitted()
            origin = "the given model" if isinstance(warm_start, Item2Vec) else str(warm_start)
            p = refresh.inherit(p, self.get_params(), old.params_, origin)
            preset = old.preset_
        _validate(p)
        attributes = read_item_attributes(item_attributes) if item_attributes is not None else None
        if p["group_negatives"] is not None:
            if attributes is None:
                column = p["group_negatives"]
                raise ValueError(
                    f"group_negatives={column!r} needs item_attributes (its column names each item's group)"
                )
            attributes.values_of(p["group_negatives"])  # a missing column fails before training
        if corpus.n_tokens == 0:
            raise ValueError("the corpus is empty: no sentence has any token")
        vocab, remap = corpus.vocab.prune(p["min_count"], p["max_final_vocab"])
        if len(vocab) == 0:
            raise ValueError(
                f"min_count={p['min_count']} removed every item (the most frequent "
                f"occurs {int(corpus.vocab.counts[0])} times); lower min_count"
            )
        if len(vocab) < (1 - config.PRUNED_WARNING_SHARE) * len(corpus.vocab):
            warnings.warn(
                f"min_count={p['min_count']} kept {len(vocab):,} of {len(corpus.vocab):,} items "
                f"({len(vocab) / len(corpus.vocab):.0%}): the others can never be recommended; "
                f"lower min_count (the clicks preset keeps every item)",
                stacklevel=2,
            )
        if old is not None:
            cold = old.index_to_key[len(old) - old.n_cold_ :] if attributes is not None else ()
            vocab, remap, source = refresh.merged_vocab(old, vocab, remap, set(cold))
        _check_memory(len(vocab), p["vector_size"], p["both_contexts"])
        _check_pairs(corpus, remap)
        layout = attribute_layout(attributes, vocab.keys) if attributes is not None else None
        extra = _attribute_contexts(layout, len(vocab), p["attribute_weight"])
        workers = p["workers"] or os.cpu_count() or 1
        training = plan(corpus, vocab, remap, p["sample"], p["ns_exponent"], workers)
        groups = None
        if p["group_negatives"] is not None:
            labels = attributes.groups(p["group_negatives"], vocab.keys)
            noise = vocab.negative_distribution(p["ns_exponent"])
            groups = GroupNegatives.build(labels, noise, p["group_negative_count"])
        if old is not None:  # the schedule runs over the new data's words, not the merged counts
            training = dataclasses.replace(training, words_per_epoch=int((remap[corpus.tokens] >= 0).sum()))
            new_from = refresh.attribute_start(old, attributes, vocab.keys, source)
            old_tokens, known_tokens = refresh.old_attribute_rows(old, layout.tokens if layout else ())
        if p["both_contexts"]:
            half = p["vector_size"] // 2
            runs = [("window", half, False, p["seed"]), ("session", p["vector_size"] - half, True, p["seed"] + 1)]
        else:
            runs = [(None, p["vector_size"], bool(p["whole_sentence"]), p["seed"])]
        trainings = []  # (context, syn0, syn1, epochs of its training), trained in lockstep
        bar = ProgressBar(training.words_per_epoch * int(p["epochs"]) * len(runs)) if progress else None
        start = 0
        for context, size, whole_sentence, seed in runs:
            columns, start = slice(start, start + size), start + size
            if old is None:
                syn0, syn1 = _initial_vectors(p, corpus, training, len(vocab), vocab, size, whole_sentence, seed)
            else:
                syn0, syn1 = _initial_vectors(
                    {**p, "init": "random"}, corpus, training, len(vocab), vocab, size, whole_sentence, seed
                )
                refresh.starting_rows(old, source, columns, syn0, syn1, new_from)
            if layout is not None:
                syn0, syn1 = _with_attribute_rows(syn0, syn1, len(layout.tokens), seed)
                if old is not None and known_tokens.any():
                    rows = len(vocab) + np.flatnonzero(known_tokens)
                    syn0[rows] = np.asarray(old.attribute_vectors_)[old_tokens[known_tokens], columns]
            steps = train_epochs(
                syn0,
                syn1,
                corpus,
                training,
                **context_settings(p),
                whole_sentence=whole_sentence,
                alpha=float(p["alpha"]),
                min_alpha=float(p["min_alpha"]),
                epochs=int(p["epochs"]),
                seed=int(seed),
                compute_loss=bool(p["compute_loss"]),
                callback=self._watch(syn0, syn1, callback, p["alpha"]),
                bar=bar,
                extra=extra,
                groups=groups,
            )
            trainings.append((context, syn0, syn1, steps))
        monitor = early_stopping.monitor() if early_stopping is not None else None
        repeat_share = corpus.repeat_share()
        # early stopping scores next items with the click scoring, which needs them even on "text"
        successors = observed_successors(corpus if monitor is None else corpus.as_sessions(), remap, len(vocab))
        log, best = [], None

        def keep():
            nonlocal best
            best = [(syn0.copy(), syn1.copy()) for _, syn0, syn1, _ in trainings]

        try:
            for epoch in range(1, int(p["epochs"]) + 1):
                log += [_report_dict(next(steps), context) for context, _, _, steps in trainings]
                if monitor is None or not monitor.due(epoch, int(p["epochs"])):
                    continue
                probe = self._probe(vocab, trainings, layout, (repeat_share, successors), preset, p)
                if monitor.check(epoch, probe, keep):
                    break
        finally:
            if bar:
                bar.close()
        if best is not None:  # the best check's vectors, not the last epoch's
            for (_, syn0, syn1, _), (best0, best1) in zip(trainings, best, strict=True):
                syn0[:], syn1[:] = best0, best1
        inputs = [syn0 for _, syn0, _, _ in trainings]
        outputs = [syn1 for _, _, syn1, _ in trainings]
        if not any(entry["examples"] for entry in log):
            raise ValueError(
                f"training made no example in {p['epochs']} epoch(s): subsampling (sample={p['sample']}) dropped "
                f"the context of every item of this small corpus ({corpus.n_tokens:,} tokens); use sample=0"
            )
        self.preset_ = preset
        self.params_ = p
        syn0 = inputs[0] if len(inputs) == 1 else np.hstack(inputs)
        syn1 = outputs[0] if len(outputs) == 1 else np.hstack(outputs)
        # kept only for click data: a text model serves ``mean`` (early stopping used them above)
        self.successors_ = successors if corpus.kind == "sessions" else None
        self.sessions_ = session_pool(corpus, remap)
        self._set_vectors(vocab, syn0, syn1, layout)
        if old is not None:
            self._sort_by_count()
        self.training_log_ = log
        self.validation_log_ = monitor.log if monitor is not None else []
        self.repeat_share_ = repeat_share
        self._forget_cache()
        self.blend_weight_ = self.recency_decay_ = self.session_weight_ = None
        if self.successors_ is not None:  # evaluation code, but a model trained on clicks scores with it
            from item2vec.evaluation.calibration import choose_click_scoring

            chosen = choose_click_scoring(self, corpus)
            if chosen is not None:
                self.blend_weight_, self.recency_decay_ = chosen["blend_weight"], chosen["decay"]
                self.session_weight_ = chosen["session_weight"]
        return self

    def _probe(self, vocab: Vocab, trainings: list, layout, statistics: tuple, preset: str, params: dict) -> Item2Vec:
        """A model holding copies of the vectors as they are now, mid-fit, for an early-stopping
        check; ``statistics``: the training data's ``(repeat_share, successors)``."""
        probe = Item2Vec()
        syn0 = np.hstack([syn0 for _, syn0, _, _ in trainings])
        syn1 = np.hstack([syn1 for _, _, syn1, _ in trainings])
        probe.repeat_share_, probe.successors_ = statistics
        probe.sessions_ = None  # early stopping scores the item-level click scoring: the embedding's part
        probe.blend_weight_ = probe.recency_decay_ = probe.session_weight_ = None  # not chosen yet: the configured ones
        probe._set_vectors(vocab, syn0, syn1, layout)
        probe.preset_, probe.params_ = preset, params
        probe._forget_cache()
        return probe

    def _set_vectors(self, vocab: Vocab, syn0: np.ndarray, syn1: np.ndarray, layout) -> None:
        """Split the trained rows into items and attribute tokens and append the cold items, whose
        input and output vectors are the means of their tokens'. Tokens are trained as contexts
        (input vectors); their output vectors are mapped from those (``input_to_output``)."""
        n = len(vocab)
        self.vocab_, self.vectors_, self.output_vectors_ = vocab, syn0[:n], syn1[:n]
        self.n_cold_ = 0
        self.attribute_keys_ = ()
        self.attribute_vectors_ = self.attribute_output_vectors_ = np.zeros((0, syn0.shape[1]), dtype=np.float32)
        if layout is None:
            return
        tokens_in = np.ascontiguousarray(syn0[n:])
        tokens_out = (tokens_in @ input_to_output(syn0[:n], syn1[:n])).astype(np.float32)
        cold_in = mean_rows(tokens_in, layout.cold_offsets, layout.cold_tokens)
        cold_out = mean_rows(tokens_out, layout.cold_offsets, layout.cold_tokens)
        counts = np.concatenate([vocab.counts, np.zeros(len(layout.cold_items), dtype=np.int64)])
        self.vocab_ = Vocab(vocab.keys + layout.cold_items, counts)
        self.vectors_ = np.vstack([syn0[:n], cold_in])
        self.output_vectors_ = np.vstack([syn1[:n], cold_out])
        self.n_cold_ = len(layout.cold_items)
        if self.successors_ is not None:
            self.successors_ = self.successors_.padded(len(self.vocab_))
        self.attribute_keys_ = layout.tokens
        self.attribute_vectors_, self.attribute_output_vectors_ = tokens_in, tokens_out

    def _sort_by_count(self) -> None:
        """Reorder the rows by descending count (stable), as every vocabulary is (a refresh
        merges old and new items); items with count 0 are cold and come last."""
        order = np.argsort(-np.asarray(self.vocab_.counts), kind="stable")
        self.vocab_ = Vocab(tuple(self.vocab_.keys[i] for i in order), np.asarray(self.vocab_.counts)[order])
        self.vectors_, self.output_vectors_ = self.vectors_[order], self.output_vectors_[order]
        if self.successors_ is not None:
            self.successors_ = self.successors_.reordered(order)
        if self.sessions_ is not None:
            self.sessions_ = self.sessions_.reordered(order)
        self.n_cold_ = int(np.count_nonzero(self.vocab_.counts == 0))

    def is_cold(self, key) -> bool:
        """Whether ``key`` is a cold item: from the attribute file, in no training event."""
        return self.index(key) >= len(self) - self.n_cold_

    def _validate_params(self, kind: str = "sessions") -> None:
        """Raise on a bad hyperparameter (as it resolves for a corpus of ``kind``), before any data is read."""
        _validate(self.resolve(kind)[1])

    def _watch(self, syn0: np.ndarray, syn1: np.ndarray, callback, alpha: float) -> Callable[[EpochReport], object]:
        """The epoch callback that stops a diverged training (NaN or infinite loss or vectors)
        before anything is saved, then calls the user's ``callback``."""

        def watch(report: EpochReport):
            if not math.isfinite(report.loss) or any(first_nonfinite_row(m) is not None for m in (syn0, syn1)):
                raise ValueError(
                    f"training diverged in epoch {report.epoch}: the loss or the vectors became NaN or "
                    f"infinite; lower alpha (now {alpha:g})"
                )
            return callback(report) if callback is not None else None

        return watch

    # ---- learned state ------------------------------------------------------------------------

    def _require_fitted(self) -> None:
        if not hasattr(self, "vectors_"):
            raise ValueError("this Item2Vec is not trained yet: call fit() or Item2Vec.load()")

    @property
    def vectors(self) -> np.ndarray:
        """Input ("item") vectors, one row per key in ``index_to_key`` order."""
        self._require_fitted()
        return self.vectors_

    @property
    def index_to_key(self) -> tuple[str, ...]:
        self._require_fitted()
        return self.vocab_.keys

    @property
    def key_to_index(self) -> dict[str, int]:
        self._require_fitted()
        if self._key_to_index is None:
            self._key_to_index = self.vocab_.key_to_index
        return self._key_to_index

    @property
    def unit_vectors(self) -> np.ndarray:
        """Row-normalised ``vectors`` (cached), for cosine similarity."""
        self._require_fitted()
        if self._unit is None:
            self._unit = unit_rows(np.asarray(self.vectors_))
        return self._unit

    def _forget_cache(self) -> None:
        self._key_to_index = None
        self._unit = None
        self._pool_vectors = None  # the session pool's vectors (``scoring.session_neighbours``)

    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, key) -> bool:
        return str(key) in self.key_to_index

    def index(self, key) -> int:
        """Row of ``key`` (strings; other types are looked up by ``str(key)``)."""
        try:
            return self.key_to_index[str(key)]
        except KeyError:
            raise KeyError(f"unknown item {key!r}: not among the model's {len(self)} items") from None

    def __getitem__(self, key) -> np.ndarray:
        return self.vectors[self.index(key)]

    def similar(self, key, k: int = 10) -> list[tuple[str, float]]:
        """The ``k`` items with the highest cosine similarity to ``key`` (itself excluded)."""
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"k must be a positive integer, got {k!r}")
        row = self.index(key)
        scores = self.unit_vectors @ self.unit_vectors[row]
        scores[row] = -np.inf
        return top_k(scores, min(k, len(self) - 1), self.index_to_key)

    # ---- persistence --------------------------------------------------------------------------

    def save(self, path) -> None:
        """Write the model directory atomically: ``config.json``, ``keys.json``, ``counts.npy``,
        ``vectors.npy``, ``output_vectors.npy`` (cold items last, ``n_cold`` in ``config.json``),
        on click data ``successor_offsets.npy``, ``successor_items.npy``, ``successor_weights.npy``,
        ``session_offsets.npy`` and ``session_items.npy`` and, trained with attributes,
        ``attribute_keys.json``, ``attribute_vectors.npy`` and ``attribute_output_vectors.npy``. An
        existing directory is replaced whole."""
        self._require_fitted()
        meta = {
            "format_version": config.MODEL_FORMAT_VERSION,
            "params": self.params_,  # as trained: every value resolved
            "preset": self.preset_,
            "n_items": len(self),
            "repeat_share": self.repeat_share_,
            "blend_weight": self.blend_weight_,
            "recency_decay": self.recency_decay_,
            "session_weight": self.session_weight_,
            "training_log": self.training_log_,
            "validation_log": self.validation_log_,
            "n_cold": self.n_cold_,
        }
        with atomic_dir(path, marker="config.json") as tmp:
            (tmp / "config.json").write_text(json.dumps(meta, indent=2))
            (tmp / "keys.json").write_text(json.dumps(list(self.vocab_.keys), ensure_ascii=False))
            np.save(tmp / "counts.npy", self.vocab_.counts)
            np.save(tmp / "vectors.npy", np.ascontiguousarray(self.vectors_))
            np.save(tmp / "output_vectors.npy", np.ascontiguousarray(self.output_vectors_))
            if self.attribute_keys_:
                (tmp / "attribute_keys.json").write_text(json.dumps(list(self.attribute_keys_), ensure_ascii=False))
                np.save(tmp / "attribute_vectors.npy", np.ascontiguousarray(self.attribute_vectors_))
                np.save(tmp / "attribute_output_vectors.npy", np.ascontiguousarray(self.attribute_output_vectors_))
            if self.successors_ is not None:
                for name, array in zip(_SUCCESSOR_ARRAYS, dataclasses.astuple(self.successors_), strict=True):
                    np.save(tmp / name, np.ascontiguousarray(array))
            if self.sessions_ is not None:
                for name, array in zip(_SESSION_ARRAYS, dataclasses.astuple(self.sessions_), strict=True):
                    np.save(tmp / name, np.ascontiguousarray(array))

    @classmethod
    def load(cls, path, mmap: bool = True) -> Item2Vec:
        """Load a directory written by ``save``; vectors are memory-mapped unless ``mmap=False``.
        Every file is checked (see ``_read_model_files``): a damaged or hand-edited model is
        refused with the file and what is wrong, never half-loaded."""
        path = Path(path)
        if not path.is_dir():
            raise FileNotFoundError(f"model directory not found: {path}")
        meta, keys, counts, vectors, output, attributes, successors, sessions = _read_model_files(path, mmap)
        params = {k: v for k, v in meta["params"].items() if k in _HYPERPARAMETERS}
        model = cls(**params, preset=meta.get("preset", "text"))  # saved before presets: text defaults
        model.preset_, model.params_ = model.resolve()
        model.vocab_ = Vocab(tuple(keys), counts)
        model.vectors_ = vectors
        model.output_vectors_ = output
        model.training_log_ = meta.get("training_log", [])
        model.validation_log_ = meta.get("validation_log", [])
        model.repeat_share_ = meta.get("repeat_share")  # absent before it was measured: None
        model.blend_weight_ = meta.get("blend_weight")  # None: text, or saved before it was chosen
        model.recency_decay_ = meta.get("recency_decay")
        model.session_weight_ = meta.get("session_weight")
        model.n_cold_ = meta.get("n_cold", 0)
        model.successors_ = successors  # None: trained on text, or saved before they were kept
        model.sessions_ = sessions  # None: the same, or saved before the session pool was kept
        model.attribute_keys_, model.attribute_vectors_, model.attribute_output_vectors_ = attributes
        model._forget_cache()
        return model

    def save_word2vec_format(self, path, binary: bool = False) -> None:
        """Write vectors in word2vec's text or binary format (gensim's
        ``KeyedVectors.load_word2vec_format`` reads both), atomically."""
        self._require_fitted()
        bad = next((k for k in self.index_to_key if not k or any(c.isspace() for c in k)), None)
        if bad is not None:
            raise ValueError(
                f"item {bad!r} is empty or contains whitespace, which the word2vec "
                f"format cannot store; export as parquet or npy instead"
            )
        vectors = np.asarray(self.vectors, dtype=np.float32)
        with atomic_path(path) as tmp, open(tmp, "wb") as out:
            out.write(f"{len(self)} {self.vector_size_}\n".encode())
            if binary:
                little = vectors.astype("<f4", copy=False)
                for key, row in zip(self.index_to_key, little):
                    out.write(key.encode() + b" " + row.tobytes() + b"\n")
            else:
                row_format = " ".join(["%.9g"] * self.vector_size_)
                for key, row in zip(self.index_to_key, vectors.tolist()):
                    out.write((key + " " + row_format % tuple(row) + "\n").encode())

    @property
    def vector_size_(self) -> int:
        """Dimension of the learned vectors (``vector_size`` as trained or loaded)."""
        return self.vectors.shape[1]


def _initial_vectors(p, corpus, training, n_rows, vocab, size, whole_sentence, seed):
    """``random``: input uniform in [-1, 1) / size, as gensim 4 initialises (word2vec.c uses half
    that), output zero. ``sppmi``: the SVD factors of the pairs training will see (``warm_start``)."""
    if p["init"] == "sppmi":
        from item2vec.engine.warm_start import cooccurrences, sppmi_vectors

        counts = cooccurrences(corpus, training.remap, n_rows, None if whole_sentence else int(p["window"]))
        noise = vocab.negative_distribution(p["ns_exponent"])
        return sppmi_vectors(counts, int(p["negative"]), noise, size, seed)
    rng = np.random.default_rng(seed)
    syn0 = (rng.random((n_rows, size), dtype=np.float32) * 2 - 1) / np.float32(size)
    return syn0, np.zeros_like(syn0)


def _attribute_contexts(layout, n_items: int, weight: float) -> ExtraContexts | None:
    """Each trained item's attribute tokens as its extra contexts (token ``t`` is row ``n_items + t``)."""
    if layout is None:
        return None
    return ExtraContexts(layout.item_offsets, (layout.item_tokens + n_items).astype(np.int32), float(weight))


def _with_attribute_rows(syn0: np.ndarray, syn1: np.ndarray, n_tokens: int, seed: int):
    """``syn0``/``syn1`` with ``n_tokens`` attribute rows appended, initialised as random items
    are (their own generator, so the item rows are those of a training without attributes)."""
    size = syn0.shape[1]
    rng = np.random.default_rng([seed, n_tokens])
    rows = (rng.random((n_tokens, size), dtype=np.float32) * 2 - 1) / np.float32(size)
    return np.vstack([syn0, rows]), np.vstack([syn1, np.zeros_like(rows)])


def _validate(p: dict) -> None:
    """Raise ``ValueError`` naming the first bad hyperparameter of the resolved ``p``."""

    def integer(name, low):
        value = p[name]
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")

    integer("vector_size", 2 if p["both_contexts"] else 1)
    if p["both_contexts"] and p["whole_sentence"]:
        raise ValueError("both_contexts already trains half of each vector on whole sessions; leave whole_sentence off")
    integer("window", 1)
    integer("context_samples", 0)
    if p["context_samples"] and not p["sg"]:
        raise ValueError("context_samples samples skip-gram pairs; CBOW (sg=False) averages every context, set it to 0")
    integer("min_count", 1)
    integer("epochs", 1)
    if isinstance(p["negative"], bool) or not isinstance(p["negative"], (int, np.integer)) or p["negative"] < 1:
        raise ValueError(
            f"negative must be an integer >= 1 (negative sampling is the only "
            f"training objective), got {p['negative']!r}"
        )
    if p["max_final_vocab"] is not None:
        integer("max_final_vocab", 1)
    if p["workers"] is not None:
        integer("workers", 1)
    integer("seed", 0)
    if not (isinstance(p["alpha"], (int, float)) and p["alpha"] > 0 and math.isfinite(p["alpha"])):
        raise ValueError(f"alpha must be a positive number, got {p['alpha']!r}")
    if not (isinstance(p["min_alpha"], (int, float)) and 0 <= p["min_alpha"] <= p["alpha"]):
        raise ValueError(f"min_alpha must lie in [0, alpha={p['alpha']}], got {p['min_alpha']!r}")
    if not (isinstance(p["sample"], (int, float)) and 0 <= p["sample"] < 1):
        raise ValueError(f"sample must lie in [0, 1), got {p['sample']!r}")
    if p["init"] not in INITS:
        raise ValueError(f"init must be one of {', '.join(INITS)}, got {p['init']!r}")
    if not (isinstance(p["ns_exponent"], (int, float)) and math.isfinite(p["ns_exponent"])):
        raise ValueError(f"ns_exponent must be a finite number, got {p['ns_exponent']!r}")
    weight = p["attribute_weight"]
    if isinstance(weight, bool) or not (isinstance(weight, (int, float)) and weight >= 0 and math.isfinite(weight)):
        raise ValueError(f"attribute_weight must be a finite number >= 0, got {weight!r}")
    if p["group_negatives"] is not None and not (isinstance(p["group_negatives"], str) and p["group_negatives"]):
        raise ValueError(f"group_negatives must be an attribute column name, got {p['group_negatives']!r}")
    integer("group_negative_count", 1)


def top_k(scores: np.ndarray, k: int, keys: Sequence[str]) -> list[tuple[str, float]]:
    """The ``k`` highest finite scores as ``(key, score)``, best first."""
    k = min(k, int(np.isfinite(scores).sum()))
    if k <= 0:
        return []
    best = np.argpartition(-scores, k - 1)[:k]
    best = best[np.argsort(-scores[best], kind="stable")]
    return [(keys[i], float(scores[i])) for i in best]


def _report_dict(report: EpochReport, context: str | None = None) -> dict:
    """One epoch of ``training_log_``; with ``both_contexts``, ``context`` says which run."""
    entry = {
        "epoch": report.epoch,
        "loss": report.loss,
        "mean_loss": report.mean_loss,
        "examples": report.examples,
        "words": report.words,
        "seconds": report.seconds,
        "words_per_second": report.words_per_second,
    }
    return entry if context is None else {"context": context, **entry}


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation without swapping (Linux ``MemAvailable``),
    or ``None`` where it cannot be read."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _check_memory(n_items: int, vector_size: int, both_contexts: bool) -> None:
    """Refuse, before allocating, a model whose vectors would not fit in the available memory:
    input and output float32 matrices (twice over with ``both_contexts``, which concatenates)."""
    needed = n_items * vector_size * 4 * (4 if both_contexts else 2)
    available = available_memory()
    if available is not None and needed > available:
        raise ValueError(
            f"the model needs {_bytes(needed)} ({n_items:,} items x {vector_size:,} dimensions, input and output "
            f"vectors) but only {_bytes(available)} of memory is available; lower vector_size or max_final_vocab"
        )


def _bytes(n: float) -> str:
    units = ("B", "KiB", "MiB", "GiB", "TiB")
    power = min(int(math.log(max(n, 1), 1024)), len(units) - 1)
    return f"{n / 1024**power:,.1f} {units[power]}"


def _check_pairs(corpus: Corpus, remap: np.ndarray) -> None:
    """Refuse a corpus where no sentence keeps two items after pruning: nothing to predict."""
    if not (corpus.kept_lengths(remap >= 0) >= 2).any():
        raise ValueError(
            "no session has two items left after min_count pruning, so there is no (item, context) pair to "
            "learn from; give sessions of two or more items or lower min_count"
        )


def first_nonfinite_row(array: np.ndarray, rows: int = 65_536) -> int | None:
    """The first row of a 2-D array with a NaN or infinity, or ``None``; read in blocks of
    ``rows`` so a memory-mapped model is checked without a copy of its size."""
    for start in range(0, len(array), rows):
        bad = ~np.isfinite(array[start : start + rows]).all(axis=1)
        if bad.any():
            return start + int(np.argmax(bad))
    return None


def _read_model_files(path: Path, mmap: bool):
    """``(meta, keys, counts, vectors, output_vectors, (attribute_keys, attribute_vectors,
    attribute_output_vectors), successors, sessions)`` of a model directory, each file checked against what ``save``
    writes; a ``ValueError`` names the file and the fault."""

    def fault(name: str, message: str) -> ValueError:
        return unreadable(path / name, message, "item2vec model")

    def read_json(name: str):
        return read_json_file(path / name, "item2vec model")

    def read_array(name: str, ndim: int, kind: str, mode: str | None, rows: int | None = None):
        try:
            array = np.load(path / name, mmap_mode=mode, allow_pickle=False)
        except FileNotFoundError:
            raise fault(name, "missing") from None
        except (OSError, ValueError) as exc:
            raise fault(name, f"not a readable .npy array ({exc})") from None
        expected = {"f": "float32", "i": "integer"}[kind]
        if array.ndim != ndim or array.dtype.kind not in ("iu" if kind == "i" else "f"):
            raise fault(name, f"expected a {ndim}-D {expected} array, found {array.ndim}-D {array.dtype}")
        if kind == "f" and ndim == 2 and array.dtype != np.float32:
            raise fault(name, f"expected float32 vectors, found {array.dtype}")
        if rows is None and len(array) != n_items:
            raise fault(name, f"{len(array):,} rows, but config.json says n_items = {n_items:,}")
        if rows is not None and rows >= 0 and len(array) != rows:
            raise fault(name, f"{len(array):,} rows, but attribute_keys.json has {rows:,} tokens")
        return array

    meta = read_json("config.json")
    if not isinstance(meta, dict):
        raise fault("config.json", f"expected a JSON object, found {type(meta).__name__}")
    version = meta.get("format_version")
    if version != config.MODEL_FORMAT_VERSION:
        raise fault("config.json", f"format version {version!r}, this item2vec reads {config.MODEL_FORMAT_VERSION}")
    if not isinstance(meta.get("params"), dict):
        raise fault("config.json", f"'params' must be an object of hyperparameters, found {meta.get('params')!r:.60}")
    n_items = meta.get("n_items")
    if isinstance(n_items, bool) or not isinstance(n_items, int) or n_items < 1:
        raise fault("config.json", f"'n_items' must be a positive integer, found {n_items!r:.60}")
    keys = read_json("keys.json")
    if not isinstance(keys, list) or len(keys) != n_items:
        found = f"{len(keys):,} entries" if isinstance(keys, list) else type(keys).__name__
        raise fault("keys.json", f"expected a list of {n_items:,} item ids (n_items), found {found}")
    bad = next((i for i, key in enumerate(keys) if not isinstance(key, str)), None)
    if bad is not None:
        raise fault("keys.json", f"entry {bad} is {keys[bad]!r:.60}, expected a string item id")
    if len(set(keys)) != len(keys):
        seen: set[str] = set()
        duplicate = next(i for i, key in enumerate(keys) if key in seen or seen.add(key))
        raise fault("keys.json", f"item {keys[duplicate]!r} appears twice (again at entry {duplicate})")
    counts = read_array("counts.npy", 1, "i", None)
    mode = "r" if mmap else None
    vectors = read_array("vectors.npy", 2, "f", mode)
    output = read_array("output_vectors.npy", 2, "f", mode)
    if output.shape != vectors.shape:
        raise fault("output_vectors.npy", f"shape {output.shape} differs from vectors.npy {vectors.shape}")
    for name, array in (("vectors.npy", vectors), ("output_vectors.npy", output)):
        row = first_nonfinite_row(array)
        if row is not None:
            raise fault(name, f"row {row} (item {keys[row]!r}) holds NaN or infinite values: the training diverged")
    n_cold = meta.get("n_cold", 0)
    if isinstance(n_cold, bool) or not isinstance(n_cold, int) or not 0 <= n_cold <= n_items:
        raise fault("config.json", f"'n_cold' must be an integer in [0, n_items], found {n_cold!r:.60}")
    for name, zero_allowed in (("blend_weight", True), ("recency_decay", False), ("session_weight", True)):
        value = meta.get(name)
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if value is not None and not (number and (0 <= value if zero_allowed else 0 < value) and value <= 1):
            interval = "[0, 1]" if zero_allowed else "(0, 1]"
            raise fault("config.json", f"{name!r} must be null or a number in {interval}, found {value!r:.60}")
    attributes = ((), np.zeros((0, vectors.shape[1]), dtype=np.float32), np.zeros((0, vectors.shape[1]), np.float32))
    if (path / "attribute_keys.json").exists():
        tokens = read_json("attribute_keys.json")
        if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
            raise fault("attribute_keys.json", "expected a list of attribute tokens (strings)")
        arrays = [read_array(name, 2, "f", mode, len(tokens)) for name in _ATTRIBUTE_ARRAYS]
        if any(a.shape[1] != vectors.shape[1] for a in arrays):
            raise fault(_ATTRIBUTE_ARRAYS[0], f"vectors of another size than vectors.npy ({vectors.shape[1]})")
        attributes = (tuple(tokens), *arrays)
    successors = None
    if (path / _SUCCESSOR_ARRAYS[0]).exists():
        offsets, items, weights = (read_array(name, 1, kind, mode, -1) for name, kind in zip(_SUCCESSOR_ARRAYS, "iif"))
        if len(offsets) != n_items + 1 or offsets[0] != 0 or (np.diff(offsets) < 0).any():
            raise fault(_SUCCESSOR_ARRAYS[0], f"expected {n_items + 1:,} ascending offsets from 0 (n_items + 1)")
        if len(items) != offsets[-1] or len(weights) != offsets[-1]:
            raise fault(_SUCCESSOR_ARRAYS[1], f"it and successor_weights.npy must hold {offsets[-1]:,} entries")
        if len(items) and (items.min() < 0 or items.max() >= n_items):
            raise fault(_SUCCESSOR_ARRAYS[1], f"an item row outside [0, {n_items:,})")
        if not np.isfinite(weights).all() or (weights < 0).any():
            raise fault(_SUCCESSOR_ARRAYS[2], "weights must be finite and >= 0")
        successors = Successors(offsets, items, weights)
    sessions = None
    if any((path / name).exists() for name in _SESSION_ARRAYS):  # both or neither: a lone one is "missing"
        offsets, items = (read_array(name, 1, "i", mode, -1) for name in _SESSION_ARRAYS)
        if len(offsets) < 2 or offsets[0] != 0 or (np.diff(offsets) <= 0).any() or offsets[-1] != len(items):
            raise fault(_SESSION_ARRAYS[0], f"expected ascending offsets from 0 to {len(items):,}, no session empty")
        if items.min() < 0 or items.max() >= n_items:
            raise fault(_SESSION_ARRAYS[1], f"an item row outside [0, {n_items:,})")
        within = np.ones(len(items) - 1, dtype=bool)
        within[offsets[1:-1] - 1] = False  # the steps from one session's last item to the next's first
        if (np.diff(items)[within] <= 0).any():
            raise fault(_SESSION_ARRAYS[1], "each session's items must be distinct and ascending")
        sessions = SessionPool(offsets, items)
    return meta, keys, counts, vectors, output, attributes, successors, sessions


_ATTRIBUTE_ARRAYS = ("attribute_vectors.npy", "attribute_output_vectors.npy")
_SUCCESSOR_ARRAYS = ("successor_offsets.npy", "successor_items.npy", "successor_weights.npy")
_SESSION_ARRAYS = ("session_offsets.npy", "session_items.npy")
