"""The contract every model of the harness honours, as implicit's ``RecommenderBaseTestMixin``:
a model's test class subclasses ``NextItemModelContract`` and says only how to make the model.

The awkward cases are the point: ``k`` close to the catalogue size minus the prefix (rows run out
of candidates and must end in ``-1``, never repeat an item or return a seen one), ``k`` above the
catalogue, empty and all-unknown prefixes, ``get_params`` round trips, determinism, save/load.
"""

from __future__ import annotations

import numpy as np
import pytest

from item2vec.data.corpus import Corpus
from item2vec.evaluation.protocols import split_last_sessions
from item2vec.evaluation.task import NextItemTask

#: A catalogue of 8 items and prefixes of every awkward kind (long, with repeats, empty, unknown).
TINY_SESSIONS = [
    ["a", "b", "c"],
    ["b", "c", "d"],
    ["a", "c"],
    ["d", "e", "f"],
    ["e", "f", "g"],
    ["f", "g", "h"],
    ["a", "b"],
    ["g", "h", "a"],
    ["c", "d", "e"],
    ["a", "a", "b"],
]
TINY_PREFIXES = [["a"], ["b", "c", "b"], ["e", "f", "g", "h", "a"], [], ["zz", "yy"], ["h", "zz"]]
TINY_TARGETS = ["b", "d", "c", "a", "a", "g"]


def valid(row) -> list[int]:
    return [i for i in row if i >= 0]


class NextItemModelContract:
    """Subclass and define ``make()`` (a fresh, unfitted model). ``deterministic``: two fits with
    the same parameters recommend the same lists."""

    deterministic = True

    def make(self):
        raise NotImplementedError

    # ---- fixtures ---------------------------------------------------------------------------

    @pytest.fixture(scope="class")
    @classmethod
    def data(cls, synthetic):
        train, held = split_last_sessions(Corpus.from_sentences(synthetic.sessions()), 0.15)
        return train, NextItemTask.from_sessions(held, train.vocab, name="held-out")

    @pytest.fixture(scope="class")
    @classmethod
    def fitted(cls, data):
        return cls().make().fit(data[0])

    @pytest.fixture(scope="class")
    @classmethod
    def tiny(cls):
        train = Corpus.from_sentences(TINY_SESSIONS)
        task = NextItemTask.from_pairs(TINY_PREFIXES, TINY_TARGETS, train.vocab)
        return train, task, cls().make().fit(train)

    # ---- on realistic data ------------------------------------------------------------------

    @pytest.mark.parametrize("exclude_seen", [False, True])
    def test_lists_are_catalogue_ids_without_repeats(self, fitted, data, exclude_seen):
        train, task = data
        for option in fitted.scoring_options:
            top = fitted.recommend(task, 10, exclude_seen=exclude_seen, **option)
            assert top.shape == (len(task), 10) and top.dtype == np.int32
            assert top.min() >= 0 and top.max() < len(train.vocab)  # 300 items: no row runs short
            assert all(len(set(row)) == 10 for row in top.tolist())
            if exclude_seen:
                prefixes = np.split(task.items, task.offsets[1:-1])
                assert not any(set(row) & set(p.tolist()) for row, p in zip(top.tolist(), prefixes))

    def test_k_above_the_catalogue_is_refused(self, fitted, data):
        train, task = data
        with pytest.raises(ValueError, match="catalogue size"):
            fitted.recommend(task, len(train.vocab) + 1)

    def test_get_params_round_trips_through_the_constructor(self, fitted):
        params = fitted.get_params()
        assert type(fitted)(**params).get_params() == params

    def test_fit_returns_the_model(self, data):
        model = self.make()
        assert model.fit(data[0]) is model

    def test_same_parameters_same_lists(self, fitted, data):
        if not self.deterministic:
            pytest.skip("this model does not promise determinism")
        train, task = data
        again = type(fitted)(**fitted.get_params()).fit(train)
        for option in fitted.scoring_options:
            np.testing.assert_array_equal(fitted.recommend(task, 10, **option), again.recommend(task, 10, **option))

    # ---- the awkward cases --------------------------------------------------------------------

    @pytest.mark.parametrize("k", [1, 4, 7, 8])
    @pytest.mark.parametrize("exclude_seen", [False, True])
    def test_rows_running_out_of_candidates_end_in_padding(self, tiny, k, exclude_seen):
        """k near (or at) the catalogue size: each row holds every candidate it can, once, then -1."""
        train, task, model = tiny
        n = len(train.vocab)
        prefixes = [set(p.tolist()) for p in np.split(task.items, task.offsets[1:-1])]
        for option in model.scoring_options:
            top = model.recommend(task, k, exclude_seen=exclude_seen, **option)
            assert top.shape == (len(task), k)
            for row, seen in zip(top.tolist(), prefixes):
                items = valid(row)
                assert row[: len(items)] == items, f"padding before an item: {row}"
                assert len(set(items)) == len(items), f"an item twice: {row}"
                assert all(0 <= i < n for i in items)
                available = n - len(seen) if exclude_seen else n
                assert len(items) == min(k, available), f"{row} from {available} candidates"
                if exclude_seen:
                    assert not set(items) & seen, f"a seen item returned: {row} after {seen}"

    def test_empty_and_unknown_prefixes_get_the_most_popular(self, tiny):
        train, task, model = tiny
        empty = np.flatnonzero(task.lengths == 0)
        assert len(empty) == 2  # [] and ["zz", "yy"]
        for option in model.scoring_options:
            for exclude_seen in (False, True):
                top = model.recommend(task, 5, exclude_seen=exclude_seen, **option)
                for row in empty:
                    assert top[row].tolist() == list(range(5))  # catalogue ids are sorted by count

    def test_save_and_load_recommend_the_same(self, fitted, data, tmp_path):
        if not hasattr(fitted, "save"):
            pytest.skip("this model has no save")
        train, task = data
        fitted.save(tmp_path / "model")
        loaded = type(fitted).load(tmp_path / "model", train)
        for option in fitted.scoring_options:
            np.testing.assert_array_equal(fitted.recommend(task, 10, **option), loaded.recommend(task, 10, **option))
