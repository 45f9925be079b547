"""Tracks for a listener profile: survey genre recommendations, mapped onto a catalog's genres.

The survey asks about 16 broad genres; a catalog labels tracks with its own genres and
subgenres (the default catalog: edm, latin, pop, r&b, rap, rock and 24 subgenres). The
crosswalk below says, for each survey genre, which catalog labels stand for it, best first.
Survey genres a catalog cannot serve are named in the answer, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from moodtune.mood.goals import get_goal
from moodtune.mood.space import MoodPoint
from moodtune.recommend.base import Recommendation
from moodtune.survey.schema import Profile

if TYPE_CHECKING:
    from moodtune.recommend.filters import TrackFilters
    from moodtune.recommend.genres import GenreRecommender
    from moodtune.recommend.tracks import TrackIndex, TrackRecommendations

__all__ = ["SURVEY_TO_CATALOG", "ProfileTracks", "catalog_labels", "tracks_for_profile"]

#: Catalog genre/subgenre labels that stand for each survey genre, best first. Labels cover the
#: default catalog (TidyTuesday playlist genres and subgenres) and the common Kaggle
#: ``track_genre`` names. "Metal" maps to "hard rock" when a catalog has no metal label.
SURVEY_TO_CATALOG: dict[str, tuple[str, ...]] = {
    "Classical": ("classical", "opera", "piano"),
    "Country": ("country", "honky-tonk", "bluegrass"),
    "EDM": ("edm", "electronic", "house", "electro house", "big room", "techno", "dance"),
    "Folk": ("folk", "singer-songwriter", "acoustic"),
    "Gospel": ("gospel",),
    "Hip hop": ("hip hop", "hip-hop", "southern hip hop", "hip pop"),
    "Jazz": ("jazz",),
    "K pop": ("k-pop", "k pop", "kpop"),
    "Latin": ("latin", "latino", "latin pop", "reggaeton"),
    "Lofi": ("lofi", "lo-fi", "chill"),
    "Metal": ("metal", "heavy-metal", "hard rock"),
    "Pop": ("pop", "dance pop", "electropop"),
    "R&B": ("r&b", "r-n-b", "neo soul", "urban contemporary"),
    "Rap": ("rap", "trap", "gangster rap"),
    "Rock": ("rock", "album rock", "classic rock", "permanent wave"),
    "Video game music": ("video game music", "soundtrack"),
}


def catalog_labels(survey_genre: str, known: set[str]) -> list[str]:
    """The catalog labels (present in ``known``, lower case) that stand for ``survey_genre``."""
    return [label for label in SURVEY_TO_CATALOG[survey_genre] if label in known]


@dataclass
class ProfileTracks:
    """Tracks for a profile, with the genre recommendations and crosswalk behind them."""

    tracks: TrackRecommendations | None
    genre_recommendations: list[Recommendation]
    catalog_genres: dict[str, str]
    point: MoodPoint
    notes: list[str] = field(default_factory=list)
    fallback: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form for ``--json``."""
        body = self.tracks.to_dict() if self.tracks is not None else {"tracks": []}
        return {
            **body,
            "genre_recommendations": [r.as_dict() for r in self.genre_recommendations],
            "catalog_genres": self.catalog_genres,
            "mood_point": {"valence": self.point.valence, "arousal": self.point.arousal},
            "notes": [*self.notes, *body.get("notes", [])],
            "fallback": self.fallback,
        }


def tracks_for_profile(
    profile: Profile,
    *,
    index: TrackIndex,
    recommender: GenreRecommender,
    mood: MoodPoint,
    goal: str | None = None,
    k: int = 20,
    n_genres: int = 5,
    filters: TrackFilters | None = None,
    max_per_artist: int | None = 2,
) -> ProfileTracks:
    """Tracks that fit a profile's genre recommendations, near the goal's mood target.

    The person's own favourite genres are kept (``filter_already_liked=False``): familiar,
    preferred music is what music therapy starts from. Each track's reason names the survey
    genre behind it and the evidence for that genre. Without a usable genre the answer falls
    back to mood alone and says so in ``fallback``.
    """
    from moodtune.recommend.filters import _known_genres

    spec = get_goal(goal) if goal is not None else None
    point = spec.target_for(mood) if spec is not None else mood
    recs = recommender.recommend(profile, n=n_genres, filter_already_liked=False)
    known = _known_genres(index.tracks_)
    weights: dict[str, float] = {}
    chosen: dict[str, str] = {}
    unserved: list[str] = []
    for rank, rec in enumerate(recs):
        labels = catalog_labels(rec.item, known)
        if not labels:
            unserved.append(rec.item)
            continue
        label = labels[0]
        if label not in weights:
            weights[label] = 1.0 / (rank + 1)  # reciprocal rank: scores differ across methods
            chosen[rec.item] = label
    notes = []
    if unserved:
        notes.append(
            f"this catalog has no tracks labelled for {', '.join(unserved)}; "
            "those genre recommendations are not used here"
        )
    if not weights:
        result = index.near_mood(
            point, k=k, filters=filters, max_per_artist=max_per_artist, goal=spec
        )
        return ProfileTracks(
            tracks=result,
            genre_recommendations=recs,
            catalog_genres={},
            point=point,
            notes=notes,
            fallback="no_catalog_genre",
        )
    result = index.for_genres(
        weights, point, k=k, filters=filters, max_per_artist=max_per_artist, goal=spec
    )
    by_label = {label: genre for genre, label in chosen.items()}
    evidence = {rec.item: rec.reason for rec in recs}
    result.tracks["reason"] = [
        _with_evidence(reason, by_label, evidence) for reason in result.tracks["reason"]
    ]
    # The short reason names the survey genre; its evidence is said once, in explanations.
    result.tracks["short_reason"] = [
        f"{by_label[slot]} (your survey genre){short.removeprefix(slot)}"
        if slot in by_label
        else short
        for slot, short in zip(
            result.tracks["genre_slot"], result.tracks["short_reason"], strict=True
        )
    ]
    result.explanations[:0] = [
        f"{genre} -> catalog genre {label!r}: {evidence[genre]}" for genre, label in chosen.items()
    ]
    fallback = recs[0].fallback if recs and recs[0].fallback else None
    return ProfileTracks(
        tracks=result,
        genre_recommendations=recs,
        catalog_genres=chosen,
        point=point,
        notes=notes,
        fallback=fallback,
    )


def _with_evidence(reason: str, by_label: Mapping[str, str], evidence: Mapping[str, str]) -> str:
    for label, genre in by_label.items():
        if f"genre recommendation {label!r}" in reason:
            return f"survey genre {genre} ({evidence[genre]}) as catalog genre {label!r}; {reason}"
    return reason
