"""How the ``blend`` scorer's weight and decay were chosen: one fit of the click preset on an
SR-GNN training file less its last 10% of sessions, scored on validation pairs from those held-out
sessions (the test file is never read) with the weights and decay the model chose in ``fit``, with
``mixture`` and with ``blend`` at each weight and decay (without neighbour sessions, as when they
were chosen: ``session_neighbours.py`` sets those), next to the session baselines that lead out
of the box.

    python pipelines/blend_weights.py --dataset diginetica --weights 0.1 0.2 0.3 --decays 0.8 0.65
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from benchlib import srgnn_validation  # noqa: E402  (after the BLAS thread setting)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="diginetica", choices=("diginetica", "tmall", "nowplaying"))
    parser.add_argument("--weights", type=float, nargs="+", default=[0.1, 0.2, 0.3])
    parser.add_argument("--decays", type=float, nargs="+", default=[0.8])
    parser.add_argument("--epochs", type=int, default=None, help="default: the click preset's")
    parser.add_argument("--validation-pairs", type=int, default=20_000)
    parser.add_argument("--baselines", default="vsknn,sr,itemknn", help="comma-separated; '' for none")
    parser.add_argument("--out", type=Path, default=Path("out/blend_weights"))
    args = parser.parse_args()

    from item2vec import config
    from item2vec.evaluation import evaluate_models
    from item2vec.evaluation.models import Item2VecRecommender, make_model, parse_baselines

    train, validation = srgnn_validation(args.dataset, args.validation_pairs)
    args.out.mkdir(parents=True, exist_ok=True)
    log = args.out / f"{args.dataset}.jsonl"
    print(f"{args.dataset}: {len(train):,} sessions, {len(validation):,} validation pairs; load {os.getloadavg()}")

    def record(model: str, scoring: dict, fitted, **extra) -> None:
        metrics = evaluate_models({"m": fitted}, validation, (20,), {"m": scoring}).metrics["m"]
        row = {"dataset": args.dataset, "model": model, "scoring": scoring, **extra}
        row.update({m: round(metrics[m], 4) for m in ("HR@20", "MRR@20")})
        print(json.dumps(row), flush=True)
        with log.open("a") as f:
            f.write(json.dumps(row) + "\n")

    for name in parse_baselines(args.baselines) if args.baselines else ():
        record(name, {}, make_model(name).fit(train))
    settings = {} if args.epochs is None else {"epochs": args.epochs}
    started = time.perf_counter()
    item2vec = Item2VecRecommender(**settings).fit(train)
    fit_seconds = round(time.perf_counter() - started, 1)
    chosen = item2vec.model_
    own = {"blend_weight": chosen.blend_weight_, "decay": chosen.recency_decay_}
    own["session_weight"] = chosen.session_weight_
    record("item2vec", {}, item2vec, fit_seconds=fit_seconds, chosen_in_fit=own, **settings)
    scoring = dict(config.CLICK_SCORING)
    record("item2vec", {**scoring, "scorer": "mixture"}, item2vec, **settings)
    for weight in args.weights:
        for decay in args.decays:
            variant = {**scoring, "decay": decay, "blend_weight": weight, "session_weight": 0.0}
            record("item2vec", variant, item2vec, **settings)


if __name__ == "__main__":
    main()
