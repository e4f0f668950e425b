"""Sessions in long form, the shape every pipeline step works on.

One row per kept event: ``session`` (UInt32, sessions numbered 0..n-1 and stored contiguously in
that order), ``item`` (UInt32 code into the run's item keys), ``time`` (Int64 microseconds),
``row`` (position in the source, which breaks ties) and ``weight`` (Float32) when event weights
are used. Within a session, events are in time order. ``info`` row ``i`` describes session ``i``
(``user`` and/or ``session``, the source's ids). Dropping events renumbers the sessions so that the
CSR offsets of the final corpus are just the cumulative session lengths.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import polars as pl


@dataclass(frozen=True)
class EventTable:
    events: pl.DataFrame
    info: pl.DataFrame

    @property
    def n_sessions(self) -> int:
        return self.info.height

    @property
    def n_events(self) -> int:
        return self.events.height

    @cached_property
    def lengths(self) -> np.ndarray:
        """Events per session (int64)."""
        return np.bincount(self.events["session"].to_numpy(), minlength=self.n_sessions)

    @cached_property
    def offsets(self) -> np.ndarray:
        """CSR offsets: session ``i`` is ``events[offsets[i]:offsets[i+1]]``."""
        return np.concatenate(([0], np.cumsum(self.lengths))).astype(np.int64)

    def keep_events(self, mask) -> EventTable:
        """Keep the events where ``mask`` (array, Series or expression) is true; sessions left
        empty disappear."""
        mask = pl.Series(mask) if isinstance(mask, np.ndarray) else mask
        return EventTable(self.events.filter(mask), self.info).compact()

    def compact(self) -> EventTable:
        """Drop sessions without events and renumber the others 0..n-1, keeping their order."""
        present = np.zeros(self.n_sessions, dtype=bool)
        sessions = self.events["session"].to_numpy()
        present[sessions] = True
        if present.all():
            return self
        new_id = (np.cumsum(present) - 1).astype(np.uint32)
        events = self.events.with_columns(pl.Series("session", new_id[sessions]))
        return EventTable(events, self.info.filter(pl.Series(present)))

    def keep_sessions(self, mask: np.ndarray) -> EventTable:
        """Keep the sessions where the per-session boolean ``mask`` is true."""
        return self.keep_events(mask[self.events["session"].to_numpy()])

    def chronological(self) -> EventTable:
        """Sessions reordered by (start time, source row of their first event): a total order,
        independent of how users or sessions were encoded or partitioned."""
        offsets = self.offsets
        first = offsets[:-1]
        start = self.events["time"].to_numpy()[first]
        first_row = self.events["row"].to_numpy()[first]
        order = np.lexsort((first_row, start))
        if np.array_equal(order, np.arange(len(order))):
            return self
        lengths = np.diff(offsets)[order]
        new_offsets = np.concatenate(([0], np.cumsum(lengths)))
        gather = np.repeat(first[order] - new_offsets[:-1], lengths) + np.arange(new_offsets[-1])
        session = np.repeat(np.arange(len(order), dtype=np.uint32), lengths)
        events = self.events.drop("session")[gather].insert_column(0, pl.Series("session", session))
        return EventTable(events, self.info[order])

    @staticmethod
    def concat(tables: list[EventTable]) -> EventTable:
        """Stack tables of disjoint sessions (e.g. hash partitions of the users)."""
        shifted, base = [], 0
        for table in tables:
            shifted.append(table.events.with_columns(pl.col("session") + base))
            base += table.n_sessions
        return EventTable(pl.concat(shifted), pl.concat([t.info for t in tables]))
