"""The click scoring's blend weight, recency decay and session-neighbour share, chosen by each
model in ``fit`` from its own training sessions.

How much the counted successors should weigh against the embedding, and how fast a session's older
items should fade, depend on the data: on strongly sequential logs (YOOCHOOSE, the built-in demo)
validation wanted 0.8 of each item's next-item distribution on the successors and the last item
to dominate, on the SR-GNN splits of Diginetica, Tmall and #nowplaying 0.2 and a longer memory
(README, "Click defaults"); the items of a session's nearest training sessions helped Diginetica
and #nowplaying and not Tmall. ``choose_click_scoring`` holds out the last sessions of the
training data, counts the successors and pools the neighbour sessions on the others only, and
scores every setting of ``config.SESSION_WEIGHTS`` x ``config.BLEND_WEIGHTS`` x
``config.BLEND_DECAYS`` on the held-out next items. A few thousand pairs cannot tell settings
apart that differ by a few thousandths (Diginetica's best decay moved between 0.3 and 0.65 from
one sample to the next), so the choice is the first setting in config order, the configured
click scoring first, whose NDCG is within one standard error of the best's (Breiman's
one-standard-error rule, on the pair-by-pair differences). The embedding has seen the held-out
sessions, which flatters it and can only pull the choice towards smaller weights. The mixture's
neighbour lists and the neighbour sessions' votes do not depend on any setting: they are computed
once.
"""

from __future__ import annotations

import copy

import numpy as np

from item2vec import config
from item2vec.data.corpus import Corpus
from item2vec.data.session_pool import session_pool
from item2vec.data.successors import observed_successors
from item2vec.evaluation.metrics import ndcg_gains
from item2vec.evaluation.protocols import split_last_sessions
from item2vec.evaluation.task import NextItemTask
from item2vec.scoring import ScoringOptions
from item2vec.scoring.encode import EncodedSessions
from item2vec.scoring.scorers import Blend, Mixture, NeighbourGraph
from item2vec.scoring.session_neighbours import SessionNeighbours
from item2vec.scoring.weighting import recency_matrix


def choose_click_scoring(model, corpus: Corpus) -> dict | None:
    """``{"session_weight": s, "blend_weight": w, "decay": d}``: the first setting of
    ``held_out_gains`` (config order) whose mean NDCG is within one standard error of the best's;
    None when there are too few sessions or pairs to tell (the scorers then use
    ``config.SESSION_WEIGHT``, ``config.BLEND_WEIGHT`` and ``config.CLICK_SCORING``'s decay)."""
    gains = held_out_gains(model, corpus)
    if gains is None:
        return None
    best = gains[max(gains, key=lambda setting: gains[setting].mean())]
    shortfalls = {setting: best - own for setting, own in gains.items()}
    # config order: the configured click scoring first; the best itself always qualifies
    share, weight, decay = next(s for s, d in shortfalls.items() if d.mean() <= d.std() / np.sqrt(len(d)))
    return {"session_weight": share, "blend_weight": weight, "decay": decay}


def held_out_gains(model, corpus: Corpus) -> dict[tuple[float, float, float], np.ndarray] | None:
    """Each held-out pair's NDCG@k (``config.K``, at most the catalogue) under the click scoring
    at each ``(session_weight, blend_weight, decay)`` of ``config.SESSION_WEIGHTS`` x
    ``config.BLEND_WEIGHTS`` x ``config.BLEND_DECAYS``, in that order: at most
    ``config.BLEND_CALIBRATION_PAIRS`` pairs of the last ``config.BLEND_CALIBRATION_FRACTION`` of
    ``corpus`` (the sessions ``model`` was fitted on), the successors counted and the neighbour
    sessions pooled on the rest; None below ``config.BLEND_CALIBRATION_MIN_PAIRS`` pairs."""
    try:
        counted, held_out = split_last_sessions(corpus.as_sessions(), config.BLEND_CALIBRATION_FRACTION)
    except ValueError:  # too few sessions to hold any out
        return None
    task = NextItemTask.from_sessions(held_out, model.vocab_).subsample(config.BLEND_CALIBRATION_PAIRS, config.SEED)
    if len(task) < config.BLEND_CALIBRATION_MIN_PAIRS:
        return None
    rows = np.array([model.key_to_index.get(key, -1) for key in counted.vocab.keys], dtype=np.int64)
    probe = copy.copy(model)  # the fitted vectors, the successors and pool of the counted sessions only
    probe.successors_ = observed_successors(counted, rows, len(model))
    probe.sessions_ = session_pool(counted, rows)
    # the task's catalogue is the model's vocabulary: its prefixes are already model rows. A prefix
    # with no known item ranks the same under every setting: it cannot move the choice
    prefixes = EncodedSessions(task.items, task.offsets, 0)
    k = min(config.K, len(model))
    options = ScoringOptions.for_sessions(k=k, exclude_seen=config.EVALUATION_EXCLUDE_SEEN)
    items = np.unique(prefixes.items)
    workers = model.params_["workers"]
    mixture = Mixture().neighbour_lists(probe, items, options, workers)
    # no pool (every counted session lost its items): the neighbour shares cannot be scored
    shares = config.SESSION_WEIGHTS if probe.sessions_ is not None else (0.0,)
    votes = SessionNeighbours(probe, workers).distributions(prefixes, options.n_last) if any(shares) else None
    top_items = np.full((len(task), k), -1, dtype=np.int32)
    top_scores = np.empty((len(task), k), dtype=np.float32)
    recency = {
        decay: recency_matrix(prefixes.items, prefixes.offsets, len(model), decay, options.n_last)
        for decay in config.BLEND_DECAYS
    }
    graphs = {
        weight: NeighbourGraph(items, *Blend.with_successors(probe, items, *mixture, weight), len(model))
        for weight in config.BLEND_WEIGHTS
    }
    gains = {}
    for share in shares:
        evidence = (share, lambda start, stop: votes[start:stop]) if share else None
        for weight, graph in graphs.items():
            for decay in config.BLEND_DECAYS:
                graph.top_k(recency[decay], prefixes, options.exclude_seen, None, top_items, top_scores, evidence)
                gains[share, weight, decay] = ndcg_gains(top_items, task.targets, k)
    return gains
