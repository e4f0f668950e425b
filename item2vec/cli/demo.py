"""``item2vec demo``: the main job on built-in data, for a first run on a fresh machine."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from .app import app

console = Console()


@app.command()
def demo(
    users: Annotated[int, typer.Option(help="Synthetic users to generate.")] = 4000,
    seed: Annotated[int, typer.Option(help="Seed of the generator and the model.")] = 1,
):
    """Train on a seeded synthetic clickstream with planted item groups and show what was learned."""
    from ..datasets import SyntheticClickstream, group_purity
    from ..model import Item2Vec

    data = SyntheticClickstream(n_users=users, seed=seed)
    sessions = data.sessions()
    console.print(f"[bold]Synthetic clickstream[/]: {len(sessions):,} sessions, "
                  f"{sum(map(len, sessions)):,} clicks, {data.n_items:,} items in {data.n_groups} planted groups")
    started = time.perf_counter()
    model = Item2Vec(vector_size=64, window=3, min_count=1, epochs=10, seed=seed).fit(sessions)
    last = model.training_log_[-1]
    console.print(f"trained in {time.perf_counter() - started:.1f}s "
                  f"({last['words_per_second']:,.0f} words/s, final loss {last['mean_loss']:.3f})")

    groups, successor = data.item_group, data.successor
    table = Table(title="Nearest neighbours of the most popular items (group in brackets)")
    table.add_column("item")
    table.add_column("5 nearest neighbours (cosine)")
    for key in model.index_to_key[:5]:
        table.add_row(f"{key} [{groups[key]}]", ", ".join(
            f"{n} [{groups[n]}] {s:.2f}{' (next in chain)' if n == successor[key] else ''}"
            for n, s in model.similar(key, k=5)))
    console.print(table)
    purity = group_purity(model, groups, k=10)
    console.print(f"group recovery: {purity:.1%} of each item's 10 nearest neighbours share its "
                  f"planted group (chance: {1 / data.n_groups:.1%})")
