"""Item attributes, cold start, warm refresh, in-group negatives and conversion as global
context, measured on real logs (issue 17; README "Attributes, cold start and warm refresh").

    flock /tmp/item2vec-bench.lock python pipelines/attributes_eval.py cold      # MovieLens 100k, cold movies
    flock /tmp/item2vec-bench.lock python pipelines/attributes_eval.py warm      # attributes for warm items
    flock /tmp/item2vec-bench.lock python pipelines/attributes_eval.py refresh   # warm refresh vs retraining
    flock /tmp/item2vec-bench.lock python pipelines/attributes_eval.py groups    # in-group negatives
    flock /tmp/item2vec-bench.lock python pipelines/attributes_eval.py conversions  # buys as global context

Protocol (every experiment): events in time order are split at global time quantiles; a test
pair is (the user's last ``N_LAST`` items before the event, the event's item). Settings are
chosen on validation (training events before the 80% quantile, targets between 80% and 90%),
every option of every model getting the same number of trials; the chosen setting is refitted on
all events before the 90% quantile and scored once on the targets after it.
"""

from __future__ import annotations

import argparse
import gzip
import io
import itertools
import json
import os
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
N_LAST = 20  # prefix length of a test pair
K = 20
SESSION_GAP_SECONDS = 3600  # training sentences: a user's events split at gaps over an hour
VALIDATION, TEST = 0.8, 0.9  # time quantiles where validation and test targets start


# ---- data -----------------------------------------------------------------------------------------


def movielens() -> tuple[pl.DataFrame, pl.DataFrame]:
    """MovieLens 100k ratings as ``user, item, time`` events and the movies' genres as an
    attribute frame (``item, genre``, ``|`` between several genres; u.item is Latin-1)."""
    events = pl.read_csv(
        DATA / "ml-100k_u.data.gz", separator="\t", has_header=False, new_columns=["user", "item", "rating", "time"]
    ).select(pl.col("user").cast(pl.String), pl.col("item").cast(pl.String), "time")
    genres = pl.read_csv(DATA / "ml-100k_u.genre.gz", separator="|", has_header=False, new_columns=["name", "id"])
    names = genres.drop_nulls().sort("id")["name"].to_list()
    text = gzip.decompress((DATA / "ml-100k_u.item.gz").read_bytes()).decode("latin-1")
    items = pl.read_csv(io.StringIO(text), separator="|", has_header=False, infer_schema=False, quote_char=None)
    flags = items.columns[5 : 5 + len(names)]
    genre = pl.concat_list([pl.when(pl.col(f) == "1").then(pl.lit(n)) for f, n in zip(flags, names)])
    attributes = items.select(
        pl.col(items.columns[0]).alias("item"), genre.list.drop_nulls().list.join("|").alias("genre")
    )
    return events, attributes


def taobao(behaviour: bool = False) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The Taobao UserBehavior sample's events (every behaviour; ``behaviour``: with its column,
    pv/cart/fav/buy) and each item's category."""
    raw = pl.read_csv(
        DATA / "taobao_UserBehavior_head.csv.gz",
        has_header=False,
        new_columns=["user", "item", "category", "behavior", "time"],
        infer_schema=False,
    )
    events = raw.select("user", "item", pl.col("time").cast(pl.Int64), *(["behavior"] if behaviour else []))
    attributes = raw.select("item", "category").unique("item", keep="first", maintain_order=True)
    return events, attributes


def sessions_of(events: pl.DataFrame) -> pl.DataFrame:
    """``events`` in (user, time) order with a ``session`` number: each user's events cut at gaps
    over ``SESSION_GAP_SECONDS``."""
    ordered = events.sort("user", "time", "item", maintain_order=True)
    new = (pl.col("user") != pl.col("user").shift()) | ((pl.col("time") - pl.col("time").shift()) > SESSION_GAP_SECONDS)
    return ordered.with_columns(new.fill_null(True).cum_sum().alias("session"))


def sentences(events: pl.DataFrame) -> list[list[str]]:
    """Training sentences: each user's items in time order, cut at gaps over ``SESSION_GAP_SECONDS``."""
    groups = sessions_of(events).group_by("session", maintain_order=True).agg("item")["item"].to_list()
    return [g for g in groups if len(g) >= 2]


def pairs(events: pl.DataFrame, start: int, end: int | None) -> tuple[list[list[str]], list[str]]:
    """Test pairs for the events with ``start <= time < end``: the user's last ``N_LAST`` items
    before the event (any period) and the event's item."""
    ordered = events.sort("user", "time", "item", maintain_order=True)
    prefixes, targets = [], []
    for (_,), group in ordered.group_by("user", maintain_order=True):
        items, times = group["item"].to_list(), group["time"].to_numpy()
        for i in range(1, len(items)):
            if times[i] >= start and (end is None or times[i] < end):
                prefixes.append(items[max(0, i - N_LAST) : i])
                targets.append(items[i])
    return prefixes, targets


def cutoffs(events: pl.DataFrame) -> tuple[int, int]:
    times = events["time"].to_numpy()
    return int(np.quantile(times, VALIDATION)), int(np.quantile(times, TEST))


# ---- scoring --------------------------------------------------------------------------------------


#: The scorers every model is tried with: ``item2vec evaluate``'s click default (the mixture of
#: next-item distributions, input . output) and the cosine neighbours of the recent items.
SCORINGS = {
    "mixture": {"scorer": "mixture", "n_last": 100, "decay": 0.8, "temperature": 8.0},
    "neighbours": {"scorer": "neighbours", "n_last": 20, "decay": 0.8},
}


def ranks(
    model, prefixes, targets, scoring: str = "mixture", allowed: np.ndarray | None = None, exclude_seen: bool = True
) -> np.ndarray:
    """1-based rank of each target in the model's top ``K`` (0: missed), seen items excluded
    unless ``exclude_seen`` is false; ``allowed``: a mask over the model's rows, the only candidates."""
    from item2vec.scoring import ScoringOptions
    from item2vec.scoring.batch import recommend_top_k
    from item2vec.scoring.encode import encode_sessions

    options = ScoringOptions(k=K, exclude_seen=exclude_seen, **SCORINGS[scoring])
    top, _ = recommend_top_k(model, encode_sessions(model, prefixes), options, allowed)
    index = model.key_to_index
    rows = np.array([index.get(t, -2) for t in targets])
    hit = top == rows[:, None]
    return np.where(hit.any(axis=1), hit.argmax(axis=1) + 1, 0)


def metrics(r: np.ndarray) -> dict:
    if len(r) == 0:
        return {"pairs": 0}
    reciprocal = np.where(r > 0, 1 / np.maximum(r, 1), 0)
    return {"pairs": len(r), "HR@20": float(np.mean(r > 0)), "MRR@20": float(np.mean(reciprocal))}


def fit(events, attributes, warm_only=False, global_event=None, **settings):
    """Train on ``events``' sentences; ``warm_only``: attributes of the trained items only (no cold
    item); ``global_event``: the items of events of this behaviour are global contexts."""
    from item2vec import Corpus, Item2Vec

    if global_event is None:
        corpus = Corpus.from_sentences(sentences(events)).as_sessions()
    else:
        corpus = flagged_corpus(events, global_event)
    if warm_only and attributes is not None:
        attributes = attributes.filter(pl.col("item").is_in(list(corpus.vocab.keys)))
    started = time.perf_counter()
    model = Item2Vec(**{**BASE, **settings}).fit(corpus, item_attributes=attributes)
    return model, time.perf_counter() - started


#: Shared by every model: the click preset at a size this small data fits in seconds.
BASE = {"vector_size": 64, "workers": 2, "seed": 1}


def select(name, trials, train, attributes, val_prefixes, val_targets, log, warm_only=False, among=None, rank=ranks):
    """``(settings, scoring)`` of the trial with the best validation HR@20: every setting fitted
    once and scored with every scorer. ``among``: ``{name: mask}``, other subsets of the pairs to
    choose for too; then the result is ``{"all": choice, name: choice, ...}``. ``rank``: how the
    targets are ranked (``ranks``'s arguments but ``allowed``)."""
    subsets = {"all": None, **(among or {})}
    best = {}
    for settings in trials:
        model, seconds = fit(train, attributes, warm_only, **settings)
        for scoring in SCORINGS:
            r = rank(model, val_prefixes, val_targets, scoring)
            scores = {subset: metrics(r if mask is None else r[mask]) for subset, mask in subsets.items()}
            row = {"stage": "validation", "model": name, "settings": settings, "scoring": scoring}
            log(row | scores | {"fit_seconds": round(seconds, 2)})
            for subset, score in scores.items():
                if subset not in best or score["HR@20"] > best[subset][1]:
                    best[subset] = ((settings, scoring), score["HR@20"])
    choices = {subset: choice for subset, (choice, _) in best.items()}
    return choices if among else choices["all"]


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# ---- experiments ----------------------------------------------------------------------------------

EPOCH_TRIALS = [{"epochs": e} for e in (20, 40, 80)]
WEIGHT_TRIALS = [{"epochs": 40, "attribute_weight": w} for w in (0.3, 1.0, 3.0)]


def cold(args, log) -> None:
    """Remove every rating of a random tenth of the movies, train with genres: how often the cold
    movies' nearest items share a genre (against chance), and next-item HR@20 on their events."""
    events, genres = movielens()
    rng = np.random.default_rng(args.seed)
    movies = genres["item"].to_list()
    cold_set = set(rng.choice(movies, size=len(movies) // 10, replace=False).tolist())
    known = events.filter(~pl.col("item").is_in(list(cold_set)))
    t_val, t_test = cutoffs(events)
    val_prefixes, val_targets = pairs(events.filter(pl.col("time") < t_test), t_val, t_test)
    val_cold = np.array([t in cold_set for t in val_targets])
    train_val = known.filter(pl.col("time") < t_val)
    plain = select("plain", EPOCH_TRIALS, train_val, None, val_prefixes, val_targets, log)
    choices = select(
        "genres", WEIGHT_TRIALS, train_val, genres, val_prefixes, val_targets, log, among={"cold": val_cold}
    )
    attr, on_cold = choices["all"], choices["cold"]
    prefixes, targets = pairs(events, t_test, None)
    is_cold = np.array([t in cold_set for t in targets])
    genre_of = {i: set(g.split("|")) for i, g in genres.iter_rows()}
    chosen = (("plain", plain, None), ("genres", attr, genres), ("genres, chosen on cold targets", on_cold, genres))
    for name, (settings, scoring), attributes in chosen:
        model, seconds = fit(known.filter(pl.col("time") < t_test), attributes, **settings)
        r = ranks(model, prefixes, targets, scoring)
        row = {"stage": "test", "model": name, "settings": settings, "scoring": scoring}
        row |= {"fit_seconds": round(seconds, 2), "load": load()}
        row |= {"all": metrics(r), "cold targets": metrics(r[is_cold]), "warm targets": metrics(r[~is_cold])}
        if attributes is not None:
            row["neighbours"] = genre_agreement(model, genre_of, cold_set, rng)
        log(row)


def genre_agreement(model, genre_of, cold_set, rng) -> dict:
    """Share of the 10 nearest warm items of each cold movie that share a genre with it, against
    the share among random warm items (chance), and the same for warm movies' neighbours."""
    warm = [k for k in model.index_to_key if not model.is_cold(k)]
    warm_set = set(warm)
    unit = np.asarray(model.unit_vectors)
    warm_rows = np.array([model.index(k) for k in warm])

    def share(keys):
        hits, chance = [], []
        for key in keys:
            scores = unit[warm_rows] @ unit[model.index(key)]
            order = [warm[i] for i in np.argsort(-scores) if warm[i] != key][:10]
            hits += [bool(genre_of.get(key, set()) & genre_of.get(n, set())) for n in order]
            chance += [bool(genre_of.get(key, set()) & genre_of.get(n, set())) for n in rng.choice(warm, 50)]
        return {"share": float(np.mean(hits)), "chance": float(np.mean(chance)), "items": len(keys)}

    cold_keys = [k for k in model.index_to_key if model.is_cold(k) and k in cold_set]
    sample = rng.choice(sorted(warm_set), size=min(len(cold_keys), len(warm)), replace=False).tolist()
    return {"cold movies": share(cold_keys), "warm movies": share(sample)}


def warm(args, log) -> None:
    """Attributes for items that have events: HR@20/MRR@20 with and without (MovieLens genres,
    Taobao categories)."""
    for dataset, (events, attributes) in (("movielens", movielens()), ("taobao", taobao())):
        t_val, t_test = cutoffs(events)
        val_prefixes, val_targets = pairs(events.filter(pl.col("time") < t_test), t_val, t_test)
        train_val = events.filter(pl.col("time") < t_val)
        plain = select(f"{dataset} plain", EPOCH_TRIALS, train_val, None, val_prefixes, val_targets, log)
        attr = select(
            f"{dataset} attributes", WEIGHT_TRIALS, train_val, attributes, val_prefixes, val_targets, log, True
        )
        prefixes, targets = pairs(events, t_test, None)
        for name, (settings, scoring), attrs in (("plain", plain, None), ("attributes", attr, attributes)):
            model, seconds = fit(events.filter(pl.col("time") < t_test), attrs, True, **settings)
            row = {"stage": "test", "dataset": dataset, "model": name, "settings": settings, "scoring": scoring}
            r = ranks(model, prefixes, targets, scoring)
            log(row | {"fit_seconds": round(seconds, 2), "load": load(), **metrics(r)})


#: The refresh's own schedule: epochs over the new data, and its starting learning rate (the old
#: model's alpha, 0.1, or lower: a smaller step moves the known items less far from what the old
#: data taught them).
REFRESH_TRIALS = [{"epochs": e, "alpha": a} for e in (10, 20, 40) for a in (0.1, 0.025, 0.01)]


def refresh(args, log) -> None:
    """Warm refresh against retraining from scratch on a temporal split of MovieLens: a model of
    the events before the 70% quantile is refreshed with those up to 90% and tested after; the
    retrained model sees all events before 90%; the stale model is the old one, unrefreshed.
    Validation repeats the split 10% earlier (old < 60%, new < 80%, targets 80-90%)."""
    from item2vec import Corpus, Item2Vec

    events, genres = movielens()
    times = events["time"].to_numpy()
    q = {f: int(np.quantile(times, f)) for f in (0.6, 0.7, 0.8, 0.9)}

    def refreshed(old_end, new_end, settings):
        new = events.filter((pl.col("time") >= old_end) & (pl.col("time") < new_end))
        corpus = Corpus.from_sentences(sentences(new)).as_sessions()
        started = time.perf_counter()
        model = Item2Vec(**{**BASE, **settings}).fit(corpus, warm_start=base[old_end])
        return model, time.perf_counter() - started

    base = {}
    for old_end in (q[0.6], q[0.7]):
        base[old_end], seconds = fit(events.filter(pl.col("time") < old_end), None, epochs=40)
        log({"stage": "old model", "events before": old_end, "fit_seconds": round(seconds, 2), "load": load()})
    val_prefixes, val_targets = pairs(events.filter(pl.col("time") < q[0.9]), q[0.8], q[0.9])
    best = {}
    for name, trials in (("refresh", REFRESH_TRIALS), ("retrain", EPOCH_TRIALS)):
        scores = []
        for settings in trials:
            if name == "refresh":
                model, seconds = refreshed(q[0.6], q[0.8], settings)
            else:
                model, seconds = fit(events.filter(pl.col("time") < q[0.8]), None, **settings)
            score = metrics(ranks(model, val_prefixes, val_targets))
            log({"stage": "validation", "model": name, "settings": settings, **score, "fit_seconds": round(seconds, 2)})
            scores.append((score["HR@20"], settings))
        best[name] = max(scores, key=lambda pair: pair[0])[1]
    prefixes, targets = pairs(events, q[0.9], None)
    runs = {
        "stale (old model)": lambda: (base[q[0.7]], 0.0),
        "refresh": lambda: refreshed(q[0.7], q[0.9], best["refresh"]),
        "retrain": lambda: fit(events.filter(pl.col("time") < q[0.9]), None, **best["retrain"]),
    }
    for name, make in runs.items():
        model, seconds = make()
        row = {"stage": "test", "model": name, "settings": best.get(name), "fit_seconds": round(seconds, 2)}
        log(row | {"load": load(), **metrics(ranks(model, prefixes, targets))})


def group_labels(attributes: pl.DataFrame, column: str) -> dict[str, str]:
    """Each item's group as ``--group-negatives`` forms it: its first value in ``column``."""
    from item2vec.data.attributes import read_item_attributes

    return {item: values[0] for item, values in read_item_attributes(attributes).values_of(column).items() if values}


def ranks_within(group_of: dict[str, str], model, prefixes, targets, scoring: str = "mixture") -> np.ndarray:
    """``ranks`` with each target ranked among the items of its own group only (seen items
    excluded); -1 for a pair whose target is not a trained item of a group of two or more (no
    within-group ranking: left out of the within-group figures)."""
    keys = model.index_to_key
    labels = np.array([group_of.get(k, "") for k in keys])
    out = np.full(len(targets), -1)
    wanted = np.array([group_of.get(t, "") if t in model else "" for t in targets])
    for group in set(wanted) - {""}:
        allowed = labels == group
        if allowed.sum() < 2:
            continue
        rows = np.flatnonzero(wanted == group)
        out[rows] = ranks(model, [prefixes[i] for i in rows], [targets[i] for i in rows], scoring, allowed)
    return out


def within_metrics(r: np.ndarray) -> dict:
    """``metrics`` over the pairs that have a within-group ranking (``ranks_within`` >= 0)."""
    return metrics(r[r >= 0])


COUNT_TRIALS = (1, 2, 5)  # group negatives per positive example tried on validation
GROUPS = {"movielens": "genre", "taobao": "category"}  # the attribute column naming each item's group


def groups(args, log) -> None:
    """In-group negatives against the plain model: next-item HR@20/MRR@20 ranked among every item
    and among the items of the target's group only (MovieLens: a movie's first genre; Taobao:
    its category). Both models get three fits on validation, chosen by within-group HR@20: the
    plain one tries 20/40/80 epochs, then group negatives (attribute tokens at weight 0, so only
    the negatives differ) try 1/2/5 per positive at the plain model's epochs. ``--repeats``: the
    chosen models are fitted and tested with that many seeds (the spread of one test figure)."""
    for dataset, (events, attributes) in (("movielens", movielens()), ("taobao", taobao())):
        column = GROUPS[dataset]
        group_of = group_labels(attributes, column)
        within = _within_ranker(group_of)
        t_val, t_test = cutoffs(events)
        val_prefixes, val_targets = pairs(events.filter(pl.col("time") < t_test), t_val, t_test)
        train_val = events.filter(pl.col("time") < t_val)
        common = (train_val, None, val_prefixes, val_targets, log)
        plain = select(f"{dataset} plain", EPOCH_TRIALS, *common, rank=within)
        epochs = plain[0]["epochs"]
        trials = [
            {"epochs": epochs, "attribute_weight": 0.0, "group_negatives": column, "group_negative_count": c}
            for c in COUNT_TRIALS
        ]
        grouped = select(
            f"{dataset} group negatives", trials, train_val, attributes, *common[2:], warm_only=True, rank=within
        )
        prefixes, targets = pairs(events, t_test, None)
        chosen = (("plain", plain, None), ("group negatives", grouped, attributes))
        for (name, (settings, scoring), attrs), repeat in itertools.product(chosen, range(args.repeats)):
            settings = {**settings, "seed": BASE["seed"] + repeat}
            model, seconds = fit(events.filter(pl.col("time") < t_test), attrs, True, **settings)
            r_all = ranks(model, prefixes, targets, scoring)
            r_within = ranks_within(group_of, model, prefixes, targets, scoring)
            sizes = _group_sizes(model, group_of)
            large = np.array([sizes.get(group_of.get(t, ""), 0) > K for t in targets])
            row = {"stage": "test", "dataset": dataset, "model": name, "settings": settings, "scoring": scoring}
            row |= {"fit_seconds": round(seconds, 2), "load": load(), "all items": metrics(r_all)}
            row |= {"within group": within_metrics(r_within), f"within groups of > {K} items": within_metrics(
                np.where(large, r_within, -1))}  # fmt: skip
            log(row)


def _within_ranker(group_of: dict[str, str]):
    """``ranks_within`` for ``select``: a missed or unrankable pair counts as a miss there."""

    def rank(model, prefixes, targets, scoring):
        return np.maximum(ranks_within(group_of, model, prefixes, targets, scoring), 0)

    return rank


def _group_sizes(model, group_of: dict[str, str]) -> dict[str, int]:
    """Trained items per group."""
    sizes: dict[str, int] = {}
    for key in model.index_to_key:
        if key in group_of and not model.is_cold(key):
            sizes[group_of[key]] = sizes.get(group_of[key], 0) + 1
    return sizes


def flagged_corpus(events: pl.DataFrame, global_event: str):
    """The corpus of ``sentences(events)`` with the tokens of ``global_event`` behaviour flagged as
    global contexts (``Corpus.global_context``)."""
    from item2vec import Corpus

    ordered = sessions_of(events)
    ordered = ordered.filter(pl.len().over("session") >= 2)
    keys = ordered["item"].unique(maintain_order=True)
    codes = ordered["item"].replace_strict(keys, pl.int_range(len(keys), eager=True)).to_numpy()
    lengths = ordered.group_by("session", maintain_order=True).len()["len"].to_numpy()
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    flags = (ordered["behavior"] == global_event).to_numpy()
    return Corpus.from_codes(codes, offsets, keys.to_list(), global_context=flags).as_sessions()


def purchases(events: pl.DataFrame, start: int, end: int | None) -> tuple[list[list[str]], list[str]]:
    """Purchase-prediction pairs for the buys with ``start <= time < end``: the items the user
    viewed (pv) earlier in the same session, and the bought item; buys without an earlier view in
    their session are left out."""
    prefixes, targets = [], []
    for (_,), group in sessions_of(events).group_by("session", maintain_order=True):
        items, times, kinds = group["item"].to_list(), group["time"].to_numpy(), group["behavior"].to_list()
        for i, kind in enumerate(kinds):
            if kind == "buy" and times[i] >= start and (end is None or times[i] < end):
                views = [items[j] for j in range(i) if kinds[j] == "pv"]
                if views:
                    prefixes.append(views[-N_LAST:])
                    targets.append(items[i])
    return prefixes, targets


def conversions(args, log) -> None:
    """Buys as global contexts of their sessions (Taobao sample) against the plain model: next-item
    HR@20/MRR@20 (seen items excluded) and purchase prediction, HR@20/MRR@20 of the bought item
    from the session's earlier views (seen items kept: the bought item was usually viewed). Each
    model gets three validation fits (20/40/80 epochs) chosen by next-item HR@20 (validation has
    too few buys to choose by)."""
    events, _ = taobao(behaviour=True)
    t_val, t_test = cutoffs(events)
    in_sessions = sessions_of(events).filter(pl.len().over("session") >= 2)
    buys = in_sessions.filter(pl.col("behavior") == "buy")
    log({"stage": "data", "buys": int((events["behavior"] == "buy").sum()), "buys in sessions of 2+": buys.height,
         "sessions with a buy": buys["session"].n_unique(),
         "validation buy pairs": len(purchases(events.filter(pl.col("time") < t_test), t_val, t_test)[1]),
         "test buy pairs": len(purchases(events, t_test, None)[1])})  # fmt: skip
    val_prefixes, val_targets = pairs(events.filter(pl.col("time") < t_test), t_val, t_test)
    train_val = events.filter(pl.col("time") < t_val)
    common = (train_val, None, val_prefixes, val_targets, log)
    plain = select("plain", EPOCH_TRIALS, *common)
    globals_ = select("buys as global context", [{**t, "global_event": "buy"} for t in EPOCH_TRIALS], *common)
    prefixes, targets = pairs(events, t_test, None)
    buy_prefixes, buy_targets = purchases(events, t_test, None)
    chosen = (("plain", plain), ("buys as global context", globals_))
    for (name, (settings, scoring)), repeat in itertools.product(chosen, range(args.repeats)):
        settings = {**settings, "seed": BASE["seed"] + repeat}
        model, seconds = fit(events.filter(pl.col("time") < t_test), None, **settings)
        row = {"stage": "test", "model": name, "settings": settings, "scoring": scoring, "load": load()}
        row |= {"next item": metrics(ranks(model, prefixes, targets, scoring))}
        row |= {"purchase": metrics(ranks(model, buy_prefixes, buy_targets, scoring, exclude_seen=False))}
        log(row | {"fit_seconds": round(seconds, 2)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("experiment", choices=("cold", "warm", "refresh", "groups", "conversions"))
    parser.add_argument("--seed", type=int, default=0, help="which movies are cold")
    parser.add_argument(
        "--repeats", type=int, default=1, help="groups, conversions: test fits of each model, seeds 1, 2..."
    )
    parser.add_argument("--out", type=Path, default=Path("out/attributes"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"{args.experiment}.jsonl"

    def log(row: dict) -> None:
        print(json.dumps(row), flush=True)
        with path.open("a") as out:
            out.write(json.dumps(row) + "\n")

    log({"stage": "start", "experiment": args.experiment, "load": load()})
    experiments = {"cold": cold, "warm": warm, "refresh": refresh, "groups": groups, "conversions": conversions}
    experiments[args.experiment](args, log)


if __name__ == "__main__":
    main()
