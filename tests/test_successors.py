"""Observed successors (``item2vec.data.successors``) against naive sequential rules, and how a
model keeps them: through pruning, reordering, cold items, saving and loading."""

from __future__ import annotations

import numpy as np
import pytest

from item2vec import Corpus, Item2Vec, config
from item2vec.data import corpus as corpus_module
from item2vec.data.successors import Successors, count_successors
from item2vec.scoring import ScoringOptions, encode_sessions, recommend_top_k

import naive

FAST = dict(vector_size=16, epochs=2, seed=3)


def as_dicts(successors: Successors, keys=None) -> dict:
    """{b: {c: weight}} of the lists (item keys instead of rows when ``keys`` is given)."""
    name = (lambda r: r) if keys is None else (lambda r: keys[r])
    out = {}
    for b in range(successors.n_items):
        lo, hi = successors.offsets[b], successors.offsets[b + 1]
        if hi > lo:
            out[name(b)] = {name(int(c)): float(w) for c, w in zip(successors.items[lo:hi], successors.weights[lo:hi])}
    return out


def assert_same_rules(got: dict, want: dict) -> None:
    assert got.keys() == want.keys()
    for b in want:
        assert got[b].keys() == want[b].keys(), b
        assert np.allclose([got[b][c] for c in want[b]], list(want[b].values()))


def random_sessions(seed: int, n_items: int = 12) -> list[list[int]]:
    rng = np.random.default_rng(seed)
    return [list(rng.integers(0, n_items, rng.integers(1, 9))) for _ in range(200)]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("pruning", [0, 3])
def test_counted_in_chunks_with_dropped_tokens_as_naive(monkeypatch, seed, pruning):
    """Small chunks force the running merge; remapped-away tokens vanish before distances count."""
    monkeypatch.setattr(corpus_module, "_CHUNK", 7)
    sessions = random_sessions(seed)
    remap = np.arange(12)
    remap[[2, 5]] = -1  # two items pruned
    tokens = np.concatenate([np.asarray(s, dtype=np.int32) for s in sessions])
    offsets = np.concatenate(([0], np.cumsum([len(s) for s in sessions]))).astype(np.int64)
    got = count_successors(tokens, offsets, 12, 4, lambda d: 1.0 / d, pruning, remap=remap)
    kept = [[t for t in s if remap[t] >= 0] for s in sessions]
    assert_same_rules(as_dicts(got), naive.sequential_rules(kept, 4, lambda d: 1.0 / d, pruning))
    lengths = got.lengths()
    for b in range(12):  # heaviest first
        row = got.weights[got.offsets[b] : got.offsets[b + 1]]
        assert (np.diff(row) <= 0).all() and (not pruning or lengths[b] <= pruning)


def test_reordered_and_padded_lists_name_the_same_items():
    sessions = random_sessions(9)
    tokens = np.concatenate([np.asarray(s, dtype=np.int32) for s in sessions])
    offsets = np.concatenate(([0], np.cumsum([len(s) for s in sessions]))).astype(np.int64)
    original = count_successors(tokens, offsets, 12, 3, lambda d: 1.0 / d)
    order = np.random.default_rng(1).permutation(12)
    moved = original.reordered(order).padded(15)
    assert moved.n_items == 15 and moved.lengths()[12:].tolist() == [0, 0, 0]
    keys_before = [f"i{r}" for r in range(12)]
    keys_after = [keys_before[r] for r in order] + ["cold1", "cold2", "cold3"]
    assert_same_rules(as_dicts(moved, keys_after), as_dicts(original, keys_before))


def test_a_sessions_model_keeps_its_successors_through_pruning_and_saving(tmp_path, synthetic):
    """Keyed by item, the model's lists are the naive rules of the training sessions with the
    items the vocabulary cap drops removed; saving and loading keeps them; text has none."""
    sessions = synthetic.sessions()
    model = Item2Vec(**FAST, max_final_vocab=250).fit(Corpus.from_sentences(sessions).as_sessions())
    kept = [[model.index(key) for key in s if key in model] for s in sessions]  # rows: ties to the lower row
    want = naive.sequential_rules(kept, config.SUCCESSOR_STEPS, lambda d: 1.0 / d, config.SUCCESSOR_PRUNING)
    assert len(model) < len({key for s in sessions for key in s})  # the cap dropped some
    assert_same_rules(as_dicts(model.successors_), want)
    model.save(tmp_path / "m")
    loaded = Item2Vec.load(tmp_path / "m")
    assert loaded.index_to_key == model.index_to_key
    assert_same_rules(as_dicts(loaded.successors_), want)
    assert Item2Vec(**FAST).fit(sessions).successors_ is None  # token lists: text


def test_a_refreshed_model_holds_the_new_sessions_successors_in_its_own_rows(synthetic):
    """A warm refresh merges and re-sorts the vocabulary: the lists must follow their items."""
    sessions = synthetic.sessions()
    old = Item2Vec(**FAST).fit(Corpus.from_sentences(sessions[:300]).as_sessions())
    new = sessions[300:600]
    refreshed = Item2Vec().fit(Corpus.from_sentences(new).as_sessions(), warm_start=old)
    want = naive.sequential_rules(new, config.SUCCESSOR_STEPS, lambda d: 1.0 / d, config.SUCCESSOR_PRUNING)
    assert_same_rules(as_dicts(refreshed.successors_, refreshed.index_to_key), want)


def test_blend_refuses_a_model_without_successors(synthetic):
    model = Item2Vec(**FAST).fit(synthetic.sessions()[:200])
    encoded = encode_sessions(model, synthetic.sessions()[:3])
    with pytest.raises(ValueError, match="'blend' scorer needs the successors observed"):
        recommend_top_k(model, encoded, ScoringOptions(scorer="blend"))


@pytest.mark.parametrize(
    "name, damage, message",
    [
        ("successor_offsets.npy", lambda a: a[:-1], "ascending offsets"),
        ("successor_items.npy", lambda a: a + 10_000, "outside"),
        ("successor_weights.npy", lambda a: -a, "finite and >= 0"),
        ("successor_weights.npy", lambda a: a[:-1], "must hold"),
    ],
)
def test_a_damaged_successor_file_is_refused_by_name(tmp_path, synthetic, name, damage, message):
    model = Item2Vec(**FAST).fit(Corpus.from_sentences(synthetic.sessions()[:300]).as_sessions())
    model.save(tmp_path / "m")
    np.save(tmp_path / "m" / name, damage(np.load(tmp_path / "m" / name)))
    with pytest.raises(ValueError, match=message):
        Item2Vec.load(tmp_path / "m")
