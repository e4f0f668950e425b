"""The per-dataset results run: on the SR-GNN splits of Diginetica, Tmall and #nowplaying, tune
item2vec and every baseline with equal budgets on a validation split carved from the training
sessions (all of its pairs by default), then score the best of each once on the published test pairs.

Everything is tracked in MLflow (experiment ``srgnn-results``: one parent run per dataset, one
nested run per trial) and written to ``out/srgnn_results/<dataset>/`` (``best_models.json``,
``trials.csv``, ``test_comparison.csv/.md``), plus ``out/srgnn_results/results.md``: the README's
SR-GNN rows. CPU-heavy: run it alone (about an hour per dataset on 2 cores with 8 trials).

    python pipelines/srgnn_results.py                                  # all three, 8 trials each
    python pipelines/srgnn_results.py --datasets diginetica --trials 4
    python pipelines/srgnn_results.py --datasets tmall --trials 2 --baseline-trials 8
    python pipelines/srgnn_results.py --select HR@20                   # pick by hit rate alone
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
DATASETS = ("diginetica", "tmall", "nowplaying")
#: Published HR@20 on the same split, for scale (SR-GNN, Wu et al., AAAI 2019, as cited in issue 5).
PUBLISHED_HR20 = {"diginetica": {"SR-GNN": 0.507}}


def main() -> None:
    from item2vec import config

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", default=",".join(DATASETS))
    parser.add_argument("--models", default="item2vec,itemknn,als,bpr,pop")
    parser.add_argument("--trials", type=int, default=8, help="fits per model (equal budgets)")
    parser.add_argument(
        "--baseline-trials",
        type=int,
        default=None,
        help="fits per baseline if not --trials (more is conservative: stronger baselines)",
    )
    parser.add_argument(
        "--select",
        default=config.SELECT,
        help="validation metric that picks each model's trial and scoring (NDCG@20 rewards a hit "
        "and its rank, so one number serves both targets, HR@20 and MRR@20)",
    )
    parser.add_argument(
        "--validation-pairs",
        type=int,
        default=0,
        help="at most this many validation pairs (0, the default: all of them; on Tmall 5,000 "
        "random pairs could not tell the neighbours scorer from the mixture)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("out/srgnn_results"))
    parser.add_argument("--no-track", action="store_true")
    args = parser.parse_args()

    from item2vec.evaluation import read_prefix_label_file, read_training_sessions
    from item2vec.evaluation.tuning import run_tuning, trial_counts
    from item2vec.integrations.tracking import Tracker, TrackingHooks

    tracker = Tracker("srgnn-results", enabled=not args.no_track)
    models = args.models.split(",")
    counts = trial_counts(models, args.trials, args.baseline_trials)
    summaries = {}
    for dataset in args.datasets.split(","):
        started = time.perf_counter()
        corpus = read_training_sessions(DATA / f"{dataset}_srgnn_train_sessions.txt.gz")
        test = read_prefix_label_file(
            DATA / f"{dataset}_srgnn_test_prefix_label.tsv.gz", corpus.vocab, name=f"{dataset} SR-GNN test"
        )
        print(
            f"== {dataset}: {len(corpus):,} training sessions, {len(corpus.vocab):,} items, {len(test):,} test pairs",
            flush=True,
        )
        with tracker.run(f"{dataset}", tags={"dataset": dataset}):
            report = run_tuning(
                corpus,
                test,
                models,
                counts,
                (10, 20),
                args.select,
                validation_pairs=args.validation_pairs,
                seed=args.seed,
                hooks=TrackingHooks(tracker),
                log=lambda line: print(line, flush=True),
            )
        report.write(args.out / dataset)
        minutes = (time.perf_counter() - started) / 60
        budget = {name: round(sum(t.fit_seconds for t in trials)) for name, trials in report.trials.items()}
        summaries[dataset] = {
            "metrics": report.evaluation.as_json(),
            "minutes": round(minutes, 1),
            "fit_seconds": budget,
            "best": {n: s.as_dict() for n, s in report.best.items()},
            "test_pairs": len(test),
            "validation_pairs": report.validation_pairs,
        }
        print(open(args.out / dataset / "test_comparison.md").read(), flush=True)
    (args.out / "results.json").write_text(json.dumps(summaries, indent=2))
    (args.out / "results.md").write_text(results_markdown(summaries, counts, args.select))
    print((args.out / "results.md").read_text())


def results_markdown(summaries: dict, counts: dict[str, int], select: str) -> str:
    """One table: dataset x model, HR@20 and MRR@20 (plus the published SR-GNN figure)."""
    lines = ["| dataset | model | HR@20 | MRR@20 | HR@10 | MRR@10 | cov@20 |", "|---|---|---|---|---|---|---|"]
    for dataset, summary in summaries.items():
        rows = sorted(summary["metrics"].items(), key=lambda kv: -kv[1]["HR@20"])
        for name, m in rows:
            lines.append(
                f"| {dataset} | {name} | {m['HR@20']:.4f} | {m['MRR@20']:.4f} | {m['HR@10']:.4f} | "
                f"{m['MRR@10']:.4f} | {m['coverage@20']:.3f} |"
            )
        for name, hr in PUBLISHED_HR20.get(dataset, {}).items():
            lines.append(f"| {dataset} | {name} (published, not run here) | {hr:.3f} | | | | |")
    from item2vec.evaluation.tuning import describe_counts

    lines.append(
        f"\nFits per model on the validation split: {describe_counts(counts)}, chosen by validation {select}; "
        "fit seconds per model: " + "; ".join(f"{d}: {s['fit_seconds']}" for d, s in summaries.items())
    )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
