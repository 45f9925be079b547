"""The contract every moodtune recommender obeys, as one reusable test mixin.

Use it like implicit's ``RecommenderBaseTestMixin``: subclass ``RecommenderContract`` in a
``Test...`` class and implement ``make_case(random_state=...)``, returning a ``ContractCase``
with an *unfitted* recommender, the data its ``fit`` takes, a normal query and (optionally) a
cold-start query. Every test below then runs against that recommender::

    class TestMyRecommender(RecommenderContract):
        def make_case(self, *, random_state: int) -> ContractCase:
            return ContractCase(MyRecommender(random_state=random_state), data, query)

The query should have at least 3 candidate items left after filtering its liked items.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import numpy as np
import pytest

from moodtune.errors import InputError, NotFittedError
from moodtune.recommend.base import Recommendation, Recommender


@dataclass
class ContractCase:
    """An unfitted recommender, what to fit it on, and queries to ask it."""

    recommender: Recommender[Any]
    data: Any
    query: Any
    cold_query: Any | None = None


class _OtherRecommender(Recommender[Any]):
    """A different recommender class, to check that ``load`` refuses the wrong class."""

    def fit(self, data: Any) -> Self:
        self.items_ = ["a"]
        return self

    def recommend(
        self,
        query: Any,
        *,
        n: int = 3,
        filter_already_liked: bool = True,
        filter_items: Iterable[str] | None = None,
    ) -> list[Recommendation]:
        return []

    def liked_items(self, query: Any) -> frozenset[str]:
        return frozenset()


def _rewrite_header(path: Path, **changes: Any) -> None:
    with np.load(path, allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    header = json.loads(str(arrays["__moodtune_meta__"]))
    header.update(changes)
    arrays["__moodtune_meta__"] = np.array(json.dumps(header))
    with path.open("wb") as fh:
        np.savez(fh, **arrays)


def _as_rows(recs: list[Recommendation]) -> list[dict[str, Any]]:
    return [r.as_dict() for r in recs]


class RecommenderContract:
    """Tests every recommender must pass; subclasses provide ``make_case``."""

    def make_case(self, *, random_state: int) -> ContractCase:
        raise NotImplementedError

    @pytest.fixture
    def case(self) -> ContractCase:
        return self.make_case(random_state=0)

    @pytest.fixture
    def fitted(self, case: ContractCase) -> Recommender[Any]:
        return case.recommender.fit(case.data)

    # --- estimator conventions -------------------------------------------------------------

    def test_fit_returns_self(self, case: ContractCase) -> None:
        assert case.recommender.fit(case.data) is case.recommender

    def test_params_rebuild_an_equal_recommender(self, case: ContractCase) -> None:
        clone = type(case.recommender)(**case.recommender.get_params())
        assert clone.get_params() == case.recommender.get_params()

    def test_recommend_before_fit_raises(self, case: ContractCase) -> None:
        with pytest.raises(NotFittedError):
            case.recommender.recommend(case.query)

    def test_save_before_fit_raises(self, case: ContractCase, tmp_path: Path) -> None:
        with pytest.raises(NotFittedError):
            case.recommender.save(tmp_path / "model.npz")
        assert not (tmp_path / "model.npz").exists()

    def test_deterministic_for_a_random_state(self) -> None:
        first, second = self.make_case(random_state=7), self.make_case(random_state=7)
        a = first.recommender.fit(first.data).recommend(first.query, n=5)
        b = second.recommender.fit(second.data).recommend(second.query, n=5)
        assert _as_rows(a) == _as_rows(b)

    # --- the list --------------------------------------------------------------------------

    @pytest.mark.parametrize("n", [1, 2, 3])
    def test_n_is_respected(self, fitted: Recommender[Any], case: ContractCase, n: int) -> None:
        assert len(fitted.recommend(case.query, n=n)) == n

    def test_short_list_only_when_candidates_run_out(
        self, fitted: Recommender[Any], case: ContractCase
    ) -> None:
        recs = fitted.recommend(case.query, n=len(fitted.items_) + 5)
        candidates = set(fitted.items_) - set(fitted.liked_items(case.query))
        assert {r.item for r in recs} == candidates

    @pytest.mark.parametrize("n", [0, -1, 2.5, True])
    def test_bad_n_is_refused(self, fitted: Recommender[Any], case: ContractCase, n: Any) -> None:
        with pytest.raises(InputError, match="positive integer"):
            fitted.recommend(case.query, n=n)

    def test_scores_sorted_best_first(self, fitted: Recommender[Any], case: ContractCase) -> None:
        scores = [r.score for r in fitted.recommend(case.query, n=len(fitted.items_))]
        assert all(np.isfinite(scores))
        assert scores == sorted(scores, reverse=True)

    def test_no_duplicates_and_known_items(
        self, fitted: Recommender[Any], case: ContractCase
    ) -> None:
        items = [r.item for r in fitted.recommend(case.query, n=len(fitted.items_))]
        assert len(items) == len(set(items))
        assert set(items) <= set(fitted.items_)

    def test_reasons_and_flags(self, fitted: Recommender[Any], case: ContractCase) -> None:
        for rec in fitted.recommend(case.query, n=3):
            assert rec.reason.strip()
            assert rec.details["was_impossible"] is False
            assert rec.details["fallback"] is None
            json.dumps(rec.as_dict())

    def test_already_liked_filtered_by_default(
        self, fitted: Recommender[Any], case: ContractCase
    ) -> None:
        liked = fitted.liked_items(case.query)
        everything = len(fitted.items_)
        assert liked, "the contract query should like at least one item"
        default = {r.item for r in fitted.recommend(case.query, n=everything)}
        unfiltered = {
            r.item for r in fitted.recommend(case.query, n=everything, filter_already_liked=False)
        }
        assert not default & liked
        assert liked <= unfiltered

    def test_filter_items(self, fitted: Recommender[Any], case: ContractCase) -> None:
        top = fitted.recommend(case.query, n=2)
        again = fitted.recommend(case.query, n=2, filter_items=[top[0].item])
        assert top[0].item not in {r.item for r in again}
        assert again[0].item == top[1].item

    # --- storage ---------------------------------------------------------------------------

    def test_save_load_round_trip(
        self, fitted: Recommender[Any], case: ContractCase, tmp_path: Path
    ) -> None:
        path = fitted.save(tmp_path / "model.npz")
        loaded = type(fitted).load(path)
        assert type(loaded) is type(fitted)
        assert loaded.get_params() == fitted.get_params()
        n = len(fitted.items_)
        assert _as_rows(loaded.recommend(case.query, n=n)) == _as_rows(
            fitted.recommend(case.query, n=n)
        )
        if case.cold_query is not None:
            assert _as_rows(loaded.recommend(case.cold_query)) == _as_rows(
                fitted.recommend(case.cold_query)
            )

    def test_load_refuses_another_version(self, fitted: Recommender[Any], tmp_path: Path) -> None:
        path = fitted.save(tmp_path / "model.npz")
        _rewrite_header(path, moodtune_version="99.0.0")
        with pytest.raises(InputError, match="99.0.0"):
            type(fitted).load(path)
        _rewrite_header(path, format=-1)
        with pytest.raises(InputError, match="storage format"):
            type(fitted).load(path)

    def test_load_refuses_another_class(self, fitted: Recommender[Any], tmp_path: Path) -> None:
        path = fitted.save(tmp_path / "model.npz")
        with pytest.raises(InputError, match=type(fitted).__name__):
            _OtherRecommender.load(path)

    def test_load_refuses_a_broken_file(self, fitted: Recommender[Any], tmp_path: Path) -> None:
        path = tmp_path / "broken.npz"
        path.write_bytes(b"not a model")
        with pytest.raises(InputError, match="broken.npz"):
            type(fitted).load(path)
        with pytest.raises(InputError, match="not found"):
            type(fitted).load(tmp_path / "missing.npz")

    # --- cold start ------------------------------------------------------------------------

    def test_cold_start_is_a_flagged_fallback(
        self, fitted: Recommender[Any], case: ContractCase
    ) -> None:
        if case.cold_query is None:
            pytest.skip("this recommender has no cold-start query")
        recs = fitted.recommend(case.cold_query, n=3)
        assert len(recs) == 3
        for rec in recs:
            assert rec.was_impossible
            assert rec.fallback
            assert rec.reason.strip()
