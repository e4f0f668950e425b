"""Recommendation benchmark: item2vec batch top-k against implicit ALS ``recommend``, same sizes,
same run; then lookalike expansion of a seed audience over a large user base.

Each measurement runs in its own subprocess so that its peak memory (max RSS) is its own.
Both recommenders get the same seeded sessions (Zipf-popular items, lengths 1-20), exclude the
items already seen and return the top k. Vectors are random, which is fine for timing: the work
does not depend on their values. item2vec's timing covers building each session's query vector
(``mean`` scorer) and the top-k; implicit's covers ``recommend`` over precomputed user factors
(ALS would also have to be fitted on the 1M users first, which is not timed). ``cli`` times
``item2vec recommend`` end to end on a text file of the same sessions (reading, string ids,
Parquet output). All use all cores with ``OPENBLAS_NUM_THREADS=1`` (as implicit asks).

    python pipelines/bench_recommend.py                        # 1M sessions x 50k items, 10k seeds x 1M users
    python pipelines/bench_recommend.py --sessions 100000      # a quicker look
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchlib import cpu_seconds, peak_rss_mb


def timed(n: int, call) -> dict:
    started, cpu = time.perf_counter(), cpu_seconds()
    call()
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    return dict(
        seconds=seconds,
        cpu_seconds=cpu,
        sessions_per_second=n / seconds,
        sessions_per_cpu_second=n / cpu,
        peak_rss_mb=peak_rss_mb(),
    )


def make_sessions(n_sessions: int, n_items: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """CSR sessions over item rows 0..n_items-1 (row 0 the most popular), duplicates allowed."""
    rng = np.random.default_rng(seed)
    lengths = np.minimum(rng.geometric(0.2, n_sessions), 20)
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    items = (rng.zipf(1.3, offsets[-1]) - 1) % n_items
    return items.astype(np.int32), offsets


def _model(args, workdir: Path):
    """A real model directory with ``args.items`` keys after one quick epoch: as good as random."""
    from item2vec import Item2Vec

    keys = [f"i{j}" for j in range(args.items)]
    corpus = [keys[j : j + 10] for j in range(0, args.items, 10)]
    Item2Vec(vector_size=args.dim, min_count=1, epochs=1, seed=1, compute_loss=False).fit(corpus).save(
        workdir / "model"
    )
    return Item2Vec.load(workdir / "model")


def run_item2vec(args, workdir: Path) -> dict:
    from item2vec.scoring import EncodedSessions, ScoringOptions, recommend_top_k

    model = _model(args, workdir)
    items, offsets = make_sessions(args.sessions, args.items)
    encoded = EncodedSessions(items, offsets, 0)
    recommend_top_k(model, encoded.slice(0, 300), ScoringOptions(k=args.k))  # load the compiled kernels
    return timed(args.sessions, lambda: recommend_top_k(model, encoded, ScoringOptions(k=args.k, scorer="mean")))


def run_cli(args, workdir: Path) -> dict:
    """End to end: ``item2vec recommend`` on a text file of the same sessions (string ids), with
    reading, encoding and the Parquet output included."""
    import polars as pl

    model = _model(args, workdir)
    items, offsets = make_sessions(args.sessions, args.items)
    keys = np.asarray(model.index_to_key)
    lines = pl.Series([" ".join(keys[items[a:b]]) for a, b in zip(offsets[:-1], offsets[1:])])
    pl.DataFrame({"line": lines}).write_csv(workdir / "sessions.txt", include_header=False, quote_style="never")
    command = [
        sys.executable,
        "-c",
        "from item2vec.cli import main; main()",
        "recommend",
        str(workdir / "model"),
        "--sessions",
        str(workdir / "sessions.txt"),
        "--k",
        str(args.k),
        "--out",
        str(workdir / "recs.parquet"),
        "--no-progress",
    ]
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    seconds = time.perf_counter() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert pl.scan_parquet(workdir / "recs.parquet").select(pl.len()).collect().item() == args.sessions * args.k
    return dict(
        seconds=seconds,
        cpu_seconds=children.ru_utime + children.ru_stime,
        sessions_per_second=args.sessions / seconds,
        sessions_per_cpu_second=args.sessions / (children.ru_utime + children.ru_stime),
        peak_rss_mb=children.ru_maxrss / 1024,
    )


def run_implicit(args, workdir: Path) -> dict:
    import scipy.sparse as sp
    from implicit.cpu.als import AlternatingLeastSquares

    rng = np.random.default_rng(2)
    items, offsets = make_sessions(args.sessions, args.items)
    user_items = sp.csr_matrix(
        (np.ones(len(items), dtype=np.float32), items, offsets), shape=(args.sessions, args.items)
    )
    user_items.sum_duplicates()
    model = AlternatingLeastSquares(factors=args.dim, random_state=1)
    model.user_factors = rng.standard_normal((args.sessions, args.dim), dtype=np.float32)
    model.item_factors = rng.standard_normal((args.items, args.dim), dtype=np.float32)
    model.recommend(np.arange(300), user_items[:300], N=args.k)  # warm up
    return timed(
        args.sessions,
        lambda: model.recommend(np.arange(args.sessions), user_items, N=args.k, filter_already_liked_items=True),
    )


def run_lookalike(args, workdir: Path) -> dict:
    import polars as pl

    from item2vec.scoring.audiences import lookalike

    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((args.users, args.dim), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    users = pl.Series("user", np.arange(args.users, dtype=np.int64))
    seeds = rng.choice(args.users, args.seeds, replace=False).tolist()
    lookalike(users[:5000], vectors[:5000], list(range(10)), 10, "max")  # load the compiled kernels
    result = {}
    for method in ("centroid", "max"):
        started = time.perf_counter()
        audience, unknown = lookalike(users, vectors, seeds, args.audience, method)
        result[f"{method}_seconds"] = time.perf_counter() - started
        assert unknown == 0 and audience.height == args.audience
    result["peak_rss_mb"] = peak_rss_mb()
    return result


WORKERS = {"item2vec": run_item2vec, "implicit": run_implicit, "cli": run_cli, "lookalike": run_lookalike}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=1_000_000, help="sessions (= ALS users) to score")
    parser.add_argument("--items", type=int, default=50_000, help="catalogue size")
    parser.add_argument("--dim", type=int, default=100, help="vector size = ALS factors")
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--users", type=int, default=1_000_000, help="user base for the lookalike")
    parser.add_argument("--seeds", type=int, default=10_000, help="seed audience size")
    parser.add_argument("--audience", type=int, default=100_000, help="lookalike audience size")
    parser.add_argument("--only", choices=list(WORKERS), action="append", help="run only these parts")
    parser.add_argument("--json", help="also write the results as JSON to this path")
    parser.add_argument("--worker", choices=list(WORKERS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(WORKERS[args.worker](args, Path(tmp))))
        return
    passed = [
        f"--{name}={getattr(args, name)}" for name in ("sessions", "items", "dim", "k", "users", "seeds", "audience")
    ]
    results = {}
    for name in args.only or list(WORKERS):
        out = subprocess.run(
            [sys.executable, __file__, "--worker", name, *passed],
            capture_output=True,
            text=True,
            env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
        )
        if out.returncode:
            sys.exit(f"{name} failed:\n{out.stderr}")
        results[name] = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{name}: {results[name]}", flush=True)
    report(args, results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


def report(args, results: dict) -> None:
    print(
        f"\n== top-{args.k} for {args.sessions:,} sessions over {args.items:,} items, dim {args.dim}, "
        f"{os.cpu_count()} cores =="
    )
    print(f"{'':10}{'sessions/s':>12}{'seconds':>10}{'CPU s':>9}{'per CPU s':>11}{'peak MB':>9}")
    for name in ("item2vec", "implicit", "cli"):
        if name in results:
            r = results[name]
            print(
                f"{name:10}{r['sessions_per_second']:>12,.0f}{r['seconds']:>10.1f}{r['cpu_seconds']:>9.1f}"
                f"{r['sessions_per_cpu_second']:>11,.0f}{r['peak_rss_mb']:>9.0f}"
            )
    if "item2vec" in results and "implicit" in results:
        print(
            f"item2vec / implicit throughput: "
            f"{results['item2vec']['sessions_per_second'] / results['implicit']['sessions_per_second']:.2f}x"
        )
    if "lookalike" in results:
        r = results["lookalike"]
        print(
            f"\n== lookalike: {args.seeds:,} seeds over {args.users:,} users, audience {args.audience:,} ==\n"
            f"centroid {r['centroid_seconds']:.1f}s, max over seeds {r['max_seconds']:.1f}s, "
            f"peak {r['peak_rss_mb']:.0f} MB"
        )


if __name__ == "__main__":
    main()
