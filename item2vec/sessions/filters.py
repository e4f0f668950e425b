"""The steps that look across sessions: rare items and short sessions.

They run after the per-user steps, and in a temporal split on the training part only, so that
test-period counts never decide what training keeps.
"""

from __future__ import annotations

import numpy as np

from item2vec.sessions.options import SessionOptions
from item2vec.sessions.summary import Tally
from item2vec.sessions.table import EventTable


def drop_rare_items_and_short_sessions(table: EventTable, options: SessionOptions, tally: Tally) -> EventTable:
    """Drop events of items with fewer than ``min_item_count`` events, then sessions shorter than
    ``min_length``; with ``options.iterate``, repeat until a pass finds no rare item (dropping
    sessions lowers item counts, which can make more items rare)."""
    first_pass = True
    while True:
        items = table.events["item"].to_numpy()
        frequent = np.bincount(items)[items] >= options.min_item_count
        n_rare = int(len(items) - frequent.sum())
        if not first_pass and n_rare == 0:
            return table
        first_pass = False
        # the sessions' lengths once rare items are gone decide which sessions are too short
        sessions = table.events["session"].to_numpy()
        lengths = np.bincount(sessions[frequent], minlength=table.n_sessions)
        long_enough = lengths[sessions] >= options.min_length
        tally.drop("rare item", n_rare)
        tally.drop("short session", int((frequent & ~long_enough).sum()))
        table = table.keep_events(frequent & long_enough)
        if not options.iterate:
            return table
