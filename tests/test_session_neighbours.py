"""Session-level neighbours in embedding space (``scoring.session_neighbours``), the ``blend``
scorer's session share: the pool a model keeps, the votes of the nearest pooled sessions and their
mix into the scores, each against the slow references of ``tests/naive.py``."""

import numpy as np
import pytest

from item2vec import Corpus, Item2Vec, config
from item2vec.data.session_pool import session_pool
from item2vec.scoring import ScoringOptions, encode_sessions, recommend_top_k
from item2vec.scoring.session_neighbours import SessionNeighbours

import naive

FAST = {"vector_size": 16, "epochs": 2, "workers": 1, "seed": 3}


@pytest.fixture(scope="module")
def corpus(synthetic):
    return Corpus.from_sentences(synthetic.sessions()).as_sessions()


@pytest.fixture(scope="module")
def model(corpus):
    return Item2Vec(**FAST).fit(corpus)


def model_rows(model, corpus) -> list[list[int]]:
    return [[model.index(key) for key in corpus.sentence(i)] for i in range(len(corpus))]


def as_lists(pool) -> list[list[int]]:
    return [pool.items[a:b].tolist() for a, b in zip(pool.offsets[:-1], pool.offsets[1:])]


def test_the_pool_is_the_last_sessions_as_sets_of_rows(model, corpus):
    rows = model_rows(model, corpus)
    assert as_lists(model.sessions_) == naive.session_pool(rows, config.SESSION_POOL)
    remap = np.array([model.index(key) for key in corpus.vocab.keys])
    remap[remap % 7 == 0] = -1  # dropped items; some sessions lose every item
    dropped = [[r if r % 7 else -1 for r in session] for session in rows]
    assert as_lists(session_pool(corpus, remap, limit=300)) == naive.session_pool(dropped, 300)
    assert session_pool(Corpus.from_sentences([["a", "b"]]), np.array([0, 1])) is None  # text: no pool


def test_the_pool_follows_a_reordering_of_the_rows(model):
    order = np.random.default_rng(0).permutation(len(model))
    moved = model.sessions_.reordered(order)
    new_row = np.argsort(order)
    expected = [sorted(new_row[session].tolist()) for session in as_lists(model.sessions_)]
    assert as_lists(moved) == expected


@pytest.mark.parametrize("neighbours", [7, 100])
def test_votes_match_the_naive_reference(model, synthetic, neighbours, monkeypatch):
    monkeypatch.setattr(config, "SESSION_NEIGHBOURS", neighbours)
    queries = [session[:4] for session in synthetic.sessions()[-30:]] + [[]]
    encoded = encode_sessions(model, queries)
    votes = SessionNeighbours(model, workers=1).distributions(encoded, n_last=3)
    pool = as_lists(model.sessions_)
    for q, query in enumerate(queries):
        rows = [model.index(key) for key in query if key in model]
        want = naive.session_neighbour_votes(
            rows, pool, model.unit_vectors, neighbours, config.SESSION_SHARPNESS, config.SESSION_QUERY_DECAY, 3
        )
        got = votes[q]
        assert dict(zip(got.indices.tolist(), got.data.tolist())) == pytest.approx(want, rel=1e-4, abs=1e-9)
    assert votes[len(queries) - 1].nnz == 0  # no known item: no neighbour


def test_the_blend_mixes_the_votes_in_at_the_session_weight(model, synthetic):
    """``log((1 - s) * exp(blend score at s = 0) + s * votes)`` for every item either reaches."""
    queries = [session[:3] for session in synthetic.sessions()[-40:]]
    encoded = encode_sessions(model, queries)
    n = len(model)

    def scores(share):
        options = ScoringOptions.for_model(model, k=n, session_weight=share, exclude_seen=False)
        items, values = recommend_top_k(model, encoded, options)
        dense = np.full((len(queries), n), -np.inf)
        np.put_along_axis(dense, items.astype(np.int64), values, axis=1)
        return dense

    share = 0.4
    without, mixed = scores(0.0), scores(share)
    votes = SessionNeighbours(model, workers=1).distributions(encoded, config.CLICK_SCORING["n_last"]).toarray()
    with np.errstate(divide="ignore"):  # log(0): items neither reaches, -inf as the scorer's
        expected = np.log((1 - share) * np.exp(without) + share * votes)
    np.testing.assert_allclose(mixed, expected, rtol=1e-4, atol=1e-5)
    assert not np.allclose(np.nan_to_num(mixed, neginf=0), np.nan_to_num(without, neginf=0))


def test_session_weight_is_validated_and_needs_the_pool(model, tmp_path):
    assert ScoringOptions(scorer="blend").session_weight is None  # the model's own choice
    assert ScoringOptions(scorer="blend", session_weight=1).session_weight == 1.0
    assert ScoringOptions(scorer="blend", session_weight=0.3).replace(scorer="mixture").session_weight is None
    for bad, fragment in ((1.5, "lie in [0, 1]"), (-0.1, "lie in [0, 1]"), (True, "must be a number")):
        with pytest.raises(ValueError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
            ScoringOptions(scorer="blend", session_weight=bad)
    with pytest.raises(ValueError, match="session_weight applies to the blend scorer only, not 'mean'"):
        ScoringOptions(scorer="mean", session_weight=0.5)
    model.save(tmp_path / "m")
    old = Item2Vec.load(tmp_path / "m")
    assert old.session_weight_ == model.session_weight_ and as_lists(old.sessions_) == as_lists(model.sessions_)
    old.sessions_ = old.session_weight_ = None  # saved before the pool was kept: the item-level blend
    encoded = encode_sessions(old, [["1", "2"]])
    plain = recommend_top_k(old, encoded, ScoringOptions.for_model(old, k=5))
    explicit = recommend_top_k(old, encoded, ScoringOptions.for_model(old, k=5, session_weight=0.0))
    np.testing.assert_array_equal(plain[0], explicit[0])
    with pytest.raises(ValueError, match="session_weight needs the training sessions"):
        recommend_top_k(old, encoded, ScoringOptions.for_model(old, k=5, session_weight=0.5))


def test_the_fitted_choice_is_the_default_and_survives_a_save(model, synthetic, tmp_path):
    assert model.session_weight_ in config.SESSION_WEIGHTS
    encoded = encode_sessions(model, synthetic.sessions()[:50])
    chosen = recommend_top_k(model, encoded, ScoringOptions.for_model(model, k=10))
    same = ScoringOptions.for_model(model, k=10, session_weight=model.session_weight_)
    np.testing.assert_array_equal(chosen[1], recommend_top_k(model, encoded, same)[1])
    other = next(s for s in config.SESSION_WEIGHTS if s != model.session_weight_)
    changed = recommend_top_k(model, encoded, ScoringOptions.for_model(model, k=10, session_weight=other))
    assert not np.allclose(np.nan_to_num(changed[1]), np.nan_to_num(chosen[1]))
    model.session_weight_, saved = None, model.session_weight_  # not chosen (too little data): the configured share
    try:
        default = ScoringOptions.for_model(model, k=10, session_weight=config.SESSION_WEIGHT)
        np.testing.assert_array_equal(
            recommend_top_k(model, encoded, ScoringOptions.for_model(model, k=10))[1],
            recommend_top_k(model, encoded, default)[1],
        )
    finally:
        model.session_weight_ = saved


def test_the_pool_vectors_are_built_once_per_pool(model):
    """Serving scores small batches (a pyfunc request, a Spark batch): the pool's vectors are cached
    on the model, and rebuilt when the pool changes."""
    first = SessionNeighbours(model, workers=1).vectors
    assert SessionNeighbours(model, workers=1).vectors is first
    saved = model.sessions_
    try:
        model.sessions_ = session_pool(Corpus.from_sentences([model.index_to_key[:3]]).as_sessions(), np.arange(3))
        assert len(SessionNeighbours(model, workers=1).vectors) == 1
    finally:
        model.sessions_ = saved
    assert len(SessionNeighbours(model, workers=1).vectors) == len(saved)


def test_no_pool_means_no_neighbour_sessions(corpus, monkeypatch):
    """Every session dropped (here: a pool of size 0) leaves no pool: the fit still chooses, among
    the item-level settings only, and scoring mixes in nothing."""
    remap = np.full(len(corpus.vocab), -1)
    assert session_pool(corpus, remap) is None
    monkeypatch.setattr(config, "SESSION_POOL", 0)
    model = Item2Vec(**FAST).fit(corpus)
    assert model.sessions_ is None and model.session_weight_ == 0.0
    assert model.blend_weight_ in config.BLEND_WEIGHTS


def test_a_text_fit_in_the_harness_gets_the_pool_with_its_successors(synthetic):
    """The harness scores next items with ``blend`` even for a corpus of kind text; ``wrap`` counts
    the successors and pools the sessions for it; the model chose no share: the configured one."""
    from item2vec.evaluation.models import Item2VecRecommender
    from item2vec.evaluation.task import NextItemTask

    text = Corpus.from_sentences(synthetic.sessions())
    adapter = Item2VecRecommender(**FAST).fit(text)
    assert adapter.model_.sessions_ is not None and len(adapter.model_.sessions_) == len(text)
    task = NextItemTask.from_sessions(Corpus.from_sentences(synthetic.sessions()[-50:]), text.vocab)
    assert adapter.model_.session_weight_ is None
    configured = adapter.recommend(task, 10, session_weight=config.SESSION_WEIGHT)
    np.testing.assert_array_equal(adapter.recommend(task, 10), configured)
    assert not np.array_equal(configured, adapter.recommend(task, 10, session_weight=0.0))


def test_early_stopping_refuses_a_session_share(synthetic):
    from item2vec.evaluation import EarlyStopping

    prefixes, targets = [s[:-1] for s in synthetic.sessions()[:20]], [s[-1] for s in synthetic.sessions()[:20]]
    with pytest.raises(ValueError, match="early stopping scores without the neighbour sessions"):
        EarlyStopping(prefixes, targets, scoring={"scorer": "blend", "session_weight": 0.5})
