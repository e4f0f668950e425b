"""``ScoringOptions``: how a trained model turns a session into its top ``k``, validated once.

Serving (``Recommender``, ``item2vec recommend``, the MLflow model) and evaluation (the item2vec
adapter of the harness) read the same frozen object; they differ only in the ``exclude_seen``
default each one states: ``config.SERVING_EXCLUDE_SEEN`` (True) and
``config.EVALUATION_EXCLUDE_SEEN`` (False, repeats are common next items). Where no scorer is
chosen, serving scores as the model's data asks (``ScoringOptions.for_model``).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from item2vec import config
from item2vec.scoring.scorers import get_scorer

#: The ``blend`` scorer's shares: of each item's distribution on its successors, of each session's
#: on its neighbour sessions (None: the model's choice).
_BLEND_SHARES = ("blend_weight", "session_weight")


def _positive_int(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, np.integer)) and value >= 1


@dataclass(frozen=True)
class ScoringOptions:
    """``k`` items per session from ``scorer`` (a name in ``scoring.SCORERS``) over the last
    ``n_last`` known items, the one ``a`` steps before the end weighted ``decay**a``;
    ``temperature`` (mixture scorers only; None = the scorer's default) sets how sharply weight
    falls with distance; ``blend_weight`` (``blend`` only; None = the weight the model chose in
    ``fit``) is the share of each item's next-item distribution on its observed successors,
    ``session_weight`` (``blend`` only; None = the model's choice) the share of each session's on
    the items of its nearest training sessions; ``exclude_seen`` drops the session's own items."""

    k: int = config.K
    scorer: str = config.SCORER
    n_last: int = config.N_LAST
    decay: float = config.DECAY
    temperature: float | None = None
    exclude_seen: bool = config.SERVING_EXCLUDE_SEEN
    blend_weight: float | None = None
    session_weight: float | None = None

    def __post_init__(self):
        scorer = get_scorer(self.scorer)  # raises on an unknown name
        if not _positive_int(self.k):
            raise ValueError(f"k must be a positive integer, got {self.k!r}")
        if not _positive_int(self.n_last):
            raise ValueError(f"n_last must be a positive integer, got {self.n_last!r}")
        if isinstance(self.decay, bool) or not isinstance(self.decay, (int, float)) or not 0 < self.decay <= 1:
            raise ValueError(f"decay must lie in (0, 1], got {self.decay!r}")
        if self.temperature is not None and not (
            isinstance(self.temperature, (int, float))
            and not isinstance(self.temperature, bool)
            and self.temperature > 0
            and math.isfinite(self.temperature)
        ):
            raise ValueError(f"temperature must be > 0 (and finite), got {self.temperature!r}")
        for name in _BLEND_SHARES:
            share = getattr(self, name)
            if share is None:
                continue
            if not scorer.takes_blend_weight:
                raise ValueError(f"{name} applies to the blend scorer only, not {self.scorer!r}")
            if isinstance(share, bool) or not isinstance(share, (int, float)):
                raise ValueError(f"{name} must be a number in [0, 1], got {share!r}")
            if not 0 <= share <= 1:
                raise ValueError(f"{name} must lie in [0, 1], got {share!r}")
            object.__setattr__(self, name, float(share))
        if not isinstance(self.exclude_seen, (bool, np.bool_)):
            raise ValueError(f"exclude_seen must be true or false, got {self.exclude_seen!r}")
        object.__setattr__(self, "k", int(self.k))
        object.__setattr__(self, "n_last", int(self.n_last))
        object.__setattr__(self, "decay", float(self.decay))
        object.__setattr__(self, "exclude_seen", bool(self.exclude_seen))
        if self.temperature is None:
            object.__setattr__(self, "temperature", scorer.default_temperature())
        else:
            object.__setattr__(self, "temperature", float(self.temperature))

    def replace(self, **changes) -> ScoringOptions:
        """A copy with ``changes`` (validated again); ``temperature`` and the blend shares return
        to their defaults when only the scorer changes."""
        if "scorer" in changes:
            for name in ("temperature", *_BLEND_SHARES):
                changes.setdefault(name, None)
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def for_model(cls, model, **given) -> ScoringOptions:
        """Options for ``model`` from the ``given`` fields that are not None. Without a scorer, a
        model trained on sessions (it holds the observed successors ``blend`` needs) gets
        ``for_sessions``' click scoring with the recency decay it chose in ``fit``
        (``Item2Vec.recency_decay_``), any other model (text, or saved before successors were
        kept) ``config.SCORER``'s defaults; the click scorer named explicitly gets the click
        scoring's other fields too."""
        if getattr(model, "successors_", None) is not None:
            return cls.for_sessions({"decay": getattr(model, "recency_decay_", None)}, **given)
        return cls._defaulted(config.SCORER, {}, " (trained on text: it holds no observed successors for blend)", given)

    @classmethod
    def for_sessions(cls, chosen: dict | None = None, **given) -> ScoringOptions:
        """Options for a model trained on sessions from the ``given`` fields that are not None:
        without a scorer (or naming it) the click scoring ``config.CLICK_SCORING``, its fields
        overridable one by one, with ``chosen`` (fields the model chose in ``fit``; None: not
        chosen) in place of the configured ones; another scorer gets its own defaults."""
        return cls._defaulted(config.CLICK_SCORING["scorer"], chosen or {}, "", given)

    @classmethod
    def _defaulted(cls, scorer: str, chosen: dict, why: str, given: dict) -> ScoringOptions:
        """``given`` (None: unset) over ``scorer`` when it names none; the click scorer's unset
        fields from ``config.CLICK_SCORING`` with ``chosen`` over it; ``why`` explains a refused
        blend weight when the scorer was not named."""
        given = {name: value for name, value in given.items() if value is not None}
        named = "scorer" in given
        scorer = given.setdefault("scorer", scorer)
        for name in _BLEND_SHARES:
            if name in given and not get_scorer(scorer).takes_blend_weight:
                raise ValueError(f"{name} applies to the blend scorer only, not {scorer!r}" + ("" if named else why))
        if scorer != config.CLICK_SCORING["scorer"]:
            return cls.from_dict(given)
        chosen = {name: value for name, value in chosen.items() if value is not None}
        return cls.from_dict(given, **{**config.CLICK_SCORING, **chosen})

    @classmethod
    def from_dict(cls, options: dict, **defaults) -> ScoringOptions:
        """Options from a plain dict (a JSON config, MLflow's model config), naming any unknown key;
        ``defaults`` fill what ``options`` leaves out."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ValueError(f"unknown scoring option {unknown[0]!r}; scoring options are {', '.join(sorted(known))}")
        return cls(**{**defaults, **options})
