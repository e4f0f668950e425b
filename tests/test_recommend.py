"""Batch scoring: the blocked top-k kernel and the session recommender against the slow
references in tests/naive.py, the output frame, bad input, and the `item2vec recommend` CLI."""

import json
import re
import subprocess

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from item2vec import Corpus, Item2Vec, config
from item2vec.engine import topk
from item2vec.engine._topk import top_k_sparse_rows
from item2vec.scoring import (
    SCORERS,
    GraphScorer,
    Recommender,
    ScoringOptions,
    encode_sessions,
    query_vectors,
    recommend_batch,
    recommend_top_k,
)

import naive
from conftest import run_cli, shared_file

LINEAR_SCORERS = [s for s, cls in SCORERS.items() if not issubclass(cls, GraphScorer)]
MIXTURES = [s for s, cls in SCORERS.items() if issubclass(cls, GraphScorer)]

FAST = dict(vector_size=24, window=3, min_count=1, epochs=3, seed=7)


@pytest.fixture(scope="module")
def trained(synthetic):
    return Item2Vec(**FAST).fit(synthetic.sessions())


@pytest.fixture(scope="module")
def trained_on_sessions(synthetic):
    """Fitted on a sessions corpus, so it holds the observed successors the ``blend`` scorer needs."""
    return Item2Vec(**FAST).fit(Corpus.from_sentences(synthetic.sessions()).as_sessions())


@pytest.fixture(scope="module")
def sessions(synthetic):
    return synthetic.sessions()[:400]


def integer_model(trained, tmp_path, seed=0):
    """The trained model with small integer vectors: every dot product is exact in float32, so
    fast and naive scores must agree bit for bit, ties included (and there are many)."""
    trained.save(tmp_path / "m")
    rng = np.random.default_rng(seed)
    shape = trained.vectors.shape
    np.save(tmp_path / "m" / "vectors.npy", rng.integers(-2, 3, shape).astype(np.float32))
    np.save(tmp_path / "m" / "output_vectors.npy", rng.integers(-2, 3, shape).astype(np.float32))
    return Item2Vec.load(tmp_path / "m")


# ---- the kernel ---------------------------------------------------------------------------------


@st.composite
def top_k_problems(draw):
    n_queries = draw(st.integers(0, 12))
    n_items = draw(st.integers(1, 40))
    dim = draw(st.integers(1, 4))
    values = st.integers(-3, 3)
    queries = np.array(
        draw(st.lists(st.lists(values, min_size=dim, max_size=dim), min_size=n_queries, max_size=n_queries)),
        dtype=np.float32,
    ).reshape(n_queries, dim)
    items = np.array(
        draw(st.lists(st.lists(values, min_size=dim, max_size=dim), min_size=n_items, max_size=n_items)),
        dtype=np.float32,
    )
    exclude = [draw(st.lists(st.integers(0, n_items - 1), max_size=6)) for _ in range(n_queries)]
    allowed = draw(st.none() | st.lists(st.booleans(), min_size=n_items, max_size=n_items))
    k = draw(st.integers(1, n_items + 3))
    return queries, items, exclude, allowed, k


@settings(max_examples=150, deadline=None)
@given(top_k_problems(), st.sampled_from([1, 2]), st.sampled_from([(2, 3), (5, 7), (256, 4096)]))
def test_top_k_inner_equals_naive_exactly(problem, workers, tiles):
    queries, items, exclude, allowed, k = problem
    offsets = np.concatenate(([0], np.cumsum([len(e) for e in exclude]))).astype(np.int64)
    flat = np.array([i for e in exclude for i in e], dtype=np.int32)
    with pytest.MonkeyPatch.context() as patch:  # small tiles and chunks exercise every boundary
        patch.setattr(config, "ROWS_PER_TASK", tiles[0])
        patch.setattr(config, "ITEMS_PER_TILE", tiles[1])
        ids, scores = topk.top_k_inner(
            queries,
            items,
            k,
            exclude=(flat, offsets),
            allowed=None if allowed is None else np.array(allowed),
            workers=workers,
        )
    want_ids, want_scores = naive.top_k_inner(queries, items, k, exclude, allowed)
    assert ids.tolist() == want_ids
    assert scores.tolist() == want_scores


@settings(max_examples=60, deadline=None)
@given(top_k_problems())
def test_max_inner_equals_naive(problem):
    queries, items, _, _, _ = problem
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(config, "ROWS_PER_TASK", 3)
        patch.setattr(config, "ITEMS_PER_TILE", 5)
        best = topk.max_inner(queries, items, workers=2)
    assert best.tolist() == [max(float(q @ row) for row in items) for q in queries]


def test_top_k_inner_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="same width"):
        topk.top_k_inner(np.zeros((2, 3)), np.zeros((4, 2)), 1)
    with pytest.raises(ValueError, match="allowed mask"):
        topk.top_k_inner(np.zeros((2, 3)), np.zeros((4, 3)), 1, allowed=np.ones(3, bool))


# ---- sessions -> recommendations ----------------------------------------------------------------


@pytest.mark.parametrize("scorer", LINEAR_SCORERS)
def test_recommend_top_k_equals_naive_on_integer_vectors(trained, tmp_path, sessions, scorer, monkeypatch):
    model = integer_model(trained, tmp_path)
    encoded = encode_sessions(model, sessions)
    decay = 0.5  # powers of two keep the weighted sums exact
    monkeypatch.setattr(config, "BATCH_SIZE", 97)
    items, scores = recommend_top_k(model, encoded, ScoringOptions(k=15, scorer=scorer, n_last=3, decay=decay))
    vectors = np.asarray(model.vectors, dtype=np.float64)
    matrix = vectors if scorer == "sequence" else vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    if scorer == "sequence":
        matrix = np.asarray(model.output_vectors_, dtype=np.float64)
    for s, session in enumerate(sessions):
        rows = [model.index(key) for key in session]
        query = naive.session_query(rows, vectors, scorer, 3, decay)
        exact = matrix @ query
        # cosine scorers divide by norms, so equal-looking scores may differ in the last bit:
        # check the ranking is a correct top-k up to float error, and the scores match
        assert np.allclose(scores[s], exact[items[s]], atol=1e-5)
        candidates = np.setdiff1d(np.arange(len(model)), rows)
        assert not np.isin(items[s], rows).any()
        assert scores[s].min() >= np.max(exact[np.setdiff1d(candidates, items[s])]) - 1e-5
        assert np.all(np.diff(scores[s]) <= 0)
        if scorer == "sequence":  # exact arithmetic: the naive list, ties to the popular item
            want, _ = naive.top_k_inner([query], matrix, 15, exclude=[rows])
            assert items[s].tolist() == want[0]


def test_query_vectors_match_the_definition(trained, sessions):
    encoded = encode_sessions(trained, sessions)
    vectors = np.asarray(trained.vectors, dtype=np.float64)
    for scorer in LINEAR_SCORERS:
        queries, _ = query_vectors(trained, encoded, ScoringOptions(scorer=scorer, n_last=4, decay=0.6))
        for s in range(0, len(sessions), 37):
            rows = [trained.index(key) for key in sessions[s]]
            assert np.allclose(queries[s], naive.session_query(rows, vectors, scorer, 4, 0.6), atol=1e-5)


@st.composite
def sparse_rows(draw):
    """CSR rows with small integer scores (exact ties), exclusions and an allowed mask."""
    n_rows, n_items = draw(st.integers(1, 6)), draw(st.integers(1, 25))
    dense = [[draw(st.none() | st.integers(-3, 3)) for _ in range(n_items)] for _ in range(n_rows)]
    exclude = [draw(st.lists(st.integers(0, n_items - 1), max_size=5)) for _ in range(n_rows)]
    allowed = draw(st.none() | st.lists(st.booleans(), min_size=n_items, max_size=n_items))
    return dense, exclude, allowed, draw(st.integers(1, n_items + 3))


@settings(max_examples=200, deadline=None)
@given(sparse_rows(), st.booleans())
def test_top_k_sparse_rows_equals_naive_exactly(problem, with_exclusions):
    dense, exclude, allowed, k = problem
    from scipy.sparse import csr_matrix

    values = np.array([[np.nan if v is None else v for v in row] for row in dense], dtype=np.float32)
    stored = csr_matrix(np.where(np.isnan(values), 0, values + 10).astype(np.float32))  # +10: no stored zero
    stored.sort_indices()
    offsets = np.concatenate(([0], np.cumsum([len(e) for e in exclude]))).astype(np.int64)
    flat = np.array([i for e in exclude for i in e], dtype=np.int32)
    items = np.empty((len(dense), k), np.int32)
    scores = np.empty((len(dense), k), np.float32)
    top_k_sparse_rows(
        stored.indptr.astype(np.int64),
        stored.indices.astype(np.int32),
        stored.data,
        values.shape[1],
        flat,
        offsets if with_exclusions else np.zeros(0, np.int64),
        np.zeros(0, bool) if allowed is None else np.array(allowed),
        items,
        scores,
    )
    for r, row in enumerate(values):
        want = naive.top_k_of_scores(
            [-np.inf if np.isnan(v) else v + 10 for v in row], k, exclude[r] if with_exclusions else (), allowed
        )
        assert items[r].tolist() == want[0]
        assert scores[r].tolist() == want[1]


@pytest.mark.parametrize("scorer", MIXTURES)
@pytest.mark.parametrize("neighbours", [7, 1000])
@pytest.mark.parametrize("exclude_seen", [True, False], ids=["exclude-seen", "keep-seen"])
def test_mixture_scorers_equal_naive(request, synthetic, sessions, scorer, neighbours, exclude_seen):
    """Float vectors: same lists (up to near-ties) and scores as the textbook mixture, with short
    neighbour lists (unreached items ranked by popularity) and whole ones; ``blend`` against the
    textbook mixture blended with sequential rules counted naively over the training sessions."""
    trained = request.getfixturevalue("trained_on_sessions" if scorer == "blend" else "trained")
    observed = None
    if scorer == "blend":
        rows = [[trained.index(key) for key in session] for session in synthetic.sessions()]
        observed = naive.sequential_rules(rows, config.SUCCESSOR_STEPS, lambda d: 1.0 / d, config.SUCCESSOR_PRUNING)
    picked = sessions[:60] + [[]]
    encoded = encode_sessions(trained, picked)
    temperature = 0.1 if scorer == "neighbours" else 1.0
    blend_weight = 0.6 if scorer == "blend" else None  # not the default: the option reaches the kernel
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(config, "NEIGHBOURS", neighbours)
        items, scores = recommend_top_k(
            trained,
            encoded,
            ScoringOptions(
                k=12,
                scorer=scorer,
                n_last=3,
                decay=0.7,
                temperature=temperature,
                exclude_seen=exclude_seen,
                blend_weight=blend_weight,
            ),
        )
    unit = np.asarray(trained.unit_vectors, np.float64)
    for s, session in enumerate(picked[:-1]):
        rows = [trained.index(key) for key in session]
        if scorer == "neighbours":
            exact = naive.mixture_scores(rows, unit, unit, 1.0, temperature, 3, 0.7, neighbours)
        else:
            exact = naive.next_item_mixture_scores(
                rows,
                trained.vectors,
                trained.output_vectors_,
                temperature,
                3,
                0.7,
                min(neighbours, len(trained) - 1),
                trained.repeat_share_,
                observed,
                blend_weight,
            )
        want_items, want_scores = naive.top_k_of_scores(exact, 12, exclude=rows if exclude_seen else ())
        assert_same_up_to_near_ties(items[s].tolist(), want_items, exact, rows if exclude_seen else ())
        assert np.allclose(scores[s], want_scores, rtol=1e-4, atol=1e-4)
    assert np.isnan(scores[-1]).all() and items[-1].tolist() == list(range(12))  # no known item: popular


def assert_same_up_to_near_ties(got: list[int], want: list[int], exact, excluded=(), rtol: float = 1e-5) -> None:
    """The kernel's list is the reference's, except where float32 arithmetic swapped two items
    whose float64 reference scores are within ``rtol`` (training is multi-threaded, so a near-tie
    can appear in any run). Unreached items (score -inf) must keep the reference's order."""
    assert len(set(got)) == len(got) and not set(got) & set(excluded)
    for mine, theirs in zip(got, want):
        if mine != theirs:
            gap = abs(exact[mine] - exact[theirs])
            assert gap <= rtol * max(1.0, abs(exact[theirs])), (
                f"item {mine} instead of {theirs}: scores differ by {gap}"
            )


def test_mixture_repeats_items_at_the_measured_share_or_the_default_for_old_models(tmp_path, trained, sessions):
    """Only the repeat share moves a session's own item: with one prefix item, its score is
    log(share). Models saved before the share was measured fall back to ``REPEAT_SHARE``."""
    session = [sessions[0][-1]]
    own = trained.index(session[0])

    def own_score(model):
        items, scores = recommend_top_k(
            model, encode_sessions(model, [session]), ScoringOptions(k=len(model), scorer="mixture", exclude_seen=False)
        )
        return float(scores[0][items[0].tolist().index(own)])

    assert own_score(trained) == pytest.approx(np.log(trained.repeat_share_), rel=1e-5)
    trained.save(tmp_path / "old")
    meta = json.loads((tmp_path / "old" / "config.json").read_text())
    del meta["repeat_share"]
    (tmp_path / "old" / "config.json").write_text(json.dumps(meta))
    assert own_score(Item2Vec.load(tmp_path / "old")) == pytest.approx(np.log(config.REPEAT_SHARE), rel=1e-5)


def test_neighbours_scorer_ranks_the_session_own_items_first_when_kept(trained, sessions):
    """A cosine of 1 with itself: with --keep-seen and a sharp temperature, the session's own
    (distinct) items come first, the most recent weighing most."""
    session = list(dict.fromkeys(sessions[5]))[:4]
    items, _ = recommend_top_k(
        trained,
        encode_sessions(trained, [session]),
        ScoringOptions(k=len(session), scorer="neighbours", n_last=10, decay=0.5, temperature=1e-4, exclude_seen=False),
    )
    assert [trained.index_to_key[i] for i in items[0]] == session[::-1]


def test_mixture_scorers_reject_bad_options(trained):
    with pytest.raises(ValueError, match="temperature must be > 0"):
        ScoringOptions(scorer="mixture", temperature=0.0)
    with pytest.raises(ValueError, match="no single query vector"):
        query_vectors(trained, encode_sessions(trained, [["x"]]), ScoringOptions(scorer="neighbours"))


def test_each_mixture_scorer_has_its_own_default_temperature(trained, sessions):
    encoded = encode_sessions(trained, sessions[:20])
    defaults = {"neighbours": config.NEIGHBOURS_TEMPERATURE, "mixture": config.MIXTURE_TEMPERATURE}
    for scorer, temperature in defaults.items():
        assert ScoringOptions(scorer=scorer).temperature == temperature
        implicit = recommend_top_k(trained, encoded, ScoringOptions(k=5, scorer=scorer))
        explicit = recommend_top_k(trained, encoded, ScoringOptions(k=5, scorer=scorer, temperature=temperature))
        other = recommend_top_k(trained, encoded, ScoringOptions(k=5, scorer=scorer, temperature=temperature * 50))
        np.testing.assert_array_equal(implicit[1], explicit[1])
        assert not np.array_equal(implicit[1], other[1])
    assert ScoringOptions(scorer="mean").temperature is None
    assert ScoringOptions(scorer="mixture").replace(scorer="neighbours").temperature == config.NEIGHBOURS_TEMPERATURE


def test_blend_weight_is_blend_only_and_zero_is_the_mixture(trained_on_sessions, sessions):
    model = trained_on_sessions
    assert ScoringOptions(scorer="blend").blend_weight is None  # the model's own choice
    assert ScoringOptions(scorer="blend", blend_weight=1).blend_weight == 1.0
    assert ScoringOptions(scorer="blend", blend_weight=0.9).replace(scorer="mixture").blend_weight is None
    assert ScoringOptions(scorer="blend", blend_weight=0.9).replace(k=3).blend_weight == 0.9
    for bad, fragment in ((1.5, "lie in [0, 1]"), (-0.1, "lie in [0, 1]"), (True, "must be a number"), ("x", "number")):
        with pytest.raises(ValueError, match=re.escape(fragment)):
            ScoringOptions(scorer="blend", blend_weight=bad)
    with pytest.raises(ValueError, match="blend scorer only, not 'mean'"):
        ScoringOptions(scorer="mean", blend_weight=0.5)
    encoded = encode_sessions(model, sessions[:40])
    mixture = recommend_top_k(model, encoded, ScoringOptions(k=10, scorer="mixture", exclude_seen=False))
    off = recommend_top_k(model, encoded, ScoringOptions(k=10, scorer="blend", blend_weight=0.0, exclude_seen=False))
    np.testing.assert_allclose(off[1], mixture[1], rtol=1e-6)
    heavy = recommend_top_k(model, encoded, ScoringOptions(k=10, scorer="blend", blend_weight=0.9, exclude_seen=False))
    assert not np.allclose(heavy[1], mixture[1])


def test_serving_scores_as_the_model_data_asks(trained, trained_on_sessions, tmp_path):
    """No scorer given: a model trained on sessions serves the click scoring with the decay it
    chose, any field of it overridable; a model without observed successors (text) serves
    ``mean``, as before."""
    click = ScoringOptions.for_model(trained_on_sessions)
    assert trained_on_sessions.recency_decay_ in config.BLEND_DECAYS
    expected = {**config.CLICK_SCORING, "decay": trained_on_sessions.recency_decay_}
    assert {name: getattr(click, name) for name in config.CLICK_SCORING} == expected
    assert click.exclude_seen == config.SERVING_EXCLUDE_SEEN and click.k == config.K
    assert ScoringOptions.for_model(trained_on_sessions, n_last=7, decay=None).n_last == 7
    assert ScoringOptions.for_model(trained_on_sessions, n_last=7).scorer == "blend"
    assert ScoringOptions.for_model(trained_on_sessions, scorer="mean") == ScoringOptions(scorer="mean")
    assert ScoringOptions.for_model(trained_on_sessions, scorer="blend") == click  # named: the same fields
    with pytest.raises(ValueError, match="blend scorer only, not 'mean' \\(trained on text"):
        ScoringOptions.for_model(trained, blend_weight=0.5)
    with pytest.raises(ValueError, match="needs the successors observed"):
        Recommender(trained, ScoringOptions(scorer="blend"))  # at construction, before any session
    assert ScoringOptions.for_model(trained) == ScoringOptions() and trained.successors_ is None
    assert ScoringOptions.for_model(None, k=3) == ScoringOptions(k=3)
    with pytest.raises(ValueError, match="unknown scoring option 'bogus'"):
        ScoringOptions.for_model(trained_on_sessions, bogus=1)
    assert Recommender(trained_on_sessions).options == click
    assert Recommender(trained).options == ScoringOptions()
    trained_on_sessions.save(tmp_path / "m")
    assert Recommender(Item2Vec.load(tmp_path / "m")).options == click  # the successors are saved


def test_cli_recommend_defaults_to_the_model_scoring(trained_on_sessions, sessions, tmp_path):
    trained_on_sessions.save(tmp_path / "m")
    batch = sessions[:30]
    source = tmp_path / "sessions.txt"
    source.write_text("\n".join(" ".join(s) for s in batch) + "\n")
    for flags, options in (
        ((), ScoringOptions.for_model(trained_on_sessions, k=5)),
        (
            ("--n-last", 3, "--blend-weight", 0.5),
            ScoringOptions.for_model(trained_on_sessions, k=5, n_last=3, blend_weight=0.5),
        ),
        (("--scorer", "mean"), ScoringOptions(k=5, scorer="mean")),
    ):
        out = tmp_path / "recs.parquet"
        result = run_cli(
            "recommend", tmp_path / "m", "--sessions", source, "--out", out, "--k", 5, "--no-progress", *flags
        )
        assert result.returncode == 0, result.stderr
        assert f"scoring: {options.scorer}, n_last {options.n_last}" in result.stderr
        assert pl.read_parquet(out).equals(recommend_batch(trained_on_sessions, batch, options))


def test_polars_encoding_equals_python_encoding(trained, sessions):
    mixed = sessions[:50] + [[], ["nope", sessions[0][0], None], [sessions[1][0], 12345]]
    python = encode_sessions(trained, [[x for x in s if x is not None] for s in mixed])
    frame = encode_sessions(trained, pl.Series([[None if x is None else str(x) for x in s] for s in mixed]))
    assert np.array_equal(python.items, frame.items) and np.array_equal(python.offsets, frame.offsets)
    assert python.n_unknown == 2 and frame.n_unknown == 3  # the null item counts as unknown too


def test_recommend_batch_frame(trained, sessions):
    batch = sessions[:30] + [["unknown-1", "unknown-2"], []]
    frame = recommend_batch(trained, batch, ScoringOptions(k=7), ids=[f"s{i}" for i in range(len(batch))])
    assert frame.columns == ["id", "rank", "item", "score", "fallback"]
    assert frame.height == 7 * len(batch)
    assert frame.group_by("id").agg(pl.col("rank")).sort("id")["rank"].to_list() == [list(range(1, 8))] * len(batch)
    fallback = frame.filter(pl.col("fallback"))
    assert set(fallback["id"]) == {"s30", "s31"} and fallback["score"].null_count() == 14
    popular = list(trained.index_to_key[:7])
    assert fallback.filter(pl.col("id") == "s30")["item"].to_list() == popular
    for s, session in enumerate(sessions[:30]):
        assert not set(frame.filter(pl.col("id") == f"s{s}")["item"]) & set(session)


def test_keep_seen_allow_and_deny(trained, sessions):
    session = sessions[0]
    kept = recommend_batch(trained, [session], ScoringOptions(k=len(trained), exclude_seen=False))
    assert set(session) <= set(kept["item"]) and kept.height == len(trained)
    allow = list(trained.index_to_key[10:40]) + ["not-an-item"]
    deny = list(trained.index_to_key[10:15])
    recommender = Recommender(trained, ScoringOptions(k=30), allow=allow, deny=deny)
    frame, stats = recommender.recommend([session, []])
    assert recommender.ignored_filter_keys == 1
    allowed = set(allow[:-1]) - set(deny) - set(session)
    got = set(frame.filter(pl.col("id") == 0)["item"])
    assert got == allowed and stats.short_sessions == 2  # fewer than 30 candidates in both
    assert frame.filter(pl.col("id") == 1)["item"].to_list() == list(trained.index_to_key[15:40])


def test_bad_options_and_empty_input(trained):
    with pytest.raises(ValueError, match="catalogue size"):
        recommend_batch(trained, [["a"]], ScoringOptions(k=len(trained) + 1))
    with pytest.raises(ValueError, match="unknown scorer"):
        ScoringOptions(scorer="best")
    for bad in (
        {"k": 0},
        {"n_last": 0},
        {"decay": 0},
        {"decay": 1.5},
        {"temperature": float("nan")},
        {"exclude_seen": "yes"},
    ):
        with pytest.raises(ValueError, match=next(iter(bad))):
            ScoringOptions(**bad)
    with pytest.raises(ValueError, match="unknown scoring option 'kk'"):
        ScoringOptions.from_dict({"kk": 3})
    with pytest.raises(ValueError, match="no item known"):
        Recommender(trained, allow=["zzz"])
    with pytest.raises(ValueError, match="leave no item"):
        Recommender(trained, ScoringOptions(k=1), deny=trained.index_to_key)
    with pytest.raises(ValueError, match="is a string"):
        recommend_batch(trained, ["item_1 item_2"])
    assert recommend_batch(trained, [], ScoringOptions(k=3)).height == 0


# ---- CLI ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def saved(trained, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "m"
    trained.save(path)
    return path


@pytest.mark.parametrize("scoring", [("sequence", 0.1), ("neighbours", 0.05)])
def test_cli_text_and_parquet_inputs_match_the_python_api(trained, saved, sessions, tmp_path, scoring):
    scorer, temperature = scoring
    batch = sessions[:200] + [["never-seen"], []]
    text = tmp_path / "sessions.txt"
    text.write_text("\n".join(" ".join(s) for s in batch) + "\n")
    parquet = tmp_path / "sessions.parquet"
    pl.DataFrame(
        {
            "session_id": [f"x{i}" for i in range(len(batch))],
            "items": batch,  # as `item2vec sessions` writes
            "weights": [[1.0] * len(s) for s in batch],
        }
    ).write_parquet(parquet)
    want = recommend_batch(trained, batch, ScoringOptions(k=5, scorer=scorer, temperature=temperature))
    for source, ids in (
        (text, pl.Series(range(len(batch)))),
        (parquet, pl.Series([f"x{i}" for i in range(len(batch))])),
    ):
        out = tmp_path / "recs.parquet"
        result = run_cli(
            "recommend",
            saved,
            "--sessions",
            source,
            "--out",
            out,
            "--k",
            5,
            "--scorer",
            scorer,
            "--temperature",
            temperature,
            "--chunk-size",
            37,
            "--no-progress",
        )
        assert result.returncode == 0, result.stderr
        assert "1 item occurrence(s) unknown" in result.stderr and "1 session(s) had no known item" not in result.stderr
        got = pl.read_parquet(out)
        expected = want.with_columns(pl.col("id").map_elements(lambda i, ids=ids: ids[i], return_dtype=ids.dtype))
        assert got.equals(expected)


@pytest.mark.parametrize("per", ["user", "session"])
def test_cli_events_match_sessionised_histories(tmp_path, per):
    from item2vec.sessions import SessionOptions, event_format
    from item2vec.sessions.files import event_histories

    log = shared_file("retailrocket_sample_srgtm.tsv.gz")
    fmt, options = event_format("retailrocket-srgtm"), SessionOptions(min_length=1)
    ids, histories, _ = event_histories(log, fmt, options, per)
    if per == "user":  # each user's sessions joined in time order
        assert ids.n_unique() == len(ids) and histories.list.len().sum() == 8196
    model = Item2Vec(**FAST).fit(histories.to_list()[::2])  # half the histories: some items unknown
    model.save(tmp_path / "m")
    result = run_cli(
        "recommend",
        tmp_path / "m",
        "--events",
        log,
        "--format",
        "retailrocket-srgtm",
        "--min-length",
        1,
        "--per",
        per,
        "--k",
        4,
        "--out",
        tmp_path / "r.parquet",
        "--no-progress",
    )
    assert result.returncode == 0, result.stderr
    assert "item occurrence(s) unknown to the model were skipped" in result.stderr
    want = recommend_batch(model, histories, ScoringOptions(k=4), ids=ids)
    assert pl.read_parquet(tmp_path / "r.parquet").equals(want)


def test_cli_leaves_no_partial_file(saved, sessions, tmp_path):
    source = tmp_path / "sessions.txt"
    source.write_bytes(("\n".join(" ".join(s) for s in sessions) + "\n").encode() + b"\xff\xfe broken\n")
    out = tmp_path / "recs.parquet"
    result = run_cli("recommend", saved, "--sessions", source, "--out", out, "--chunk-size", 50, "--no-progress")
    assert result.returncode == 2 and "not valid UTF-8" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == [source]  # neither the output nor a temporary file


def test_cli_errors(saved, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    result = run_cli("recommend", saved, "--sessions", empty, "--out", tmp_path / "r.parquet")
    assert result.returncode == 2 and "no rows" in result.stderr
    wrong = tmp_path / "wrong.parquet"
    pl.DataFrame({"a": [1], "b": ["x"]}).write_parquet(wrong)
    result = run_cli("recommend", saved, "--sessions", wrong, "--out", tmp_path / "r.parquet")
    assert result.returncode == 2 and "--items-col" in result.stderr
    result = run_cli(
        "recommend",
        saved,
        "--sessions",
        empty,
        "--scorer",
        "mixture",
        "--temperature",
        0,
        "--out",
        tmp_path / "r.parquet",
    )
    assert result.returncode == 2 and "temperature must be > 0" in result.stderr and "Traceback" not in result.stderr
    future = tmp_path / "future"
    subprocess.run(["cp", "-r", str(saved), str(future)], check=True)
    meta = json.loads((future / "config.json").read_text())
    (future / "config.json").write_text(json.dumps({**meta, "format_version": 99}))
    result = run_cli("recommend", future, "--sessions", empty, "--out", tmp_path / "r.parquet")
    assert result.returncode == 2 and "format version 99" in result.stderr
    assert not (tmp_path / "r.parquet").exists()


def test_cli_similar(saved, trained):
    key = trained.index_to_key[3]
    result = run_cli("similar", saved, key, "--k", 4)
    assert result.returncode == 0
    for neighbour, _ in trained.similar(key, 4):
        assert neighbour in result.stdout
    assert run_cli("similar", saved, "no-such-item").returncode == 2


@pytest.mark.parametrize("scorer", MIXTURES)
def test_non_finite_vectors_never_corrupt_memory(request, sessions, scorer):
    """Diverged vectors (NaN) made the neighbour lists run short; their -1 padding reached scipy as a
    column index and corrupted the heap ("double free or corruption"). Lists now keep found items only."""
    import copy

    trained = request.getfixturevalue("trained_on_sessions" if scorer == "blend" else "trained")
    broken = copy.copy(trained)
    vectors = np.array(trained.vectors)
    vectors[::2] = np.nan
    broken.vectors_, broken.output_vectors_ = vectors, vectors.copy()
    broken._forget_cache()
    items, _ = recommend_top_k(broken, encode_sessions(broken, sessions[:50]), ScoringOptions(k=10, scorer=scorer))
    assert items.shape == (50, 10) and items.max() < len(broken)
