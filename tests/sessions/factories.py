"""Small builders shared by the session tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from moodtune.sessions import MoodReport, OfferedTrack, StartedSession, start_session

CALM_PROFILE = {
    "anxiety": 3,
    "depression": 2,
    "insomnia": 1,
    "ocd": 0,
    "fav_genre": "Rock",
    "genre_frequencies": {"Lofi": "Sometimes"},
}
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def tracks(*specs: tuple[str, str, str]) -> list[OfferedTrack]:
    """Offered tracks from ``(track_id, genre, mood)`` triples."""
    return [
        OfferedTrack(track_id=tid, reason=f"step {i}: {mood}", genre=genre, mood=mood)
        for i, (tid, genre, mood) in enumerate(specs)
    ]


DEFAULT_TRACKS = (
    ("trk-1", "rock", "tense/angry"),
    ("trk-2", "lofi", "calm/relaxed"),
    ("trk-3", "lofi", "calm/relaxed"),
)


def session(
    engine: Engine,
    listener: str,
    *,
    goal: str = "calm_down",
    before: tuple[float, float] = (-0.4, 0.5),
    at: datetime = T0,
    specs: tuple[tuple[str, str, str], ...] = DEFAULT_TRACKS,
    target: tuple[float, float] | None = (0.5, -0.5),
    note: str | None = None,
) -> StartedSession:
    return start_session(
        engine,
        listener,
        goal=goal,
        before=MoodReport(valence=before[0], arousal=before[1], note=note),
        tracks=tracks(*specs),
        model_version="test-model 1",
        target=target,
        at=at,
    )


def day(n: int, hour: int = 9) -> datetime:
    return T0 + timedelta(days=n, hours=hour - 9)
