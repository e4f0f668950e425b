"""The integer corpus every engine run reads, and the files around it.

Modules: ``corpus`` (``Corpus``: int32 tokens + int64 offsets + optional weights, ``Vocab``, the
line reader that opens plain or gzip files by content), ``files`` (atomic writes: Parquet, any
file through a temporary name), ``synthetic`` (the demo's seeded clickstream with planted groups).
"""

from item2vec.data.corpus import Corpus, Vocab, read_lines
from item2vec.data.files import atomic_path, parquet_chunks, write_parquet

__all__ = ["Corpus", "Vocab", "read_lines", "atomic_path", "write_parquet", "parquet_chunks"]
