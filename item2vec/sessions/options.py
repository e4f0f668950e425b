"""How an event log becomes training sessions: every tunable with its default, validated once.

The CLI takes its defaults from here, so the Python API and ``item2vec sessions`` agree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

_MICROSECONDS_PER_MINUTE = 60_000_000


@dataclass(frozen=True)
class SessionOptions:
    """Sessionisation and cleaning rules (see the README section "Event logs to sessions").

    - ``gap_minutes``: a user's next event starts a new session when it comes *more than* this many
      minutes after the previous one (a gap exactly equal to it continues the session). ``None``
      or ``inf``: never split on inactivity. Ignored when the log has a session column.
    - ``max_duration_minutes``: sessions are cut into consecutive windows of this length measured
      from their first event (an event exactly ``max_duration`` after the start opens the next).
    - ``event_types``: keep only these event types (sessions are cut on all activity first).
    - ``event_weights``: per-event-type token weight (unlisted types weigh 1); a collapsed run of
      repeats takes the largest weight in the run.
    - ``global_context_event``: an event type (``buy``, ``booking``) whose items are *global
      contexts*: in a session holding such an event, its item is a context of every other item of
      the session whatever the window (``Corpus.global_context``; a collapsed run of repeats is
      one if any of its events is). Needs the event column, and the type kept by ``event_types``.
    - ``min_length``: drop sessions with fewer events (after every other step).
    - ``keep_last``: keep at most the last N events of a session.
    - ``min_item_count``: drop items with fewer events; ``iterate`` repeats this and the
      ``min_length`` filter until neither removes anything.
    - ``buckets``: process the log in this many user-hash partitions spilled to Parquet, so that
      memory is bounded by one partition instead of the whole log.
    """

    gap_minutes: float | None = 30.0
    max_duration_minutes: float | None = None
    event_types: tuple[str, ...] | None = None
    event_weights: Mapping[str, float] | None = None
    global_context_event: str | None = None
    min_length: int = 2
    keep_last: int | None = None
    min_item_count: int = 1
    iterate: bool = False
    buckets: int = 1

    def __post_init__(self):
        if self.gap_minutes is not None and math.isinf(self.gap_minutes) and self.gap_minutes > 0:
            object.__setattr__(self, "gap_minutes", None)
        for name in ("gap_minutes", "max_duration_minutes"):
            value = getattr(self, name)
            if value is not None and not (value > 0 and math.isfinite(value)):
                raise ValueError(f"{name} must be a positive number of minutes, got {value}")
        if self.event_types is not None:
            if isinstance(self.event_types, str) or not isinstance(self.event_types, Iterable):
                raise ValueError("event_types must be a list of event type names")
            types = tuple(str(t) for t in self.event_types)
            if not types:
                raise ValueError("event_types is empty: every event would be dropped")
            object.__setattr__(self, "event_types", types)
        if self.event_weights is not None:
            weights = {str(k): float(v) for k, v in dict(self.event_weights).items()}
            bad = {k: v for k, v in weights.items() if not (math.isfinite(v) and v >= 0)}
            if bad:
                raise ValueError(f"event weights must be finite and >= 0, got {bad}")
            object.__setattr__(self, "event_weights", weights)
        if self.global_context_event is not None:
            if not isinstance(self.global_context_event, str) or not self.global_context_event:
                raise ValueError(f"global_context_event must be an event type name, got {self.global_context_event!r}")
            if self.event_types is not None and self.global_context_event not in self.event_types:
                raise ValueError(
                    f"global_context_event {self.global_context_event!r} is not among the kept event types "
                    f"({', '.join(self.event_types)}): its events would be dropped"
                )
        for name, low in (("min_length", 1), ("min_item_count", 1), ("buckets", 1)):
            if int(getattr(self, name)) < low:
                raise ValueError(f"{name} must be >= {low}, got {getattr(self, name)}")
        if self.keep_last is not None and self.keep_last < 1:
            raise ValueError(f"keep_last must be >= 1, got {self.keep_last}")

    @property
    def gap_us(self) -> int | None:
        """The inactivity gap in microseconds (the unit of every internal timestamp)."""
        return None if self.gap_minutes is None else round(self.gap_minutes * _MICROSECONDS_PER_MINUTE)

    @property
    def max_duration_us(self) -> int | None:
        if self.max_duration_minutes is None:
            return None
        return round(self.max_duration_minutes * _MICROSECONDS_PER_MINUTE)
