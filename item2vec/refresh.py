"""Warm refresh: continue a trained model on new sessions (``Item2Vec.fit(..., warm_start=MODEL)``,
``item2vec train --warm-start MODEL``).

Every item of the old model keeps its input and output vectors as the starting point (and stays
in the model even if the new data never shows it); items new in this data get new rows, from
the old model's attribute vectors when attributes are given and it knows some of their values,
else random as in a fresh training. Counts add up, so negatives and subsampling follow the whole
history. Hyperparameters left unset take the old model's values (not the preset's); the refresh
runs its own ``epochs`` with the learning rate falling linearly from ``alpha`` to ``min_alpha``
over them, exactly as a fresh training over the new data would (README, "Warm refresh").
(Not to be confused with ``init="sppmi"``, ``engine/warm_start.py``: a start from counts.)
"""

from __future__ import annotations

import numpy as np

from item2vec.data.attributes import ItemAttributes, mean_rows
from item2vec.data.corpus import Vocab

#: Hyperparameters a refresh must share with the model it continues (the vectors' layout).
FIXED = ("vector_size", "both_contexts")


def inherit(params: dict, given: dict, old_params: dict, origin: str) -> dict:
    """The refresh's hyperparameters: those given explicitly (``given``: the constructor's
    arguments, None = unset) win, the others are the old model's. Raises ``ValueError`` naming
    ``origin`` when an explicit value contradicts the old model's vector layout."""
    out = dict(params)
    for name, value in old_params.items():
        if name in out and given.get(name) is None:
            out[name] = value
    for name in FIXED:
        if given.get(name) is not None and given[name] != old_params.get(name):
            raise ValueError(
                f"warm start from {origin}: it was trained with {name} = {old_params.get(name)!r}, "
                f"this training asks for {given[name]!r}; a warm refresh keeps the vectors' layout"
            )
    return out


def merged_vocab(old, vocab: Vocab, remap: np.ndarray, drop: set[str]) -> tuple[Vocab, np.ndarray, np.ndarray]:
    """Rows of the refresh: the old model's items (in its order, minus ``drop``) then the items
    new in ``vocab`` (the pruned vocabulary of the new data), counts added up. Returns the merged
    vocabulary (not sorted by count), ``remap`` from corpus ids to its rows, and for each row the
    old model's row it starts from (-1: a new item)."""
    kept = [(row, key) for row, key in enumerate(old.index_to_key) if key not in drop]
    keys = [key for _, key in kept]
    index = {key: i for i, key in enumerate(keys)}
    new_keys = [key for key in vocab.keys if key not in index]
    for key in new_keys:
        index[key] = len(index)
    counts = np.zeros(len(index), dtype=np.int64)
    old_counts = np.asarray(old.vocab_.counts)
    counts[: len(kept)] = old_counts[[row for row, _ in kept]]
    to_merged = np.array([index[key] for key in vocab.keys], dtype=np.int64)
    np.add.at(counts, to_merged, vocab.counts)
    merged_remap = np.where(remap >= 0, to_merged[np.maximum(remap, 0)], -1).astype(np.int32)
    source = np.full(len(index), -1, dtype=np.int64)
    source[: len(kept)] = [row for row, _ in kept]
    return Vocab(tuple(keys + new_keys), counts), merged_remap, source


def starting_rows(old, source: np.ndarray, columns: slice, syn0: np.ndarray, syn1: np.ndarray, new_from) -> None:
    """Overwrite, in place, the rows of ``syn0``/``syn1`` that the old model has (``source >= 0``)
    with its vectors' ``columns``, and the new rows that ``new_from`` (``attribute_start``) can
    describe with the mean of their attribute tokens' old vectors."""
    has = source >= 0
    syn0[has] = np.asarray(old.vectors_)[source[has], columns]
    syn1[has] = np.asarray(old.output_vectors_)[source[has], columns]
    if new_from is not None:
        rows, offsets, ids = new_from
        syn0[rows] = mean_rows(np.asarray(old.attribute_vectors_)[:, columns], offsets, ids)
        syn1[rows] = mean_rows(np.asarray(old.attribute_output_vectors_)[:, columns], offsets, ids)


def attribute_start(old, attributes: ItemAttributes | None, keys, source: np.ndarray):
    """``(rows, offsets, ids)``: the new rows (``source < 0``) with at least one attribute value the
    old model has a vector for, and those values as CSR ids into ``old.attribute_keys_``; None when
    there is nothing to start from attributes."""
    if attributes is None or not len(old.attribute_keys_):
        return None
    known = {token: t for t, token in enumerate(old.attribute_keys_)}
    offsets, token_ids = attributes.token_rows(keys)
    rows, lists = [], []
    for row in np.flatnonzero(source < 0):
        names = (attributes.tokens[t] for t in token_ids[offsets[row] : offsets[row + 1]])
        ids = [known[name] for name in names if name in known]
        if ids:
            rows.append(row)
            lists.append(ids)
    if not rows:
        return None
    csr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum([len(ids) for ids in lists], out=csr[1:])
    return np.array(rows), csr, np.concatenate(lists).astype(np.int64)


def old_attribute_rows(old, tokens: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """For each attribute token of the refresh, its row in the old model's attribute vectors
    (-1: a value the old model never saw) and the mask of known ones."""
    known = {token: t for t, token in enumerate(old.attribute_keys_)}
    rows = np.array([known.get(token, -1) for token in tokens], dtype=np.int64)
    return rows, rows >= 0
