"""What sessionisation hands back: sessions as a training ``Corpus``, as a frame, as a Parquet file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from item2vec import config
from item2vec.data.corpus import Corpus
from item2vec.data.files import write_parquet
from item2vec.sessions.summary import Summary
from item2vec.sessions.table import EventTable


@dataclass(frozen=True)
class Sessions:
    """Sessions in chronological order (by start time, then source row of the first event).

    ``corpus()`` is what ``Item2Vec.fit`` trains on (with per-token weights when event weights were
    given); ``frame()`` has one row per session for inspection and evaluation; ``summary`` says
    what was read, dropped and kept.
    """

    table: EventTable
    item_keys: pl.Series  # String; the events' item codes index it
    summary: Summary

    def __len__(self) -> int:
        return self.table.n_sessions

    @property
    def n_events(self) -> int:
        return self.table.n_events

    def corpus(self, max_sentence_length: int = config.MAX_SENTENCE_LENGTH) -> Corpus:
        """The sessions as a ``Corpus``: one sentence per session, items in time order (with
        ``global_context`` flags when sessionised with a global-context event)."""
        events = self.table.events
        weights = events["weight"].to_numpy() if "weight" in events.columns else None
        flags = events["global_context"].to_numpy() if "global_context" in events.columns else None
        keys = self.item_keys.to_list()
        return Corpus.from_codes(
            events["item"].to_numpy(), self.table.offsets, keys, weights, max_sentence_length, flags
        ).as_sessions()

    def frame(self) -> pl.DataFrame:
        """One row per session: ``session_id`` (0..n-1, the corpus order), ``user_id`` and/or
        ``source_session_id`` (the log's ids), ``items`` (list of item ids), ``weights`` (when
        event weights were given), ``global_context`` (a bool per item, with a global-context
        event), ``start``, ``end`` (UTC) and ``length``."""
        events = self.table.events.with_columns(self.item_keys.gather(self.table.events["item"]).alias("item"))
        weights = [pl.col("weight").alias("weights")] if "weight" in events.columns else []
        weights += [pl.col("global_context")] if "global_context" in events.columns else []
        sessions = events.group_by("session", maintain_order=True).agg(
            pl.col("item").alias("items"),
            *weights,
            pl.col("time").first().cast(pl.Datetime("us")).alias("start"),
            pl.col("time").last().cast(pl.Datetime("us")).alias("end"),
            pl.len().cast(pl.UInt32).alias("length"),
        )
        names = {"user": "user_id", "session": "source_session_id"}
        info = self.table.info.rename({c: names[c] for c in self.table.info.columns})
        return pl.concat(
            [sessions.select(pl.col("session").alias("session_id")), info, sessions.drop("session")], how="horizontal"
        )

    def write_parquet(self, path) -> None:
        """Write ``frame()`` to a Parquet file atomically (it appears whole or not at all)."""
        write_parquet(self.frame(), path)


@dataclass(frozen=True)
class Split:
    """Training and test sessions for an honest evaluation, over the same item ids.

    ``temporal_split``: every training event precedes ``cutoff`` and every test event is at or
    after it; test sessions only hold items that occur in training. ``leave_last_out``: training
    holds every session without its last event; ``test`` holds the whole sessions whose last item
    occurs in training, so a test session's prefix is ``items[:-1]`` and its target ``items[-1]``.
    ``summary`` covers both parts.
    """

    train: Sessions
    test: Sessions
    cutoff: datetime | None = None

    @property
    def summary(self) -> Summary:
        return self.train.summary
