"""``sknn``, ``vsknn``, ``stan``, ``vstan``: session-based nearest neighbours, after session-rec
(Ludewig & Jannach; ``algorithms/knn/{sknn,vsknn,stan,vstan}.py``), on one candidate-neighbour
machinery: an item -> sessions index, and one kernel (``_session_kernels.knn_top_k``) that each
model parameterises.

A prefix's candidate neighbours are the ``sample_size`` most recent training sessions holding any
of its items; the ``k`` most similar are its neighbours, and each scores the items it holds.
*Time is the session's index in the training file*: the SR-GNN files have no timestamps but are in
time order, so "most recent" is "latest in the file", and STAN's recency decay counts sessions
(see ``STAN``). Every prefix is scored as if it came after the whole training log.

Reminders (20-45% of next items repeat a prefix item on the SR-GNN files): the prefix's own items
stay candidates (session-rec's ``remind=True``); scoring option ``reminders="push"`` multiplies
the score of an item clicked c times in the prefix by c + 1 (V-SKNN's ``push_reminders``);
``exclude_seen=True`` removes them (session-rec's ``remind=False``, except that we still fill a
row with unseen popular items). Deterministic tie rules where session-rec's are arbitrary: among
equally similar sessions the more recent is the neighbour; equal scores rank the lower catalogue
id (the more popular item) first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from item2vec import config
from item2vec.data.corpus import Corpus
from item2vec.evaluation.models import _session_kernels as kernels
from item2vec.evaluation.models.base import (
    BaseModel,
    check_choice,
    check_k,
    check_positive_int,
    check_positive_or_none,
    check_threads,
    rows_on_threads,
)
from item2vec.evaluation.task import NextItemTask

REMINDERS = ("keep", "push")
#: V-SKNN's weight of a prefix item by the position of its last click (session-rec's ``weighting``).
PREFIX_WEIGHTINGS = {"same": kernels.SAME, "div": kernels.DIV, "log": kernels.LOG, "quadratic": kernels.QUADRATIC}
#: V-SKNN's neighbour decay by the distance of the last shared click (session-rec's ``weighting_score``).
SCORE_WEIGHTINGS = {"same": kernels.SAME, "div": kernels.DIV, "log": kernels.LOG, "quadratic": kernels.QUADRATIC}
SIMILARITIES = {"cosine": kernels.COSINE, "jaccard": kernels.JACCARD}
#: STAN's decay constants as session-rec tuned them (about 1, 2, 4, 8 x half a mean session length).
LAMBDA_GRID = (1e-5, 0.4525, 0.905, 1.81, 3.62, 7.24)
#: STAN's neighbour recency constant, in percent of the training log (see ``STAN``).
LAMBDA_SNH_GRID = (2.5, 5.0, 10.0, 20.0, 40.0, 80.0, 100.0)


@dataclass(frozen=True)
class SessionIndex:
    """Training sessions in time order and the index that finds a prefix's candidates."""

    tokens: np.ndarray  # int32 catalogue ids, session s is tokens[offsets[s]:offsets[s + 1]]
    offsets: np.ndarray  # int64
    distinct: np.ndarray  # int64 number of distinct items of each session
    postings: np.ndarray  # int64 session ids holding each item, ascending (oldest first)
    posting_offsets: np.ndarray  # int64, item i's sessions are postings[posting_offsets[i]:...[i + 1]]
    idf: np.ndarray  # float64 log(sessions / clicks of the item), session-rec's idf

    @classmethod
    def build(cls, train: Corpus) -> SessionIndex:
        n_sessions, n_items = len(train), len(train.vocab)
        owner = np.repeat(np.arange(n_sessions, dtype=np.int64), np.diff(train.offsets))
        pairs = np.unique(train.tokens.astype(np.int64) * max(n_sessions, 1) + owner)  # by item, then session
        items, sessions = np.divmod(pairs, max(n_sessions, 1))
        posting_offsets = np.zeros(n_items + 1, dtype=np.int64)
        np.cumsum(np.bincount(items, minlength=n_items), out=posting_offsets[1:])
        clicks = np.bincount(train.tokens, minlength=n_items)
        return cls(
            np.ascontiguousarray(train.tokens, dtype=np.int32),
            np.ascontiguousarray(train.offsets, dtype=np.int64),
            np.bincount(sessions, minlength=n_sessions).astype(np.int64),
            sessions,
            posting_offsets,
            np.log(max(n_sessions, 1) / np.maximum(clicks, 1)),
        )

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def max_length(self) -> int:
        return int(np.diff(self.offsets).max(initial=0))


class SessionKNNBase(BaseModel):
    """What the four session-kNN models share: validation of ``k`` and ``sample_size``, the fit
    (the ``SessionIndex``), and ``recommend`` through the kernel with the settings of
    ``_settings``."""

    scoring_options = tuple({"reminders": r} for r in REMINDERS)

    def _check_common(self) -> None:
        check_positive_int(self.name, "k", self.k)
        check_positive_int(self.name, "sample_size", self.sample_size)
        check_threads(self.name, self.threads)

    def _settings(self, index: SessionIndex) -> dict:
        """The kernel's model settings (see ``_session_kernels`` for the codes)."""
        raise NotImplementedError

    def fit(self, train: Corpus) -> SessionKNNBase:
        self.index_ = SessionIndex.build(train)
        return self

    def recommend(self, task: NextItemTask, k: int, exclude_seen: bool = False, reminders: str = "keep") -> np.ndarray:
        """Top ``k`` catalogue ids per prefix; ``reminders``: ``keep`` or ``push`` (module docstring)."""
        index = self.index_
        check_k(k, len(index.posting_offsets) - 1)
        check_choice(self.name, "reminders", reminders, REMINDERS)
        s = self._settings(index)
        idf_weight = s["idf_weight"]
        item_factor = 1.0 + idf_weight * index.idf if idf_weight else np.ones_like(index.idf)
        # STAN's decays tabulated once: by the session's age (now = the end of the training log)
        # and by the distance between two clicks of a session
        age = len(index) - np.arange(len(index), dtype=np.float64)
        session_factor = np.exp(-age / s["lambda_snh"]) if s.get("lambda_snh") else np.ones(len(index))
        distance = np.arange(index.max_length + 1, dtype=np.float64)
        distance_factor = np.exp(-distance / s["lambda_inh"]) if s.get("lambda_inh") else np.ones(len(distance))
        items = np.ascontiguousarray(task.items, dtype=np.int32)
        offsets = np.ascontiguousarray(task.offsets, dtype=np.int64)

        def fill(start: int, stop: int, out: np.ndarray) -> None:
            kernels.knn_top_k(
                items,
                offsets,
                start,
                stop,
                index.tokens,
                index.offsets,
                index.distinct,
                index.postings,
                index.posting_offsets,
                item_factor,
                int(self.k),
                int(self.sample_size),
                s["prefix_weighting"],
                float(s.get("lambda_spw", 1.0)),
                s["similarity"],
                session_factor,
                s.get("neighbour_decay", kernels.SAME),
                float(s.get("lambda_ipw", 1.0)),
                distance_factor,
                reminders == "push",
                bool(exclude_seen),
                out,
            )

        return rows_on_threads(fill, len(task), k, self.threads)


class SKNN(SessionKNNBase):
    """Session kNN (session-rec ``ContextKNN``): similarity of item sets, cosine
    ``|s & n| / sqrt(|s| |n|)`` (session-rec's own cosine misplaces a bracket: ``|s & n| /
    sqrt(|s|) * sqrt(|n|)``; we use the cosine) or jaccard; ``score(i)`` = the summed similarity of
    the neighbours holding ``i``."""

    name = "sknn"
    search_space = {
        "k": config.SESSION_KNN_K_GRID,
        "sample_size": config.SESSION_KNN_SAMPLE_GRID,
        "similarity": tuple(SIMILARITIES),
    }

    def __init__(self, k: int = 100, sample_size: int = 500, similarity: str = "cosine", threads: int = 0):
        self.k = k
        self.sample_size = sample_size
        self.similarity = similarity
        self.threads = threads
        self._check_common()
        check_choice(self.name, "similarity", similarity, tuple(SIMILARITIES))

    def _settings(self, index: SessionIndex) -> dict:
        return {"prefix_weighting": kernels.SAME, "similarity": SIMILARITIES[self.similarity], "idf_weight": 0.0}


class VSKNN(SessionKNNBase):
    """V-SKNN (session-rec ``VMContextKNN``): the prefix item last clicked at position ``i`` of ``L``
    weighs ``weighting(i, L)`` (div: i/L); similarity = the summed weights of the shared items /
    the number of distinct prefix items; neighbour n adds ``sim(n) * weighting_score(t)`` to each
    of its items, ``t`` the distance from the prefix's end of the last click n shares (div: 1/t),
    times ``1 + idf_weighting * idf(item)`` (0: off)."""

    name = "vsknn"
    search_space = {
        "k": config.SESSION_KNN_K_GRID,
        "sample_size": config.SESSION_KNN_SAMPLE_GRID,
        "weighting": tuple(PREFIX_WEIGHTINGS),
        "weighting_score": tuple(SCORE_WEIGHTINGS),
        "idf_weighting": (0.0, 1.0, 2.0, 5.0, 10.0),
    }

    def __init__(
        self,
        k: int = 100,
        sample_size: int = 500,
        weighting: str = "div",
        weighting_score: str = "div",
        idf_weighting: float = 0.0,
        threads: int = 0,
    ):
        self.k = k
        self.sample_size = sample_size
        self.weighting = weighting
        self.weighting_score = weighting_score
        self.idf_weighting = idf_weighting
        self.threads = threads
        self._check_common()
        check_choice(self.name, "weighting", weighting, tuple(PREFIX_WEIGHTINGS))
        check_choice(self.name, "weighting_score", weighting_score, tuple(SCORE_WEIGHTINGS))
        if isinstance(idf_weighting, bool) or not isinstance(idf_weighting, (int, float)) or idf_weighting < 0:
            raise ValueError(f"vsknn idf_weighting must be a number >= 0 (0: off), got {idf_weighting!r}")

    def _settings(self, index: SessionIndex) -> dict:
        return {
            "prefix_weighting": PREFIX_WEIGHTINGS[self.weighting],
            "similarity": kernels.VEC,
            "neighbour_decay": SCORE_WEIGHTINGS[self.weighting_score],
            "idf_weight": float(self.idf_weighting),
        }


class STAN(SessionKNNBase):
    """STAN (Garg et al., SIGIR 2019; session-rec ``STAN``): the prefix item last clicked at
    position ``i`` of ``L`` weighs ``exp((i - L) / lambda_spw)``; similarity = the weighted cosine
    of the item sets, times ``exp(-(now - t_n) / lambda_snh)``; neighbour n adds to each item j it
    holds ``sim(n) * exp(-|pos(j) - pos*| / lambda_inh)`` (positions of last clicks in n, pos* the
    last click in n of a prefix item). Any lambda ``None`` switches its factor off.

    *Time*: session-rec measures ``now - t_n`` in seconds and ``lambda_snh`` in days. The SR-GNN
    files have no timestamps, so a session's time is its index in the (time-ordered) training
    file, ``now`` is the end of that file, and ``lambda_snh`` is in **percent of the training
    log**: the default 5 decays by e over the last 5% of the training sessions (on a log of 100
    days, as the 5 days of session-rec's default)."""

    name = "stan"
    search_space = {
        "k": config.SESSION_KNN_K_GRID,
        "sample_size": config.SESSION_KNN_SAMPLE_GRID,
        "lambda_spw": LAMBDA_GRID,
        "lambda_snh": LAMBDA_SNH_GRID,
        "lambda_inh": LAMBDA_GRID,
    }

    def __init__(
        self,
        k: int = 100,
        sample_size: int = 5000,
        lambda_spw: float | None = 1.02,
        lambda_snh: float | None = 5.0,
        lambda_inh: float | None = 2.05,
        threads: int = 0,
    ):
        self.k = k
        self.sample_size = sample_size
        self.lambda_spw = lambda_spw
        self.lambda_snh = lambda_snh
        self.lambda_inh = lambda_inh
        self.threads = threads
        self._check_common()
        for name in ("lambda_spw", "lambda_snh", "lambda_inh"):
            check_positive_or_none(self.name, name, getattr(self, name))

    def _settings(self, index: SessionIndex) -> dict:
        return {
            "prefix_weighting": kernels.SAME if self.lambda_spw is None else kernels.EXP,
            "lambda_spw": self.lambda_spw or 1.0,
            "similarity": kernels.COSINE,
            "lambda_snh": None if self.lambda_snh is None else self.lambda_snh / 100 * max(len(index), 1),
            "lambda_inh": self.lambda_inh,
            "idf_weight": 0.0,
        }


class VSTAN(STAN):
    """VSTAN (Ludewig et al., UMUAI 2021; session-rec ``VSKNN_STAN``): STAN, and each neighbour's
    scores also times ``exp((p - L) / lambda_ipw)`` (p the last prefix position the neighbour
    shares: V-SKNN's decay in STAN's form) and ``1 + lambda_idf * idf(item)``."""

    name = "vstan"
    search_space = {**STAN.search_space, "lambda_ipw": LAMBDA_GRID, "lambda_idf": (None, 1.0, 2.0, 5.0, 10.0)}

    def __init__(
        self,
        k: int = 100,
        sample_size: int = 5000,
        lambda_spw: float | None = 1.02,
        lambda_snh: float | None = 5.0,
        lambda_inh: float | None = 2.05,
        lambda_ipw: float | None = 1.02,
        lambda_idf: float | None = 5.0,
        threads: int = 0,
    ):
        self.lambda_ipw = lambda_ipw
        self.lambda_idf = lambda_idf
        super().__init__(k, sample_size, lambda_spw, lambda_snh, lambda_inh, threads)
        check_positive_or_none(self.name, "lambda_ipw", lambda_ipw)
        check_positive_or_none(self.name, "lambda_idf", lambda_idf)

    def _settings(self, index: SessionIndex) -> dict:
        settings = super()._settings(index)
        if self.lambda_ipw is not None:
            settings.update(neighbour_decay=kernels.EXP, lambda_ipw=self.lambda_ipw)
        settings["idf_weight"] = float(self.lambda_idf or 0.0)
        return settings
