"""Private kernels for exact top-k over blocks of dot products.

The caller computes a tile of scores with BLAS (rows = queries, columns = a contiguous range of
items) and folds it into one bounded min-heap per row, so the full query x catalogue score matrix
never exists. Heap order: higher score first, ties broken by the lower item index. Because tiles
and the columns inside them are folded in ascending item order, a candidate that only *ties* the
heap's worst entry always has the higher index and loses, so one strict comparison per score
decides almost every column (64 at a time, vectorised). Heap slots never filled keep item ``-1``
and score ``-inf``. ``rescore_sorted`` then ranks each heap by exact scores.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_BLOCK = 64  # columns counted against the heap's worst score before any is looked at one by one


@njit(inline="always")
def _worse(score_a, item_a, score_b, item_b):
    return score_a < score_b or (score_a == score_b and item_a > item_b)


@njit(inline="always")
def _replace_root(heap_scores, heap_items, score, item):
    """Put (score, item) at the root of a min-heap (worst entry on top) and sift it down."""
    size = heap_scores.shape[0]
    pos = 0
    while True:
        child = 2 * pos + 1
        if child >= size:
            break
        if child + 1 < size and _worse(
            heap_scores[child + 1], heap_items[child + 1], heap_scores[child], heap_items[child]
        ):
            child += 1
        if not _worse(heap_scores[child], heap_items[child], score, item):
            break
        heap_scores[pos] = heap_scores[child]
        heap_items[pos] = heap_items[child]
        pos = child
    heap_scores[pos] = score
    heap_items[pos] = item


@njit(nogil=True, cache=True)
def fold_tile(tile, first_item, first_row, seen_items, seen_offsets, allowed, heap_scores, heap_items):
    """Fold ``tile`` (rows ``first_row..``, items ``first_item..``) into the rows' heaps.

    ``seen_items[seen_offsets[r]:seen_offsets[r + 1]]`` are excluded for global row ``r``
    (``seen_offsets`` empty: nothing excluded); ``allowed`` is a per-item mask (empty: all).
    ``tile`` is overwritten. ``heap_*`` are indexed by tile row.
    """
    n_rows, n_cols = tile.shape
    last_item = first_item + n_cols
    check_allowed = allowed.shape[0] > 0
    for r in range(n_rows):
        row = tile[r]
        if seen_offsets.shape[0] > 0:
            for p in range(seen_offsets[first_row + r], seen_offsets[first_row + r + 1]):
                item = seen_items[p]
                if first_item <= item < last_item:
                    row[item - first_item] = -np.inf
        hs = heap_scores[r]
        hi = heap_items[r]
        threshold = hs[0]
        for start in range(0, n_cols, _BLOCK):
            block = row[start : start + _BLOCK]
            above = 0
            for c in range(block.shape[0]):  # vectorised count: most blocks end here
                if block[c] > threshold:
                    above += 1
            if above == 0:
                continue
            for c in range(block.shape[0]):
                score = block[c]
                if score > threshold:
                    item = first_item + start + c
                    if check_allowed and not allowed[item]:
                        continue
                    _replace_root(hs, hi, score, item)
                    threshold = hs[0]


@njit(nogil=True, cache=True)
def rescore_sorted(queries, items, first_row, heap_items, out_scores, out_items):
    """Rescore every heap's candidates with a float64 dot product summed in index order, and
    write the best ``k = out_items.shape[1]`` of them, best first.

    BLAS sums in an order that can depend on where a row sits in its block, so its last bit
    depends on how sessions were batched; the rescored value depends only on the two vectors.
    The heaps hold a few more candidates than ``k`` so that near-ties at the boundary survive.
    """
    n_rows, width = heap_items.shape
    k = out_items.shape[1]
    scores = np.empty(width, dtype=np.float64)
    order = np.empty(width, dtype=np.int64)
    for r in range(n_rows):
        query = queries[first_row + r]
        for slot in range(width):
            item = heap_items[r, slot]
            if item < 0:
                scores[slot] = -np.inf
                continue
            total = 0.0
            for d in range(query.shape[0]):
                total += np.float64(query[d]) * np.float64(items[item, d])
            scores[slot] = np.float32(total)
        for slot in range(width):  # insertion sort: score descending, then item ascending
            order[slot] = slot
            pos = slot
            while pos > 0 and _worse(
                scores[order[pos - 1]],
                _rank_item(heap_items[r, order[pos - 1]]),
                scores[slot],
                _rank_item(heap_items[r, slot]),
            ):
                order[pos] = order[pos - 1]
                pos -= 1
            order[pos] = slot
        for slot in range(k):
            out_items[r, slot] = heap_items[r, order[slot]]
            out_scores[r, slot] = scores[order[slot]]


@njit(inline="always")
def _rank_item(item):
    """Empty slots (-1) sort after every real item."""
    return item if item >= 0 else np.iinfo(np.int32).max


@njit(nogil=True, cache=True)
def fold_tile_max(tile, best):
    """``best[r] = max(best[r], max(tile[r]))``: the best score of each row over all tiles."""
    n_rows, n_cols = tile.shape
    for r in range(n_rows):
        value = best[r]
        row = tile[r]
        for c in range(n_cols):
            if row[c] > value:
                value = row[c]
        best[r] = value


@njit(nogil=True, cache=True)
def top_k_sparse_rows(indptr, indices, data, n_items, seen_items, seen_offsets, allowed, out_items, out_scores):
    """Top ``k = out_items.shape[1]`` of each CSR row (column indices sorted ascending), best
    first, ties to the lower column; the ``n_items`` columns a row does not store rank after, in
    column order (by popularity, as the vocabulary is sorted by count), with score ``-inf``.
    Excluded (``seen_*``, CSR per row; empty offsets = none) and disallowed (``allowed`` mask;
    empty = all) columns are skipped; slots left over get item ``-1`` and score ``-inf``."""
    n_rows, k = out_items.shape
    check_allowed = allowed.shape[0] > 0
    for r in range(n_rows):
        lo, hi = indptr[r], indptr[r + 1]
        seen_lo, seen_hi = 0, 0
        if seen_offsets.shape[0] > 0:
            seen_lo, seen_hi = seen_offsets[r], seen_offsets[r + 1]
        stored = indices[lo:hi]
        order = np.argsort(-data[lo:hi], kind="mergesort")  # stable: ties keep ascending columns
        filled = 0
        for o in order:
            if filled == k:
                break
            item = stored[o]
            if (check_allowed and not allowed[item]) or _contains(seen_items, seen_lo, seen_hi, item):
                continue
            out_items[r, filled] = item
            out_scores[r, filled] = data[lo + o]
            filled += 1
        item = 0
        while filled < k and item < n_items:
            at = np.searchsorted(stored, item)
            if not (
                (at < stored.shape[0] and stored[at] == item)
                or (check_allowed and not allowed[item])
                or _contains(seen_items, seen_lo, seen_hi, item)
            ):
                out_items[r, filled] = item
                out_scores[r, filled] = -np.inf
                filled += 1
            item += 1
        for slot in range(filled, k):
            out_items[r, slot] = -1
            out_scores[r, slot] = -np.inf


@njit(inline="always")
def _contains(values, lo, hi, value):
    for p in range(lo, hi):
        if values[p] == value:
            return True
    return False
