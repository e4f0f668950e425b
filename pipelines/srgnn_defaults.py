"""Out of the box on the SR-GNN splits: `item2vec evaluate --train X --test Y` with no
hyperparameter flag against every baseline at its defaults, one dataset after another, and the
markdown table of HR@20 / MRR@20 and fit seconds that README's "Click defaults" shows.

    flock /tmp/item2vec-bench.lock python pipelines/srgnn_defaults.py --datasets diginetica tmall nowplaying

Each run writes ``<out>/<dataset>.json`` (``evaluate --json``: metrics, fit and score seconds)
and the load averages around it; ``--table`` only redraws the table from those files.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
MODELS = ("item2vec", "itemknn", "vsknn", "sknn", "stan", "vstan", "sr", "bpr", "als", "pop")


def run(dataset: str, out: Path) -> None:
    """One `item2vec evaluate` on the dataset's SR-GNN files, its JSON and load averages kept."""
    result = out / f"{dataset}.json"
    before, started = os.getloadavg(), time.perf_counter()
    subprocess.run(
        [
            sys.executable, "-m", "item2vec.cli", "evaluate",
            "--train", str(DATA / f"{dataset}_srgnn_train_sessions.txt.gz"),
            "--test", str(DATA / f"{dataset}_srgnn_test_prefix_label.tsv.gz"),
            "--baselines", "pop,itemknn,als,bpr,sr,sknn,vsknn,stan,vstan",
            "--k", "20", "--no-track", "--json", str(result),
        ],
        check=True,
    )  # fmt: skip
    figures = json.loads(result.read_text())
    figures["_run"] = {
        "wall_seconds": round(time.perf_counter() - started, 1),
        "load_before": before,
        "load_after": os.getloadavg(),
    }
    result.write_text(json.dumps(figures, indent=2) + "\n")


def table(out: Path, datasets: list[str]) -> str:
    """HR@20 / MRR@20 per model and dataset (the best of each column in bold), then fit seconds."""
    lines = ["| data | " + " | ".join(MODELS) + " |", "|---" * (len(MODELS) + 1) + "|"]
    for dataset in datasets:
        figures = json.loads((out / f"{dataset}.json").read_text())
        cells = []
        for metric in ("HR@20", "MRR@20"):
            best = max(figures[m][metric] for m in MODELS)
            cells.append(
                [
                    f"**{figures[m][metric]:.4f}**" if figures[m][metric] == best else f"{figures[m][metric]:.4f}"
                    for m in MODELS
                ]
            )
        row = [f"{hr} / {mrr}" for hr, mrr in zip(*cells)]
        lines.append(f"| {dataset} | " + " | ".join(row) + " |")
    lines.append("")
    lines.append("| fit seconds | " + " | ".join(MODELS) + " | load before / after |")
    lines.append("|---" * (len(MODELS) + 2) + "|")
    for dataset in datasets:
        figures = json.loads((out / f"{dataset}.json").read_text())
        run_info = figures["_run"]
        load = f"{run_info['load_before'][0]:.1f} / {run_info['load_after'][0]:.1f}"
        lines.append(
            f"| {dataset} | " + " | ".join(f"{figures[m]['fit_seconds']:.1f}" for m in MODELS) + f" | {load} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--datasets", nargs="+", default=["diginetica", "tmall", "nowplaying"])
    parser.add_argument("--out", type=Path, default=Path("out/srgnn_defaults"))
    parser.add_argument("--table", action="store_true", help="only print the table of the runs in --out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.table:
        for dataset in args.datasets:
            run(dataset, args.out)
    print(table(args.out, args.datasets))


if __name__ == "__main__":
    main()
