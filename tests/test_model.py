"""The Item2Vec API: training quality on planted structure, determinism, persistence, export, errors."""

import json

import numpy as np
import pytest

from item2vec import Corpus, Item2Vec
from item2vec.data.synthetic import group_purity

FAST = dict(vector_size=32, window=3, min_count=1, epochs=5, seed=5)


@pytest.fixture(scope="module")
def trained(synthetic):
    return Item2Vec(**FAST).fit(synthetic.sessions())


@pytest.mark.parametrize(
    "mode",
    [
        dict(sg=True),
        dict(sg=False),
        dict(whole_sentence=True),
        dict(ns_exponent=-0.5),
        dict(shrink_windows=False, workers=2),
    ],
)
def test_planted_groups_are_recovered(synthetic, mode):
    model = Item2Vec(**{**FAST, **mode}).fit(synthetic.sessions())
    # measured over seeds 1-5 in every mode: purity 0.996-1.00; chance is 1/10
    assert group_purity(model, synthetic.item_group, k=10) > 0.85


def test_neighbours_follow_the_planted_chain(synthetic, trained):
    # the chain successor is among the 10 nearest far more often than chance (3%): measured 0.89-0.93 (sg)
    hits = np.mean([synthetic.successor[k] in dict(trained.similar(k, 10)) for k in trained.index_to_key])
    assert hits > 0.5


def successor_beats_predecessor(model, synthetic) -> float:
    """Share of items whose input vector scores the planted chain successor above the item's
    chain predecessor (input . output: the skip-gram's next-item logit)."""
    predecessor = {nxt: key for key, nxt in synthetic.successor.items()}
    wins = []
    for key in model.index_to_key:
        after, before = synthetic.successor[key], predecessor.get(key)
        if before is None or after == before:
            continue
        query = model.vectors[model.index(key)]
        out = model.output_vectors_
        wins.append(query @ out[model.index(after)] > query @ out[model.index(before)])
    return float(np.mean(wins))


def test_forward_window_learns_what_follows_not_what_came_before(synthetic):
    # measured over seeds 1-3 (clicks preset, 5 epochs, 32 dimensions): symmetric 0.48-0.50,
    # forward 0.83-0.88 of 300 items
    settings = dict(preset="clicks", epochs=5, vector_size=32, both_contexts=False, seed=2)
    symmetric = Item2Vec(**settings).fit(synthetic.sessions()[:3000])
    forward = Item2Vec(**settings, forward_window=True).fit(synthetic.sessions()[:3000])
    assert successor_beats_predecessor(symmetric, synthetic) < 0.6
    assert successor_beats_predecessor(forward, synthetic) > 0.75


def test_workers_1_is_bit_identical_and_seed_matters(synthetic):
    sessions = synthetic.sessions()[:3000]
    a = Item2Vec(**FAST, workers=1).fit(sessions)
    b = Item2Vec(**FAST, workers=1).fit(sessions)
    c = Item2Vec(**{**FAST, "seed": 6}, workers=1).fit(sessions)
    assert np.array_equal(a.vectors, b.vectors) and np.array_equal(a.output_vectors_, b.output_vectors_)
    assert not np.allclose(a.vectors, c.vectors)


def test_both_contexts_concatenates_a_window_run_and_a_session_run(synthetic):
    """Exactly the two single-context models (seeds ``seed`` and ``seed + 1``) side by side, and
    still recovering the planted groups."""
    sessions = synthetic.sessions()[:3000]
    both = Item2Vec(**{**FAST, "vector_size": 33}, both_contexts=True, workers=1).fit(sessions)
    window = Item2Vec(**{**FAST, "vector_size": 16}, workers=1).fit(sessions)
    session = Item2Vec(**{**FAST, "vector_size": 17, "seed": FAST["seed"] + 1}, whole_sentence=True, workers=1).fit(
        sessions
    )
    assert both.vectors.shape == (len(window), 33)
    assert np.array_equal(both.vectors, np.hstack([window.vectors, session.vectors]))
    assert np.array_equal(both.output_vectors_, np.hstack([window.output_vectors_, session.output_vectors_]))
    # trained in lockstep, epoch by epoch (so early stopping can score both halves between epochs)
    assert [(r["context"], r["epoch"]) for r in both.training_log_] == [
        (context, epoch) for epoch in range(1, FAST["epochs"] + 1) for context in ("window", "session")
    ]
    assert group_purity(both, synthetic.item_group, k=10) > 0.85


def test_loss_is_reported_and_independent_of_thread_count(synthetic):
    reports = {}
    for workers in (1, 2):
        seen = []
        Item2Vec(**FAST, workers=workers).fit(synthetic.sessions(), callback=seen.append)
        assert [r.epoch for r in seen] == [1, 2, 3, 4, 5]
        assert all(r.words_per_second > 0 and r.loss > 0 for r in seen)
        reports[workers] = seen
    # loss falls while training, and 1 vs 2 threads see the same loss to within a few percent
    assert reports[1][-1].mean_loss < reports[1][0].mean_loss
    for one, two in zip(reports[1], reports[2]):
        assert two.loss == pytest.approx(one.loss, rel=0.03)
        assert two.words == one.words


def test_similar(trained):
    key = trained.index_to_key[0]
    result = trained.similar(key, k=5)
    assert len(result) == 5 and key not in dict(result)
    scores = [s for _, s in result]
    assert scores == sorted(scores, reverse=True) and all(-1 <= s <= 1 for s in scores)
    unit = trained.vectors / np.linalg.norm(trained.vectors, axis=1, keepdims=True)
    brute = unit @ unit[trained.index(key)]
    brute[trained.index(key)] = -np.inf
    assert [trained.index_to_key[i] for i in np.argsort(-brute)[:5]] == [k for k, _ in result]
    with pytest.raises(KeyError, match="unknown item 'nope'"):
        trained.similar("nope")
    with pytest.raises(ValueError, match="k must be"):
        trained.similar(key, k=0)


def test_save_load_roundtrip(tmp_path, trained):
    trained.save(tmp_path / "m")
    loaded = Item2Vec.load(tmp_path / "m")
    assert isinstance(loaded.vectors, np.memmap)
    assert np.array_equal(loaded.vectors, trained.vectors)
    assert loaded.index_to_key == trained.index_to_key
    assert loaded.params_ == trained.params_ and loaded.preset_ == trained.preset_  # every value as trained
    assert loaded.repeat_share_ == trained.repeat_share_ > 0
    assert loaded.similar(trained.index_to_key[3], 4) == trained.similar(trained.index_to_key[3], 4)
    trained.save(tmp_path / "m")  # replacing an existing model works
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary leftovers


def test_load_errors(tmp_path, trained):
    with pytest.raises(FileNotFoundError, match="model directory not found"):
        Item2Vec.load(tmp_path / "missing")
    trained.save(tmp_path / "m")
    (tmp_path / "m" / "vectors.npy").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="not a readable item2vec model"):
        Item2Vec.load(tmp_path / "m")
    trained.save(tmp_path / "v")
    meta = json.loads((tmp_path / "v" / "config.json").read_text())
    (tmp_path / "v" / "config.json").write_text(json.dumps({**meta, "format_version": 99}))
    with pytest.raises(ValueError, match="format version 99"):
        Item2Vec.load(tmp_path / "v")


@pytest.mark.parametrize("binary", [False, True])
def test_gensim_loads_the_word2vec_export(tmp_path, trained, binary):
    from gensim.models import KeyedVectors

    trained.save_word2vec_format(tmp_path / "v.w2v", binary=binary)
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "v.w2v"), binary=binary)
    assert list(kv.index_to_key) == list(trained.index_to_key)
    np.testing.assert_array_equal(kv.vectors, trained.vectors)


def test_word2vec_export_refuses_keys_with_spaces(tmp_path):
    model = Item2Vec(**FAST, sample=0).fit([["a b", "c"], ["c", "a b"]])  # 4 tokens: subsampling would drop all
    with pytest.raises(ValueError, match="'a b'.*whitespace"):
        model.save_word2vec_format(tmp_path / "v.txt")


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(vector_size=0), "vector_size"),
        (dict(epochs=0), "epochs"),
        (dict(window=0), "window"),
        (dict(negative=-1), "negative"),
        (dict(negative=0), "negative"),
        (dict(min_count=0), "min_count"),
        (dict(alpha=0), "alpha"),
        (dict(min_alpha=1.0), "min_alpha"),
        (dict(sample=-1), "sample"),
        (dict(workers=0), "workers"),
        (dict(ns_exponent=float("nan")), "ns_exponent"),
        (dict(both_contexts=True, vector_size=1), "vector_size"),
        (dict(both_contexts=True, whole_sentence=True), "leave whole_sentence off"),
    ],
)
def test_bad_hyperparameters_fail_before_training(params, message):
    with pytest.raises(ValueError, match=message):
        Item2Vec(**params).fit([["a", "b"]])


def test_bad_corpora():
    with pytest.raises(ValueError, match="empty"):
        Item2Vec(min_count=1).fit([])
    with pytest.raises(ValueError, match="min_count=5 removed every item"):
        Item2Vec(min_count=5).fit([["a", "b"], ["a"]])
    with pytest.raises(ValueError, match="not trained"):
        Item2Vec().similar("a")


def test_presets_fill_what_is_left_unset():
    """auto: clicks for sessions (the sessionisers and session readers mark them), text otherwise;
    explicit values always win; whole_sentence turns off the clicks preset's both_contexts."""
    from item2vec import config

    sentences = [[f"i{(s * 3 + j) % 40}" for j in range(6)] for s in range(200)]
    text = Corpus.from_sentences(sentences)
    model = Item2Vec(epochs=1, workers=1).fit(text)
    assert model.preset_ == "text" and model.params_["min_count"] == config.TEXT_PRESET["min_count"]
    model = Item2Vec(epochs=1, workers=1, vector_size=8).fit(text.as_sessions())
    assert model.preset_ == "clicks"
    assert {k: model.params_[k] for k in config.CLICK_PRESET if k not in ("epochs", "vector_size")} == {
        k: v for k, v in config.CLICK_PRESET.items() if k not in ("epochs", "vector_size")
    }
    assert (model.params_["epochs"], model.params_["vector_size"]) == (1, 8)
    assert model.vectors.shape == (len(text.vocab), 8)  # min_count 1: every item kept
    assert Item2Vec(preset="text").resolve("sessions")[0] == "text"
    assert Item2Vec(whole_sentence=True).resolve("sessions")[1]["both_contexts"] is False
    with pytest.raises(ValueError, match="preset must be"):
        Item2Vec(preset="music").fit(text)
    with pytest.raises(ValueError, match="both_contexts already"):
        Item2Vec(whole_sentence=True, both_contexts=True).fit(text)


def test_min_count_dropping_most_items_warns():
    sentences = [["a", "b"]] * 20 + [[f"rare{i}", f"rare{i + 1}"] for i in range(0, 40, 2)]
    with pytest.warns(UserWarning, match="min_count=5 kept 2 of 42 items"):
        Item2Vec(epochs=1, workers=1, sample=0).fit(Corpus.from_sentences(sentences))
