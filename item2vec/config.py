"""Every default hyperparameter in one place, shared by the Python API and the CLI.

Names and meanings follow gensim's ``Word2Vec`` so that users can carry settings over.
"""

VECTOR_SIZE = 100
WINDOW = 5
NEGATIVE = 5
NS_EXPONENT = 0.75
SAMPLE = 1e-3
MIN_COUNT = 5
MAX_FINAL_VOCAB = None
EPOCHS = 5
ALPHA = 0.025
MIN_ALPHA = 1e-4
SG = True
SHRINK_WINDOWS = True
WHOLE_SENTENCE = False
BOTH_CONTEXTS = False
WORKERS = None  # None: one worker per available core
SEED = 1
COMPUTE_LOSS = True

#: Sentences longer than this are split into consecutive pieces (word2vec.c's MAX_SENTENCE_LENGTH).
MAX_SENTENCE_LENGTH = 10_000

#: On-disk model format version; ``Item2Vec.load`` refuses other versions with a clear error.
MODEL_FORMAT_VERSION = 1
