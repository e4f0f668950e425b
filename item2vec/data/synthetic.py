"""A seeded synthetic clickstream with planted structure, so that demos and tests can check that
training recovers what was put in.

Items belong to groups (think categories); popularity is Zipf-skewed; within a group, items
form a chain and sessions tend to move to the next item of the chain (a sequential signal a
next-item recommender can learn). Each user prefers one group. Events carry timestamps (sessions
separated by hours, clicks by seconds) and event types (view, cart, purchase).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class SyntheticClickstream:
    """Parameters of the generator; every method is a pure function of them (and ``seed``)."""

    n_users: int = 4000
    n_items: int = 1000
    n_groups: int = 20
    sessions_per_user: float = 5.0  # mean, Poisson
    mean_session_length: float = 6.0  # mean of 2 + geometric
    zipf_exponent: float = 1.0
    p_next_in_chain: float = 0.5  # move to the chain successor
    p_noise: float = 0.1  # jump to any item (by popularity)
    p_user_group: float = 0.8  # a session stays in the user's preferred group
    days: int = 30
    seed: int = 0

    def __post_init__(self):
        if self.n_items < self.n_groups or self.n_groups < 1 or self.n_users < 1:
            raise ValueError("need n_users >= 1 and n_items >= n_groups >= 1")

    # ---- planted structure --------------------------------------------------------------------

    @cached_property
    def _structure(self):
        rng = np.random.default_rng(self.seed)
        group = rng.permutation(self.n_items) % self.n_groups
        popularity = 1.0 / (1.0 + rng.permutation(self.n_items)) ** self.zipf_exponent
        successor = np.empty(self.n_items, dtype=np.int64)
        members = []
        for g in range(self.n_groups):
            chain = rng.permutation(np.flatnonzero(group == g))
            successor[chain] = np.roll(chain, -1)
            members.append(chain)
        return group, popularity, successor, members

    @property
    def item_keys(self) -> list[str]:
        return [f"item_{i}" for i in range(self.n_items)]

    @property
    def item_group(self) -> dict[str, int]:
        """The planted group of every item key."""
        group = self._structure[0]
        return {f"item_{i}": int(group[i]) for i in range(self.n_items)}

    @property
    def successor(self) -> dict[str, str]:
        """The planted chain successor of every item key."""
        return {f"item_{i}": f"item_{int(j)}" for i, j in enumerate(self._structure[2])}

    # ---- generation ---------------------------------------------------------------------------

    def _generate(self):
        """Yield ``(user, session_index, start_seconds, items, event_codes)`` per session."""
        group, popularity, successor, members = self._structure
        rng = np.random.default_rng(self.seed + 1)
        p_all = popularity / popularity.sum()
        p_group = [popularity[m] / popularity[m].sum() for m in members]
        horizon = self.days * 86400
        p_geometric = 1.0 / max(self.mean_session_length - 1.0, 1.0)
        for user in range(self.n_users):
            home = rng.integers(self.n_groups)
            n_sessions = max(1, rng.poisson(self.sessions_per_user))
            starts = np.sort(rng.uniform(0, horizon, n_sessions))
            for s, start in enumerate(starts):
                g = home if rng.random() < self.p_user_group else rng.integers(self.n_groups)
                length = 1 + rng.geometric(p_geometric)
                items = [members[g][rng.choice(len(members[g]), p=p_group[g])]]
                for _ in range(length - 1):
                    u = rng.random()
                    if u < self.p_next_in_chain:
                        nxt = successor[items[-1]]
                    elif u < self.p_next_in_chain + self.p_noise:
                        nxt = rng.choice(self.n_items, p=p_all)
                    else:
                        nxt = members[g][rng.choice(len(members[g]), p=p_group[g])]
                    items.append(nxt)
                events = rng.choice(3, size=len(items), p=[0.87, 0.1, 0.03])
                yield user, s, start, items, events

    def sessions(self) -> list[list[str]]:
        """Sessions as lists of item keys, in the order the users browsed them."""
        return [[f"item_{i}" for i in items] for _, _, _, items, _ in self._generate()]

    def events(self):
        """The raw event log as a Polars DataFrame: ``user_id``, ``item_id``, ``timestamp``
        (epoch seconds), ``event_type`` (view, cart, purchase). Clicks within a session are
        10 s to 3 min apart; sessions of a user start at random times over ``days`` days."""
        import polars as pl

        rng = np.random.default_rng(self.seed + 2)
        users, items, times, kinds = [], [], [], []
        t0 = 1_700_000_000
        for user, _, start, session_items, codes in self._generate():
            gaps = np.concatenate(([0.0], rng.uniform(10, 180, len(session_items) - 1)))
            times.extend((t0 + start + np.cumsum(gaps)).astype(np.int64).tolist())
            users.extend([f"user_{user}"] * len(session_items))
            items.extend(f"item_{i}" for i in session_items)
            kinds.extend(codes.tolist())
        names = np.array(["view", "cart", "purchase"])
        return pl.DataFrame(
            {
                "user_id": users,
                "item_id": items,
                "timestamp": times,
                "event_type": names[np.array(kinds, dtype=np.int64)],
            }
        )


def group_purity(model, item_group: dict[str, int], k: int = 10) -> float:
    """Mean share of each item's ``k`` nearest neighbours (cosine) that share its planted group.
    Chance level is about ``1 / n_groups``."""
    keys = model.index_to_key
    groups = np.array([item_group[key] for key in keys])
    unit = model.unit_vectors
    k = min(k, len(keys) - 1)
    share = []
    for start in range(0, len(keys), 1024):
        scores = unit[start : start + 1024] @ unit.T
        scores[np.arange(len(scores)), np.arange(start, start + len(scores))] = -np.inf
        nearest = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        share.append((groups[nearest] == groups[start : start + len(scores), None]).mean(axis=1))
    return float(np.concatenate(share).mean())
