"""Data-parallel item2vec on Spark, measured (issue 18, part 3): is it good enough to ship?

Each epoch the driver broadcasts the vectors; every Spark task trains one epoch of the Numba
engine on its partition of the sessions (one thread, the global vocabulary, noise distribution
and learning-rate schedule); the driver merges the updated rows by averaging, as MLlib and
DeepDist do, and repeats. ``--merge touched`` (default) averages a row over the partitions that
changed it; ``--merge all`` over every partition (rows a partition never saw count as unchanged).

The same settings (the click preset, ``--epochs`` for both sides) train on one machine with
``Item2Vec.fit`` (2 threads, Hogwild) and on Spark in local mode with 1, 2 and 4 partitions.
Each model is scored on the validation split carved from Diginetica's training sessions (its
last 10%, at most 5,000 pairs, seed 0; the test file is never read) with the click scoring
(``config.CLICK_SCORING``: its decay 0.8 on both sides, not the one each model chose, so that
only the training differs), and the time of every epoch is logged. Run under the bench lock:

    flock /tmp/item2vec-bench.lock python pipelines/spark_data_parallel.py --epochs 20 --partitions 1 2 4

The verdict rule (the issue's): ship ``train --engine spark`` only if HR@20 stays within 0.01 of
single-machine training.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def contexts(p: dict) -> list[tuple[int, bool, int]]:
    """(dimensions, whole_sentence, seed) of each independent run, as ``Item2Vec.fit`` splits them."""
    if p["both_contexts"]:
        half = p["vector_size"] // 2
        return [(half, False, p["seed"]), (p["vector_size"] - half, True, p["seed"] + 1)]
    return [(p["vector_size"], bool(p["whole_sentence"]), p["seed"])]


def initial_vectors(n_rows: int, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``Item2Vec``'s random start: input uniform in [-1, 1) / size, output zero."""
    rng = np.random.default_rng(seed)
    syn0 = (rng.random((n_rows, size), dtype=np.float32) * 2 - 1) / np.float32(size)
    return syn0, np.zeros_like(syn0)


def train_partition(part, shared, vectors, epoch: int):
    """One Spark task: one epoch on this partition's sessions from the broadcast vectors; returns
    ``(partition, [(rows it changed, input deltas, output deltas) per context])``."""
    from item2vec.data.corpus import Corpus, Vocab
    from item2vec.engine.training import context_settings, plan, run

    index, tokens, offsets = part
    p, counts = shared["params"], shared["counts"]
    vocab = Vocab(tuple(map(str, range(len(counts)))), counts)
    corpus = Corpus(tokens, offsets, vocab)
    training = plan(corpus, vocab, np.arange(len(counts), dtype=np.int32), p["sample"], p["ns_exponent"], 1)
    epochs, alpha, min_alpha = p["epochs"], p["alpha"], p["min_alpha"]
    # the global linear schedule, restricted to this epoch
    start = alpha - (alpha - min_alpha) * epoch / epochs
    end = alpha - (alpha - min_alpha) * (epoch + 1) / epochs
    out = []
    for (_, whole_sentence, seed), (syn0, syn1) in zip(contexts(p), vectors):
        new0, new1 = syn0.copy(), syn1.copy()
        run(
            new0,
            new1,
            corpus,
            training,
            **context_settings(p),
            whole_sentence=whole_sentence,
            alpha=start,
            min_alpha=end,
            epochs=1,
            seed=seed * 100_003 + epoch * 101 + index,
            compute_loss=False,
        )
        d0, d1 = new0 - syn0, new1 - syn1
        rows = np.flatnonzero((d0 != 0).any(axis=1) | (d1 != 0).any(axis=1)).astype(np.int32)
        out.append((rows, d0[rows], d1[rows]))
    return index, out


def spark_fit(train, p: dict, partitions: int, merge: str, seed: int, log):
    """Data-parallel training on local Spark; returns ``(list of (syn0, syn1) per context, epoch seconds)``."""
    import sys

    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = sys.executable  # the executors run this venv's item2vec

    spark = (
        SparkSession.builder.master(f"local[{partitions}]")
        .appName("item2vec-data-parallel")
        .config("spark.driver.memory", "3g")
        .config("spark.driver.maxResultSize", "2g")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.executorEnv.OPENBLAS_NUM_THREADS", "1")
        .getOrCreate()
    )
    sc = spark.sparkContext
    sc.setLogLevel("ERROR")
    try:
        # sessions dealt to partitions at random (seeded), each partition a CSR block of global ids
        order = np.random.default_rng(seed).permutation(len(train))
        lengths = np.diff(train.offsets)
        parts = []
        for index, chosen in enumerate(np.array_split(order, partitions)):
            chosen = np.sort(chosen)
            tokens = np.concatenate([train.tokens[train.offsets[s] : train.offsets[s + 1]] for s in chosen])
            offsets = np.concatenate(([0], np.cumsum(lengths[chosen]))).astype(np.int64)
            parts.append((index, tokens.astype(np.int32), offsets))
        rdd = sc.parallelize(parts, partitions).cache()
        shared = sc.broadcast({"params": p, "counts": train.vocab.counts})
        n = len(train.vocab)
        vectors = [initial_vectors(n, size, s) for size, _, s in contexts(p)]
        seconds = []
        for epoch in range(p["epochs"]):
            started = time.perf_counter()
            current = sc.broadcast(vectors)
            results = rdd.map(
                lambda part, e=epoch, v=current: train_partition(part, shared.value, v.value, e)
            ).collect()
            merged = []
            for c, (syn0, syn1) in enumerate(vectors):
                sum0, sum1 = np.zeros_like(syn0), np.zeros_like(syn1)
                touched = np.zeros(n, dtype=np.int64)
                for _, out in results:
                    rows, d0, d1 = out[c]
                    sum0[rows] += d0
                    sum1[rows] += d1
                    touched[rows] += 1
                divide = np.maximum(touched, 1)[:, None] if merge == "touched" else partitions
                merged.append((syn0 + sum0 / divide, syn1 + sum1 / divide))
            vectors = merged
            current.unpersist()
            seconds.append(time.perf_counter() - started)
            log(f"  partitions {partitions} epoch {epoch + 1}/{p['epochs']}: {seconds[-1]:.2f}s")
        return vectors, seconds
    finally:
        spark.stop()


def as_model(vectors, train, p: dict):
    """An ``Item2Vec`` holding ``vectors`` (contexts concatenated, as ``fit`` does), for scoring."""
    from item2vec.data.successors import observed_successors
    from item2vec.model import Item2Vec

    model = Item2Vec(**{k: v for k, v in p.items() if k != "preset"}, preset="clicks")
    model.preset_, model.params_ = model.resolve("sessions")
    model.vocab_ = train.vocab
    model.vectors_ = np.hstack([v[0] for v in vectors]).astype(np.float32)
    model.output_vectors_ = np.hstack([v[1] for v in vectors]).astype(np.float32)
    model.training_log_ = model.validation_log_ = []
    model.repeat_share_ = train.repeat_share()
    model.successors_ = observed_successors(train)
    model._forget_cache()
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=20, help="for both sides (the preset has 40)")
    parser.add_argument("--partitions", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--merge", choices=("touched", "all"), default="touched")
    parser.add_argument("--validation-pairs", type=int, default=5000)
    parser.add_argument("--no-single", action="store_true", help="skip the single-machine fit")
    parser.add_argument("--out", type=Path, default=Path("out/spark_data_parallel.jsonl"))
    args = parser.parse_args()

    from item2vec import config
    from item2vec.evaluation import NextItemTask, read_training_sessions, split_last_sessions
    from item2vec.evaluation.metrics import ranking_metrics
    from item2vec.evaluation.models import Item2VecRecommender
    from item2vec.model import Item2Vec

    corpus = read_training_sessions(DATA / "diginetica_srgnn_train_sessions.txt.gz")
    train, held_out = split_last_sessions(corpus, config.VALIDATION_FRACTION)
    validation = NextItemTask.from_sessions(held_out, train.vocab, name="validation").subsample(args.validation_pairs)
    p = {**Item2Vec(preset="clicks", epochs=args.epochs, workers=2).resolve("sessions")[1]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    print(
        f"diginetica: {len(train):,} sessions, {train.n_tokens:,} tokens, {len(train.vocab):,} items, "
        f"{len(validation):,} validation pairs; {args.epochs} epochs; load {os.getloadavg()}",
        flush=True,
    )

    def score(model) -> dict:
        recommender = Item2VecRecommender(preset="clicks").wrap(model, train)
        recommended = recommender.recommend(validation, 20, **config.CLICK_SCORING)
        metrics = ranking_metrics(recommended, validation.targets, (20,), len(validation.catalogue))
        return {"HR@20": round(metrics["HR@20"], 4), "MRR@20": round(metrics["MRR@20"], 4)}

    def record(row: dict) -> None:
        row = {**row, "epochs": args.epochs, "load": [round(x, 2) for x in os.getloadavg()]}
        print(json.dumps(row), flush=True)
        with args.out.open("a") as out:
            out.write(json.dumps(row) + "\n")

    if not args.no_single:
        Item2Vec(epochs=1, workers=2).fit(train)  # compile first: not in the epoch times
        started = time.perf_counter()
        model = Item2Vec(preset="clicks", epochs=args.epochs, workers=2).fit(train)
        seconds = time.perf_counter() - started
        record(
            {
                "trainer": "single machine (2 threads)",
                **score(model),
                "seconds_per_epoch": round(seconds / args.epochs, 2),
            }
        )
    for partitions in args.partitions:
        started = time.perf_counter()
        vectors, epoch_seconds = spark_fit(train, p, partitions, args.merge, seed=0, log=print)
        record(
            {
                "trainer": f"spark local[{partitions}], {partitions} partitions, merge {args.merge}",
                **score(as_model(vectors, train, p)),
                "seconds_per_epoch": round(float(np.median(epoch_seconds)), 2),
                "first_epoch_seconds": round(epoch_seconds[0], 2),
                "total_seconds": round(time.perf_counter() - started, 1),
            }
        )


if __name__ == "__main__":
    main()
