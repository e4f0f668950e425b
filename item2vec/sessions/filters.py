"""The steps that look across sessions: rare items and short sessions.

They run after the per-user steps, and in a temporal split on the training part only, so that
test-period counts never decide what training keeps.
"""

from __future__ import annotations

import numpy as np

from .options import SessionOptions
from .summary import Tally
from .table import EventTable


def drop_rare_items_and_short_sessions(table: EventTable, options: SessionOptions, tally: Tally) -> EventTable:
    """Drop events of items with fewer than ``min_item_count`` events, then sessions shorter than
    ``min_length``; with ``options.iterate``, repeat until a pass finds no rare item (dropping
    sessions lowers item counts, which can make more items rare)."""
    first_pass = True
    while True:
        n = table.n_events
        if options.min_item_count > 1 and n:
            items = table.events["item"].to_numpy()
            table = table.keep_events(np.bincount(items)[items] >= options.min_item_count)
        tally.drop("rare item", n - table.n_events)
        if not first_pass and n == table.n_events:
            return table
        first_pass = False
        n = table.n_events
        table = table.keep_sessions(table.lengths >= options.min_length)
        tally.drop("short session", n - table.n_events)
        if not options.iterate:
            return table
