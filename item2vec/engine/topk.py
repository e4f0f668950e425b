"""Exact top-k inner-product search in blocks, for session scoring and audiences alike.

Scores are computed tile by tile (a few hundred queries x a few thousand items) with BLAS and
folded at once into per-query heaps by a Numba kernel, so the full score matrix is never stored
and every tile is still in cache when it is read. Chunks of queries run on a thread pool (BLAS
and the kernels release the GIL) with BLAS itself held to one thread, so ``workers`` threads
use ``workers`` cores however the BLAS library is configured.

Order of results: higher score first, ties broken by the lower item index (the more popular item,
as the vocabulary is sorted by count). The reported scores are float64 dot products rounded to
float32 (BLAS only shortlists ``k + RESCORE_MARGIN`` candidates), so a query gets the same list
however it was batched. Rows with fewer than ``k`` candidates end with item ``-1`` and score
``-inf``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import threadpool_limits

from item2vec import config
from item2vec.engine._topk import fold_tile, fold_tile_max, rescore_sorted, top_k_sparse_rows

_NO_ROWS = np.zeros(0, dtype=np.int64)
_NO_ITEMS = np.zeros(0, dtype=np.int32)
_NO_MASK = np.zeros(0, dtype=np.bool_)


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """``matrix``'s rows scaled to unit length (float32; zero rows stay zero): inner products of
    such rows are cosines."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)


def top_k_inner(
    queries: np.ndarray,
    items: np.ndarray,
    k: int,
    exclude: tuple[np.ndarray, np.ndarray] | None = None,
    allowed: np.ndarray | None = None,
    workers: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` items with the largest ``queries @ items.T`` per query: ``(ids, scores)`` of
    shape ``(n_queries, k)``, best first.

    ``exclude=(item_ids, offsets)`` is a CSR list of items to skip per query; ``allowed`` a boolean
    mask over items (``False`` = never recommended).
    """
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    items = np.ascontiguousarray(items, dtype=np.float32)
    n_queries, n_items = len(queries), len(items)
    if queries.ndim != 2 or items.ndim != 2 or queries.shape[1] != items.shape[1]:
        raise ValueError(f"queries {queries.shape} and items {items.shape} must be 2-D with the same width")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    seen_items, seen_offsets = _NO_ITEMS, _NO_ROWS
    if exclude is not None:
        seen_items = np.ascontiguousarray(exclude[0], dtype=np.int32)
        seen_offsets = np.ascontiguousarray(exclude[1], dtype=np.int64)
        if len(seen_offsets) != n_queries + 1:
            raise ValueError(f"exclude offsets have {len(seen_offsets)} entries for {n_queries} queries")
    mask = _NO_MASK if allowed is None else np.ascontiguousarray(allowed, dtype=np.bool_)
    if allowed is not None and len(mask) != n_items:
        raise ValueError(f"allowed mask has {len(mask)} entries for {n_items} items")

    width = k + config.RESCORE_MARGIN
    heap_scores = np.full((n_queries, width), -np.inf, dtype=np.float32)
    heap_items = np.full((n_queries, width), -1, dtype=np.int32)
    top_scores = np.empty((n_queries, k), dtype=np.float32)
    top_items = np.empty((n_queries, k), dtype=np.int32)

    def fold(tile, lo, hi, first, last):
        fold_tile(tile, first, lo, seen_items, seen_offsets, mask, heap_scores[lo:hi], heap_items[lo:hi])

    def finish(lo, hi):
        rescore_sorted(queries, items, lo, heap_items[lo:hi], top_scores[lo:hi], top_items[lo:hi])

    _score_blocks(queries, items, fold, finish, workers)
    return top_items, top_scores


def max_inner(queries: np.ndarray, targets: np.ndarray, workers: int | None = None) -> np.ndarray:
    """``max(queries @ targets.T, axis=1)`` without storing the product (``-inf`` if no target)."""
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    targets = np.ascontiguousarray(targets, dtype=np.float32)
    best = np.full(len(queries), -np.inf, dtype=np.float32)

    def fold(tile, lo, hi, first, last):
        fold_tile_max(tile, best[lo:hi])

    _score_blocks(queries, targets, fold, lambda lo, hi: None, workers)
    return best


def _score_blocks(
    queries: np.ndarray, items: np.ndarray, fold: Callable, finish: Callable, workers: int | None
) -> None:
    """For every chunk of queries ``lo:hi`` and tile of items ``first:last`` (ascending), compute
    the tile of dot products and call ``fold(tile, lo, hi, first, last)``; then ``finish(lo, hi)``.

    Chunks run on ``workers`` threads, each reusing one tile buffer, with BLAS limited to one
    thread meanwhile.
    """
    n_queries, n_items = len(queries), len(items)
    rows_per_task, items_per_tile = config.ROWS_PER_TASK, config.ITEMS_PER_TILE
    buffers = threading.local()

    def run(lo: int) -> None:
        hi = min(lo + rows_per_task, n_queries)
        if not hasattr(buffers, "tile"):
            buffers.tile = np.empty(rows_per_task * items_per_tile, dtype=np.float32)
        for first in range(0, n_items, items_per_tile):
            last = min(first + items_per_tile, n_items)
            tile = buffers.tile[: (hi - lo) * (last - first)].reshape(hi - lo, last - first)
            np.matmul(queries[lo:hi], items[first:last].T, out=tile)
            fold(tile, lo, hi, first, last)
        finish(lo, hi)

    starts = range(0, n_queries, rows_per_task)
    workers = max(1, min(workers or os.cpu_count() or 1, len(starts)))
    with threadpool_limits(limits=1, user_api="blas"):
        if workers == 1:
            for lo in starts:
                run(lo)
        else:
            with ThreadPoolExecutor(workers) as pool:
                for _ in pool.map(run, starts):
                    pass


def top_k_sparse(
    scores,
    out_items: np.ndarray,
    out_scores: np.ndarray,
    exclude: tuple[np.ndarray, np.ndarray] | None = None,
    allowed: np.ndarray | None = None,
) -> None:
    """Fill ``out_items``/``out_scores`` (``(rows, k)``) with the top ``k`` of each row of a
    sparse score matrix (CSR with sorted indices), best first, ties to the lower column.
    Columns a row does not store rank after the stored ones, in column order (by popularity, as
    the vocabulary is sorted by count), with score ``-inf``; ``exclude`` and ``allowed`` as in
    ``top_k_inner``."""
    seen_items, seen_offsets = _NO_ITEMS, _NO_ROWS
    if exclude is not None:
        seen_items = np.ascontiguousarray(exclude[0], dtype=np.int32)
        seen_offsets = np.ascontiguousarray(exclude[1], dtype=np.int64)
    mask = _NO_MASK if allowed is None else np.ascontiguousarray(allowed, dtype=np.bool_)
    top_k_sparse_rows(
        scores.indptr.astype(np.int64),
        scores.indices.astype(np.int32),
        np.ascontiguousarray(scores.data, dtype=np.float32),
        scores.shape[1],
        seen_items,
        seen_offsets,
        mask,
        out_items,
        out_scores,
    )
