"""The application layer's journey rules, on a tiny grid catalog and a real database."""

from __future__ import annotations

from typing import Any

import pytest

from moodtune import app as mt
from moodtune.app.services import Services
from moodtune.app.views import track_view
from moodtune.errors import InputError, NotFoundError
from moodtune.mood.goals import get_goal
from moodtune.sessions import JourneyCatalog, MoodReport, create_listener


def test_a_track_view_from_the_catalog_columns_is_the_view_of_the_whole_row(
    services: Services,
) -> None:
    tracks = services.catalog.index.tracks_
    for row in range(len(tracks)):
        assert services.track_view_at(row) == track_view(tracks.iloc[row].to_dict())
    assert services.track_view_at(3) is services.track_view_at(3)  # built once


def test_goal_labels_come_from_the_goal_descriptions() -> None:
    assert mt.goal_label("calm_down") == "Calm down"
    assert mt.goal_label("energize") == "Energise"  # every spelling get_goal accepts
    assert mt.goal_label("stay") == "Stay with my mood"
    names = [name for name, _label, _what in mt.goal_choices()]
    assert names == ["calm_down", "lift_mood", "focus", "sleep", "energise", "stay"]


@pytest.mark.parametrize(
    ("tracks", "minutes", "default", "expected"),
    [
        (None, None, 8, mt.journey_length(tracks=8, minutes=None)),
        (None, None, None, mt.journey_length(tracks=None, minutes=30.0)),
        (12, None, 8, mt.journey_length(tracks=12, minutes=None)),
        (None, 45, 8, mt.journey_length(tracks=None, minutes=45.0)),
    ],
)
def test_journey_length_defaults(tracks: Any, minutes: Any, default: Any, expected: Any) -> None:
    got = mt.journey_length(tracks=tracks, minutes=minutes, default_tracks=default)
    assert got == expected


@pytest.mark.parametrize(
    ("tracks", "minutes", "field"),
    [(1, None, "tracks"), (201, None, "tracks"), (True, None, "tracks"), (None, 0, "minutes"),
     (None, float("inf"), "minutes"), (None, 601, "minutes"), (4, 10, "tracks")],
)  # fmt: skip
def test_journey_length_refuses_bad_lengths_naming_the_field(
    tracks: Any, minutes: Any, field: str
) -> None:
    with pytest.raises(InputError) as info:
        mt.journey_length(tracks=tracks, minutes=minutes)
    assert info.value.field == field


def test_a_journey_session_swap_feedback_and_finish(services: Services) -> None:
    person = create_listener(services.engine)
    view = mt.start_journey(
        services, person.id, goal="calm_down", mood=MoodReport(valence=-0.6, arousal=0.6), tracks=5
    )
    assert [t.number for t in view.tracks] == [1, 2, 3, 4, 5]
    assert view.before is not None and view.before.valence == -0.6
    assert view.target is not None and view.target.quadrant == "calm/relaxed"
    assert view.support is not None and not view.support.at_risk

    old = view.tracks[2]
    swapped = mt.swap_track(services, person.id, view.id, 3)
    new = swapped.tracks[2]
    assert new.track_id != old.track_id
    assert new.track_id not in {t.track_id for t in view.tracks}
    assert new.reason.startswith("swapped in")
    spec = get_goal("calm_down")
    for neighbour in (swapped.tracks[1], swapped.tracks[3]):
        assert new.track is not None and neighbour.track is not None
        assert abs((new.track.tempo_bpm or 0) - (neighbour.track.tempo_bpm or 0)) <= (
            spec.max_tempo_jump_bpm
        )
        assert abs((new.track.energy or 0) - (neighbour.track.energy or 0)) <= (
            spec.max_energy_jump
        )

    rated = mt.give_feedback(services, person.id, view.id, 3, thumbs=1, helped=True)
    assert rated.tracks[2].feedback is not None and rated.tracks[2].feedback.helped is True
    with pytest.raises(InputError, match="already has your feedback"):
        mt.swap_track(services, person.id, view.id, 3)  # the answer belongs to what was heard

    done = mt.finish_journey(services, person.id, view.id, MoodReport(words=("calm",)))
    assert done.after is not None and done.change is not None
    assert done.change.progress > 0  # from tense to calm is closer to the calm target
    assert "closer to" in done.change.summary
    with pytest.raises(InputError, match="finished"):
        mt.swap_track(services, person.id, view.id, 1)


def test_sessions_are_reachable_only_through_their_listener(services: Services) -> None:
    owner = create_listener(services.engine)
    other = create_listener(services.engine)
    view = mt.start_journey(
        services, owner.id, goal="focus", mood=MoodReport(words=("tired",)), tracks=3
    )
    for call in (
        lambda: mt.session_view(services, other.id, view.id),
        lambda: mt.give_feedback(services, other.id, view.id, 1, thumbs=1),
        lambda: mt.swap_track(services, other.id, view.id, 1),
        lambda: mt.finish_journey(services, other.id, view.id, MoodReport(words=("calm",))),
    ):
        with pytest.raises(NotFoundError, match="unknown session"):
            call()
    with pytest.raises(NotFoundError, match="no track number 9"):
        mt.give_feedback(services, owner.id, view.id, 9, thumbs=1)
    assert mt.session_view(services, owner.id, view.id).id == view.id  # still intact


def test_bad_input_is_refused_before_anything_is_stored(services: Services) -> None:
    person = create_listener(services.engine)
    cases: tuple[tuple[dict[str, Any], str], ...] = (
        ({"goal": "dance", "mood": MoodReport(words=("calm",))}, "goal"),
        ({"goal": "sleep", "mood": MoodReport(valence=2.0, arousal=0.0)}, "valence"),
        ({"goal": "sleep", "mood": MoodReport(words=("calm",)), "tracks": 1}, "tracks"),
    )
    for kwargs, field in cases:
        with pytest.raises(InputError) as info:
            mt.start_journey(services, person.id, **kwargs)
        assert info.value.field == field
    items, total = mt.list_journeys(services, person.id)
    assert (items, total) == ([], 0)


def test_song_path_starts_on_the_named_track_and_ends_on_the_other(services: Services) -> None:
    ids_in_catalog = set(services.catalog.index.tracks_["track_id"])
    first, last = "g-0.50+0.50", "g+0.50-0.50"  # tense -> calm corners of the grid
    assert {first, last} <= ids_in_catalog
    path = mt.song_path(services, from_track=first, to_track=last, tracks=6)
    ids = [t.track_id for t in path.tracks]
    assert ids[0] == first and ids[-1] == last and len(ids) == 6 and len(set(ids)) == 6
    assert path.tracks[0].reason == "the track you chose"
    with pytest.raises(InputError, match="a mood or to another track"):
        mt.song_path(services, from_track=first)
    with pytest.raises(InputError, match="unknown track id"):
        mt.song_path(services, from_track="nope", to_mood="calm")
    to_mood = mt.song_path(services, from_track=first, to_mood="calm", tracks=4)
    assert to_mood.target.near == "calm" and to_mood.tracks[0].track_id == first


def test_mood_words_together_are_described_together() -> None:
    from moodtune.app.views import mood_view

    one = mood_view(0.6, -0.5)
    assert one.description.startswith("pleasant 0.60, calm 0.50 — near ")
    both = mood_view(-0.1, 0.1, ("tired", "anxious"))
    assert both.description.startswith("tired and anxious together:")
    assert "the single word closest to that mix" in both.description


def test_mood_journey_checks_everything_before_loading_the_index(grid: JourneyCatalog) -> None:
    def never() -> Any:
        raise AssertionError("the index was loaded before the arguments were checked")

    for kwargs, field in (
        ({"start": "sad"}, "to"),
        ({"start": "sad", "to": "calm", "tracks": 1}, "tracks"),
        ({"start": "sad", "to": "calm", "max_tempo_jump": -5.0}, "tempo_bpm"),
        ({"start": "nan,0", "to": "calm"}, "mood"),
        ({"start": "sad", "to": "calm", "goal": "energise"}, "to"),  # contradictory target
    ):
        with pytest.raises(InputError) as info:
            mt.mood_journey(never, **kwargs)
        assert info.value.field == field
    within = mt.mood_journey(lambda: grid.index, start="sad", to="0.5,0.6", goal="energise",
                             tracks=4)  # fmt: skip
    assert within.plan.target.valence == 0.5 and within.plan.steps == 4


def test_reasons_never_claim_a_filter_the_catalog_could_not_apply(services: Services) -> None:
    person = create_listener(services.engine)
    view = mt.start_journey(
        services, person.id, goal="sleep", mood=MoodReport(words=("tense",)), tracks=4
    )  # the grid catalog records no explicit-lyrics flag
    assert not any("no explicit lyrics" in t.reason for t in view.tracks)
    assert any("could not be applied" in n for n in view.notes)
    assert "goal sleep (tempo 50-90 BPM" in view.tracks[-1].reason


def test_a_reason_names_what_the_preference_rests_on() -> None:
    from moodtune.sessions.personal import _reason

    kwargs: dict[str, Any] = {"liked": [], "shaped": True, "explored": False, "short": False,
                              "last": False}  # fmt: skip
    assert "your feedback suggests" in _reason("near waypoint 2", **kwargs)
    sessions_only = _reason("near waypoint 2", evidence="how your past sessions went", **kwargs)
    assert "how your past sessions went suggests" in sessions_only
    assert "feedback" not in sessions_only


def test_the_learner_is_refitted_only_when_the_history_moved(services: Services) -> None:
    from moodtune.sessions import set_consent

    person = create_listener(services.engine)
    features = services.catalog.features
    cache = services.learners
    first = cache.learned(services.engine, person.id, features)
    assert cache.learned(services.engine, person.id, features) is first  # nothing moved
    view = mt.start_journey(services, person.id, goal="calm_down",
                            mood=MoodReport(words=("tense",)), tracks=3)  # fmt: skip
    assert cache.learned(services.engine, person.id, features) is first  # unfinished: no lesson
    mt.give_feedback(services, person.id, view.id, 1, thumbs=1)
    rated = cache.learned(services.engine, person.id, features)
    assert rated is not first and rated.learner is not None
    assert rated.learner.n_feedback_ == 1
    mt.finish_journey(services, person.id, view.id, MoodReport(words=("calm",)))
    finished = cache.learned(services.engine, person.id, features)
    assert finished is not rated and finished.learner is not None
    assert finished.learner.n_sessions_ == 1
    set_consent(services.engine, person.id, learning=False)  # written past the app layer
    off = cache.learned(services.engine, person.id, features)
    assert off.learner is None and not off.consent_learning


def test_answers_that_signal_risk_bring_support_with_the_stored_survey(
    services: Services,
) -> None:
    calm = mt.onboard(services, profile={"anxiety": 2, "depression": 1, "insomnia": 1, "ocd": 0})
    assert calm.support is not None and not calm.support.at_risk
    low = mt.save_survey(
        services, calm.id, {"anxiety": 3, "depression": 9, "insomnia": 1, "ocd": 0}
    )
    assert low.support is not None and low.support.at_risk and low.support.resources


def test_what_the_learner_knew_is_read_back_typed() -> None:
    """A session's stored learning record becomes a LearningView: keys a later version adds
    are ignored, a missing record (an older session) reads as "not personalised"."""
    from moodtune.app.views import LearningView, learning_view

    assert learning_view(None) == LearningView()
    stored = {"consent": True, "personalised": True, "n_feedback": 24, "n_sessions": 3,
              "tracks_shaped": 5, "tracks_explored": 1, "preferred_genres": ["rock", "pop"],
              "from_a_later_version": {"x": 1}}  # fmt: skip
    view = learning_view(stored)
    assert view.personalised and view.n_feedback == 24 and view.tracks_explored == 1
    assert view.preferred_genres == ("rock", "pop") and view.skipped_feedback == 0
    assert learning_view({"consent": False, "personalised": False}).consent is False
