"""Train/test splits of sessionised events: a global time cutoff, and leave-last-out."""

from __future__ import annotations

import numpy as np

from item2vec.sessions.options import SessionOptions
from item2vec.sessions.summary import Tally
from item2vec.sessions.table import EventTable


def split_at(table: EventTable, cutoff_us: int, tally: Tally) -> tuple[EventTable, EventTable]:
    """Whole sessions ending before ``cutoff_us`` train, those starting at or after it test; a
    session that straddles the cutoff is dropped rather than cut, so neither side sees a session
    truncated by the split, and no test event precedes a training event."""
    offsets = table.offsets
    time = table.events["time"].to_numpy()
    start, end = time[offsets[:-1]], time[offsets[1:] - 1]  # no session is empty
    train, test = end < cutoff_us, start >= cutoff_us
    tally.drop("straddles cutoff", int(np.diff(offsets)[~(train | test)].sum()))
    return table.keep_sessions(train), table.keep_sessions(test)


def restrict_to_known_items(test: EventTable, known: np.ndarray, options: SessionOptions, tally: Tally) -> EventTable:
    """Drop test events whose item is not ``known`` (a boolean per item code), then test sessions
    shorter than ``min_length``."""
    n = test.n_events
    test = test.keep_events(known[test.events["item"].to_numpy()])
    tally.drop("unseen item", n - test.n_events)
    n = test.n_events
    test = test.keep_sessions(test.lengths >= options.min_length)
    tally.drop("short test session", n - test.n_events)
    return test


def hold_out_last(table: EventTable, n_items: int, tally: Tally) -> tuple[EventTable, EventTable]:
    """Training gets every session without its last event; test gets the whole sessions whose last
    item still occurs in training (the others' last events are dropped as unseen targets)."""
    last = table.offsets[1:] - 1
    is_last = np.zeros(table.n_events, dtype=bool)
    is_last[last] = True
    train = table.keep_events(~is_last)
    target_known = known_items(train, n_items)[table.events["item"].to_numpy()[last]]
    tally.drop("unseen target", int((~target_known).sum()))
    return train, table.keep_sessions(target_known)


def known_items(table: EventTable, n_items: int) -> np.ndarray:
    """Boolean per item code: does the item occur in ``table``?"""
    known = np.zeros(n_items, dtype=bool)
    known[table.events["item"].to_numpy()] = True
    return known
