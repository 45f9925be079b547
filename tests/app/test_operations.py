"""The application-layer operations the CLI needs beyond the web's: by name, by track id,
for tracks the listener chose, the whole history. The CLI renders what these answer."""

from __future__ import annotations

from typing import Any

import pytest

from moodtune import app as mt
from moodtune.app.services import Services
from moodtune.errors import InputError, NotFoundError
from moodtune.sessions import MoodReport, OfferedTrack, create_listener


def _chosen(services: Services, listener: str, goal: str = "lift_mood") -> Any:
    offered = [OfferedTrack(track_id="t-1", reason="mine"), OfferedTrack("t-2", "mine too")]
    return mt.record_offered(
        services,
        listener,
        goal=goal,
        mood=MoodReport(valence=-0.4, arousal=-0.2),
        tracks=offered,
        model_version="listener-supplied (t.json)",
    )


def test_onboard_details_keeps_goals_and_screens_the_survey(services: Services) -> None:
    made = mt.onboard_details(
        services,
        profile={"anxiety": 9, "depression": 2, "insomnia": 1, "ocd": 0},
        display_name="Ana",
        goals=["energize", "calm_down"],
        country="US",
    )
    assert made.record.goals == ("energise", "calm_down")  # every get_goal spelling
    assert made.view.id == made.record.id and made.view.support is not None
    assert made.view.support.at_risk and made.view.support.resources
    assert mt.onboard(services, profile=None, goals=["focus"]).support is not None


def test_listener_details_resolve_names_and_say_what_was_learned(services: Services) -> None:
    person = create_listener(services.engine, display_name="Bo")
    details = mt.listener_details(services, "Bo", learned=True)
    assert details.record.id == person.id == details.view.id
    assert details.learned == {"consent_learning": True, "personalised": False}
    assert mt.listener_details(services, "Bo").learned is None  # not asked: no catalog load
    off = create_listener(services.engine, consent_learning=False)
    assert mt.listener_details(services, off.id, learned=True).learned == {
        "consent_learning": False,
        "personalised": False,
    }
    with pytest.raises(NotFoundError, match="unknown listener"):
        mt.listener_details(services, "nobody")


def test_check_in_details_answer_the_view_and_the_record(services: Services) -> None:
    person = create_listener(services.engine, display_name="Cy")
    done = mt.check_in_details(services, "Cy", MoodReport.parse("tired, anxious"))
    assert done.record.listener_id == person.id and done.record.words == ("tired", "anxious")
    assert done.view.id == done.record.id and done.view.mood is not None
    assert done.view.mood.description.startswith("tired and anxious together:")


def test_record_offered_takes_the_goal_as_start_journey_does(services: Services) -> None:
    person = create_listener(services.engine)
    view = _chosen(services, person.id, goal="energize")
    assert view.goal == "energise" and [t.track_id for t in view.tracks] == ["t-1", "t-2"]
    assert view.support is not None and view.model_version.startswith("listener-supplied")
    with pytest.raises(InputError, match="unknown goal"):
        _chosen(services, person.id, goal="nap")


def test_track_feedback_by_track_id_belongs_to_the_sessions_listener(services: Services) -> None:
    person = create_listener(services.engine)
    other = create_listener(services.engine)
    view = _chosen(services, person.id)
    assert mt.session_owner(services, view.id) == person.id
    record = mt.track_feedback(services, view.id, "t-2", thumbs=1, position=2)
    assert (record.position, record.thumbs, record.listener_id) == (1, 1, person.id)
    with pytest.raises(NotFoundError, match="unknown session"):
        mt.track_feedback(services, view.id, "t-2", thumbs=1, listener_id=other.id)
    with pytest.raises(NotFoundError, match="unknown session"):
        mt.session_owner(services, "no-such-session")
    with pytest.raises(InputError, match="start at 1") as zero:
        mt.track_feedback(services, view.id, "t-2", position=0, played=True)
    assert zero.value.field == "position"
    with pytest.raises(InputError, match="was not offered"):
        mt.track_feedback(services, view.id, "t-9", thumbs=1)
    shown = mt.session_view(services, person.id, view.id)
    assert shown.tracks[1].feedback is not None and shown.tracks[1].feedback.thumbs == 1


def test_history_report_is_the_whole_history_of_a_named_listener(services: Services) -> None:
    person = create_listener(services.engine, display_name="Di")
    view = _chosen(services, person.id)
    mt.finish_journey(services, person.id, view.id, MoodReport(valence=0.3, arousal=0.1))
    report = mt.history_report(services, "Di", min_sessions=2)
    assert report.listener.id == person.id and report.listener.display_name == "Di"
    assert report.history.listener_id == person.id and report.history.min_sessions == 2
    assert len(report.history.sessions) == 1 and report.history.checkins_total == 2


def test_delete_everything_forgets_what_was_learned_in_memory(services: Services) -> None:
    person = create_listener(services.engine)
    view = _chosen(services, person.id)
    mt.track_feedback(services, view.id, "t-1", thumbs=1)
    forgotten: list[str] = []
    services.learners.forget = forgotten.append  # type: ignore[method-assign,assignment]
    mt.delete_everything(services, person.id)
    assert forgotten == [person.id]
    with pytest.raises(NotFoundError):
        mt.get_listener_view(services, person.id)
