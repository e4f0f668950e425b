"""item2vec: item vectors from behaviour sequences (skip-gram / CBOW with negative sampling)."""

from item2vec.data.corpus import Corpus, Vocab
from item2vec.engine.training import EpochReport
from item2vec.model import Item2Vec

__all__ = ["Corpus", "Vocab", "Item2Vec", "EpochReport"]
__version__ = "0.1.0"
