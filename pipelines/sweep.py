"""Which item2vec hyperparameters matter for next-item prediction: one-at-a-time sweeps around a
base configuration, scored on the validation split carved from an SR-GNN training file (the
test file is never read), every fit an MLflow run nested under one parent.

Each fit is scored with every scorer, with and without excluding the prefix's items; the table
shows the best variant per fit. ``item2vec tune`` searches jointly with a fixed budget; this shows
the shape of the landscape it searches (the "hyperparameters matter" picture of Caselles-Dupre et
al., 2018).

    python pipelines/sweep.py --dataset diginetica
    python pipelines/sweep.py --dataset tmall --vary ns_exponent=-1,-0.5,0,0.75 --vary sample=0,1e-5
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
BASE = {"vector_size": 100, "window": 3, "ns_exponent": -0.5, "sample": 1e-5, "epochs": 20, "min_count": 1}
DEFAULT_SWEEPS = {
    "ns_exponent": [-1.0, -0.5, 0.0, 0.75],
    "sample": [0.0, 1e-6, 1e-5, 1e-4],
    "window": [1, 3, 8],
    "epochs": [5, 20, 40],
    "vector_size": [50, 100, 200],
}


def parse_vary(texts: list[str]) -> dict[str, list]:
    sweeps = {}
    for text in texts:
        name, _, values = text.partition("=")
        if name not in BASE or not values:
            raise SystemExit(f"--vary expects NAME=v1,v2 with NAME one of {', '.join(BASE)}; got {text!r}")
        sweeps[name] = [json.loads(v) for v in values.split(",")]
    return sweeps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="diginetica", choices=("diginetica", "tmall", "nowplaying"))
    parser.add_argument("--base", type=json.loads, default={}, help="JSON overriding the base configuration")
    parser.add_argument("--vary", action="append", default=[], help="NAME=v1,v2,... (repeatable)")
    parser.add_argument("--validation-pairs", type=int, default=10_000, help="at most this many (0 = all)")
    parser.add_argument("--out", type=Path, default=Path("out/sweep"))
    parser.add_argument("--no-track", action="store_true")
    args = parser.parse_args()

    import polars as pl

    from item2vec.evaluation import NextItemTask, markdown_table, read_training_sessions, split_last_sessions
    from item2vec.evaluation.models import Item2VecRecommender
    from item2vec.evaluation.tuning import score_variants
    from item2vec.integrations.tracking import Tracker

    base = {**BASE, **args.base}
    sweeps = parse_vary(args.vary) if args.vary else DEFAULT_SWEEPS
    corpus = read_training_sessions(DATA / f"{args.dataset}_srgnn_train_sessions.txt.gz")
    train, held_out = split_last_sessions(corpus, 0.1)
    validation = NextItemTask.from_sessions(held_out, train.vocab, name="validation").subsample(args.validation_pairs)
    tracker = Tracker("item2vec-sweep", enabled=not args.no_track)
    rows = []
    with tracker.run(f"sweep {args.dataset}", tags={"dataset": args.dataset}):
        tracker.log_params({"base": base, "validation_pairs": len(validation)})
        configs = [("base", None, base)] + [
            (name, value, {**base, name: value})
            for name, values in sweeps.items()
            for value in values
            if value != base.get(name)
        ]
        for name, value, config in configs:
            with tracker.run(f"{name}={value}" if value is not None else "base"):
                started = time.perf_counter()
                model = Item2VecRecommender(**config).fit(train)
                seconds = time.perf_counter() - started
                scoring, metrics = max(score_variants(model, validation, (20,)), key=lambda v: v[1]["HR@20"])
                tracker.log_params(config)
                tracker.log_metrics({**metrics, "fit_seconds": seconds})
                tracker.log_training_log(model.model_.training_log_)
            rows.append(
                {
                    "varied": name,
                    "value": str(value if value is not None else ""),
                    "HR@20": metrics["HR@20"],
                    "MRR@20": metrics["MRR@20"],
                    "best scoring": json.dumps(scoring),
                    "fit s": round(seconds, 1),
                }
            )
            print(rows[-1], flush=True)
    table = pl.DataFrame(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"{args.dataset}.md").write_text(markdown_table(table))
    print(markdown_table(table))


if __name__ == "__main__":
    main()
