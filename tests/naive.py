"""Slow, obviously correct reference implementations that the fast code is tested against.

Keep these simple: plain Python/NumPy loops that follow the textbook definition, no tricks.
"""

from __future__ import annotations

import math

import numpy as np

# ---- SGNS engine (issue 2) ---------------------------------------------------------------------
# The reference consumes the same random stream as the kernels (splitmix64, one 64-bit draw per
# token for subsampling, per position for the window, per negative), so that both make the same
# random choices and their vectors can be compared number for number. Tokens pruned by
# min_count are removed from the sentences before they reach it.

_MASK64 = (1 << 64) - 1


class SplitMix64:
    def __init__(self, state: int):
        self.state = int(state)

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & _MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
        return z ^ (z >> 31)


def keep_probability(count: int, total: int, sample: float) -> float:
    """word2vec's subsampling keep-probability for a word seen ``count`` times among ``total``."""
    if sample == 0:
        return 1.0
    t = sample * total
    return min(1.0, (math.sqrt(count / t) + 1) * t / count)


def alias_draw(threshold, alias, bits: int) -> int:
    i = ((bits >> 32) * len(threshold)) >> 32
    return i if (bits & 0xFFFFFFFF) < threshold[i] else int(alias[i])


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def sgns_epoch(
    syn0,
    syn1,
    sentences,
    weights,
    keep_threshold,
    neg_threshold,
    neg_alias,
    *,
    sg,
    window,
    shrink_windows,
    whole_sentence,
    negative,
    alpha,
    min_alpha,
    words_before,
    total_words,
    rng: SplitMix64,
    forward_window=False,
    context_samples=0,
    extras=None,
    extra_weight=1.0,
    groups=None,
    group_negative=0,
    global_flags=None,
):
    """One epoch of skip-gram or CBOW with negative sampling, one thread, float64, textbook order.
    Updates ``syn0``/``syn1`` in place; returns the summed logistic loss. ``extras``: ``{centre:
    [rows]}``, contexts of a centre besides its window, at ``extra_weight`` times its step.
    ``groups``: ``{centre: (member rows, threshold, alias)}``, the alias table of the centre's
    group: after its noise negatives a centre draws ``group_negative`` members (itself dropped).
    ``global_flags``: per sentence, a bool per token: flagged tokens (subsampled or not) are
    contexts of every other centre of their sentence, after its window and extras."""
    extras = extras or {}
    groups = groups or {}
    global_flags = global_flags or [[False] * len(sentence) for sentence in sentences]
    loss = 0.0
    done = words_before
    for sentence, sentence_weights, flags in zip(sentences, weights, global_flags):
        lr = max(alpha - (alpha - min_alpha) * done / total_words, min_alpha)
        done += len(sentence)
        flagged = [w for w, flag in zip(sentence, flags) if flag]
        kept = [(w, wt) for w, wt in zip(sentence, sentence_weights) if (rng.next() & 0xFFFFFFFF) < keep_threshold[w]]
        n = len(kept)
        for pos, (centre, centre_weight) in enumerate(kept):
            if whole_sentence:
                lo, hi = 0, n
            else:
                b = 1 + (((rng.next() >> 32) * window) >> 32) if shrink_windows else window
                lo, hi = max(0, pos - b), (pos + 1 if forward_window else min(n, pos + b + 1))
            context = [kept[c][0] for c in range(lo, hi) if c != pos]
            extra = extras.get(centre, [])
            global_context = [w for w in flagged if w != centre]
            if not context and not extra and not global_context:
                continue
            step = lr * centre_weight
            # one draw of negatives per centre word, shared by all its contexts
            negatives = [
                t for t in (alias_draw(neg_threshold, neg_alias, rng.next()) for _ in range(negative)) if t != centre
            ]
            if centre in groups:
                members, group_threshold, group_alias = groups[centre]
                for _ in range(group_negative):
                    t = members[alias_draw(group_threshold, group_alias, rng.next())]
                    if t != centre:
                        negatives.append(t)
            if sg and whole_sentence and 0 < context_samples < len(context):
                # that many of the other items, drawn uniformly with replacement, after the negatives
                context = [context[((rng.next() >> 32) * len(context)) >> 32] for _ in range(context_samples)]
            if sg:
                for ctx in context:
                    grad, pair_loss = _predict(syn1, syn0[ctx].copy(), centre, negatives, step)
                    syn0[ctx] += grad
                    loss += pair_loss
                for ctx in extra:
                    grad, pair_loss = _predict(syn1, syn0[ctx].copy(), centre, negatives, step * extra_weight)
                    syn0[ctx] += grad
                    loss += pair_loss
                for ctx in global_context:
                    grad, pair_loss = _predict(syn1, syn0[ctx].copy(), centre, negatives, step)
                    syn0[ctx] += grad
                    loss += pair_loss
            else:
                total = sum(syn0[c] for c in context) + sum(extra_weight * syn0[x] for x in extra)
                total = total + sum(syn0[g] for g in global_context)
                hidden = total / (len(context) + len(extra) + len(global_context))
                grad, pair_loss = _predict(syn1, hidden, centre, negatives, step)
                for ctx in context:
                    syn0[ctx] += grad
                for ctx in extra:
                    syn0[ctx] += extra_weight * grad
                for ctx in global_context:
                    syn0[ctx] += grad
                loss += pair_loss
    return loss


def _predict(syn1, hidden, centre, negatives, step):
    grad = np.zeros_like(hidden)
    loss = 0.0
    for target, label in [(centre, 1.0)] + [(t, 0.0) for t in negatives]:
        f = float(hidden @ syn1[target])
        p = sigmoid(f)
        g = (label - p) * step
        grad += g * syn1[target]
        syn1[target] += g * hidden
        loss += -math.log(p) if label else -math.log(1.0 - p)
    return grad, loss


# ---- text corpora (issue 4) -------------------------------------------------------------------

_DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def text8_line_tokens(line: str) -> list[str]:
    """text8 cleaning one character at a time: tags and HTML entities dropped, ASCII letters
    lowercased, each digit a word, anything else a separator."""
    import re

    line = re.sub(rb"<[^>\n]{0,998}>", b" ", line.encode("utf-8")).decode("utf-8")  # tags: <= 1000 bytes
    line = re.sub(r"&(?:[A-Za-z]+|#[0-9]+|#[xX][0-9A-Fa-f]+);", " ", line)
    tokens, word = [], ""
    for ch in line:
        if "A" <= ch <= "Z":
            ch = chr(ord(ch) + 32)
        if "a" <= ch <= "z":
            word += ch
            continue
        if word:
            tokens.append(word)
            word = ""
        if "0" <= ch <= "9":
            tokens.append(_DIGIT_NAMES[int(ch)])
    if word:
        tokens.append(word)
    return tokens


def text_sentences(data: bytes, tokenize: str, max_sentence_length: int) -> list[list[str]]:
    """A whole file's bytes -> sentences: one per non-empty ``\\n`` line, cut into pieces of at
    most ``max_sentence_length`` tokens."""
    tokenizers = {"whitespace": str.split, "lowercase": lambda line: line.lower().split(), "text8": text8_line_tokens}
    sentences = []
    for line in data.decode("utf-8").split("\n"):
        tokens = tokenizers[tokenize](line)
        for start in range(0, len(tokens), max_sentence_length):
            sentences.append(tokens[start : start + max_sentence_length])
    return sentences


def word2phrase_pass(sentences: list[list[str]], threshold: float, min_count: int) -> list[list[str]]:
    """One pass of word2phrase.c, sentence by sentence (no bigram crosses a sentence)."""
    from collections import Counter

    unigrams, bigrams = Counter(), Counter()
    for sentence in sentences:
        unigrams.update(sentence)
        bigrams.update(zip(sentence, sentence[1:]))
    n = sum(unigrams.values())
    result = []
    for sentence in sentences:
        out, previous_joined = [], False
        for i, word in enumerate(sentence):
            if i > 0 and not previous_joined:
                a, pa, pb = sentence[i - 1], unigrams[sentence[i - 1]], unigrams[word]
                if pa >= min_count and pb >= min_count:
                    score = (bigrams[a, word] - min_count) * n / (pa * pb)
                    if score > threshold:
                        out[-1] = out[-1] + "_" + word
                        previous_joined = True
                        continue
            out.append(word)
            previous_joined = False
        result.append(out)
    return result


# ---- recommendations and audiences (issue 6) ---------------------------------------------------


def top_k_inner(queries, items, k, exclude=None, allowed=None):
    """Per query: every item's dot product in float64, skipping excluded and disallowed items,
    sorted by (score descending, item ascending); padded with (-1, -inf) to ``k``."""
    ids, scores = [], []
    for q, query in enumerate(queries):
        banned = set() if exclude is None else set(exclude[q])
        scored = [
            (-sum(float(a) * float(b) for a, b in zip(query, row)), j)
            for j, row in enumerate(items)
            if j not in banned and (allowed is None or allowed[j])
        ]
        best = sorted(scored)[:k] + [(math.inf, -1)] * max(0, k - len(scored))
        ids.append([j for _, j in best])
        scores.append([-s for s, _ in best])
    return ids, scores


def mixture_scores(session_rows, queries, targets, shift, temperature, n_last, decay, neighbours):
    """log sum over the last ``n_last`` rows p (weights 1, decay, ...) of exp((q_p . t_c - shift) /
    temperature), over each p's ``neighbours`` best columns c (score descending, column ascending);
    -inf for columns no list reaches."""
    total = np.zeros(len(targets))
    for age, row in enumerate(reversed(session_rows[-n_last:])):
        scores = [float(np.dot(np.asarray(queries[row], np.float64), np.asarray(t, np.float64))) for t in targets]
        for c in sorted(range(len(targets)), key=lambda c: (-scores[c], c))[:neighbours]:
            total[c] += decay**age * math.exp(min((scores[c] - shift) / temperature, 80.0))
    return [math.log(t) if t > 0 else -math.inf for t in total]


def repeat_share(sentences):
    """Of the tokens after each sentence's first, the share already seen earlier in that sentence."""
    repeats = followers = 0
    for sentence in sentences:
        for i, token in enumerate(sentence[1:], 1):
            followers += 1
            repeats += token in sentence[:i]
    return repeats / followers if followers else 0.0


def next_item_mixture_scores(
    session_rows, inputs, outputs, temperature, n_last, decay, successors, repeat_share, observed=None, blend=0.0
):
    """log sum over the last ``n_last`` rows p (weights 1, decay, ...) of p's next-item
    distribution: ``repeat_share`` on p, the rest on its ``successors`` best other columns c by
    softmax(input_p . output_c / temperature); -inf for columns no distribution reaches. With
    ``observed`` ({p: {c: weight}}), a p that has observed successors puts ``1 - blend`` of its
    distribution there and ``blend`` on them, normalised."""
    total = np.zeros(len(outputs))
    for age, p in enumerate(reversed(session_rows[-n_last:])):
        seen = (observed or {}).get(p, {})
        share = blend if seen else 0.0
        for c, weight in seen.items():
            total[c] += decay**age * share * weight / sum(seen.values())
        scores = {
            c: float(np.dot(np.asarray(inputs[p], np.float64), np.asarray(outputs[c], np.float64)))
            for c in range(len(outputs))
            if c != p
        }
        best = sorted(scores, key=lambda c: (-scores[c], c))[:successors]
        top = max(scores[c] for c in best) if best else 0.0
        norm = sum(math.exp((scores[c] - top) / temperature) for c in best)
        for c in best:
            total[c] += decay**age * (1 - share) * (1 - repeat_share) * math.exp((scores[c] - top) / temperature) / norm
        total[p] += decay**age * (1 - share) * (repeat_share if best else 1.0)
    return [math.log(t) if t > 0 else -math.inf for t in total]


def top_k_of_scores(scores, k, exclude=(), allowed=None):
    """Columns by (score descending, column ascending), skipping excluded and disallowed ones;
    padded with (-1, -inf) to ``k``."""
    kept = [c for c in range(len(scores)) if c not in set(exclude) and (allowed is None or allowed[c])]
    best = sorted(kept, key=lambda c: (-scores[c], c))[:k]
    return best + [-1] * (k - len(best)), [scores[c] for c in best] + [-math.inf] * (k - len(best))


def session_query(session_rows, vectors, scorer, n_last, decay):
    """The textbook query of one session: weights 1, decay, decay**2... from the most recent of
    the last ``n_last`` items (1 for "last"); unit item vectors and a unit query unless "sequence"."""
    if scorer == "last":
        n_last = 1
    source = vectors if scorer == "sequence" else [v / np.linalg.norm(v) for v in vectors]
    query = np.zeros(len(vectors[0]))
    for age, row in enumerate(reversed(session_rows[-n_last:])):
        query += decay**age * np.asarray(source[row], dtype=np.float64)
    if scorer != "sequence" and np.linalg.norm(query) > 0:
        query /= np.linalg.norm(query)
    return query


def user_vector(events, unit_vectors, half_life_seconds, event_weights):
    """One user's vector from ``(item_row, time_seconds, event_type)`` triples: the sum of
    ``weight(type) * 0.5 ** ((latest - time) / half_life) * unit_vector``, scaled to length 1."""
    latest = max(t for _, t, _ in events)
    total = np.zeros(len(unit_vectors[0]))
    for row, t, kind in events:
        total += event_weights.get(kind, 1.0) * 0.5 ** ((latest - t) / half_life_seconds) * unit_vectors[row]
    return total / np.linalg.norm(total)


def lookalike(vectors, seed_rows, size, method):
    """Rows of the ``size`` best non-seed users by cosine to the seeds' centroid, or by the best
    dot product with any seed; ties to the lower row."""
    seeds = [np.asarray(vectors[s], dtype=np.float64) for s in seed_rows]
    centroid = np.mean(seeds, axis=0)
    centroid /= np.linalg.norm(centroid)
    scored = []
    for row, vector in enumerate(vectors):
        if row in seed_rows:
            continue
        vector = np.asarray(vector, dtype=np.float64)
        score = vector @ centroid if method == "centroid" else max(vector @ s for s in seeds)
        scored.append((-score, row))
    return [row for _, row in sorted(scored)[:size]]


# ---- event logs to sessions (item2vec.sessions) ------------------------------------------------


def sessionise_events(
    events, *, by_session=False, gap=None, max_duration=None, event_types=None, event_weights=None, keep_last=None
):
    """The per-user steps, one event at a time. ``events``: dicts with ``user``, ``item``,
    ``time`` (integer microseconds) and optionally ``session``, ``event``, in source order.

    Returns sessions as dicts: ``user`` and ``session`` of their first event, and ``events``, a
    list of ``(row, item, time, weight)``. Definitions (the spec the fast code must meet): rows
    with a null key/item/time are dropped; each key's events are ordered by time, ties in source
    order; a new session starts after a gap *greater* than ``gap`` (never with session ids) and
    whenever ``(time - session start) // max_duration`` changes; then event types are filtered,
    runs of one item collapse into their first event with the run's largest weight, and only the
    last ``keep_last`` events stay. Sessions left empty are dropped."""
    key = "session" if by_session else "user"
    groups = {}
    for row, event in enumerate(events):
        if event.get(key) is None or event["item"] is None or event["time"] is None:
            continue
        groups.setdefault(event[key], []).append((row, event))
    sessions = []
    for rows in groups.values():
        rows.sort(key=lambda pair: pair[1]["time"])  # sort is stable: ties keep source order
        pieces, previous = [], None
        for row, event in rows:
            t = event["time"]
            if previous is None or (not by_session and gap is not None and t - previous > gap):
                pieces.append([(row, event)])
                start, window = t, 0
            elif max_duration is not None and (t - start) // max_duration != window:
                window = (t - start) // max_duration
                pieces.append([(row, event)])
            else:
                pieces[-1].append((row, event))
            previous = t
        for piece in pieces:
            first = piece[0][1]
            kept = []
            for row, event in piece:
                if event_types is not None and event.get("event") not in event_types:
                    continue
                weight = 1.0 if event_weights is None else event_weights.get(event.get("event"), 1.0)
                if kept and kept[-1][1] == event["item"]:
                    last = kept[-1]
                    kept[-1] = (last[0], last[1], last[2], max(last[3], weight))
                else:
                    kept.append((row, event["item"], event["time"], weight))
            if keep_last is not None:
                kept = kept[-keep_last:]
            if kept:
                sessions.append({"user": first.get("user"), "session": first.get("session"), "events": kept})
    return sessions


def clean_sessions(sessions, *, min_item_count=1, min_length=2, iterate=False):
    """Drop events of items with fewer than ``min_item_count`` events, then sessions shorter than
    ``min_length``; with ``iterate``, again until a pass drops no item."""
    first_pass = True
    while True:
        counts = {}
        for session in sessions:
            for _, item, _, _ in session["events"]:
                counts[item] = counts.get(item, 0) + 1
        rare = {item for item, n in counts.items() if n < min_item_count}
        sessions = [dict(s, events=[e for e in s["events"] if e[1] not in rare]) for s in sessions]
        sessions = [s for s in sessions if s["events"]]
        if not first_pass and not rare:
            return sessions
        first_pass = False
        sessions = [s for s in sessions if len(s["events"]) >= min_length]
        if not iterate:
            return sessions


def chronological(sessions):
    """Sessions ordered by (start time, source row of the first event)."""
    return sorted(sessions, key=lambda s: (s["events"][0][2], s["events"][0][0]))


def naive_sessionize(events, *, min_item_count=1, min_length=2, iterate=False, **steps):
    return chronological(
        clean_sessions(
            sessionise_events(events, **steps), min_item_count=min_item_count, min_length=min_length, iterate=iterate
        )
    )


def naive_temporal_split(events, cutoff, *, min_item_count=1, min_length=2, iterate=False, **steps):
    """Sessions ending before ``cutoff`` train (then cleaned), sessions starting at or after it
    test (items unseen in training removed, then ``min_length``); the rest are dropped."""
    sessions = sessionise_events(events, **steps)
    train = [s for s in sessions if s["events"][-1][2] < cutoff]
    test = [s for s in sessions if s["events"][0][2] >= cutoff]
    train = clean_sessions(train, min_item_count=min_item_count, min_length=min_length, iterate=iterate)
    known = {e[1] for s in train for e in s["events"]}
    test = [dict(s, events=[e for e in s["events"] if e[1] in known]) for s in test]
    test = [s for s in test if len(s["events"]) >= min_length]
    return chronological(train), chronological(test)


def naive_leave_last_out(events, **options):
    """Training: every session without its last event; test: the sessions whose last item occurs
    in training."""
    sessions = naive_sessionize(events, **options)
    train = [dict(s, events=s["events"][:-1]) for s in sessions if len(s["events"]) > 1]
    known = {e[1] for s in train for e in s["events"]}
    test = [s for s in sessions if s["events"][-1][1] in known]
    return chronological(train), test


# ---- next-item evaluation (issue 5) ------------------------------------------------------------


def next_item_pairs(sessions, catalogue_keys, last_only=False):
    """Every (prefix, next item) of every session as (known prefix keys, target key or None);
    items outside the catalogue leave the prefix, an unknown target becomes None."""
    known = set(catalogue_keys)
    pairs = []
    for session in sessions:
        if last_only:
            positions = [len(session) - 1] if len(session) > 1 else []
        else:
            positions = range(1, len(session))
        for i in positions:
            prefix = [key for key in session[:i] if key in known]
            pairs.append((prefix, session[i] if session[i] in known else None))
    return pairs


def ranking_metrics(recommended, targets, ks, catalogue_size):
    """HR, MRR, NDCG and coverage at each k by the textbook definitions, one pair at a time.
    ``recommended``: lists of item ids (-1 = nothing); ``targets``: ids, None/-1 = unseen."""
    out = {}
    for k in ks:
        hr = mrr = ndcg = 0.0
        shown = set()
        for recs, target in zip(recommended, targets):
            top = [int(r) for r in list(recs)[:k]]
            shown.update(r for r in top if r >= 0)
            if target is not None and target >= 0 and target in top:
                rank = top.index(target) + 1
                hr += 1
                mrr += 1 / rank
                ndcg += 1 / math.log2(rank + 1)
        n = len(targets)
        out[f"HR@{k}"], out[f"MRR@{k}"], out[f"NDCG@{k}"] = hr / n, mrr / n, ndcg / n
        out[f"coverage@{k}"] = len(shown) / catalogue_size
    return out


def cosine_knn_scores(sessions, n_items, prefix_weights):
    """Item-item cosine over the binary session x item incidence (every neighbour kept), scored
    from one prefix: score(j) = sum_i w_i cos(i, j)."""
    incidence = np.zeros((len(sessions), n_items))
    for s, session in enumerate(sessions):
        for item in session:
            incidence[s, item] = 1.0  # tests use sessions without repeats
    scores = np.zeros(n_items)
    for i, w in prefix_weights.items():
        for j in range(n_items):
            norm = math.sqrt(incidence[:, i].sum() * incidence[:, j].sum())
            if norm:
                scores[j] += w * float(incidence[:, i] @ incidence[:, j]) / norm
    return scores


def als_fold_in(item_factors, prefix_counts, alpha, regularization):
    """Hu, Koren & Volinsky's user step for one new user: minimise
    sum_i c_i (p_i - x.y_i)^2 + reg |x|^2 with c_i = 1 + alpha r_i, p_i = [r_i > 0]."""
    Y = np.asarray(item_factors, dtype=np.float64)
    A = Y.T @ Y + regularization * np.eye(Y.shape[1])
    b = np.zeros(Y.shape[1])
    for item, count in prefix_counts.items():
        confidence = 1.0 + alpha * count
        A += (confidence - 1.0) * np.outer(Y[item], Y[item])
        b += confidence * Y[item]
    return np.linalg.solve(A, b)


# ---- SPPMI warm start --------------------------------------------------------------------------


def cooccurrence_counts(sentences, n_items, window=None, max_distance=50):
    """Pair counts by their definition: every ordered pair (a at i, b at j != i) of a sentence with
    |i - j| <= window weighs (window - |i - j| + 1) / window; window None: every pair within
    max_distance weighs 1."""
    counts = np.zeros((n_items, n_items))
    for sentence in sentences:
        for i, a in enumerate(sentence):
            for j, b in enumerate(sentence):
                d = abs(i - j)
                if d == 0 or d > (window if window is not None else max_distance):
                    continue
                counts[a, b] += 1.0 if window is None else (window - d + 1) / window
    return counts


def sppmi(counts, negative, noise):
    """max(0, log(#(w, c) / (negative * #(w) * noise[c]))) on the pairs seen, 0 elsewhere."""
    out = np.zeros_like(counts)
    totals = counts.sum(axis=1)
    for w in range(counts.shape[0]):
        for c in range(counts.shape[1]):
            if counts[w, c] > 0:
                out[w, c] = max(0.0, math.log(counts[w, c] / (negative * totals[w] * noise[c])))
    return out


# ---- session baselines (issue 19): session-rec's loops, one prefix at a time -------------------
# Sessions are lists of catalogue ids in time order (index = time). Tie rules as the fast code
# documents: among equally similar sessions the more recent is the neighbour; rule lists keep the
# lower id among equally heavy targets.


def sequential_rules(sessions, steps, weight, pruning):
    """{b: {c: weight}}: each click c gains weight(d) for the click b d <= steps before it."""
    rules = {}
    for session in sessions:
        for j, c in enumerate(session):
            for d in range(1, min(steps, j) + 1):
                targets = rules.setdefault(session[j - d], {})
                targets[c] = targets.get(c, 0.0) + weight(d)
    if pruning:
        rules = {b: dict(sorted(t.items(), key=lambda kv: (-kv[1], kv[0]))[:pruning]) for b, t in rules.items()}
    return rules


def sequential_rules_scores(rules, prefix, push):
    """The rules of the prefix's last item; with ``push`` an item clicked c times scores x (c + 1)."""
    scores = dict(rules.get(prefix[-1], {})) if prefix else {}
    if push:
        scores = {i: s * (prefix.count(i) + 1) for i, s in scores.items()}
    return scores


def session_knn_scores(
    sessions,
    prefix,
    *,
    k,
    sample_size,
    prefix_weight=lambda i, length: 1.0,
    similarity="cosine",
    time_decay=None,
    neighbour_decay=lambda t: 1.0,
    position_decay=None,
    item_factor=None,
    push=False,
):
    """{item: score} of one prefix, session-rec's find_neighbors + score_items spelled out.

    ``prefix_weight(i, L)``: weight of the item last clicked at position i (1-based) of L;
    ``similarity``: vec | cosine | jaccard; ``time_decay(age)`` with age = len(sessions) - index;
    ``neighbour_decay(t)``, t = distance from the end of the prefix's last click the neighbour
    holds; ``position_decay(|pos(j) - pos*|)`` inside the neighbour; ``item_factor[j]`` multiplies."""
    if not prefix:
        return {}
    length = len(prefix)
    weights = {}
    for i, item in enumerate(prefix, start=1):
        weights[item] = prefix_weight(i, length)  # a repeated item keeps its last click's weight
    distinct = list(dict.fromkeys(prefix))
    relevant = {s for s, session in enumerate(sessions) if set(session) & set(distinct)}
    sample = sorted(relevant, reverse=True)[:sample_size]
    candidates = []
    for s in sample:
        items = set(sessions[s])
        shared = 0.0
        for item in distinct:
            if item in items:
                shared += weights[item]
        if similarity == "vec":
            sim = shared / len(distinct)
        elif similarity == "cosine":
            norm = 0.0
            for item in distinct:
                norm += weights[item] * weights[item]
            sim = shared / (math.sqrt(norm) * math.sqrt(len(items)))
        else:
            common = len(items & set(distinct))
            sim = common / (len(distinct) + len(items) - common)
        if time_decay is not None:
            sim *= time_decay(len(sessions) - s)
        candidates.append((s, sim))
    neighbours = sorted(candidates, key=lambda c: (-c[1], -c[0]))[:k]
    scores = {}
    for s, sim in neighbours:
        session = sessions[s]
        step = next(t for t, item in enumerate(reversed(prefix), start=1) if item in session)
        last_position = {item: p for p, item in enumerate(session, start=1)}
        star = max(p for p, item in enumerate(session, start=1) if item in weights)
        for item, p in last_position.items():
            term = sim * neighbour_decay(step)
            if position_decay is not None:
                term *= position_decay(abs(p - star))
            scores[item] = scores.get(item, 0.0) + term
    for item in scores:
        scores[item] *= (item_factor[item] if item_factor is not None else 1.0) * (
            prefix.count(item) + 1 if push else 1
        )
    return scores


def item_idf(sessions, n_items):
    """session-rec's idf: log(number of sessions / number of clicks of the item)."""
    clicks = [0] * n_items
    for session in sessions:
        for item in session:
            clicks[item] += 1
    return [math.log(len(sessions) / c) if c else 0.0 for c in clicks]


def session_pool(sessions, limit):
    """The last ``limit`` sessions (lists of rows, -1 dropped) as sorted lists of distinct rows,
    the ones left empty left out."""
    pooled = [sorted({row for row in session if row >= 0}) for session in sessions[-limit:]]
    return [session for session in pooled if session]


def session_neighbour_votes(query_rows, pool, unit, neighbours, sharpness, query_decay, n_last):
    """{row: share}: each pooled session (distinct rows) is the normalised sum of its rows' unit
    vectors, the query the normalised sum of its last ``n_last`` rows' (the last weighing 1, the
    one before ``query_decay``..., repeats adding up); the ``neighbours`` pooled sessions of
    highest cosine (ties: the earlier) vote ``max(cos, 0) ** sharpness`` for each of their rows,
    normalised to sum 1 ({} without a positive vote)."""

    def normalised(vector):
        norm = np.linalg.norm(vector)
        return vector / norm if norm > 1e-12 else vector

    unit = np.asarray(unit, np.float64)
    query = np.zeros(unit.shape[1])
    for age, row in enumerate(reversed(query_rows[-n_last:])):
        query += query_decay**age * unit[row]
    query = normalised(query)
    cosines = [float(query @ normalised(unit[session].sum(axis=0))) for session in pool]
    nearest = sorted(range(len(pool)), key=lambda s: (-cosines[s], s))[:neighbours]
    votes = {}
    for s in nearest:
        for row in pool[s]:
            votes[row] = votes.get(row, 0.0) + max(cosines[s], 0.0) ** sharpness
    total = sum(votes.values())
    return {row: vote / total for row, vote in votes.items() if vote > 0} if total > 0 else {}
