"""Engine benchmark: item2vec against gensim 4.x, same hyperparameters, same run, same files.

Each trainer runs in its own subprocess so that its peak memory is its own. Words/second uses
the same numerator for both (corpus tokens x epochs over training seconds), so the ratio is a
ratio of training times. Quality: analogy accuracy (gensim's evaluator, 30k most frequent words)
on text; next-item HR@20 on the Diginetica SR-GNN test (cosine to the last item) on sessions.

    python pipelines/bench_engine.py                    # both datasets, 5 epochs
    python pipelines/bench_engine.py --dataset sessions --epochs 10
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchlib import cpu_seconds, peak_rss_mb

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
WIKI = DATA / "enwiki2015_wikiextractor_AA.txt.gz"
QUESTIONS = DATA / "gensim_questions-words.txt.gz"
SESSIONS = DATA / "diginetica_srgnn_train_sessions.txt.gz"
SESSIONS_TEST = DATA / "diginetica_srgnn_test_prefix_label.tsv.gz"
PARAMS = dict(
    vector_size=100,
    window=5,
    negative=5,
    sample=1e-3,
    min_count=5,
    ns_exponent=0.75,
    alpha=0.025,
    min_alpha=1e-4,
    workers=2,
    seed=1,
)


def train_gensim(path: str, epochs: int, sg: bool):
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence

    started = time.perf_counter()
    model = Word2Vec(sg=int(sg), hs=0, epochs=epochs, **PARAMS)
    model.build_vocab(LineSentence(path))
    read, cpu = time.perf_counter(), cpu_seconds()
    model.train(LineSentence(path), total_examples=model.corpus_count, epochs=epochs)
    done = time.perf_counter()
    return list(model.wv.index_to_key), model.wv.vectors, read - started, done - read, cpu_seconds() - cpu


def train_item2vec(path: str, epochs: int, sg: bool):
    from item2vec import Corpus, Item2Vec

    Item2Vec(min_count=1, epochs=1, workers=1, sg=sg).fit([["a", "b", "c"]])  # load compiled kernels
    started = time.perf_counter()
    corpus = Corpus.from_file(path)
    read, cpu = time.perf_counter(), cpu_seconds()
    model = Item2Vec(sg=sg, epochs=epochs, compute_loss=False, **PARAMS).fit(corpus)
    done = time.perf_counter()
    return list(model.index_to_key), np.asarray(model.vectors), read - started, done - read, cpu_seconds() - cpu


def analogy_accuracy(keys, vectors) -> float:
    from gensim.models import KeyedVectors

    kv = KeyedVectors(vectors.shape[1])
    kv.add_vectors(keys, vectors)
    score, _ = kv.evaluate_word_analogies(str(QUESTIONS), restrict_vocab=30000)
    return float(score)


def next_item_hr20(keys, vectors) -> float:
    """Share of Diginetica test prefixes whose next item is among the 20 nearest (cosine) of the
    prefix's last item. Items unknown to the model count as misses."""
    index = {k: i for i, k in enumerate(keys)}
    unit = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    last, target = [], []
    with gzip.open(SESSIONS_TEST, "rt") as fh:
        n_total = 0
        for line in fh:
            prefix, label = line.rstrip("\n").split("\t")
            n_total += 1
            item = prefix.split()[-1]
            if item in index and label in index:
                last.append(index[item])
                target.append(index[label])
    last, target = np.array(last), np.array(target)
    hits = 0
    for start in range(0, len(last), 4096):
        scores = unit[last[start : start + 4096]] @ unit.T
        rows = np.arange(len(scores))
        scores[rows, last[start : start + 4096]] = -np.inf
        top = np.argpartition(-scores, 20, axis=1)[:, :20]
        hits += int((top == target[start : start + 4096, None]).any(axis=1).sum())
    return hits / n_total


def worker(args) -> None:
    train = train_gensim if args.worker == "gensim" else train_item2vec
    keys, vectors, read_s, train_s, train_cpu = train(args.corpus, args.epochs, args.sg)
    result = dict(
        read_seconds=read_s,
        train_seconds=train_s,
        train_cpu_seconds=train_cpu,
        peak_rss_mb=peak_rss_mb(),
        vocab=len(keys),
    )
    result["quality"] = analogy_accuracy(keys, vectors) if args.dataset == "text" else next_item_hr20(keys, vectors)
    print(json.dumps(result))


def prepare(dataset: str, workdir: Path) -> tuple[Path, int]:
    """Uncompressed corpus file both trainers read, and its token count."""
    target = workdir / f"{dataset}.txt"
    if dataset == "text":
        from item2vec.text.reader import write_text8

        n = write_text8(WIKI, target)
    else:
        with gzip.open(SESSIONS, "rt") as src, open(target, "w") as out:
            n = 0
            for line in src:
                n += len(line.split())
                out.write(line)
    return target, n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=["text", "sessions", "all"], default="all")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--cbow", dest="sg", action="store_false", help="CBOW instead of skip-gram")
    parser.add_argument("--worker", choices=["gensim", "item2vec"], help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    parser.add_argument("--json", help="also write the results as JSON to this path")
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    if not WIKI.exists():
        sys.exit(f"shared data not found at {DATA}")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for dataset in ["text", "sessions"] if args.dataset == "all" else [args.dataset]:
            corpus, n_tokens = prepare(dataset, Path(tmp))
            row = {}
            for name in ("gensim", "item2vec"):
                out = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--worker",
                        name,
                        "--corpus",
                        str(corpus),
                        "--epochs",
                        str(args.epochs),
                        "--dataset",
                        dataset,
                    ]
                    + ([] if args.sg else ["--cbow"]),
                    capture_output=True,
                    text=True,
                    check=True,
                    env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
                )
                r = json.loads(out.stdout.strip().splitlines()[-1])
                r["words_per_second"] = n_tokens * args.epochs / r["train_seconds"]
                row[name] = r
            results[dataset] = row
            report(dataset, n_tokens, args, row)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


def report(dataset: str, n_tokens: int, args, row: dict) -> None:
    quality = "analogy acc (30k)" if dataset == "text" else "next-item HR@20 (last item)"
    print(f"\n== {dataset}: {n_tokens:,} tokens, {args.epochs} epochs, {'sg' if args.sg else 'cbow'}, 2 threads ==")
    print(f"{'':10}{'words/s':>12}{'train s':>10}{'train cpu s':>12}{'wall s':>9}{'peak MB':>9}  {quality}")
    for name, r in row.items():
        print(
            f"{name:10}{r['words_per_second']:>12,.0f}{r['train_seconds']:>10.1f}{r['train_cpu_seconds']:>12.1f}"
            f"{r['read_seconds'] + r['train_seconds']:>9.1f}{r['peak_rss_mb']:>9.0f}  {r['quality']:.4f}"
        )
    g, i = row["gensim"], row["item2vec"]
    print(f"load average now: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        f"ratio item2vec/gensim: words/s {i['words_per_second'] / g['words_per_second']:.2f}x, "
        f"train CPU {g['train_cpu_seconds'] / i['train_cpu_seconds']:.2f}x less, "
        f"wall {(g['read_seconds'] + g['train_seconds']) / (i['read_seconds'] + i['train_seconds']):.2f}x faster, "
        f"memory {i['peak_rss_mb'] / g['peak_rss_mb']:.2f}, quality {i['quality'] - g['quality']:+.4f}"
    )


if __name__ == "__main__":
    main()
