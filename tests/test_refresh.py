"""Warm refresh (issue 17, part 4): continuing a model on new sessions, in the API and the CLI."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from item2vec import Item2Vec
from item2vec.refresh import merged_vocab

from conftest import run_cli

SETTINGS = dict(workers=1, vector_size=16, epochs=4, seed=2, preset="clicks")


@pytest.fixture(scope="module")
def stream():
    from item2vec.data.synthetic import SyntheticClickstream

    return SyntheticClickstream(n_users=400, n_items=120, n_groups=6, seed=4)


@pytest.fixture(scope="module")
def halves(stream):
    """Older sessions without items 100.. (they are new in the newer half), the newer half, and
    every item's group as its attribute."""
    keys = list(stream.item_keys)
    sessions = stream.sessions()
    late = set(keys[100:])
    older = [[t for t in s if t not in late] for s in sessions[: len(sessions) // 2]]
    frame = pl.DataFrame({"item": keys, "group": [f"g{stream.item_group[k]}" for k in keys]})
    return older, sessions[len(sessions) // 2 :], frame


@pytest.fixture(scope="module")
def old_model(halves):
    older, _, frame = halves
    return Item2Vec(**SETTINGS).fit(older, item_attributes=frame.filter(pl.col("item").is_in(_keys(older))))


def _keys(sessions):
    return sorted({t for s in sessions for t in s})


def test_merged_vocab_against_a_loop(old_model):
    from item2vec import Corpus

    corpus = Corpus.from_sentences([["item_1", "new_a", "item_1"], ["new_b", "item_2", "new_a"]])
    vocab, remap = corpus.vocab.prune(1)
    merged, merged_remap, source = merged_vocab(old_model, vocab, remap, drop={"item_2"})
    old_keys = [k for k in old_model.index_to_key if k != "item_2"]
    assert list(merged.keys) == old_keys + ["new_a", "new_b", "item_2"]  # a dropped item seen again is new
    old_counts = dict(zip(old_model.index_to_key, old_model.vocab_.counts.tolist()))
    new_counts = dict(zip(vocab.keys, vocab.counts.tolist()))
    expected = [old_counts.get(k, 0) + (new_counts.get(k, 0) if k != "item_2" else 0) for k in old_keys]
    assert merged.counts.tolist() == expected + [2, 1, 1]
    keys = [merged.keys[r] for r in merged_remap[corpus.tokens]]
    assert keys == [corpus.vocab.keys[t] for t in corpus.tokens]  # every token lands on its own row
    assert [old_model.index_to_key[r] for r in source[: len(old_keys)]] == old_keys and (
        source[len(old_keys) :] == -1
    ).all()


def test_known_items_start_from_the_old_vectors(halves, old_model):
    """With a vanishing learning rate the refresh returns its starting point: old items' vectors
    unchanged, new items' the mean of their attribute values' old vectors."""
    _, newer, frame = halves
    still = Item2Vec(alpha=1e-12, min_alpha=0.0, epochs=1, workers=1)
    refreshed = still.fit(newer, warm_start=old_model, item_attributes=frame)
    for key in old_model.index_to_key[:20]:
        np.testing.assert_allclose(refreshed[key], old_model[key], atol=1e-6)
        np.testing.assert_allclose(
            refreshed.output_vectors_[refreshed.index(key)], old_model.output_vectors_[old_model.index(key)], atol=1e-6
        )
    group = frame.filter(pl.col("item") == "item_105")["group"].item()
    token = old_model.attribute_keys_.index(f"group={group}")
    np.testing.assert_allclose(refreshed["item_105"], old_model.attribute_vectors_[token], atol=1e-6)


def test_refresh_keeps_layout_learns_new_items_and_adds_counts(stream, halves, old_model):
    older, newer, frame = halves
    refreshed = Item2Vec(workers=1, epochs=4).fit(newer, warm_start=old_model)
    assert refreshed.vector_size_ == 16 and refreshed.params_["epochs"] == 4  # explicit epochs win
    assert refreshed.params_["alpha"] == old_model.params_["alpha"]  # unset: the old model's
    assert set(old_model.index_to_key) <= set(refreshed.index_to_key)
    assert list(refreshed.vocab_.counts) == sorted(refreshed.vocab_.counts, reverse=True)
    total_new = sum(len(s) for s in newer)
    assert refreshed.vocab_.counts.sum() == old_model.vocab_.counts.sum() + total_new
    # items new in the refresh (random start, no attributes) learn their group from the new data:
    # seeds 1..5 gave shares of 0.67 to 0.79 against a chance of 1/6
    new_items = [k for k in stream.item_keys[100:] if k in refreshed]
    share = np.mean(
        [stream.item_group[n] == stream.item_group[k] for k in new_items for n, _ in refreshed.similar(k, 10)]
    )
    assert share > 0.5


def test_refresh_inherits_unset_hyperparameters(halves, old_model):
    _, newer, _ = halves
    refreshed = Item2Vec(workers=1).fit(newer[:50], warm_start=old_model)
    assert refreshed.params_["epochs"] == old_model.params_["epochs"] == 4
    assert refreshed.preset_ == old_model.preset_


def test_refresh_without_attributes_keeps_old_cold_items(halves, old_model):
    _, newer, _ = halves
    only_old = [[t for t in s if t in old_model] for s in newer]
    only_old = [s for s in only_old if len(s) >= 2]
    refreshed = Item2Vec(workers=1, epochs=1).fit(only_old, warm_start=old_model)
    assert refreshed.n_cold_ == old_model.n_cold_ == 0
    assert len(refreshed) == len(old_model)


def test_refresh_of_another_vector_size_is_refused(halves, old_model):
    _, newer, _ = halves
    with pytest.raises(ValueError, match="trained with vector_size = 16, this training asks for 8"):
        Item2Vec(vector_size=8).fit(newer, warm_start=old_model)


# ---- the command line ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def files(halves, old_model, tmp_path_factory):
    _, newer, frame = halves
    root = tmp_path_factory.mktemp("refresh")
    rows = [(f"u{s}", item, 1_600_000_000 + 60 * p) for s, items in enumerate(newer) for p, item in enumerate(items)]
    events = root / "new.csv"
    pl.DataFrame(rows, schema=["user", "item", "time"], orient="row").write_csv(events)
    old_model.save(root / "old")
    return root, events


def _args(events, out, *extra):
    return ("train", "--events", events, "--user-col", "user", "--item-col", "item", "--time-col", "time",
            "--out", out, "--workers", 1, "--no-progress", *extra)  # fmt: skip


def test_cli_warm_refresh(files, old_model):
    root, events = files
    done = run_cli(*_args(events, root / "refreshed", "--warm-start", root / "old", "--epochs", 2))
    assert done.returncode == 0, done.stderr
    printed = " ".join(done.stderr.split())
    assert "warm refresh" in printed and "vector_size 16" in printed
    refreshed = Item2Vec.load(root / "refreshed")
    assert refreshed.params_["epochs"] == 2 and set(old_model.index_to_key) <= set(refreshed.index_to_key)


@pytest.mark.parametrize("fault", ["vector-size", "format-version", "missing"])
def test_cli_bad_warm_start_exits_2_before_training(files, fault, tmp_path):
    root, events = files
    model, extra = root / "old", ()
    if fault == "vector-size":
        extra = ("--vector-size", 32)
    elif fault == "format-version":
        import shutil

        model = tmp_path / "future"
        shutil.copytree(root / "old", model)
        meta = json.loads((model / "config.json").read_text())
        (model / "config.json").write_text(json.dumps({**meta, "format_version": 99}))
    else:
        model = tmp_path / "absent"
    out = tmp_path / "never"
    done = run_cli(*_args(events, out, "--warm-start", model, *extra), subprocess=True)
    expected = {
        "vector-size": f"warm start from {model}: it was trained with vector_size = 16, this training asks for 32",
        "format-version": f"--warm-start: {model / 'config.json'}: format version 99",
        "missing": f"--warm-start: model directory not found: {model}",
    }[fault]
    assert done.returncode == 2 and expected in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and "read " not in done.stderr and not out.exists()
