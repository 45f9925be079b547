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


def _use_for_sessions(
    engine: Engine, listener: str, catalog: JourneyCatalog, n: int, *, first_day: int = 0
) -> None:
    """Sessions where the listener thumbs up every rock track and down every jazz track."""
    for k in range(first_day, first_day + n):
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


def _state(learned: Any) -> dict[str, Any]:
    learner = learned.learner
    return {
        "precision": learner.precision_,
        "shift": learner.shift_,
        "pace_weight": learner.pace_weight_,
        "pace_sum": learner.pace_sum_,
        "gain": (learner.gain_sum_, learner.gain_count_),
        "counts": (learner.n_feedback_, learner.n_sessions_),
        "goals": learner.goal_stats_,
        "genres": learner.genre_stats_,
    }


def _assert_same_learner(a: Any, b: Any) -> None:
    import numpy as np

    left, right = _state(a), _state(b)
    for key in ("precision", "shift", "pace_weight", "pace_sum", "gain"):
        np.testing.assert_allclose(left[key], right[key], rtol=1e-12, atol=1e-12, err_msg=key)
    assert left["counts"] == right["counts"]
    for key in ("goals", "genres"):
        assert left[key].keys() == right[key].keys()
        for name in left[key]:
            np.testing.assert_allclose(left[key][name], right[key][name], rtol=1e-12)
    assert (a.skipped_feedback, a.skipped_tracks) == (b.skipped_feedback, b.skipped_tracks)


def test_cached_learner_applies_only_what_changed_and_equals_a_refit(
    engine: Engine, catalog: JourneyCatalog
) -> None:
    from moodtune.sessions import set_consent
    from moodtune.sessions.personal import LearnerCache

    person = create_listener(engine)
    cache = LearnerCache()
    _use_for_sessions(engine, person.id, catalog, 2)
    first = cache.learned(engine, person.id, catalog.features)
    assert (cache.refits, cache.updates) == (1, 0)
    assert cache.learned(engine, person.id, catalog.features) is first  # nothing moved

    # New answers and finished sessions are applied on top, and the result is a refit's.
    _use_for_sessions(engine, person.id, catalog, 2, first_day=2)
    updated = cache.learned(engine, person.id, catalog.features)
    assert (cache.refits, cache.updates) == (1, 1)
    _assert_same_learner(updated, learn_listener(engine, person.id, catalog.features))
    assert updated.learner is not first.learner  # the earlier fit was not changed in place
    assert first.learner is not None and first.learner.n_sessions_ == 2

    # Changing an earlier answer cannot be applied on top: the cache refits.
    (_, sessions) = learning_data(engine, person.id)
    last = sessions[-1]
    record_feedback(
        engine, last["session_id"], last["track_ids"][0], position=0, thumbs=-1, at=day(3, 14)
    )
    changed = cache.learned(engine, person.id, catalog.features)
    assert (cache.refits, cache.updates) == (2, 1)
    _assert_same_learner(changed, learn_listener(engine, person.id, catalog.features))

    # Consent off, then on again: no learner, then a whole-history refit.
    set_consent(engine, person.id, learning=False)
    assert cache.learned(engine, person.id, catalog.features).learner is None
    set_consent(engine, person.id, learning=True)
    again = cache.learned(engine, person.id, catalog.features)
    assert cache.refits == 4
    _assert_same_learner(again, learn_listener(engine, person.id, catalog.features))


def test_a_write_between_the_version_and_the_rows_is_applied_not_refitted(
    engine: Engine, catalog: JourneyCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another worker's sessions land after the cache read the listener's version and before
    it reads the new rows: the update counts against what it read with the rows, so it
    applies them instead of refitting the whole history (0.2 s at 400 sessions)."""
    import moodtune.sessions.personal as personal
    from moodtune.sessions.personal import LearnerCache

    person = create_listener(engine)
    cache = LearnerCache()
    _use_for_sessions(engine, person.id, catalog, 2)
    cache.learned(engine, person.id, catalog.features)
    _use_for_sessions(engine, person.id, catalog, 1, first_day=2)
    real = personal.learning_snapshot

    def another_worker_writes_first(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(personal, "learning_snapshot", real)
        _use_for_sessions(engine, person.id, catalog, 1, first_day=3)
        return real(*args, **kwargs)

    monkeypatch.setattr(personal, "learning_snapshot", another_worker_writes_first)
    updated = cache.learned(engine, person.id, catalog.features)
    assert (cache.refits, cache.updates) == (1, 1)
    assert updated.learner is not None and updated.learner.n_sessions_ == 4
    _assert_same_learner(updated, learn_listener(engine, person.id, catalog.features))
    assert cache.learned(engine, person.id, catalog.features) is updated  # and it is current


def test_a_forgotten_listener_leaves_nothing_in_the_learner_cache(
    engine: Engine, catalog: JourneyCatalog
) -> None:
    from moodtune.sessions.personal import LearnerCache

    person, other = create_listener(engine), create_listener(engine)
    cache = LearnerCache()
    for who in (person, other):
        _use_for_sessions(engine, who.id, catalog, 1)
        cache.learned(engine, who.id, catalog.features)
    cache.forget(person.id)
    assert {key[0] for key in cache._entries} == {other.id}
