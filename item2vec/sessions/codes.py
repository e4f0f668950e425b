"""Integer codes for text ids by hashing, several times cheaper than categorical encodings.

A 64-bit hash identifies an id; a second, independent hash checks every row, so two ids that
collide on the first are noticed (the chance that they also collide on the second is about
2**-64) and the exact, slower encoding takes over.
"""

from __future__ import annotations

import polars as pl


def identity_hash(values: pl.Series) -> pl.Series:
    """The hash that stands for an id (grouping, joining)."""
    return values.hash(seed=0)


def check_hash(values: pl.Series) -> pl.Series:
    """An independent hash, to verify that equal identity hashes mean equal ids."""
    return values.hash(seed=0x5EED_C0FFEE)


def encode(values: pl.Series, keys: pl.Series | None = None) -> tuple[pl.Series, pl.Series]:
    """UInt32 codes of ``values`` (cast to text; nulls stay null) into ``keys``, sorted text ids.

    ``keys`` defaults to the distinct non-null values; when given it must hold them all (e.g.
    the distinct ids of a whole log, encoded partition by partition).
    """
    values = values.cast(pl.String)
    identity = identity_hash(values)
    given = keys is not None
    if not given:
        keys = values.gather(identity.arg_unique()).drop_nulls().sort()
    key_hashes = identity_hash(keys)
    if key_hashes.n_unique() == len(keys):
        codes = identity.replace_strict(key_hashes, pl.int_range(len(keys), dtype=pl.UInt32, eager=True), default=None)
        if codes.is_null().equals(values.is_null()) and bool(
            (check_hash(keys).gather(codes) == check_hash(values)).all()
        ):
            return codes, keys
    if not given:  # a collision hid an id from the hashed keys
        keys = values.drop_nulls().unique().sort()
    return values.cast(pl.Enum(keys)).to_physical().cast(pl.UInt32), keys
