"""Skip-gram and CBOW with negative sampling over a range of sentences (one thread's share of
an epoch). Threads share ``syn0``/``syn1`` without locks (Hogwild), as word2vec.c and gensim do.

Each call releases the GIL and runs a whole share of an epoch in compiled code, so short
sessions cost no Python round-trips. Progress is published in ``progress[thread]`` for the
learning-rate schedule and the progress bar.

Skip-gram shares one draw of negatives among all the contexts of a centre word (as Intel's
pWord2Vec does): the same few output rows are reused while they sit in cache, and the RNG runs
once per centre word instead of once per pair. The objective is unchanged.
"""

import numpy as np
from numba import njit

from item2vec.engine._rng import below, high32, low32, next_u64
from item2vec.engine._sampling import draw

# How many words a thread processes between publications of its progress to other threads.
_PROGRESS_EVERY = 1024
_CLIP = np.float32(30.0)  # exp() argument clip: sigmoid is 1 or 0 to float32 precision beyond it


@njit(inline="always", fastmath=True, error_model="numpy", cache=True)
def _logistic_step(syn1, hidden, target, label, lr, grad, compute_loss):
    """One logistic step: score ``hidden . syn1[target]``, add the gradient for ``hidden`` into
    ``grad`` and update ``syn1[target]``. Returns this example's loss (0 if not computed)."""
    d = hidden.shape[0]
    f = np.float32(0.0)
    for j in range(d):
        f += hidden[j] * syn1[target, j]
    f = min(max(f, -_CLIP), _CLIP)
    e = np.exp(-f)
    g = (label - np.float32(1.0) / (np.float32(1.0) + e)) * lr
    for j in range(d):
        grad[j] += g * syn1[target, j]
        syn1[target, j] += g * hidden[j]
    if compute_loss:
        # -log(sigmoid(f)) = log1p(e); -log(1 - sigmoid(f)) = log1p(e) + f
        loss = np.log1p(np.float64(e))
        if label == np.float32(0.0):
            loss += np.float64(f)
        return loss
    return 0.0


@njit(inline="always", cache=True)
def _draw_negatives(centre, negative, neg_threshold, neg_alias, state, out):
    """Fill ``out`` with noise items (draws equal to ``centre`` are dropped); return how many."""
    n = 0
    for _ in range(negative):
        target = draw(neg_threshold, neg_alias, next_u64(state))
        if target != centre:
            out[n] = target
            n += 1
    return n


@njit(inline="always", cache=True)
def _draw_group_negatives(
    centre, count, group_of, table_offsets, group_threshold, group_alias, group_members, state, out, n
):
    """Append ``count`` draws from the alias table of ``centre``'s group to ``out[n:]`` (draws
    equal to ``centre`` dropped, as for noise items); return the new total. A centre in no group
    (``group_of`` -1) draws nothing and consumes no random numbers."""
    g = group_of[centre]
    if g < 0:
        return n
    lo = table_offsets[g]
    hi = table_offsets[g + 1]
    for _ in range(count):
        target = group_members[lo + draw(group_threshold[lo:hi], group_alias[lo:hi], next_u64(state))]
        if target != centre:
            out[n] = target
            n += 1
    return n


@njit(cache=True)
def sample_group_negatives(
    centre, count, group_of, table_offsets, group_threshold, group_alias, group_members, state, n
):
    """``n`` rounds of ``centre``'s group negatives as training draws them, concatenated (used by
    tests to check that they come from the group with the right distribution)."""
    out = np.empty(n * count, dtype=np.int64)
    buf = np.empty(count, dtype=np.int64)
    total = 0
    for _ in range(n):
        got = _draw_group_negatives(
            centre, count, group_of, table_offsets, group_threshold, group_alias, group_members, state, buf, 0
        )
        out[total : total + got] = buf[:got]
        total += got
    return out[:total]


@njit(inline="always", fastmath=True, error_model="numpy", cache=True)
def _predict(syn1, hidden, centre, negatives, n_negatives, lr, grad, compute_loss):
    """Train ``hidden`` to predict ``centre`` against the given noise items; ``grad`` gets the
    gradient for ``hidden`` (zeroed here)."""
    for j in range(hidden.shape[0]):
        grad[j] = 0.0
    loss = _logistic_step(syn1, hidden, centre, np.float32(1.0), lr, grad, compute_loss)
    for k in range(n_negatives):
        loss += _logistic_step(syn1, hidden, negatives[k], np.float32(0.0), lr, grad, compute_loss)
    return loss


@njit(nogil=True, fastmath=True, error_model="numpy", cache=True)
def train_range(
    syn0,
    syn1,
    tokens,
    offsets,
    weights,
    remap,
    first,
    last,
    keep_threshold,
    neg_threshold,
    neg_alias,
    sg,
    window,
    shrink_windows,
    forward_window,
    whole_sentence,
    context_samples,
    negative,
    alpha,
    min_alpha,
    words_before,
    total_words,
    progress,
    thread,
    state,
    loss_out,
    examples_out,
    compute_loss,
    extra_offsets,
    extra_rows,
    extra_weight,
    group_of,
    group_table_offsets,
    group_threshold,
    group_alias,
    group_members,
    group_negative,
    global_flags,
):
    """Train on sentences ``first..last-1`` (called by name from ``training.run``).

    syn0, syn1: float32 ``(rows, d)`` input and output vectors, updated in place (Hogwild).
    tokens, offsets: the corpus (int32 corpus ids; int64 sentence bounds).
    weights: float32 per-token weight scaling the step of its centre (empty: all 1).
    remap: int32 corpus id -> row of ``syn0``, -1 if pruned by ``min_count`` (dropped before windowing).
    first, last: this thread's sentences.
    keep_threshold: int64 per row; a token is kept when a uniform 32-bit draw is below it (subsampling).
    neg_threshold, neg_alias: the alias table of the noise distribution (``_sampling.build_alias``).
    sg: skip-gram (True) or CBOW. window: maximum distance of a context item.
    shrink_windows: draw each centre's window uniformly from 1..window, as word2vec does.
    forward_window: a centre's window contexts are only the items before it, so each item's input
    vector learns to predict what follows it (and not what came before: the order click data has).
    whole_sentence: every other item of the sentence is context (ignores ``window``).
    context_samples: with ``whole_sentence`` and skip-gram, a centre whose sentence holds more other
    items than this trains on this many of them drawn uniformly (with replacement) instead of all:
    the cost of a sentence grows linearly with its length, not quadratically (0: all).
    negative: noise items per positive example.
    alpha, min_alpha, words_before, total_words: the learning rate falls linearly from ``alpha``
    to ``min_alpha`` over ``total_words``; ``words_before`` were processed by all threads in
    earlier epochs.
    progress: int64 per thread, this epoch's words, published every ``_PROGRESS_EVERY``.
    thread: this thread's index into ``progress``, ``loss_out`` and ``examples_out``.
    state: this thread's RNG state (``_rng.seed_states``).
    loss_out, examples_out: per-thread sums, added to at the end.
    compute_loss: sum the logistic loss (costs a log per example).
    extra_offsets, extra_rows: CSR over rows, the *extra contexts* of each centre row besides its
    window (e.g. its attribute tokens, rows after the items): they predict the centre like a
    window context, with the centre's negatives, at ``extra_weight`` times its step. Empty
    ``extra_offsets``: none (and no change to any draw, so results are unchanged).
    group_of, group_table_offsets, group_threshold, group_alias, group_members, group_negative: the
    *in-group negatives*: besides its ``negative`` noise items, each centre draws ``group_negative``
    items of its own group (``group_of[row]``, -1: none) from that group's alias table, which is
    ``group_threshold/group_alias[group_table_offsets[g]:group_table_offsets[g + 1]]`` over the
    rows ``group_members[...]`` of the same slice (``training.GroupNegatives``). Empty
    ``group_of``: none (no draw changes).
    global_flags: bool per token of ``tokens``: a flagged token (kept by ``min_count``, whether
    subsampled or not) is a *global context* of every other token of its sentence, besides its
    window: it predicts each centre like a window context, with the centre's negatives (a centre
    is never its own global context; inside the window it counts twice). Empty: none.
    """
    d = syn0.shape[1]
    has_weights = len(weights) > 0
    has_extras = len(extra_offsets) > 0
    has_groups = len(group_of) > 0
    has_globals = len(global_flags) > 0
    max_len = 0
    for s in range(first, last):
        max_len = max(max_len, offsets[s + 1] - offsets[s])
    buf = np.empty(max_len, dtype=np.int32)
    gbuf = np.empty(max_len if has_globals else 0, dtype=np.int32)  # this sentence's global contexts
    wbuf = np.ones(max_len, dtype=np.float32)
    grad = np.empty(d, dtype=np.float32)
    hidden = np.empty(d, dtype=np.float32)
    negatives = np.empty(max(negative + (group_negative if has_groups else 0), 1), dtype=np.int64)
    loss = 0.0
    examples = 0
    local_done = 0  # words this thread has processed this epoch
    published = 0
    span = np.float64(alpha - min_alpha)

    for s in range(first, last):
        # the learning rate falls linearly with the words all threads processed before this sentence
        done = words_before + local_done + (progress.sum() - progress[thread])
        lr = np.float32(max(alpha - span * done / total_words, min_alpha))
        # drop pruned tokens, then subsample frequent ones, into a local buffer
        n = 0
        n_global = 0
        for p in range(offsets[s], offsets[s + 1]):
            w = remap[tokens[p]]
            if w < 0:
                continue
            local_done += 1
            if has_globals and global_flags[p]:
                gbuf[n_global] = w
                n_global += 1
            if np.int64(low32(next_u64(state))) < keep_threshold[w]:
                buf[n] = w
                if has_weights:
                    wbuf[n] = weights[p]
                n += 1
        if local_done - published >= _PROGRESS_EVERY or s == last - 1:
            progress[thread] = local_done
            published = local_done

        for pos in range(n):
            centre = buf[pos]
            if whole_sentence:
                lo = 0
                hi = n
            else:
                b = window
                if shrink_windows:
                    b = 1 + below(high32(next_u64(state)), window)
                lo = max(0, pos - b)
                hi = pos + 1 if forward_window else min(n, pos + b + 1)
            e_lo = extra_offsets[centre] if has_extras else 0
            e_hi = extra_offsets[centre + 1] if has_extras else 0
            n_glob = 0  # global contexts of this centre (the flagged tokens that are not the centre)
            for k in range(n_global):
                n_glob += gbuf[k] != centre
            if hi - lo <= 1 and e_hi == e_lo and n_glob == 0:
                continue
            step = lr * wbuf[pos] if has_weights else lr
            n_neg = _draw_negatives(centre, negative, neg_threshold, neg_alias, state, negatives)
            if has_groups:
                n_neg = _draw_group_negatives(
                    centre,
                    group_negative,
                    group_of,
                    group_table_offsets,
                    group_threshold,
                    group_alias,
                    group_members,
                    state,
                    negatives,
                    n_neg,
                )
            if sg:
                others = hi - lo - 1
                sampled = whole_sentence and 0 < context_samples < others
                for i in range(context_samples if sampled else hi - lo):
                    if sampled:
                        c = below(high32(next_u64(state)), others)  # an index among the others
                        c += 1 if c >= pos else 0
                    else:
                        c = lo + i
                        if c == pos:
                            continue
                    ctx = buf[c]
                    loss += _predict(syn1, syn0[ctx], centre, negatives, n_neg, step, grad, compute_loss)
                    examples += 1
                    for j in range(d):
                        syn0[ctx, j] += grad[j]
                for e in range(e_lo, e_hi):
                    ctx = extra_rows[e]
                    loss += _predict(syn1, syn0[ctx], centre, negatives, n_neg, step * extra_weight, grad, compute_loss)
                    examples += 1
                    for j in range(d):
                        syn0[ctx, j] += grad[j]
                for k in range(n_global):
                    ctx = gbuf[k]
                    if ctx == centre:
                        continue
                    loss += _predict(syn1, syn0[ctx], centre, negatives, n_neg, step, grad, compute_loss)
                    examples += 1
                    for j in range(d):
                        syn0[ctx, j] += grad[j]
            else:
                for j in range(d):
                    hidden[j] = 0.0
                for c in range(lo, hi):
                    if c != pos:
                        for j in range(d):
                            hidden[j] += syn0[buf[c], j]
                for e in range(e_lo, e_hi):
                    for j in range(d):
                        hidden[j] += extra_weight * syn0[extra_rows[e], j]
                for k in range(n_global):
                    if gbuf[k] != centre:
                        for j in range(d):
                            hidden[j] += syn0[gbuf[k], j]
                inv = np.float32(1.0) / np.float32(hi - lo - 1 + e_hi - e_lo + n_glob)
                for j in range(d):
                    hidden[j] *= inv
                loss += _predict(syn1, hidden, centre, negatives, n_neg, step, grad, compute_loss)
                examples += 1
                for c in range(lo, hi):
                    if c != pos:
                        for j in range(d):
                            syn0[buf[c], j] += grad[j]
                for e in range(e_lo, e_hi):
                    for j in range(d):
                        syn0[extra_rows[e], j] += extra_weight * grad[j]
                for k in range(n_global):
                    if gbuf[k] != centre:
                        for j in range(d):
                            syn0[gbuf[k], j] += grad[j]
    loss_out[thread] += loss
    examples_out[thread] += examples
