"""The models of the harness, one module per family, and the registry that names them.

A new baseline is one module here with a class that honours ``NextItemModel`` (subclass
``BaseModel``), one entry in ``MODELS``, and a three-line test class in ``tests/test_models.py``
that inherits the contract tests of ``tests/contracts.py``.
"""

from item2vec.evaluation.models.base import BaseModel, NextItemModel
from item2vec.evaluation.models.factorization import ALS, BPR
from item2vec.evaluation.models.item2vec import Item2VecRecommender
from item2vec.evaluation.models.itemknn import ItemKNN
from item2vec.evaluation.models.popularity import Popularity
from item2vec.evaluation.models.rules import SequentialRules
from item2vec.evaluation.models.sessionknn import SKNN, STAN, VSKNN, VSTAN

MODELS: dict[str, type[BaseModel]] = {
    cls.name: cls
    for cls in (Item2VecRecommender, Popularity, ItemKNN, ALS, BPR, SequentialRules, SKNN, VSKNN, STAN, VSTAN)
}
#: What ``--baselines`` accepts: every model but item2vec.
BASELINES = tuple(name for name in MODELS if name != "item2vec")


def make_model(name: str, params: dict | None = None) -> BaseModel:
    """A model by its ``--baselines`` name (or ``item2vec``) with hyperparameters ``params``;
    an unknown name or parameter is a ``ValueError`` naming it."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODELS)}")
    try:
        return MODELS[name](**(params or {}))
    except TypeError as exc:
        raise ValueError(f"bad parameters for {name}: {exc}") from None


def parse_baselines(text: str) -> tuple[str, ...]:
    """``"pop,als"`` -> ``("pop", "als")``, rejecting unknown names."""
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in BASELINES]
    if unknown:
        raise ValueError(f"unknown baseline {unknown[0]!r} in --baselines; choose from {', '.join(BASELINES)}")
    return names


__all__ = [
    "MODELS",
    "BASELINES",
    "make_model",
    "parse_baselines",
    "NextItemModel",
    "BaseModel",
    "Item2VecRecommender",
    "Popularity",
    "ItemKNN",
    "ALS",
    "BPR",
    "SequentialRules",
    "SKNN",
    "VSKNN",
    "STAN",
    "VSTAN",
]
