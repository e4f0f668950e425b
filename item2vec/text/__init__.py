"""Text: a streaming reader of large text files into a ``Corpus``, word2vec's phrases, and the
standard word benchmarks (analogies, WordSim/SimLex), scored as gensim scores them.

Modules: ``reader`` (plain or gzip by content, tokenizers, text8 cleaning), ``phrases``,
``wordeval``.
"""

from item2vec.text.phrases import find_phrases, phrase_pass
from item2vec.text.reader import corpus_sentences, iter_sentences, read_corpus, write_text8

__all__ = ["read_corpus", "iter_sentences", "corpus_sentences", "write_text8", "find_phrases", "phrase_pass"]
