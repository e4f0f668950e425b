"""Item vectors out to other systems, in the formats they read.

- ``word2vec`` / ``word2vec-binary``: the original C tool's formats; gensim's
  ``KeyedVectors.load_word2vec_format(path, binary=...)`` reads them back with identical vectors.
- ``parquet``: one row per item: ``item`` (str), ``count`` (training occurrences), ``cold``
  (a cold item: vector from its attributes, no event), ``vector`` (fixed-size float32 list): for
  Spark, DuckDB, BigQuery and vector databases.
- ``npy``: the ``(n_items, dim)`` float32 matrix as ``OUT`` plus its row keys as a JSON list in
  ``OUT`` with the suffix ``.keys.json``: for NumPy, FAISS and friends.

Each file is written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl

from item2vec.data.files import atomic_path, write_parquet

FORMATS = ("word2vec", "word2vec-binary", "parquet", "npy")


def keys_path(npy_path) -> Path:
    """The key list written beside an ``npy`` export."""
    return Path(npy_path).with_suffix(".keys.json")


def export_vectors(model, out, format: str) -> list[Path]:
    """Write the model's input vectors to ``out`` in ``format``; returns the files written."""
    out = Path(out)
    if format == "word2vec" or format == "word2vec-binary":
        model.save_word2vec_format(out, binary=format == "word2vec-binary")
        return [out]
    if format == "parquet":
        write_parquet(vector_frame(model), out)
        return [out]
    if format == "npy":
        with atomic_path(out) as tmp, open(tmp, "wb") as fh:
            np.save(fh, np.asarray(model.vectors, dtype=np.float32), allow_pickle=False)
        with atomic_path(keys_path(out)) as tmp:
            tmp.write_text(json.dumps(list(model.index_to_key), ensure_ascii=False), encoding="utf-8")
        return [out, keys_path(out)]
    raise ValueError(f"unknown export format {format!r}; choose one of {', '.join(FORMATS)}")


def vector_frame(model) -> pl.DataFrame:
    """Items, their training counts and vectors as a Polars frame (the ``parquet`` format)."""
    vectors = np.asarray(model.vectors, dtype=np.float32)
    return pl.DataFrame(
        {
            "item": pl.Series(model.index_to_key, dtype=pl.String),
            "count": np.asarray(model.vocab_.counts, dtype=np.int64),
            "cold": np.arange(len(model)) >= len(model) - model.n_cold_,
            "vector": pl.Series(vectors, dtype=pl.Array(pl.Float32, vectors.shape[1])),
        }
    )
