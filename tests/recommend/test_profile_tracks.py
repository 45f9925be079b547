from __future__ import annotations

import pytest

from moodtune.config import Settings
from moodtune.mood.space import MoodPoint
from moodtune.recommend.genres import ContentGenreRecommender, GenreRecommender
from moodtune.recommend.profile_tracks import SURVEY_TO_CATALOG, catalog_labels, tracks_for_profile
from moodtune.recommend.tracks import TrackIndex
from moodtune.survey.schema import GENRES, load_survey, profile_from_mapping
from tests.recommend.tiny_catalog import make_catalog


@pytest.fixture(scope="module")
def recommender(real_settings: Settings) -> GenreRecommender:
    return ContentGenreRecommender().fit(load_survey(settings=real_settings))


def _catalog(genres_by_block: dict[str, str]) -> TrackIndex:
    rows = []
    for block, (genre, sub) in enumerate(
        (g, s) for g, s in ((g, genres_by_block[g]) for g in genres_by_block)
    ):
        for i in range(6):
            rows.append(
                {
                    "track_id": f"{genre}-{i}",
                    "artists": f"{genre} artist {i}",
                    "genres": (genre,),
                    "subgenres": (sub,),
                    "mood_valence": -0.5 + 0.2 * i,
                    "mood_arousal": -0.4 + 0.1 * block,
                }
            )
    return TrackIndex(method="exact").fit(make_catalog(rows))


def test_crosswalk_covers_every_survey_genre() -> None:
    assert set(SURVEY_TO_CATALOG) == set(GENRES)
    assert catalog_labels("Metal", {"rock", "hard rock"}) == ["hard rock"]
    assert catalog_labels("Jazz", {"rock", "pop"}) == []


def test_tracks_follow_the_profiles_genres_with_evidence(recommender: GenreRecommender) -> None:
    index = _catalog({"rock": "hard rock", "pop": "dance pop", "edm": "big room"})
    metalhead = profile_from_mapping(
        {
            "anxiety": 6, "depression": 3, "insomnia": 2, "ocd": 1,
            "genre_frequencies": {"Metal": 3, "Rock": 3, "EDM": 0, "Pop": 0},
        }
    )  # fmt: skip
    result = tracks_for_profile(
        metalhead, index=index, recommender=recommender, mood=MoodPoint(-0.3, 0.6), k=6
    )
    assert result.tracks is not None
    tracks = result.tracks.tracks
    assert len(tracks) == 6
    assert {"Metal", "Rock"} & set(result.catalog_genres)
    blocks = {"rock": "rock", "hard rock": "rock", "pop": "pop", "dance pop": "pop"}
    blocks |= {"edm": "edm", "big room": "edm"}
    served = {blocks[label] for label in result.catalog_genres.values()}
    assert {t.split("-")[0] for t in tracks["track_id"]} <= served
    assert all(r.startswith("survey genre ") for r in tracks["reason"])
    assert result.fallback is None
    # Tables show a short reason; the genre evidence is said once, not once per track.
    assert all("(your survey genre); Δmood" in r for r in tracks["short_reason"])
    assert all(len(r) < 60 for r in tracks["short_reason"])
    evidence = [e for e in result.tracks.explanations if "-> catalog genre" in e]
    assert len(evidence) == len(result.catalog_genres)


def test_catalog_without_any_recommended_genre_falls_back_to_mood(
    recommender: GenreRecommender,
) -> None:
    index = _catalog({"zydeco": "cajun"})
    person = profile_from_mapping({"anxiety": 2, "depression": 2, "insomnia": 2, "ocd": 2,
                                   "genre_frequencies": {"Rock": 3}})  # fmt: skip
    result = tracks_for_profile(
        person, index=index, recommender=recommender, mood=MoodPoint(0.5, -0.5), goal=None, k=3
    )
    assert result.fallback == "no_catalog_genre"
    assert result.tracks is not None
    assert len(result.tracks.tracks) == 3
    assert any("no tracks labelled" in n for n in result.notes)
