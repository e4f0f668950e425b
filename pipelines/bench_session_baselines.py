"""Speed of the session baselines (issue 19 target: fit + score all 60,858 Diginetica SR-GNN test
pairs in under 2 minutes each on 2 cores).

Each model is fitted on the Diginetica SR-GNN training sessions and recommends the top 20 for
every test pair (repeats allowed), with its defaults and with the heaviest point of its tuning
grid. Numba compiles (or loads its cache) on a tiny task first, untimed. Reports wall and CPU
seconds, HR@20 / MRR@20 and the load average before and after (the machine is shared: run it
under ``flock /tmp/item2vec-bench.lock``).

    flock /tmp/item2vec-bench.lock python pipelines/bench_session_baselines.py
    python pipelines/bench_session_baselines.py --models vsknn,sr --threads 1
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from benchlib import cpu_seconds

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
#: The most expensive point of each model's tuning grid (most neighbours, largest sample, most steps).
HEAVIEST = {
    "sr": {"steps": 30, "pruning": 0},
    "sknn": {"k": 2000, "sample_size": 10000},
    "vsknn": {"k": 2000, "sample_size": 10000, "idf_weighting": 1.0},
    "stan": {"k": 2000, "sample_size": 10000},
    "vstan": {"k": 2000, "sample_size": 10000},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default=",".join(HEAVIEST))
    parser.add_argument("--threads", type=int, default=0, help="0: one per core")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    from item2vec.evaluation import NextItemTask, evaluate_models, read_prefix_label_file, read_training_sessions
    from item2vec.evaluation.models import make_model

    train = read_training_sessions(DATA / "diginetica_srgnn_train_sessions.txt.gz")
    test = read_prefix_label_file(DATA / "diginetica_srgnn_test_prefix_label.tsv.gz", train.vocab, name="test")
    warm = NextItemTask(test.items[: test.offsets[8]], test.offsets[:9], test.targets[:8], test.catalogue)
    print(f"load average before: {os.getloadavg()}; {len(test):,} test pairs, {os.cpu_count()} cores", flush=True)
    rows = []
    for name in args.models.split(","):
        for label, params in (("defaults", {}), ("heaviest", HEAVIEST[name])):
            model = make_model(name, {**params, "threads": args.threads})
            model.fit(train).recommend(warm, 20)  # compile or load the kernels, untimed
            started, cpu = time.perf_counter(), cpu_seconds()
            model = make_model(name, {**params, "threads": args.threads}).fit(train)
            fitted = time.perf_counter()
            metrics = evaluate_models({name: model}, test, (20,)).metrics[name]
            row = {
                "model": name,
                "settings": label,
                "params": params,
                "fit_seconds": round(fitted - started, 2),
                "score_seconds": round(time.perf_counter() - fitted, 2),
                "total_seconds": round(time.perf_counter() - started, 2),
                "cpu_seconds": round(cpu_seconds() - cpu, 2),
                "HR@20": round(metrics["HR@20"], 4),
                "MRR@20": round(metrics["MRR@20"], 4),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    print(f"load average after: {os.getloadavg()}", flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
