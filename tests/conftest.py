"""Shared fixtures. Tests on the public datasets in ``../shared/data`` skip when it is absent,
and fail instead when ``ITEM2VEC_REQUIRE_SHARED=1`` (as in CI)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def shared_file(name: str) -> Path:
    """Path of a file in ``../shared/data``; skips the test (or fails, in CI) if it is missing."""
    path = SHARED_DATA / name
    if not path.exists():
        message = f"shared dataset {name} not found in {SHARED_DATA}"
        if os.environ.get("ITEM2VEC_REQUIRE_SHARED") == "1":
            pytest.fail(message + " (ITEM2VEC_REQUIRE_SHARED=1)")
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def synthetic():
    """A small seeded synthetic clickstream with planted groups (fast to train on)."""
    from item2vec.data.synthetic import SyntheticClickstream

    return SyntheticClickstream(n_users=1500, n_items=300, n_groups=10, seed=3)
