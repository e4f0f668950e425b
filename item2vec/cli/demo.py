"""``item2vec demo``: the whole story on built-in data, for a first run on a fresh machine:
synthetic event log -> sessions -> temporal split -> train -> what was learned -> next-item
evaluation against implicit ALS and the baselines -> MLflow."""

from __future__ import annotations

import sys
import time
import warnings
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from item2vec.cli.app import app, report_tracking

console = Console(width=None if sys.stdout.isatty() else 160)

#: Every model as tuned for this generator by ``item2vec tune --events <demo log> --test-days 5
#: --trials 30`` (equal budgets: 30 fits per model, chosen on a validation split carved from the
#: training sessions, never on the test days). item2vec: uniform negatives and the skip-gram's own
#: next-item prediction (the ``sequence`` scorer).
DEMO_MODELS = (
    (
        "item2vec",
        {
            "vector_size": 100,
            "window": 3,
            "ns_exponent": 0.0,
            "sample": 1e-3,
            "epochs": 30,
            "min_count": 1,
            "both_contexts": False,
        },
        {"scorer": "sequence", "n_last": 5, "decay": 0.7},
    ),
    ("pop", {}, {}),
    ("itemknn", {"K": 500, "similarity": "bm25"}, {"prefix": "recency", "decay": 0.5}),
    ("als", {"factors": 64, "regularization": 0.001, "alpha": 40.0, "iterations": 10}, {}),
    ("bpr", {"factors": 256, "learning_rate": 0.05, "regularization": 0.01, "iterations": 200}, {"prefix": "last"}),
)


@app.command()
def demo(
    users: Annotated[int, typer.Option(help="Synthetic users to generate.")] = 4000,
    test_days: Annotated[float, typer.Option(help="The last N days of the log are the test split.")] = 5.0,
    seed: Annotated[int, typer.Option(help="Seed of the generator and the models.")] = 1,
    track: Annotated[bool, typer.Option("--track/--no-track", help="Record the run in MLflow (mlruns/).")] = True,
):
    """Generate a seeded clickstream with planted item groups and chains, sessionise it with Polars,
    split it in time, train item2vec, show what it learned, and compare its next-item recommendations
    with most-popular, item-kNN, implicit ALS and BPR on the test days, tracked in MLflow."""
    from item2vec.cli.app import show_warning
    from item2vec.cli.evaluate import print_evaluation
    from item2vec.data.synthetic import SyntheticClickstream, group_purity
    from item2vec.evaluation import ModelSpec, NextItemTask, fit_and_evaluate
    from item2vec.integrations.tracking import Tracker, TrackingHooks
    from item2vec.sessions import EventFormat, SessionOptions, temporal_split

    warnings.showwarning = show_warning
    started = time.perf_counter()
    data = SyntheticClickstream(n_users=users, seed=seed)
    events = data.events()
    console.print(
        f"[bold]Synthetic event log[/]: {events.height:,} events (view/cart/purchase) of {users:,} users "
        f"on {data.n_items:,} items in {data.n_groups} planted groups, over {data.days} days"
    )
    split = temporal_split(
        events,
        EventFormat(user="user_id", item="item_id", time="timestamp", event="event_type"),
        SessionOptions(gap_minutes=30),
        last_days=test_days,
    )
    train = split.train.corpus()
    task = NextItemTask.from_sessions(
        split.test.corpus(), train.vocab, name=f"last {test_days:g} day{'' if test_days == 1 else 's'}"
    )
    console.print(
        f"sessions (30-minute gap, temporal split): {len(train):,} training sessions, "
        f"{len(split.test):,} test sessions -> {len(task):,} (prefix, next item) pairs"
    )

    specs = [
        ModelSpec(
            kind,
            {**params, **({"seed": seed} if kind in ("item2vec", "als", "bpr") else {})},
            {**scoring, "exclude_seen": False},
        )
        for kind, params, scoring in DEMO_MODELS
    ]
    tracker = Tracker("item2vec-demo", enabled=track)
    with tracker.run("demo", tags={"command": "demo"}):
        tracker.log_params({"users": users, "test_days": test_days, "seed": seed})
        evaluation, fitted = fit_and_evaluate(specs, train, task, (10, 20), TrackingHooks(tracker), log=lambda _: None)
    model = fitted[specs[0].fit_key].model_
    last = model.training_log_[-1]
    console.print(
        f"item2vec: {len(model):,} items x {model.vector_size_}, {model.epochs} epochs "
        f"({last['words_per_second']:,.0f} words/s, final loss {last['mean_loss']:.3f})"
    )
    show_neighbours(model, data)
    purity = group_purity(model, data.item_group, k=10)
    console.print(
        f"group recovery: {purity:.1%} of each item's 10 nearest neighbours share its "
        f"planted group (chance: {1 / data.n_groups:.1%})"
    )
    print_evaluation(
        evaluation,
        f"Next-item recommendation on the {task.name} (each model tuned on validation "
        f"with 30 fits; same training data for all)",
    )
    report_tracking(tracker)
    console.print(f"demo finished in {time.perf_counter() - started:.0f}s")


def show_neighbours(model, data) -> None:
    """Nearest neighbours of the most popular items, with their planted groups and chain successors."""
    groups, successor = data.item_group, data.successor
    table = Table(title="Nearest neighbours of the most popular items (group in brackets)")
    table.add_column("item")
    table.add_column("5 nearest neighbours (cosine)")
    for key in model.index_to_key[:5]:
        table.add_row(
            f"{key} [{groups[key]}]",
            ", ".join(
                f"{n} [{groups[n]}] {s:.2f}{' (next in chain)' if n == successor[key] else ''}"
                for n, s in model.similar(key, k=5)
            ),
        )
    console.print(table)
