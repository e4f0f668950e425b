"""Validation quality against fit time for item2vec settings on an SR-GNN training file: the
time-to-quality picture behind the click preset.

The last 10% of the training sessions are held out and their pairs (at most ``--validation-pairs``)
scored; the test file is never read. Each configuration is one fit, scored with every scorer
variant the tuning tries; the row shows the best by validation NDCG@20 (the tuning's rule).

    python pipelines/click_settings.py --dataset diginetica \\
        --config '{"epochs": 20}' --config '{"epochs": 20, "alpha": 0.1}'
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
    parser.add_argument("--base", type=json.loads, default=None, help="JSON base settings (default: the click preset)")
    parser.add_argument("--config", type=json.loads, action="append", default=[], help="JSON overrides (repeatable)")
    parser.add_argument("--validation-pairs", type=int, default=5000, help="at most this many (0 = all)")
    parser.add_argument("--out", type=Path, default=Path("out/click_settings"))
    parser.add_argument("--plot", type=Path, default=None, help="draw the logged rows (HR@20 against fit seconds) here")
    parser.add_argument("--seconds-per-epoch", type=float, default=None, help="--plot: time axis = epochs x this")
    parser.add_argument(
        "--curve",
        type=int,
        default=0,
        metavar="N",
        help="one fit per config, its validation figures every N epochs (the click scoring) to <dataset>_curves.jsonl",
    )
    parser.add_argument("--plot-curves", type=Path, default=None, help="draw the logged curves here")
    args = parser.parse_args()
    if args.plot is not None:
        plot(args.out / f"{args.dataset}.jsonl", args.plot, args.seconds_per_epoch)
        return
    if args.plot_curves is not None:
        plot_curves(args.out / f"{args.dataset}_curves.jsonl", args.plot_curves)
        return

    from item2vec import config
    from item2vec.evaluation.models import Item2VecRecommender
    from item2vec.evaluation.tuning import score_variants

    base = dict(config.CLICK_PRESET if args.base is None else args.base)
    train, validation = srgnn_validation(args.dataset, args.validation_pairs)
    args.out.mkdir(parents=True, exist_ok=True)
    log = args.out / f"{args.dataset}.jsonl"
    print(f"{args.dataset}: {len(train):,} sessions, {len(validation):,} validation pairs; load {os.getloadavg()}")
    for overrides in args.config or [{}]:
        settings = {**base, **overrides}
        if args.curve:
            curve(settings, train, validation, args.curve, args.out / f"{args.dataset}_curves.jsonl", args.dataset)
            continue
        started, cpu = time.perf_counter(), time.process_time()
        model = Item2VecRecommender(**settings).fit(train)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        scoring, metrics = max(score_variants(model, validation, (20,)), key=lambda v: v[1][config.SELECT])
        row = {
            "dataset": args.dataset,
            "settings": settings,
            "fit_seconds": round(seconds, 1),
            # every thread's CPU time: on a shared machine, CPU seconds / cores is the quiet wall time
            "fit_cpu_seconds": round(cpu, 1),
            "HR@20": round(metrics["HR@20"], 4),
            "MRR@20": round(metrics["MRR@20"], 4),
            "NDCG@20": round(metrics["NDCG@20"], 4),
            "scoring": scoring,
            "load": os.getloadavg()[0],
            "validation_pairs": len(validation),
        }
        print(json.dumps(row), flush=True)
        with log.open("a") as out:
            out.write(json.dumps(row) + "\n")


def curve(settings: dict, train, validation, every: int, log: Path, dataset: str) -> None:
    """One fit of ``settings`` with a validation check every ``every`` epochs that never stops it:
    validation HR/MRR/NDCG@20 against training seconds (checks excluded), one row per check."""
    from item2vec.evaluation import EarlyStopping
    from item2vec.model import Item2Vec

    load = os.getloadavg()[0]
    rule = EarlyStopping.from_task(validation, every=every, patience=10**9)
    model = Item2Vec(**settings).fit(train, early_stopping=rule)
    with log.open("a") as out:
        for check in model.validation_log_:
            row = {"dataset": dataset, "settings": settings, **check, "load": [load, os.getloadavg()[0]]}
            row["validation_pairs"] = len(validation)
            print(json.dumps(row), flush=True)
            out.write(json.dumps(row) + "\n")


def plot_curves(log: Path, target: Path) -> None:
    """Validation HR@20 and MRR@20 against CPU seconds / 2 (the wall time of 2 quiet cores: the
    runs shared the machine), one line per logged setting."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    curves: dict[str, list[dict]] = {}
    for row in rows:
        curves.setdefault(json.dumps(row["settings"], sort_keys=True), []).append(row)
    base = rows[0]["settings"]
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.5), dpi=100)
    for key, points in curves.items():
        settings = json.loads(key)
        label = ", ".join(f"{k} {v}" for k, v in settings.items() if base.get(k, v) != v or k == "epochs")
        for ax, metric in zip(axes, ("HR@20", "MRR@20")):
            ax.plot([p["cpu_seconds"] / 2 for p in points], [p[metric] for p in points], marker=".", label=label)
    for ax, metric in zip(axes, ("HR@20", "MRR@20")):
        ax.axvline(60, color="grey", linestyle=":", linewidth=1)
        ax.set_xlabel("training seconds (CPU seconds / 2 cores)")
        ax.set_ylabel(f"validation {metric}")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    figure.suptitle(f"{rows[0]['dataset']}: validation quality during one fit ({rows[0]['validation_pairs']:,} pairs)")
    figure.tight_layout()
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(target)
    print(f"wrote {target}")


def plot(log: Path, target: Path, seconds_per_epoch: float | None) -> None:
    """Validation HR@20 and MRR@20 against fit time for the 200-dimension rows, one line per
    (initialisation, alpha), each point one fit labelled by its epochs. With ``seconds_per_epoch``
    (measured on a quiet machine) the time axis is epochs x that: fits logged on a loaded machine
    are slower by the load, not by their settings."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    rows = [r for r in rows if r["settings"]["vector_size"] == 200]
    figure, axes = plt.subplots(1, 2, figsize=(10, 4), dpi=100)
    for init, alpha in sorted({(r["settings"]["init"], r["settings"]["alpha"]) for r in rows}):
        mine = sorted(
            (r for r in rows if (r["settings"]["init"], r["settings"]["alpha"]) == (init, alpha)),
            key=lambda r: r["settings"]["epochs"],
        )
        xs = [r["settings"]["epochs"] * seconds_per_epoch if seconds_per_epoch else r["fit_seconds"] for r in mine]
        for ax, metric in zip(axes, ("HR@20", "MRR@20")):
            ax.plot(xs, [r[metric] for r in mine], marker="o", label=f"init {init}, alpha {alpha}")
            for x, r in zip(xs, mine):
                ax.annotate(
                    str(r["settings"]["epochs"]), (x, r[metric]), fontsize=7, textcoords="offset points", xytext=(3, 3)
                )
    unit = f"epochs x {seconds_per_epoch:g} s, quiet" if seconds_per_epoch else "as logged"
    for ax, metric in zip(axes, ("HR@20", "MRR@20")):
        ax.set_xscale("log")
        ax.set_xlabel(f"fit seconds ({unit}; labels: epochs)")
        ax.set_ylabel(f"validation {metric}")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    figure.suptitle(
        f"{rows[0]['dataset']}: validation quality against training time "
        f"({rows[0]['validation_pairs']:,} validation pairs, 2 cores)"
    )
    figure.tight_layout()
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(target)
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
