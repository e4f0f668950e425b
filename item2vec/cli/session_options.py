"""Event-log options shared by every command that reads an event log, declared once.

``@session_options`` appends the column mapping, file layout and sessionisation options to a
command (defaults from ``SessionOptions``) and hands them to it as ``events_spec: EventSpec``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from item2vec.cli.options import option_group
from item2vec.sessions import FORMATS, EventFormat, SessionOptions, event_format

_DEFAULTS = SessionOptions()


@dataclass(frozen=True)
class EventSpec:
    """How to read an event log and turn it into sessions."""

    fmt: EventFormat
    options: SessionOptions


_OPTIONS = {  # name: (type, default, help, flag declarations)
    "format": (str | None, None, f"Preset for a public dataset: {', '.join(FORMATS)}.", ()),
    "user_col": (
        str | None,
        None,
        "User id column (default: user_id, or the preset's; none with --session-col).",
        (),
    ),
    "item_col": (str | None, None, "Item id column (default: item_id).", ()),
    "time_col": (str | None, None, "Timestamp column (default: timestamp).", ()),
    "session_col": (
        str | None,
        None,
        "Session id column: use the log's sessions instead of the inactivity gap.",
        (),
    ),
    "event_col": (str | None, None, "Event type column (for --event-types and --event-weights).", ()),
    "time_format": (
        str | None,
        None,
        "Timestamps: s, ms, us, ns (epoch) or a strftime format (default: detected).",
        (),
    ),
    "separator": (str | None, None, "CSV field separator (default: tab for .tsv, else comma).", ()),
    "header": (
        bool | None,
        None,
        "The CSV has a header line (default: yes, or the preset's).",
        ("--header/--no-header",),
    ),
    "names": (str | None, None, "Comma-separated column names of a CSV without header.", ()),
    "gap_minutes": (
        float,
        _DEFAULTS.gap_minutes,
        "Inactivity that ends a session (longer gaps split; inf = never).",
        (),
    ),
    "max_duration_minutes": (float | None, None, "Cut sessions into windows of this length from their start.", ()),
    "event_types": (str | None, None, "Keep only these comma-separated event types.", ()),
    "event_weights": (str | None, None, "Token weights per event type, e.g. view=1,cart=3,purchase=5.", ()),
    "global_context_event": (
        str | None,
        None,
        "An event type (e.g. buy): in a session holding one, its item is a context of every item of the session "
        "whatever the window (needs --event-col).",
        (),
    ),
    "min_length": (int, _DEFAULTS.min_length, "Drop sessions with fewer events.", ()),
    "keep_last": (int | None, None, "Keep at most the last N events of a session.", ()),
    "min_item_count": (int, _DEFAULTS.min_item_count, "Drop items with fewer events in the sessions.", ()),
    "iterate_filters": (bool, _DEFAULTS.iterate, "Repeat --min-item-count and --min-length until stable.", ()),
    "buckets": (int, _DEFAULTS.buckets, "Process the log in N user-hash partitions on disk (bounded memory).", ()),
}


def _spec(values: dict) -> EventSpec:
    """The format (preset, then explicit columns) and options the CLI values describe."""
    fmt = event_format(values["format"]) if values["format"] else EventFormat()
    if not values["format"] and values["session_col"] and not values["user_col"]:
        fmt = replace(fmt, user=None)  # the user column is optional with given sessions
    columns = {
        "user": "user_col",
        "item": "item_col",
        "time": "time_col",
        "session": "session_col",
        "event": "event_col",
        "time_format": "time_format",
        "separator": "separator",
        "has_header": "header",
    }
    fmt = replace(fmt, **{field: values[name] for field, name in columns.items() if values[name] is not None})
    if values["names"]:
        fmt = replace(fmt, names=tuple(n.strip() for n in values["names"].split(",")))
    options = SessionOptions(
        gap_minutes=values["gap_minutes"],
        max_duration_minutes=values["max_duration_minutes"],
        event_types=_split_list(values["event_types"]),
        event_weights=_parse_weights(values["event_weights"]),
        global_context_event=values["global_context_event"],
        min_length=values["min_length"],
        keep_last=values["keep_last"],
        min_item_count=values["min_item_count"],
        iterate=values["iterate_filters"],
        buckets=values["buckets"],
    )
    return EventSpec(fmt, options)


def _split_list(text: str | None) -> tuple[str, ...] | None:
    return None if text is None else tuple(t.strip() for t in text.split(",") if t.strip())


def _parse_weights(text: str | None) -> dict[str, float] | None:
    if text is None:
        return None
    weights = {}
    for pair in _split_list(text):
        kind, _, weight = pair.partition("=")
        try:
            weights[kind.strip()] = float(weight)
        except ValueError:
            raise ValueError(f"--event-weights: expected TYPE=WEIGHT pairs separated by commas, got {pair!r}") from None
    return weights


session_options = option_group("events_spec", _OPTIONS, "Event log and sessions", build=_spec)
