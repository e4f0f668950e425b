"""Sessions of item keys to rows of a model's vocabulary (CSR), the form every scorer reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl


@dataclass(frozen=True)
class EncodedSessions:
    """Sessions as rows of the model's vocabulary (CSR); unknown items are skipped and counted."""

    items: np.ndarray  # int32 rows of known items, in session order
    offsets: np.ndarray  # int64, len = n_sessions + 1
    n_unknown: int  # item occurrences not in the model's vocabulary (skipped)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    @property
    def empty(self) -> np.ndarray:
        """Sessions with no known item: they get the popularity fallback."""
        return self.lengths == 0

    def slice(self, start: int, stop: int) -> EncodedSessions:
        """Sessions ``start:stop`` (``n_unknown`` is not split and is reported as 0)."""
        lo, hi = self.offsets[start], self.offsets[stop]
        return EncodedSessions(self.items[lo:hi], self.offsets[start : stop + 1] - lo, 0)


def encode_sessions(model, sessions: Sequence[Sequence] | pl.Series) -> EncodedSessions:
    """Map sessions (lists of item keys; non-string keys are looked up by ``str``) to the rows of
    ``model`` (anything with ``key_to_index``). A Polars list Series is encoded without Python loops."""
    if isinstance(sessions, pl.Series):
        return _encode_series(model, sessions)
    index = model.key_to_index
    rows: list[int] = []
    lengths = np.zeros(len(sessions), dtype=np.int64)
    unknown = 0
    for s, session in enumerate(sessions):
        if isinstance(session, (str, bytes)):
            raise ValueError(f"session {s} is a string, expected a list of item ids")
        known = [index.get(key if isinstance(key, str) else str(key)) for key in session]
        kept = [r for r in known if r is not None]
        unknown += len(known) - len(kept)
        rows.extend(kept)
        lengths[s] = len(kept)
    return EncodedSessions(np.asarray(rows, dtype=np.int32), offsets_from_lengths(lengths), unknown)


def _encode_series(model, sessions: pl.Series) -> EncodedSessions:
    if not isinstance(sessions.dtype, (pl.List, pl.Array)):
        raise ValueError(f"sessions column {sessions.name!r} has type {sessions.dtype}, expected a list of item ids")
    sessions = sessions.cast(pl.List(pl.String))
    flat = pl.DataFrame({"row": np.arange(len(sessions), dtype=np.int64), "item": sessions}).explode("item")
    rows = flat["item"].replace_strict(
        model.index_to_key, np.arange(len(model), dtype=np.int32), default=None, return_dtype=pl.Int32
    )
    known = rows.is_not_null().to_numpy()
    owner = flat["row"].to_numpy()[known]
    total = int(sessions.list.len().fill_null(0).sum())
    lengths = np.bincount(owner, minlength=len(sessions)).astype(np.int64)
    return EncodedSessions(
        rows.to_numpy()[known].astype(np.int32), offsets_from_lengths(lengths), total - int(known.sum())
    )


def offsets_from_lengths(lengths: np.ndarray) -> np.ndarray:
    """CSR offsets (int64, one more than ``lengths``) from per-row lengths."""
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return offsets
