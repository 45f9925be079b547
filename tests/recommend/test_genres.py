"""Genre recommenders: the shared contract, planted relations to find, the real survey."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from moodtune.config import Settings
from moodtune.errors import InputError
from moodtune.recommend.base import load_recommender
from moodtune.recommend.genres import (
    GENRE_RECOMMENDERS,
    CollaborativeGenreRecommender,
    ContentGenreRecommender,
    HybridGenreRecommender,
    PopularityGenreRecommender,
    hide_genre_answers,
    make_genre_recommender,
)
from moodtune.survey.features import survey_feature_pipeline
from moodtune.survey.schema import (
    FREQ_COLUMNS,
    GENRES,
    Profile,
    SurveyData,
    load_survey,
    profile_from_mapping,
)
from tests.recommend.contract import ContractCase, RecommenderContract

LEVELS = ("Never", "Rarely", "Sometimes", "Very frequently")


def _row(rng: np.random.Generator, frequencies: dict[str, str], effect: str) -> dict[str, Any]:
    """One raw survey-export row: the given genre frequencies, others Never/Rarely at random."""
    row: dict[str, Any] = {
        "Timestamp": "8/27/2022 19:29:02",
        "Age": str(int(rng.integers(16, 60))),
        "Primary streaming service": "Spotify",
        "Hours per day": str(int(rng.integers(1, 6))),
        "While working": str(rng.choice(["Yes", "No"])),
        "Instrumentalist": str(rng.choice(["Yes", "No"])),
        "Composer": "No",
        "Fav genre": "",
        "Exploratory": str(rng.choice(["Yes", "No"])),
        "Foreign languages": "No",
        "BPM": str(int(rng.integers(80, 160))),
        "Anxiety": str(int(rng.integers(0, 11))),
        "Depression": str(int(rng.integers(0, 11))),
        "Insomnia": str(int(rng.integers(0, 11))),
        "OCD": str(int(rng.integers(0, 11))),
        "Music effects": effect,
        "Permissions": "I understand.",
    }
    for genre in GENRES:
        row[f"Frequency [{genre}]"] = frequencies.get(genre, str(rng.choice(LEVELS[:2])))
    return row


def planted_survey(seed: int = 3) -> SurveyData:
    """60 respondents in three planted taste groups.

    * 20 love Metal *and* Rock ("Very frequently"): a Metal-only listener's neighbours.
    * 20 love Pop and K pop.
    * 20 love Classical; 10 of them also listen to Jazz and say music improves their mood, the
      other 10 are exact copies except that they listen to Folk instead and say it worsens it.
      Jazz and Folk listeners look the same in every answer but the effect.
    """
    rng = np.random.default_rng(seed)
    rows = [_row(rng, {"Metal": LEVELS[3], "Rock": LEVELS[3]}, "No effect") for _ in range(20)] + [
        _row(rng, {"Pop": LEVELS[3], "K pop": LEVELS[3]}, "Improve") for _ in range(20)
    ]
    jazz = [
        _row(rng, {"Classical": LEVELS[3], "Jazz": LEVELS[2], "Folk": LEVELS[0]}, "Improve")
        for _ in range(10)
    ]
    folk = [
        {
            **row,
            "Frequency [Jazz]": LEVELS[0],
            "Frequency [Folk]": LEVELS[2],
            "Music effects": "Worsen",
        }
        for row in jazz
    ]
    return load_survey(frame=pd.DataFrame(rows + jazz + folk))


def metal_listener(**genres: str) -> Profile:
    return profile_from_mapping(
        {
            "anxiety": 5,
            "depression": 4,
            "insomnia": 3,
            "ocd": 2,
            "age": 25,
            "genre_frequencies": {"Metal": "Very frequently", **genres},
        }
    )


COLD = profile_from_mapping({"anxiety": 8, "depression": 2, "insomnia": 5, "ocd": 0})


@pytest.fixture(scope="module")
def survey() -> SurveyData:
    return planted_survey()


# --- the contract, for all four ------------------------------------------------------------


class _GenreContract(RecommenderContract):
    kind = "popularity"

    def make_case(self, *, random_state: int) -> ContractCase:
        params = {"random_state": random_state} if self.kind == "hybrid" else {}
        return ContractCase(
            recommender=make_genre_recommender(self.kind, **params),
            data=planted_survey(),
            query=metal_listener(Rock="Rarely", Pop="Sometimes"),
            cold_query=COLD,
        )


class TestContentContract(_GenreContract):
    kind = "content"


class TestCollaborativeContract(_GenreContract):
    kind = "collaborative"


class TestHybridContract(_GenreContract):
    kind = "hybrid"


class TestPopularityContract(_GenreContract):
    kind = "popularity"


# --- planted relations ---------------------------------------------------------------------


@pytest.mark.parametrize("level", [None, "Rarely"])
def test_collaborative_recommends_rock_to_a_metal_listener(
    survey: SurveyData, level: str | None
) -> None:
    model = CollaborativeGenreRecommender(n_neighbors=10).fit(survey)
    extra = {} if level is None else {"Rock": level}
    top = model.recommend(metal_listener(**extra), n=1)[0]
    assert top.item == "Rock"
    assert top.reason.startswith("10 of your 10 most similar respondents listen to Rock often")
    assert top.details["listeners"] == 10
    if level is not None:
        assert top.reason.endswith("(you: Rarely)")


def test_content_ranks_the_genre_whose_listeners_improve_higher(survey: SurveyData) -> None:
    query = profile_from_mapping(
        {
            "anxiety": 5,
            "depression": 5,
            "insomnia": 5,
            "ocd": 5,
            "genre_frequencies": {"Classical": 3},
        }
    )
    ranking = [r.item for r in ContentGenreRecommender().fit(survey).recommend(query, n=16)]
    assert ranking.index("Jazz") < ranking.index("Folk")
    jazz = next(
        r for r in ContentGenreRecommender().fit(survey).recommend(query, n=16) if r.item == "Jazz"
    )
    assert "100% of them (n=10) say music improves their mood" in jazz.reason
    # Without the effect bonus the two genres are indistinguishable: the effect made the order.
    neutral = ContentGenreRecommender(effect_weight=0.0).fit(survey)
    scores = {r.item: r.score for r in neutral.recommend(query, n=16)}
    assert scores["Jazz"] == pytest.approx(scores["Folk"])


def test_content_reason_names_shared_traits(survey: SurveyData) -> None:
    rec = ContentGenreRecommender().fit(survey).recommend(metal_listener(Pop="Never"), n=1)[0]
    assert rec.item == "Rock"
    assert "20 respondents listen to Rock often" in rec.reason
    assert "listening to Metal more than most" in rec.details["shared_traits"]


def test_hybrid_keeps_the_weight_and_curve_it_chose(survey: SurveyData) -> None:
    model = HybridGenreRecommender(random_state=0, weight_grid=5).fit(survey)
    curve = model.validation_curve()
    assert [point["content_weight"] for point in curve] == [0.0, 0.25, 0.5, 0.75, 1.0]
    best = max(curve, key=lambda point: point["ndcg_at_3"] or -1.0)
    assert model.weight_ == best["content_weight"]
    assert model.weight_source_ == "validation"
    rec = model.recommend(metal_listener(), n=1)[0]
    assert rec.item == "Rock"
    assert rec.details["content_weight"] == model.weight_


def test_hybrid_without_validation_signal_says_so() -> None:
    # Nobody listens to anything "Very frequently": there is nothing to validate the weight on.
    tiny = planted_survey().frame.iloc[:12].copy()
    tiny.loc[:, list(FREQ_COLUMNS)] = 1.0
    model = HybridGenreRecommender(random_state=0).fit(tiny)
    assert model.weight_ == 0.5
    assert model.weight_source_.startswith("default")


def test_popularity_is_the_same_for_everyone(survey: SurveyData) -> None:
    model = PopularityGenreRecommender().fit(survey)
    a = [r.item for r in model.recommend(metal_listener(), n=3, filter_already_liked=False)]
    b = [
        r.item
        for r in model.recommend(
            profile_from_mapping({**COLD.model_dump(), "genre_frequencies": {"Pop": 0}}),
            n=3,
            filter_already_liked=False,
        )
    ]
    assert a == b


def test_cold_start_uses_respondents_with_similar_scores(survey: SurveyData) -> None:
    recs = ContentGenreRecommender(cold_start_neighbors=5).fit(survey).recommend(COLD, n=16)
    assert all(r.details["fallback"] == "cold_start" for r in recs)
    assert recs[0].reason.startswith("Fallback (you gave no genre answers):")
    assert recs[0].details["neighbors"] == 5


def test_favourite_genre_alone_is_not_cold_and_is_filtered(survey: SurveyData) -> None:
    fan = profile_from_mapping({**COLD.model_dump(), "fav_genre": "metal"})
    recs = CollaborativeGenreRecommender(n_neighbors=10).fit(survey).recommend(fan, n=2)
    assert recs[0].fallback is None
    assert recs[0].item == "Rock"
    assert "Metal" not in {r.item for r in recs}


# --- inputs, features, storage --------------------------------------------------------------


def test_shared_pipeline_constants_reproduce_its_output(survey: SurveyData) -> None:
    model = ContentGenreRecommender().fit(survey)
    expected = survey_feature_pipeline(missing_indicators=False).fit_transform(survey.frame)
    np.testing.assert_allclose(model.features_, expected)
    queries, cold = model._standardise(survey.frame)
    np.testing.assert_allclose(np.where(np.isnan(queries), model.fill_, queries), expected)
    assert not cold.any()


def test_score_frame_matches_recommend(survey: SurveyData) -> None:
    model = CollaborativeGenreRecommender().fit(survey)
    profile = metal_listener(Rock="Rarely")
    from moodtune.survey.schema import profiles_to_frame

    scores = model.score_frame(profiles_to_frame([profile]))[0]
    recs = model.recommend(profile, n=16, filter_already_liked=False)
    assert {r.item: r.score for r in recs} == pytest.approx(dict(zip(GENRES, scores, strict=True)))


def test_bad_inputs_are_refused_clearly(survey: SurveyData) -> None:
    with pytest.raises(InputError, match="freq_rock"):
        ContentGenreRecommender().fit(survey.frame.drop(columns=["freq_rock"]))
    with pytest.raises(InputError, match="at least 2 respondents"):
        ContentGenreRecommender().fit(survey.frame.iloc[:1])
    with pytest.raises(InputError, match="n_neighbors"):
        CollaborativeGenreRecommender(n_neighbors=0).fit(survey)
    model = PopularityGenreRecommender().fit(survey)
    with pytest.raises(InputError, match="Profile"):
        model.recommend({"anxiety": 1})  # type: ignore[arg-type]
    with pytest.raises(InputError, match="Techno"):
        model.recommend(COLD, filter_items=["Techno"])
    with pytest.raises(InputError, match="allowed: content, collaborative, hybrid, popularity"):
        make_genre_recommender("deep")


def test_load_recommender_dispatches_on_the_class(survey: SurveyData, tmp_path: Any) -> None:
    for kind, cls in GENRE_RECOMMENDERS.items():
        path = make_genre_recommender(kind).fit(survey).save(tmp_path / f"{kind}.npz")
        assert type(load_recommender(path)) is cls


def test_hide_genre_answers_hides_half_and_the_favourite(survey: SurveyData) -> None:
    frame = survey.frame.assign(fav_genre="Rock")
    masked, hidden = hide_genre_answers(frame, fraction=0.5, random_state=0)
    assert (hidden.sum(axis=1) == 8).all()
    assert masked["fav_genre"].isna().all()
    values = masked.loc[:, list(FREQ_COLUMNS)].to_numpy(dtype=float)
    assert np.isnan(values[hidden]).all()
    assert not np.isnan(values[~hidden]).any()
    assert not np.isnan(frame.loc[:, list(FREQ_COLUMNS)].to_numpy(dtype=float)).any()
    with pytest.raises(InputError, match="fraction"):
        hide_genre_answers(frame, fraction=1.0, random_state=0)


# --- the real survey --------------------------------------------------------------------------


@pytest.mark.slow
def test_real_survey_end_to_end(real_settings: Settings, tmp_path: Any) -> None:
    real = load_survey(settings=real_settings)
    model = HybridGenreRecommender(random_state=0, validation_repeats=1).fit(real)
    assert 0.0 <= model.weight_ <= 1.0
    profile = metal_listener(Rock="Sometimes", Pop="Never")
    recs = model.recommend(profile, n=3)
    assert len(recs) == 3
    assert "Metal" not in {r.item for r in recs}
    assert all("of your 40 most similar respondents" in r.reason for r in recs)
    loaded = HybridGenreRecommender.load(model.save(tmp_path / "hybrid.npz"))
    assert [r.as_dict() for r in loaded.recommend(profile)] == [
        r.as_dict() for r in model.recommend(profile)
    ]
    cold = model.recommend(COLD, n=3)
    assert all(r.fallback == "cold_start" for r in cold)
