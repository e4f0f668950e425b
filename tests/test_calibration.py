"""The ``blend`` weight each model chooses in ``fit`` from its own training sessions
(``evaluation.calibration``): heavy on counted successors where the log is strongly sequential,
light where the embedding generalises better, and the one the scorers use unless told otherwise."""

import numpy as np
import pytest

from item2vec import Corpus, Item2Vec, config
from item2vec.data.synthetic import SyntheticClickstream
from item2vec.evaluation.calibration import choose_blend_weight
from item2vec.evaluation.models import Item2VecRecommender
from item2vec.scoring import ScoringOptions, encode_sessions, recommend_top_k

from conftest import shared_file


@pytest.mark.parametrize("seed", [0, 1])
def test_planted_chains_choose_the_heaviest_weight(seed):
    """The synthetic generator plants item chains: the counted successors predict them far
    better than the embedding (held-out NDCG@20 about 0.52 at 0.8, 0.47 at 0.5, 0.37 at 0.2 over
    three seeds), so the margin leaves no room for chance."""
    sessions = Corpus.from_sentences(SyntheticClickstream(n_users=600, seed=seed).sessions()).as_sessions()
    model = Item2Vec(vector_size=24, epochs=3, workers=1, seed=seed).fit(sessions)
    assert model.blend_weight_ == max(config.BLEND_WEIGHTS)
    summary = Item2VecRecommender().wrap(model, sessions).fit_summary()  # the harness' log line says so
    assert summary == f"blend weight {max(config.BLEND_WEIGHTS):g}, chosen on its training sessions"


@pytest.mark.slow
def test_a_sparse_click_log_chooses_the_lightest_weight():
    """The first 40,000 Diginetica SR-GNN training sessions: the embedding generalises over a
    large, sparse catalogue (held-out NDCG@20 0.273 at 0.2, 0.259 at 0.5, 0.239 at 0.8, two seeds),
    which is what a clean validation split of the whole file chose too (README, "Click defaults")."""
    from item2vec.evaluation import read_training_sessions

    full = read_training_sessions(shared_file("diginetica_srgnn_train_sessions.txt.gz"))
    n = 40_000
    head = Corpus.from_codes(full.tokens[: full.offsets[n]], full.offsets[: n + 1], full.vocab.keys).as_sessions()
    assert Item2Vec(epochs=10).fit(head).blend_weight_ == min(config.BLEND_WEIGHTS)


def test_the_scorer_uses_the_model_weight_unless_told(synthetic, tmp_path):
    model = Item2Vec(vector_size=24, epochs=3, workers=1).fit(Corpus.from_sentences(synthetic.sessions()).as_sessions())
    assert model.blend_weight_ in config.BLEND_WEIGHTS
    encoded = encode_sessions(model, synthetic.sessions()[:50])

    def scores(m, weight=None):
        options = ScoringOptions(k=10, scorer="blend", blend_weight=weight, exclude_seen=False)
        return recommend_top_k(m, encoded, options)[1]

    np.testing.assert_array_equal(scores(model), scores(model, model.blend_weight_))
    other = next(w for w in config.BLEND_WEIGHTS if w != model.blend_weight_)
    assert not np.allclose(scores(model), scores(model, other))
    model.save(tmp_path / "m")
    loaded = Item2Vec.load(tmp_path / "m")
    assert loaded.blend_weight_ == model.blend_weight_
    np.testing.assert_array_equal(scores(loaded), scores(model))
    loaded.blend_weight_ = None  # as saved before models chose: the configured weight
    np.testing.assert_array_equal(scores(loaded), scores(model, config.BLEND_WEIGHT))
    text = Item2Vec(vector_size=8, epochs=1, workers=1).fit(synthetic.sessions()[:200])
    assert text.successors_ is None and text.blend_weight_ is None


@pytest.mark.parametrize("n_sessions", [5, 60], ids=["none-held-out", "too-few-pairs"])
def test_too_little_data_chooses_nothing(synthetic, n_sessions, monkeypatch):
    """5 sessions hold none out; 60 hold out 6, fewer pairs than BLEND_CALIBRATION_MIN_PAIRS.
    Nothing is chosen, so the scorers use config.BLEND_WEIGHT (set off the grid to tell)."""
    monkeypatch.setattr(config, "BLEND_WEIGHT", 0.35)
    sessions = Corpus.from_sentences(synthetic.sessions()[:n_sessions]).as_sessions()
    model = Item2Vec(vector_size=8, epochs=1, workers=1, sample=0).fit(sessions)
    assert model.successors_ is not None
    assert choose_blend_weight(model, sessions) is None and model.blend_weight_ is None
    assert Item2VecRecommender().wrap(model, sessions).fit_summary() == ""
    encoded = encode_sessions(model, synthetic.sessions()[:20])
    implicit = recommend_top_k(model, encoded, ScoringOptions(k=5, scorer="blend", exclude_seen=False))[1]
    explicit = ScoringOptions(k=5, scorer="blend", blend_weight=0.35, exclude_seen=False)
    np.testing.assert_array_equal(implicit, recommend_top_k(model, encoded, explicit)[1])


def test_a_catalogue_smaller_than_k_is_calibrated_at_the_catalogue_size():
    rng = np.random.default_rng(0)
    sessions = [[f"i{(start + j) % 9}" for j in range(4)] for start in rng.integers(0, 9, 3000)]
    model = Item2Vec(vector_size=8, epochs=1, workers=1).fit(Corpus.from_sentences(sessions).as_sessions())
    assert len(model) == 9 and model.blend_weight_ in config.BLEND_WEIGHTS
