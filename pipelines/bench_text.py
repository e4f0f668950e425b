"""Text benchmark: word vectors from item2vec against gensim 4.x on the text8-sized Wikipedia
sample, same hyperparameters, same cleaned file, same run, skip-gram and CBOW.

The enwiki sample is cleaned once with item2vec's text8 tokeniser (one paragraph per line,
17.5M tokens) into a temporary file that both trainers read. Each trainer runs in its own
subprocess (own peak memory) and times its whole run: read and count the vocabulary, then
train (gensim: ``build_vocab`` + ``train`` over ``LineSentence``; item2vec: ``read_corpus`` +
``fit``); compiled-kernel loading is excluded for item2vec, as imports are for both. Both
models are then scored by the same evaluator (``item2vec.wordeval``, which matches gensim's
``evaluate_word_analogies`` / ``evaluate_word_pairs``): analogy accuracy over the 30k most
frequent words, WordSim-353 and SimLex-999 Spearman.

Targets (issue 4): analogy accuracy within 1 point of gensim or better, WordSim-353 within
0.02, whole run at least 1.5x faster.

    python pipelines/bench_text.py                          # sg and cbow, 5 epochs (~10 min)
    python pipelines/bench_text.py --epochs 1 --max-lines 50000 --models sg   # quick check
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

from bench_engine import DATA, PARAMS, WIKI, train_gensim

from benchlib import cpu_seconds, peak_rss_mb

QUESTIONS = DATA / "gensim_questions-words.txt.gz"
PAIRS = {"wordsim353": DATA / "gensim_wordsim353.tsv.gz", "simlex999": DATA / "gensim_simlex999.txt.gz"}


def train_item2vec(path: str, epochs: int, sg: bool):
    from item2vec import Item2Vec
    from item2vec.text.reader import read_corpus

    Item2Vec(min_count=1, epochs=1, workers=1, sg=sg).fit([["a", "b", "c"]])  # load compiled kernels
    started = time.perf_counter()
    corpus = read_corpus(path, "whitespace")
    read, cpu = time.perf_counter(), cpu_seconds()
    model = Item2Vec(sg=sg, epochs=epochs, compute_loss=False, **PARAMS).fit(corpus)
    done = time.perf_counter()
    return list(model.index_to_key), model.vectors, read - started, done - read, cpu_seconds() - cpu


def scores(keys, vectors) -> dict:
    from gensim.models import KeyedVectors

    from item2vec.text import wordeval

    words = KeyedVectors(vectors.shape[1])  # any object with index_to_key and vectors will do
    words.add_vectors(keys, vectors)
    analogies = wordeval.evaluate_analogies(words, QUESTIONS, restrict_vocab=30000)
    result = {
        "analogy": analogies.accuracy,
        "analogy_questions": analogies.questions,
        "analogy_sections": {s.name: s.accuracy for s in analogies.sections},
    }
    for name, path in PAIRS.items():
        pairs = wordeval.evaluate_similarity(words, path)
        result[name] = pairs.spearman
        result[f"{name}_oov"] = pairs.oov
    return result


def worker(args) -> None:
    train = train_gensim if args.worker == "gensim" else train_item2vec
    keys, vectors, read_s, train_s, train_cpu = train(args.corpus, args.epochs, args.sg)
    result = dict(
        read_seconds=read_s,
        train_seconds=train_s,
        whole_seconds=read_s + train_s,
        train_cpu_seconds=train_cpu,
        peak_rss_mb=peak_rss_mb(),
        vocab=len(keys),
    )
    result.update(scores(keys, vectors))
    print(json.dumps(result))


def prepare(workdir: Path, max_lines: int | None) -> tuple[Path, int, float]:
    """The text8-cleaned sample both trainers read, its token count and the cleaning time."""
    from item2vec.text.reader import write_text8

    source = WIKI
    if max_lines:
        source = workdir / "head.txt"
        with gzip.open(WIKI, "rb") as fh, open(source, "wb") as out:
            out.writelines(line for _, line in zip(range(max_lines), fh))
    target = workdir / "enwiki_text8.txt"
    started = time.perf_counter()
    n_tokens = write_text8(source, target)
    return target, n_tokens, time.perf_counter() - started


def run(name: str, corpus: Path, epochs: int, sg: bool) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", name, "--corpus", str(corpus), "--epochs", str(epochs)]
        + ([] if sg else ["--cbow"]),
        capture_output=True,
        text=True,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
    )
    if out.returncode != 0:
        sys.exit(f"{name} worker failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(model: str, row: dict) -> None:
    g, i = row["gensim"], row["item2vec"]
    print(f"\n== {model}, {row['epochs']} epochs, 2 threads, {row['tokens']:,} tokens ==")
    print(
        f"{'':10}{'read s':>8}{'train s':>9}{'whole s':>9}{'peak MB':>9}{'vocab':>8}"
        f"{'analogy':>9}{'ws353':>8}{'simlex':>8}"
    )
    for name, r in row.items():
        if isinstance(r, dict):
            print(
                f"{name:10}{r['read_seconds']:>8.1f}{r['train_seconds']:>9.1f}{r['whole_seconds']:>9.1f}"
                f"{r['peak_rss_mb']:>9.0f}{r['vocab']:>8,}{r['analogy']:>9.2%}{r['wordsim353']:>8.3f}"
                f"{r['simlex999']:>8.3f}"
            )
    speedup = g["whole_seconds"] / i["whole_seconds"]
    analogy = 100 * (i["analogy"] - g["analogy"])
    wordsim = i["wordsim353"] - g["wordsim353"]
    print(
        f"item2vec vs gensim: whole run {speedup:.2f}x faster (target >= 1.5: "
        f"{'met' if speedup >= 1.5 else 'MISSED'}), analogy {analogy:+.2f} points (target >= -1: "
        f"{'met' if analogy >= -1 else 'MISSED'}), wordsim353 {wordsim:+.3f} (target |d| <= 0.02 or "
        f"better: {'met' if wordsim >= -0.02 else 'MISSED'})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--models", default="sg,cbow", help="comma-separated: sg, cbow")
    parser.add_argument("--max-lines", type=int, help="use only the first N lines of the sample")
    parser.add_argument("--json", help="also write the results as JSON to this path")
    parser.add_argument("--worker", choices=["gensim", "item2vec"], help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    parser.add_argument("--cbow", dest="sg", action="store_false", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    if not WIKI.exists():
        sys.exit(f"shared data not found at {DATA}")
    models = [m.strip() for m in args.models.split(",")]
    if not set(models) <= {"sg", "cbow"}:
        sys.exit(f"--models takes sg and/or cbow, got {args.models}")
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        corpus, n_tokens, clean_s = prepare(Path(tmp), args.max_lines)
        print(
            f"text8-cleaned {WIKI.name}{f' (first {args.max_lines:,} lines)' if args.max_lines else ''}: "
            f"{n_tokens:,} tokens in {clean_s:.1f}s (item2vec text8 tokeniser, not part of the timed runs)"
        )
        for model in models:
            row = {"epochs": args.epochs, "tokens": n_tokens}
            for name in ("gensim", "item2vec"):
                row[name] = run(name, corpus, args.epochs, model == "sg")
            results[model] = row
            report(model, row)
    if args.json:
        Path(args.json).write_text(json.dumps({"text8_clean_seconds": clean_s, **results}, indent=2))


if __name__ == "__main__":
    main()
