"""Event logs to training sessions, with Polars.

>>> from item2vec.sessions import EventFormat, SessionOptions, sessionize, temporal_split
>>> sessions = sessionize("events.csv", EventFormat(user="user_id", item="item_id", time="ts"),
...                       SessionOptions(gap_minutes=30, event_weights={"view": 1, "cart": 3}))
>>> model = Item2Vec().fit(sessions.corpus())
>>> split = temporal_split("events.csv", fmt, options, last_days=7)   # split.train / split.test

Modules, in pipeline order: ``formats`` (column mapping, presets), ``read`` (lazy scan, time
parsing, input errors), ``sessionise`` (per-user steps), ``filters`` (rare items, short
sessions), ``split`` (temporal cutoff, leave-last-out), ``table`` (the long-form store they share),
``result`` (``Sessions``: corpus, frame, Parquet), ``summary`` (counts by reason), ``build``
(the entry points), ``files`` (reading session files back: text or Parquet, in chunks).
"""

from item2vec.sessions.build import leave_last_out, sessionize, temporal_split
from item2vec.sessions.formats import EPOCH_UNITS, FORMATS, EventFormat, event_format
from item2vec.sessions.options import SessionOptions
from item2vec.sessions.result import Sessions, Split
from item2vec.sessions.summary import REASONS, Summary

__all__ = [
    "sessionize",
    "temporal_split",
    "leave_last_out",
    "EventFormat",
    "SessionOptions",
    "FORMATS",
    "EPOCH_UNITS",
    "event_format",
    "Sessions",
    "Split",
    "Summary",
    "REASONS",
]
