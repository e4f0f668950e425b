"""Skip-gram and CBOW with negative sampling over a range of sentences (one thread's share of
an epoch). Threads share ``syn0``/``syn1`` without locks (Hogwild), as word2vec.c and gensim do.

Each call releases the GIL and runs a whole share of an epoch in compiled code, so short
sessions cost no Python round-trips. Progress is published in ``progress[thread]`` for the
learning-rate schedule and the progress bar.
"""

import numpy as np
from numba import njit

from .rng import high32, low32, below, next_u64
from .sampling import draw

# How many raw words a thread processes between publications of its progress to other threads.
_PROGRESS_EVERY = 1024
_CLIP = np.float32(30.0)  # exp() argument clip: sigmoid is 1 or 0 to float32 precision beyond it


@njit(inline="always", fastmath=True, cache=True)
def _negative_sampling_step(syn1, hidden, target, label, lr, grad, compute_loss):
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


@njit(inline="always", fastmath=True, cache=True)
def _predict(syn1, hidden, centre, lr, negative, neg_threshold, neg_alias, state, grad, compute_loss):
    """Train ``hidden`` to predict ``centre`` against ``negative`` sampled noise items."""
    loss = _negative_sampling_step(syn1, hidden, centre, np.float32(1.0), lr, grad, compute_loss)
    for _ in range(negative):
        target = draw(neg_threshold, neg_alias, next_u64(state))
        if target == centre:
            continue
        loss += _negative_sampling_step(syn1, hidden, target, np.float32(0.0), lr, grad, compute_loss)
    return loss


@njit(nogil=True, fastmath=True, cache=True)
def train_range(syn0, syn1, tokens, offsets, weights, first, last,
                keep_threshold, neg_threshold, neg_alias,
                sg, window, shrink_windows, whole_sentence, negative,
                alpha, min_alpha, words_before, total_words,
                progress, thread, state, loss_out, examples_out, compute_loss):
    """Train on sentences ``first..last-1``. ``words_before`` is the number of raw words all
    threads processed in earlier epochs and ``total_words`` the raw words of the whole run: the
    learning rate falls linearly from ``alpha`` to ``min_alpha`` over that span."""
    d = syn0.shape[1]
    has_weights = len(weights) > 0
    max_len = 0
    for s in range(first, last):
        max_len = max(max_len, offsets[s + 1] - offsets[s])
    buf = np.empty(max_len, dtype=np.int32)
    wbuf = np.ones(max_len, dtype=np.float32)
    grad = np.empty(d, dtype=np.float32)
    hidden = np.empty(d, dtype=np.float32)
    loss = 0.0
    examples = 0
    local_done = 0  # raw words this thread has processed this epoch
    published = 0
    span = np.float64(alpha - min_alpha)

    for s in range(first, last):
        # the learning rate falls linearly with the words all threads processed before this sentence
        done = words_before + local_done + (progress.sum() - progress[thread])
        lr = np.float32(max(alpha - span * done / total_words, min_alpha))
        start = offsets[s]
        end = offsets[s + 1]
        # frequent-token subsampling into a local buffer
        n = 0
        for p in range(start, end):
            w = tokens[p]
            if np.int64(low32(next_u64(state))) < keep_threshold[w]:
                buf[n] = w
                if has_weights:
                    wbuf[n] = weights[p]
                n += 1
        local_done += end - start
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
                hi = min(n, pos + b + 1)
            step = lr * wbuf[pos] if has_weights else lr
            if sg:
                for c in range(lo, hi):
                    if c == pos:
                        continue
                    ctx = buf[c]
                    for j in range(d):
                        grad[j] = 0.0
                    loss += _predict(syn1, syn0[ctx], centre, step, negative,
                                     neg_threshold, neg_alias, state, grad, compute_loss)
                    examples += 1
                    for j in range(d):
                        syn0[ctx, j] += grad[j]
            else:
                count = hi - lo - 1
                if count <= 0:
                    continue
                for j in range(d):
                    hidden[j] = 0.0
                    grad[j] = 0.0
                for c in range(lo, hi):
                    if c != pos:
                        for j in range(d):
                            hidden[j] += syn0[buf[c], j]
                inv = np.float32(1.0) / np.float32(count)
                for j in range(d):
                    hidden[j] *= inv
                loss += _predict(syn1, hidden, centre, step, negative,
                                 neg_threshold, neg_alias, state, grad, compute_loss)
                examples += 1
                for c in range(lo, hi):
                    if c != pos:
                        for j in range(d):
                            syn0[buf[c], j] += grad[j]
    loss_out[thread] += loss
    examples_out[thread] += examples
