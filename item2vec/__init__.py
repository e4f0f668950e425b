"""item2vec: item vectors from behaviour sequences (skip-gram / CBOW with negative sampling)."""

from .corpus import Corpus, Vocab
from .model import Item2Vec
from .training import EpochReport

__all__ = ["Corpus", "Vocab", "Item2Vec", "EpochReport"]
__version__ = "0.1.0"
