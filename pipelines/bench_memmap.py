"""Training on corpora larger than memory: peak anonymous memory of ``item2vec train`` and the
words/s of a memory-mapped corpus against the same corpus in memory.

Three steps, each its own subcommand (run the timed ones under the bench lock):

    # a synthetic text file: Zipf-distributed words, 100k distinct, 20 tokens a line
    python pipelines/bench_memmap.py make-text /tmp/c60m.txt --tokens 60000000
    # peak RssAnon of a whole `item2vec train` (polled every 10 ms), with or without --corpus-cache
    python pipelines/bench_memmap.py rss -- item2vec train --text /tmp/c60m.txt --out /tmp/m --epochs 1
    # a corpus directory of Zipf ids (never whole in memory), then one epoch on it in memory and
    # memory-mapped, alternating, --rounds times
    python pipelines/bench_memmap.py make-corpus /tmp/c100m --tokens 100000000
    python pipelines/bench_memmap.py speed --dir /tmp/c100m

RssAnon is the process's anonymous memory (heap, numpy arrays, the model): the pages of a
memory-mapped file are not in it, they are page cache the kernel can drop and re-read.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

CHUNK = 1 << 22


def zipf_ids(rng: np.random.Generator, n: int, vocab: int, exponent: float = 1.0) -> np.ndarray:
    """``n`` word ids in ``[0, vocab)``, id ``r`` drawn with probability proportional to ``(r+1)**-exponent``."""
    cdf = np.cumsum(np.arange(1, vocab + 1, dtype=np.float64) ** -exponent)
    return np.searchsorted(cdf / cdf[-1], rng.random(n), side="right").astype(np.int32)


def make_text(path: Path, tokens: int, vocab: int, line: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    words = np.array([f"w{i}" for i in range(vocab)], dtype=object)
    per_chunk = CHUNK // line * line
    with open(path, "w") as out:
        for start in range(0, tokens, per_chunk):
            ids = zipf_ids(rng, min(per_chunk, tokens - start), vocab)
            rows = words[ids].reshape(-1, line) if len(ids) % line == 0 else [words[ids]]
            out.write("".join(" ".join(row) + "\n" for row in rows))
    print(json.dumps({"file": str(path), "tokens": tokens, "vocab": vocab, "bytes": path.stat().st_size}))


def status_kb(pid: int, field: str) -> int | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    return int(text.split(f"{field}:")[1].split()[0]) if f"{field}:" in text else None


def rss(command: list[str]) -> None:
    """Run ``command``; report its peak RssAnon (polled) and VmHWM (the kernel's peak RSS, file pages included)."""
    load = os.getloadavg()
    started = time.perf_counter()
    process = subprocess.Popen(command)
    peak_anon = peak_hwm = 0
    while process.poll() is None:
        peak_anon = max(peak_anon, status_kb(process.pid, "RssAnon") or 0)
        peak_hwm = max(peak_hwm, status_kb(process.pid, "VmHWM") or 0)
        time.sleep(0.01)
    report = {
        "command": " ".join(command),
        "exit": process.returncode,
        "peak_rss_anon_mb": round(peak_anon / 1024, 1),
        "peak_vmhwm_mb": round(peak_hwm / 1024, 1),
        "seconds": round(time.perf_counter() - started, 1),
        "load_before": [round(x, 2) for x in load],
        "load_after": [round(x, 2) for x in os.getloadavg()],
    }
    print(json.dumps(report))


def speed(directory: Path, rounds: int, workers: int, seed: int) -> None:
    """One epoch (text preset, dim 100) on a corpus in memory and the same corpus memory-mapped
    (its pages warm in the page cache after the first round: the case of a machine whose
    memory holds the file but not a process that copies it)."""
    from item2vec.data.corpus import Corpus, Vocab
    from item2vec.model import Item2Vec

    mapped = Corpus.load(directory)
    params = dict(vector_size=100, epochs=1, workers=workers, seed=seed, compute_loss=False, preset="text")
    Item2Vec(**{**params, "min_count": 1, "sample": 0}).fit(Corpus.from_sentences([["a", "b"], ["b", "a"]]))  # compile
    results = []
    for _ in range(rounds):
        for name in ("in-memory", "memory-mapped"):
            if name == "in-memory":
                corpus = Corpus(
                    np.array(mapped.tokens), np.array(mapped.offsets), Vocab(mapped.vocab.keys, mapped.vocab.counts)
                )
            else:
                corpus = mapped
            load = os.getloadavg()[0]
            model = Item2Vec(**params).fit(corpus)
            entry = model.training_log_[-1]
            results.append(
                {
                    "path": name,
                    "words_per_second": round(entry["words_per_second"]),
                    "seconds": round(entry["seconds"], 1),
                    "load": round(load, 2),
                }
            )
            print(json.dumps(results[-1]), flush=True)
            del corpus, model
    best = {
        name: max(r["words_per_second"] for r in results if r["path"] == name)
        for name in ("in-memory", "memory-mapped")
    }
    print(
        json.dumps(
            {
                "tokens": mapped.n_tokens,
                "best_words_per_second": best,
                "memmap_over_memory": round(best["memory-mapped"] / best["in-memory"], 3),
            }
        )
    )


def write_corpus(directory: Path, tokens: int, vocab: int, line: int, seed: int) -> None:
    """A Zipf corpus straight to a corpus directory, chunk by chunk (never whole in memory)."""
    from item2vec.data.corpus import CorpusWriter

    rng = np.random.default_rng(seed)
    keys = [f"w{i}" for i in range(vocab)]
    with CorpusWriter(directory, keys, kind="text") as writer:
        per_chunk = CHUNK // line * line
        for start in range(0, tokens, per_chunk):
            ids = zipf_ids(rng, min(per_chunk, tokens - start), vocab)
            lengths = np.full(len(ids) // line, line, dtype=np.int64)
            writer.add_codes(ids, np.append(lengths, len(ids) % line))  # a last short line, if any


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="step", required=True)
    text = sub.add_parser("make-text")
    text.add_argument("path", type=Path)
    corpus = sub.add_parser("make-corpus")
    corpus.add_argument("dir", type=Path)
    speed_parser = sub.add_parser("speed")
    for p in (text, corpus, speed_parser):
        p.add_argument("--seed", type=int, default=1)
    for p in (text, corpus):
        p.add_argument("--tokens", type=int, default=60_000_000)
        p.add_argument("--vocab", type=int, default=100_000)
        p.add_argument("--line", type=int, default=20)
    speed_parser.add_argument("--dir", type=Path, required=True)
    speed_parser.add_argument("--rounds", type=int, default=2)
    speed_parser.add_argument("--workers", type=int, default=2)
    run = sub.add_parser("rss")
    run.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if args.step == "make-text":
        make_text(args.path, args.tokens, args.vocab, args.line, args.seed)
    elif args.step == "make-corpus":
        write_corpus(args.dir, args.tokens, args.vocab, args.line, args.seed)
    elif args.step == "rss":
        rss([c for c in args.command if c != "--"] or sys.exit("give a command after --"))
    else:
        speed(args.dir, args.rounds, args.workers, args.seed)


if __name__ == "__main__":
    main()
