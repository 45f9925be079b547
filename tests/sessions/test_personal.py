"""Personalised sessions: stored feedback shapes the next journey, consent switches it off."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from moodtune.errors import InputError
from moodtune.recommend.tracks import TrackIndex
from moodtune.sessions import (
    JourneyCatalog,
    MoodReport,
    OfferedTrack,
    create_listener,
    finish_session,
    learn_listener,
    learning_data,
    personal_journey,
    record_feedback,
    start_personal_session,
    start_session,
)
from tests.recommend.tiny_catalog import grid_catalog
from tests.sessions.factories import day

LIKED, DISLIKED = "rock", "jazz"
START = (-0.5, 0.5)


@pytest.fixture(scope="module")
def catalog() -> JourneyCatalog:
    """A grid over the mood plane, genres in a checkerboard: every waypoint has both nearby."""
    tracks = grid_catalog(0.1)
    cells = (tracks["mood_valence"] * 10).round().astype(int) + (
        tracks["mood_arousal"] * 10
    ).round().astype(int)
    tracks["genres"] = [[LIKED] if c % 2 else [DISLIKED] for c in cells]
    return JourneyCatalog.from_index(TrackIndex(method="exact").fit(tracks), name="grid")


def _genre_share(tracks: list[OfferedTrack], genre: str) -> float:
    return sum(t.genre == genre for t in tracks) / len(tracks)


def _use_for_sessions(engine: Engine, listener: str, catalog: JourneyCatalog, n: int) -> None:
    """Sessions where the listener thumbs up every rock track and down every jazz track."""
    for k in range(n):
        started, _ = start_personal_session(
            engine,
            listener,
            goal="calm_down",
            before=MoodReport(valence=START[0], arousal=START[1]),
            steps=8,
            catalog=catalog,
            explore=False,
            at=day(k),
        )
        for t in started.session.tracks:
            record_feedback(
                engine,
                started.session.id,
                t.track_id,
                position=t.position,
                played=True,
                thumbs=1 if t.genre == LIKED else -1,
                at=day(k) + timedelta(minutes=5),
            )
        finish_session(
            engine,
            started.session.id,
            MoodReport(valence=0.3, arousal=-0.3),
            at=day(k) + timedelta(minutes=40),
        )


def _next(engine: Engine, listener: str, catalog: JourneyCatalog, **kw: Any) -> Any:
    return personal_journey(
        engine,
        listener,
        start=START,
        goal="calm_down",
        steps=8,
        catalog=catalog,
        explore=kw.pop("explore", False),
        **kw,
    )


def test_feedback_moves_the_next_journey_and_consent_switches_it_off(
    engine: Engine, catalog: JourneyCatalog
) -> None:
    trained = create_listener(engine, display_name="Liker")
    off = create_listener(engine, display_name="Private", consent_learning=False)
    fresh = create_listener(engine, display_name="New")
    _use_for_sessions(engine, trained.id, catalog, 3)
    _use_for_sessions(engine, off.id, catalog, 3)

    mine, private, new = (_next(engine, p.id, catalog) for p in (trained, off, fresh))
    # The liked genre is ranked higher for the listener who liked it than for a new listener.
    assert _genre_share(mine.tracks, LIKED) > _genre_share(new.tracks, LIKED)
    assert _genre_share(mine.tracks, LIKED) >= 0.75
    assert mine.personalised and "preference-learner" in mine.model_version
    assert any("matches what you liked: rock" in t.reason for t in mine.tracks)
    assert mine.details["learning"]["n_feedback"] == 3 * 8
    assert mine.details["learning"]["n_sessions"] == 3
    assert mine.details["pace_source"] == "learned"

    # Learning off: exactly the journey a new listener gets, and nothing says otherwise.
    assert [t.track_id for t in private.tracks] == [t.track_id for t in new.tracks]
    assert [t.reason for t in private.tracks] == [t.reason for t in new.tracks]
    assert not private.personalised and private.model_version == new.model_version
    assert private.details["learning"] == {"consent": False, "personalised": False}
    assert not any("you liked" in t.reason for t in new.tracks)

    # Every recorded session carries its pace, and the learner reads it back.
    _, outcomes = learning_data(engine, trained.id)
    assert len(outcomes) == 3
    assert all(isinstance(o["pace"], float) and o["pace"] > 0 for o in outcomes)
    learned = learn_listener(engine, trained.id, catalog.features)
    assert learned.learner is not None and learned.learner.has_pace_evidence
    summary = learned.summary()
    assert summary["preferred_genres"][0] == LIKED
    assert summary["genres"][LIKED]["weight"] > 0 > summary["genres"][DISLIKED]["weight"]
    assert learn_listener(engine, off.id, catalog.features).learner is None


def test_recorded_session_keeps_pace_and_learner_version(
    engine: Engine, catalog: JourneyCatalog
) -> None:
    person = create_listener(engine, display_name="Pace")
    _use_for_sessions(engine, person.id, catalog, 2)
    started, built = start_personal_session(
        engine,
        person.id,
        goal="sleep",
        before=MoodReport(words=("tense",)),
        steps=6,
        catalog=catalog,
        random_state=7,
        at=day(5),
    )
    session = started.session
    assert session.details is not None
    assert session.details["pace"] == pytest.approx(built.pace)
    assert session.details["learning"]["state_version"] == 1
    learning = session.details["learning"]
    assert 0 <= learning["tracks_explored"] <= learning["tracks_shaped"] <= 6
    assert "preference-learner v1" in session.model_version
    assert built.adaptive.journey.metrics.within_bounds
    # Thompson draws are reproducible with a seed.
    again = _next(engine, person.id, catalog, explore=True, random_state=7)
    same = _next(engine, person.id, catalog, explore=True, random_state=7)
    assert [t.track_id for t in again.tracks] == [t.track_id for t in same.tracks]


def test_tracks_outside_the_catalog_are_left_out_and_counted(
    engine: Engine, catalog: JourneyCatalog
) -> None:
    person = create_listener(engine, display_name="Importer")
    started = start_session(
        engine,
        person.id,
        goal="calm_down",
        before=MoodReport(valence=-0.2, arousal=0.4),
        tracks=[OfferedTrack(track_id="elsewhere-1", reason="chosen by you")],
        model_version="listener-supplied",
        at=day(0),
    )
    record_feedback(engine, started.session.id, "elsewhere-1", thumbs=1, at=day(0))
    learned = learn_listener(engine, person.id, catalog.features)
    assert learned.skipped_feedback == 1
    assert learned.learner is not None and learned.learner.n_feedback_ == 0
    assert not learned.personalised  # nothing usable: the unpersonalised journey
    built = _next(engine, person.id, catalog)
    assert not built.personalised


def test_bad_input_builds_and_stores_nothing(engine: Engine, catalog: JourneyCatalog) -> None:
    person = create_listener(engine, display_name="Careful")
    with pytest.raises(InputError, match="unknown listener"):
        _next(engine, "nobody", catalog)
    with pytest.raises(InputError, match="unknown goal"):
        start_personal_session(
            engine,
            person.id,
            goal="nap",
            before=MoodReport(valence=0.0, arousal=0.0),
            steps=5,
            catalog=catalog,
        )
    with pytest.raises(InputError, match="outside the mood plane"):
        start_personal_session(
            engine,
            person.id,
            goal="calm_down",
            before=MoodReport(valence=1.5, arousal=0.0),
            steps=5,
            catalog=catalog,
        )
    assert learning_data(engine, person.id) == ([], [])
