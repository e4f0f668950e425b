"""Where the columns of an event log are and how to read its file, plus presets for public datasets.

A preset is just an ``EventFormat``: ``item2vec sessions --format yoochoose clicks.dat`` reads the
full public file the same way the tests read its sample in ``../shared/data``.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Epoch units accepted as ``time_format``; anything else is a strftime format for date-time strings.
EPOCH_UNITS = ("s", "ms", "us", "ns")


@dataclass(frozen=True)
class EventFormat:
    """Column mapping and file layout of an event log.

    ``user`` may be ``None`` when ``session`` is given. ``time_format``: ``None`` detects epoch
    seconds/milliseconds/... or date-time strings from the first rows; one of ``EPOCH_UNITS`` or
    a strftime format overrides. ``time_offset`` names a column of milliseconds added to the time
    (DIGINETICA gives a date plus a within-session offset). ``separator=None`` means tab for
    ``.tsv``/``.tab`` files and comma otherwise; ``names`` names the columns of header-less files.
    """

    user: str | None = "user_id"
    item: str = "item_id"
    time: str = "timestamp"
    session: str | None = None
    event: str | None = None
    time_format: str | None = None
    time_offset: str | None = None
    separator: str | None = None
    has_header: bool = True
    names: tuple[str, ...] | None = None
    null_values: tuple[str, ...] = ()

    def __post_init__(self):
        if self.user is None and self.session is None:
            raise ValueError("give a user column or a session column")
        if self.separator is not None and len(self.separator) != 1:
            raise ValueError(f"separator must be one character, got {self.separator!r}")
        if self.names is not None:
            object.__setattr__(self, "names", tuple(self.names))
        mapped = [c for c in (self.user, self.item, self.time, self.session, self.event, self.time_offset) if c]
        if len(set(mapped)) != len(mapped):
            raise ValueError(f"a column is mapped twice: {mapped}")

    @property
    def key(self) -> str:
        """The canonical column that groups events: the session id if given, else the user."""
        return "session" if self.session else "user"


FORMATS: dict[str, EventFormat] = {
    # RecSys Challenge 2015 yoochoose-clicks.dat: SessionId,Timestamp(ISO 8601),ItemId,Category
    "yoochoose": EventFormat(
        user=None,
        session="session_id",
        item="item_id",
        time="timestamp",
        has_header=False,
        separator=",",
        names=("session_id", "timestamp", "item_id", "category"),
    ),
    # session-rec / GRU4Rec prepared TSV: SessionId<TAB>ItemId<TAB>Time (epoch seconds, float)
    "session-rec": EventFormat(
        user=None, session="SessionId", item="ItemId", time="Time", time_format="s", separator="\t"
    ),
    # CIKM Cup 2016 DIGINETICA train-item-views.csv: session_id;user_id;item_id;timeframe;eventdate
    "diginetica": EventFormat(
        user="user_id",
        session="session_id",
        item="item_id",
        time="eventdate",
        time_format="%Y-%m-%d",
        time_offset="timeframe",
        separator=";",
        null_values=("NA",),
    ),
    # RetailRocket (Kaggle) events.csv: timestamp(ms),visitorid,event,itemid,transactionid
    "retailrocket": EventFormat(
        user="visitorid", item="itemid", time="timestamp", event="event", time_format="ms", separator=","
    ),
    # RetailRocket as re-sessionised by SR-GTM: timestamp(s)<TAB>user_id<TAB>item_id<TAB>session_id
    "retailrocket-srgtm": EventFormat(
        user="user_id", session="session_id", item="item_id", time="timestamp", time_format="s", separator="\t"
    ),
    # Taobao UserBehavior.csv: user,item,category,behavior(pv|cart|fav|buy),timestamp(s), no header
    "taobao": EventFormat(
        user="user_id",
        item="item_id",
        time="timestamp",
        event="behavior",
        time_format="s",
        has_header=False,
        separator=",",
        names=("user_id", "item_id", "category_id", "behavior", "timestamp"),
    ),
    # MovieLens 100K u.data: user<TAB>item<TAB>rating<TAB>timestamp(s), no header
    "movielens-100k": EventFormat(
        user="user_id",
        item="item_id",
        time="timestamp",
        time_format="s",
        has_header=False,
        separator="\t",
        names=("user_id", "item_id", "rating", "timestamp"),
    ),
    # MovieLens ratings.csv (ml-latest, ml-20m, ml-25m, ...): userId,movieId,rating,timestamp(s)
    "movielens": EventFormat(user="userId", item="movieId", time="timestamp", time_format="s", separator=","),
}


def event_format(name: str) -> EventFormat:
    """The preset called ``name``, with an error listing the known presets."""
    try:
        return FORMATS[name]
    except KeyError:
        raise ValueError(f"unknown format {name!r}; known formats: {', '.join(FORMATS)}") from None
