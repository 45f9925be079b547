"""Offline evaluation of the genre recommenders: protocol, no leakage, planted and real data."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest

from moodtune.config import Settings
from moodtune.errors import InputError
from moodtune.evaluation import genres as genre_eval
from moodtune.evaluation.genres import MODELS, evaluate_genre_recommenders, format_genre_evaluation
from moodtune.recommend.genres import HybridGenreRecommender
from moodtune.survey.schema import SurveyData, load_survey
from tests.recommend.test_genres import planted_survey


@pytest.fixture(scope="module")
def planted() -> SurveyData:
    return planted_survey()


@pytest.fixture(scope="module")
def planted_result(planted: SurveyData) -> dict[str, Any]:
    return evaluate_genre_recommenders(planted, n_repeats=3, random_state=0)


def test_result_is_json_with_every_model_and_metric(planted_result: dict[str, Any]) -> None:
    decoded = json.loads(json.dumps(planted_result))
    assert set(decoded["metrics"]) == set(MODELS)
    for model in MODELS:
        for metric in ("hit_rate_at_3", "ndcg_at_3"):
            summary = decoded["metrics"][model][metric]
            assert len(summary["values"]) == 3
            assert 0.0 <= summary["min"] <= summary["mean"] <= summary["max"] <= 1.0
    assert decoded["vs_popularity"]["popularity"]["ndcg_at_3"] == pytest.approx(1.0)
    assert len(decoded["hybrid"]["runs"]) == 3
    assert all(len(run["curve"]) == 11 for run in decoded["hybrid"]["runs"])


def test_planted_structure_is_recovered(planted_result: dict[str, Any]) -> None:
    # Each planted group loves two genres: seeing one, the collaborative model finds the other.
    metrics = planted_result["metrics"]
    assert (
        metrics["collaborative"]["ndcg_at_3"]["mean"]
        > metrics["popularity"]["ndcg_at_3"]["mean"]
        > metrics["random"]["ndcg_at_3"]["mean"]
    )
    assert metrics["collaborative"]["ndcg_at_3"]["mean"] > 0.9


def test_same_seed_same_figures(planted: SurveyData, planted_result: dict[str, Any]) -> None:
    again = evaluate_genre_recommenders(planted, n_repeats=3, random_state=0)
    assert again["metrics"] == planted_result["metrics"]
    other = evaluate_genre_recommenders(planted, n_repeats=3, random_state=1)
    assert other["metrics"] != planted_result["metrics"]


def test_models_never_see_test_respondents(
    planted: SurveyData, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every fit (the hybrid's weight search included) uses training rows only."""
    fitted_on: list[set[int]] = []
    tested_on: list[set[int]] = []
    original_fit = HybridGenreRecommender.fit
    original_hide = genre_eval.hide_genre_answers

    def spy_fit(self: HybridGenreRecommender, data: Any) -> HybridGenreRecommender:
        fitted_on.append(set(data.index))
        return original_fit(self, data)

    def spy_hide(frame: pd.DataFrame, **kwargs: Any) -> Any:
        tested_on.append(set(frame.index))
        return original_hide(frame, **kwargs)

    monkeypatch.setattr(HybridGenreRecommender, "fit", spy_fit)
    monkeypatch.setattr(genre_eval, "hide_genre_answers", spy_hide)
    evaluate_genre_recommenders(planted, n_repeats=2, random_state=0)
    assert len(fitted_on) == len(tested_on) == 2
    for train, test in zip(fitted_on, tested_on, strict=True):
        assert train and test
        assert not train & test
        assert train | test == set(range(len(planted.frame)))


def test_bad_arguments_are_refused(planted: SurveyData) -> None:
    with pytest.raises(InputError, match="n_repeats"):
        evaluate_genre_recommenders(planted, n_repeats=0)
    with pytest.raises(InputError, match="test_fraction"):
        evaluate_genre_recommenders(planted, test_fraction=1.5)
    with pytest.raises(InputError, match="too few"):
        evaluate_genre_recommenders(planted.frame.iloc[:8])
    with pytest.raises(InputError, match="expected a survey"):
        evaluate_genre_recommenders([1, 2, 3])  # type: ignore[arg-type]


def test_text_table_names_every_model(planted_result: dict[str, Any]) -> None:
    text = format_genre_evaluation(planted_result)
    for model in MODELS:
        assert model in text
    assert "hybrid content weight chosen on validation" in text


@pytest.mark.slow
def test_real_survey_beats_the_baselines(real_settings: Settings) -> None:
    result = evaluate_genre_recommenders(
        load_survey(settings=real_settings), n_repeats=2, random_state=0
    )
    ndcg = {model: result["metrics"][model]["ndcg_at_3"]["mean"] for model in MODELS}
    assert ndcg["random"] < ndcg["popularity"] < ndcg["collaborative"]
    assert ndcg["popularity"] < ndcg["hybrid"]
    assert result["protocol"]["respondents"] == len(load_survey(settings=real_settings).frame)
    assert all(0.0 <= run["content_weight"] <= 1.0 for run in result["hybrid"]["runs"])
