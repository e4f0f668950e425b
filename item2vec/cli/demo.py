"""``item2vec demo``: the whole story on built-in data, for a first run on a fresh machine:
synthetic event log -> sessions -> temporal split -> train -> what was learned -> next-item
evaluation against every baseline, each model at its defaults as ``item2vec evaluate`` runs them
without a flag -> MLflow."""

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


@app.command()
def demo(
    users: Annotated[int, typer.Option(help="Synthetic users to generate.")] = 4000,
    test_days: Annotated[float, typer.Option(help="The last N days of the log are the test split.")] = 5.0,
    seed: Annotated[int, typer.Option(help="Seed of the generator and the models.")] = 1,
    track: Annotated[bool, typer.Option("--track/--no-track", help="Record the run in MLflow (mlruns/).")] = True,
):
    """Generate a seeded clickstream with planted item groups and chains, sessionise it with Polars,
    split it in time, train item2vec with the click defaults, show what it learned, and compare its
    next-item recommendations with every baseline at its defaults on the test days, tracked in MLflow."""
    from item2vec import config
    from item2vec.cli.app import show_warning
    from item2vec.cli.evaluate import baseline_specs, print_evaluation
    from item2vec.data.synthetic import SyntheticClickstream, group_purity
    from item2vec.evaluation import BASELINES, ModelSpec, NextItemTask, fit_and_evaluate
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

    scoring = {"exclude_seen": config.EVALUATION_EXCLUDE_SEEN}  # the model's own click scoring
    specs = [ModelSpec("item2vec", {"seed": seed}, scoring), *baseline_specs(BASELINES, config.EVALUATION_EXCLUDE_SEEN)]
    tracker = Tracker("item2vec-demo", enabled=track)
    with tracker.run("demo", tags={"command": "demo"}):
        tracker.log_params({"users": users, "test_days": test_days, "seed": seed})
        evaluation, fitted = fit_and_evaluate(specs, train, task, (10, 20), TrackingHooks(tracker), log=lambda _: None)
    recommender = fitted[specs[0].fit_key]
    model, chosen = recommender.model_, recommender.fit_summary()
    last = model.training_log_[-1]
    console.print(
        f"item2vec ({model.preset_} preset): {len(model):,} items x {model.vector_size_}, "
        f"{model.params_['epochs']} epochs "
        f"({last['words_per_second']:,.0f} words/s, final loss {last['mean_loss']:.3f})"
    )
    if chosen:
        console.print(f"click scoring: {chosen}")
    show_neighbours(model, data)
    purity = group_purity(model, data.item_group, k=10)
    console.print(
        f"group recovery: {purity:.1%} of each item's 10 nearest neighbours share its "
        f"planted group (chance: {1 / data.n_groups:.1%})"
    )
    print_evaluation(
        evaluation,
        f"Next-item recommendation on the {task.name} (every model at its defaults, no flag; "
        f"same training data for all)",
    )
    console.print(standing(evaluation))
    report_tracking(tracker)
    console.print(f"demo finished in {time.perf_counter() - started:.0f}s")


def standing(evaluation, model: str = "item2vec", k: int = 20) -> str:
    """Where ``model`` stands against the best other model on HR@k and MRR@k, in one line."""
    parts = []
    for metric in (f"HR@{k}", f"MRR@{k}"):
        others = {name: m[metric] for name, m in evaluation.metrics.items() if name != model}
        rival = max(others, key=others.get)
        mine = evaluation.metrics[model][metric]
        verdict = "ahead of" if mine > others[rival] else "behind"
        parts.append(f"{metric} {mine:.4f}, {verdict} the best baseline ({rival} {others[rival]:.4f})")
    return f"{model}: " + "; ".join(parts)


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
