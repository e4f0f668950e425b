"""How the ``blend`` scorer's neighbour sessions were set: one fit of the click preset on a training
file less its validation part, scored on validation pairs only (the test file is never read) at
each session share, neighbour count, sharpness and query decay given.

SR-GNN files validate on the last 10% of the training sessions; S3-Rec files (``--leave-last-out``)
on each history's last training item, the test item dropped first.

    python pipelines/session_neighbours.py --dataset diginetica --shares 0 0.25 0.5
    python pipelines/session_neighbours.py --dataset s3rec_Beauty --shares 0 0.5 --sharpness 10 30
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from benchlib import SHARED_DATA, srgnn_validation  # noqa: E402  (after the BLAS thread setting)


def validation_split(dataset: str, pairs: int):
    """``(train, validation)`` carved from the dataset's training data only."""
    if not dataset.startswith("s3rec_"):
        return srgnn_validation(dataset, pairs)
    from item2vec.evaluation import read_training_sessions
    from item2vec.evaluation.protocols import leave_last_out

    histories = read_training_sessions(SHARED_DATA / f"{dataset}.txt.gz", user_ids=True)
    train, _ = leave_last_out(histories)  # the test items, never used
    train, validation = leave_last_out(train)
    return train, validation.subsample(pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="diginetica", help="diginetica, tmall, nowplaying or s3rec_<name>")
    parser.add_argument("--shares", type=float, nargs="+", default=[0.0, 0.25, 0.5])
    parser.add_argument("--neighbours", type=int, nargs="+", default=None, help="default: config's")
    parser.add_argument("--sharpness", type=float, nargs="+", default=None, help="default: config's")
    parser.add_argument("--query-decays", type=float, nargs="+", default=None, help="default: config's")
    parser.add_argument("--validation-pairs", type=int, default=10_000)
    parser.add_argument("--out", type=Path, default=Path("out/session_neighbours"))
    args = parser.parse_args()

    from item2vec import config
    from item2vec.evaluation import evaluate_models
    from item2vec.evaluation.models import Item2VecRecommender

    train, validation = validation_split(args.dataset, args.validation_pairs)
    print(f"{args.dataset}: {len(train):,} sessions, {len(validation):,} validation pairs; load {os.getloadavg()}")
    started = time.perf_counter()
    item2vec = Item2VecRecommender().fit(train)
    model = item2vec.model_
    chosen = {"blend_weight": model.blend_weight_, "decay": model.recency_decay_}
    chosen["session_weight"] = model.session_weight_
    print(f"fit {time.perf_counter() - started:.1f} s, chosen in fit: {chosen}")
    args.out.mkdir(parents=True, exist_ok=True)
    log = args.out / f"{args.dataset}.jsonl"
    for neighbours in args.neighbours or [config.SESSION_NEIGHBOURS]:
        for sharpness in args.sharpness or [config.SESSION_SHARPNESS]:
            for query_decay in args.query_decays or [config.SESSION_QUERY_DECAY]:
                config.SESSION_NEIGHBOURS, config.SESSION_SHARPNESS = neighbours, sharpness
                config.SESSION_QUERY_DECAY = query_decay
                for share in args.shares:
                    scoring = {"session_weight": share}
                    metrics = evaluate_models({"m": item2vec}, validation, (20,), {"m": scoring}).metrics["m"]
                    row = {"dataset": args.dataset, "share": share, "neighbours": neighbours}
                    row.update(sharpness=sharpness, query_decay=query_decay, chosen_in_fit=chosen)
                    row.update({m: round(metrics[m], 4) for m in ("HR@20", "MRR@20", "NDCG@20")})
                    print(json.dumps(row), flush=True)
                    with log.open("a") as f:
                        f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
