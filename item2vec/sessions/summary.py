"""What a run read, dropped (by reason) and kept, and the error when a step leaves nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

#: Every reason an event is dropped, in pipeline order, with what it means.
REASONS = {
    "null": "rows with a null user/session, item or time",
    "event type": "event types not selected",
    "repeat": "consecutive repeats of the same item, collapsed into one event",
    "truncated": "events before the last keep_last of a session",
    "straddles cutoff": "sessions that start before the split time and end at or after it",
    "rare item": "events of items with fewer than min_item_count events",
    "short session": "sessions shorter than min_length",
    "unseen item": "test events whose item never occurs in training",
    "short test session": "test sessions shorter than min_length once unseen items are gone",
    "unseen target": "held-out last events whose item never occurs in training",
}


@dataclass(frozen=True)
class Summary:
    """Counts of a sessionisation run: ``dropped`` maps a reason of ``REASONS`` to events."""

    source: str
    rows_read: int
    dropped: dict[str, int]
    kept: dict[str, int]

    def lines(self) -> list[str]:
        """Human-readable lines, for the CLI and logs."""
        out = [f"read {self.rows_read:,} rows from {self.source}"]
        out += [f"dropped {n:,} events: {REASONS[reason]}" for reason, n in self.dropped.items() if n]
        out.append("kept " + ", ".join(f"{n:,} {what}" for what, n in self.kept.items()))
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())


@dataclass
class Tally:
    """Running counts while the pipeline reads and drops events; raises when a step leaves nothing."""

    source: str
    rows_read: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    latest_us: int | None = None  # the latest timestamp read (microseconds)

    def read(self, n_rows: int, latest_us: int | None) -> None:
        """Count ``n_rows`` more rows read, whose latest timestamp is ``latest_us``."""
        self.rows_read += n_rows
        if latest_us is not None:
            self.latest_us = latest_us if self.latest_us is None else max(self.latest_us, latest_us)

    def drop(self, reason: str, n: int) -> None:
        if reason not in REASONS:
            raise KeyError(f"unknown drop reason {reason!r}")
        self.dropped[reason] = self.dropped.get(reason, 0) + int(n)

    def require(self, n_left: int, what: str = "events", steps: tuple[str, ...] = tuple(REASONS)) -> None:
        """Raise ``ValueError`` if ``n_left`` is zero, naming the last of ``steps`` that dropped
        anything (the step that removed the last rows)."""
        if n_left:
            return
        culprit = [r for r in steps if self.dropped.get(r)]
        if not culprit:
            raise ValueError(f"{self.source}: no {what}: the source has {self.rows_read:,} rows")
        so_far = ", ".join(f"{r} {n:,}" for r, n in self.dropped.items() if n)
        raise ValueError(
            f"{self.source}: no {what} left after the {culprit[-1]!r} step "
            f"({REASONS[culprit[-1]]}); read {self.rows_read:,} rows, dropped: {so_far}"
        )

    def summary(self, kept: dict[str, int]) -> Summary:
        order = {r: i for i, r in enumerate(REASONS)}
        dropped = dict(sorted(self.dropped.items(), key=lambda kv: order[kv[0]]))
        return Summary(self.source, self.rows_read, dropped, kept)
