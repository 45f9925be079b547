"""The listener service (SQLite and PostgreSQL): whole writes, bad input refused."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import Engine

from moodtune.errors import InputError
from moodtune.sessions import (
    MoodReport,
    OfferedTrack,
    create_listener,
    finish_session,
    get_listener,
    get_session,
    listener_profile,
    record_checkin,
    record_feedback,
    record_playlist_export,
    set_consent,
    start_session,
)
from moodtune.store import repository as repo
from moodtune.store.engine import read_transaction, write_transaction
from tests.sessions.factories import CALM_PROFILE, T0, day, session, tracks


def counts(engine: Engine) -> dict[str, int]:
    with read_transaction(engine) as conn:
        return repo.count_rows(conn)


def unchanged(engine: Engine, before: dict[str, int]) -> bool:
    return counts(engine) == before


def test_listener_round_trip_with_profile_goals_and_consent(engine: Engine) -> None:
    made = create_listener(
        engine,
        profile=CALM_PROFILE,
        goals=["calm_down", "sleep", "calm_down"],
        display_name="Ada",
        country="uk",
        consent_learning=False,
    )
    got = get_listener(engine, made.id)
    assert got == made
    assert get_listener(engine, "Ada") == made  # a unique display name works too
    assert got.goals == ("calm_down", "sleep")
    assert got.country == "GB"
    # notes are opt-in: not kept unless asked for
    assert (got.consent_storage, got.consent_notes, got.consent_learning) == (True, False, False)
    profile = listener_profile(got)
    assert profile is not None
    assert profile.fav_genre == "Rock"
    assert profile.genre_frequencies == {"Lofi": "Sometimes"}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"profile": {**CALM_PROFILE, "anxiety": 11}}, "anxiety"),
        ({"profile": {**CALM_PROFILE, "favourite": "Rock"}}, "favourite"),
        ({"profile": {"anxiety": 2}}, "depression"),
        ({"profile": ["not", "an", "object"]}, "profile"),
        ({"goals": ["be_happy"]}, "goal"),
        ({"country": "Narnia"}, "country"),
        ({"consent_storage": False}, "consent_storage"),
    ],
)
def test_bad_listener_input_is_refused_and_stores_nothing(
    engine: Engine, kwargs: dict[str, Any], field: str
) -> None:
    before = counts(engine)
    with pytest.raises(InputError) as info:
        create_listener(engine, **kwargs)
    assert info.value.field == field
    assert unchanged(engine, before)


def test_a_display_name_already_taken_is_refused(engine: Engine) -> None:
    kim = create_listener(engine, display_name="Kim")
    before = counts(engine)
    with pytest.raises(InputError, match="already exists") as info:
        create_listener(engine, display_name=" Kim ")
    assert info.value.field == "display_name"
    assert kim.id in str(info.value)
    assert "'Kim 2'" in str(info.value)
    assert unchanged(engine, before)
    assert get_listener(engine, "Kim") == kim  # the name still resolves
    assert create_listener(engine, display_name="Kim 2").display_name == "Kim 2"
    assert create_listener(engine).display_name is None  # unnamed listeners never clash
    assert create_listener(engine).display_name is None


def test_unknown_and_ambiguous_listeners(engine: Engine) -> None:
    with pytest.raises(InputError, match="unknown listener"):
        get_listener(engine, "nobody")
    # two listeners can share a name only in a database written before names were unique
    a = create_listener(engine, display_name="Sam")
    b = replace(a, id="b" * 32)
    with write_transaction(engine) as conn:
        repo.insert_listener(conn, b)
    with pytest.raises(InputError, match="2 listeners are named") as info:
        get_listener(engine, "Sam")
    assert a.id in str(info.value) and b.id in str(info.value)
    before = counts(engine)
    with pytest.raises(InputError, match="unknown listener"):
        record_checkin(engine, "nobody", MoodReport(valence=0.1, arousal=0.1))
    assert unchanged(engine, before)


def test_checkin_from_words_coordinates_and_note(engine: Engine) -> None:
    person = create_listener(engine, consent_notes=True)
    words = record_checkin(engine, person.id, MoodReport.parse("sad, tired"), at=T0).checkin
    assert words.words == ("sad", "tired")
    assert words.valence is not None and words.arousal is not None
    assert words.valence < 0 and words.arousal < 0  # both words are low and unpleasant
    coords = record_checkin(engine, person.id, MoodReport.parse("0.3,-0.2", note=" ok ")).checkin
    assert (coords.valence, coords.arousal, coords.words, coords.note) == (0.3, -0.2, (), "ok")
    one = record_checkin(engine, person.id, MoodReport.parse("at ease")).checkin
    assert one.words == ("at ease",)
    with read_transaction(engine) as conn:
        stored = repo.list_checkins(conn, person.id)
    assert [c.kind for c in stored] == ["standalone"] * 3
    assert stored[0] == words


@pytest.mark.parametrize(
    ("report", "field"),
    [
        (MoodReport(valence=1.5, arousal=0.0), "valence"),
        (MoodReport(valence=0.0, arousal=-1.01), "arousal"),
        (MoodReport(valence=float("nan"), arousal=0.0), "valence"),
        (MoodReport(valence=0.2), "arousal"),
        (MoodReport(words=("sad", "blorft")), "mood"),
        (MoodReport(), "mood"),
        (MoodReport(valence=0.0, arousal=0.0, note="x" * 6000), "note"),
    ],
)
def test_bad_checkins_are_refused_and_change_nothing(
    engine: Engine, report: MoodReport, field: str
) -> None:
    person = create_listener(engine)
    before = counts(engine)
    with pytest.raises(InputError) as info:
        record_checkin(engine, person.id, report)
    assert info.value.field == field
    assert unchanged(engine, before)


def test_session_start_feedback_finish(engine: Engine) -> None:
    person = create_listener(engine, profile=CALM_PROFILE)
    started = session(engine, person.id, note="tense day")
    assert not started.risk.at_risk
    stored = get_session(engine, started.session.id)
    assert stored == started.session
    assert [t.track_id for t in stored.tracks] == ["trk-1", "trk-2", "trk-3"]
    assert stored.tracks[1].reason == "step 1: calm/relaxed"
    assert (stored.goal, stored.model_version) == ("calm_down", "test-model 1")
    assert started.before.kind == "before" and started.before.session_id == stored.id

    first = record_feedback(engine, stored.id, "trk-2", played=True, thumbs=1, at=day(0, 10))
    merged = record_feedback(engine, stored.id, "trk-2", helped=True, at=day(0, 11))
    assert first.id == merged.id
    assert (merged.played, merged.thumbs, merged.helped, merged.position) == (True, 1, True, 1)
    assert merged.created_at == day(0, 10) and merged.updated_at == day(0, 11)
    skipped = record_feedback(engine, stored.id, "trk-1", played=True, skipped_after_s=12.5)
    assert skipped.skipped_after_s == 12.5 and skipped.thumbs is None

    done = finish_session(engine, stored.id, MoodReport(valence=0.3, arousal=-0.3), at=day(0, 12))
    assert done.session.finished_at == day(0, 12)
    assert done.change["valence"] == pytest.approx(0.7)
    assert done.change["arousal"] == pytest.approx(-0.8)
    assert done.change["progress"] is not None and done.change["progress"] > 0
    assert get_session(engine, stored.id).finished_at == day(0, 12)
    with pytest.raises(InputError, match="already finished"):
        finish_session(engine, stored.id, MoodReport(valence=0.3, arousal=-0.3))
    with read_transaction(engine) as conn:
        assert len(repo.list_checkins(conn, person.id, session_id=stored.id)) == 2
    # people rate after listening: within the window the answer is kept, marked late
    late = record_feedback(engine, stored.id, "trk-3", thumbs=-1, at=day(0, 13))
    assert late.late is True and late.thumbs == -1
    again = record_feedback(engine, stored.id, "trk-1", helped=True, at=day(0, 13))
    assert again.late is True and again.skipped_after_s == 12.5  # earlier answers kept
    # after the window a finished session takes no more feedback, and says when it finished
    before = counts(engine)
    with pytest.raises(InputError, match="finished at 2026-01-05 12:00 UTC") as info:
        record_feedback(engine, stored.id, "trk-2", thumbs=-1, at=day(1, 13))
    assert info.value.field == "session" and "24 hours" in str(info.value)
    assert unchanged(engine, before)


def test_feedback_for_a_track_never_offered_is_refused(engine: Engine) -> None:
    person = create_listener(engine)
    started = session(engine, person.id)
    before = counts(engine)
    with pytest.raises(InputError, match="was not offered in session") as info:
        record_feedback(engine, started.session.id, "trk-999", thumbs=1)
    assert info.value.field == "track_id"
    assert "#1 trk-1, #2 trk-2, #3 trk-3" in str(info.value)  # numbered as shown, from 1
    with pytest.raises(InputError, match="unknown session"):
        record_feedback(engine, "no-such-session", "trk-1", thumbs=1)
    with pytest.raises(InputError, match="as track #3"):
        record_feedback(engine, started.session.id, "trk-1", position=2, thumbs=1)
    for kwargs in ({"thumbs": 0}, {"thumbs": True}, {"skipped_after_s": -1.0}, {}):
        with pytest.raises(InputError):
            record_feedback(engine, started.session.id, "trk-1", **kwargs)
    assert unchanged(engine, before)


def test_a_track_offered_twice_needs_its_position(engine: Engine) -> None:
    person = create_listener(engine)
    specs = (("a", "rock", "x"), ("b", "pop", "y"), ("a", "rock", "x"))
    started = session(engine, person.id, specs=specs)
    with pytest.raises(InputError, match="offered 2 times in this session, as #1 and #3") as info:
        record_feedback(engine, started.session.id, "a", thumbs=1)
    assert info.value.allowed is not None and "by the number shown: 1 or 3" in info.value.allowed
    assert record_feedback(engine, started.session.id, "a", position=2, thumbs=1).position == 2


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"goal": "world_peace"}, "goal"),
        ({"tracks": []}, "tracks"),
        ({"tracks": [OfferedTrack(track_id="x", reason="  ")]}, "tracks[0].reason"),
        ({"tracks": [OfferedTrack(track_id="", reason="r")]}, "tracks[0].track_id"),
        ({"before": MoodReport(valence=2.0, arousal=0.0)}, "valence"),
        ({"model_version": ""}, "model_version"),
        ({"listener": "nobody"}, "listener"),
    ],
)
def test_bad_session_input_changes_nothing(
    engine: Engine, kwargs: dict[str, Any], field: str
) -> None:
    person = create_listener(engine)
    args: dict[str, Any] = {
        "listener": person.id,
        "goal": "calm_down",
        "before": MoodReport(valence=-0.2, arousal=0.3),
        "tracks": tracks(("t1", "rock", "m")),
        "model_version": "m1",
    }
    args.update(kwargs)
    before = counts(engine)
    listener = args.pop("listener")
    with pytest.raises(InputError) as info:
        start_session(engine, listener, **args)
    assert info.value.field == field
    assert unchanged(engine, before)


def test_a_failure_half_way_through_a_session_leaves_nothing(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = create_listener(engine)
    before = counts(engine)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(repo, "insert_session_tracks", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        session(engine, person.id)
    assert unchanged(engine, before)  # no session row, no before check-in


def test_notes_are_screened_but_not_kept_without_consent(engine: Engine) -> None:
    person = create_listener(engine, country="US")  # the default: notes not kept
    result = record_checkin(
        engine, person.id, MoodReport(valence=-0.8, arousal=-0.6, note="I want to die")
    )
    assert result.risk.at_risk
    assert "988" in result.risk.message
    assert result.checkin.note is None
    with read_transaction(engine) as conn:
        assert [c.note for c in repo.list_checkins(conn, person.id)] == [None]


def test_consent_can_be_changed_and_withdrawing_notes_erases_them(engine: Engine) -> None:
    person = create_listener(engine, consent_notes=True)
    other = create_listener(engine, consent_notes=True)
    record_checkin(engine, person.id, MoodReport(valence=0.1, arousal=0.1, note="first"))
    record_checkin(engine, person.id, MoodReport(valence=0.1, arousal=0.1))
    session(engine, person.id, note="second")
    record_checkin(engine, other.id, MoodReport(valence=0.1, arousal=0.1, note="theirs"))

    updated, erased = set_consent(engine, person.id, keep_notes=False)
    assert erased == 2
    assert (updated.consent_notes, updated.consent_learning) == (False, True)
    assert get_listener(engine, person.id) == updated
    with read_transaction(engine) as conn:
        assert [c.note for c in repo.list_checkins(conn, person.id)] == [None, None, None]
        assert [c.note for c in repo.list_checkins(conn, other.id)] == ["theirs"]

    again, erased = set_consent(engine, person.id, keep_notes=True, learning=False)
    assert (again.consent_notes, again.consent_learning, erased) == (True, False, 0)
    before = counts(engine)
    with pytest.raises(InputError, match="nothing to change"):
        set_consent(engine, person.id)
    with pytest.raises(InputError, match="unknown listener"):
        set_consent(engine, "nobody", learning=True)
    assert unchanged(engine, before)


def test_high_scores_put_support_alongside_the_session(engine: Engine) -> None:
    person = create_listener(engine, profile={**CALM_PROFILE, "depression": 9})
    started = session(engine, person.id)
    assert started.risk.at_risk
    assert "depression score 9/10" in started.risk.reasons
    assert started.session.tracks  # the tracks are still there, with the message alongside
    assert get_session(engine, started.session.id).safety_message_shown is True


def test_playlist_exports_belong_to_their_listener(engine: Engine) -> None:
    a = create_listener(engine)
    b = create_listener(engine)
    started = session(engine, a.id)
    saved = record_playlist_export(
        engine, a.id, name="Calm", format="M3U", track_ids=["trk-1"], session_id=started.session.id
    )
    assert (saved.format, saved.track_ids) == ("m3u", ("trk-1",))
    before = counts(engine)
    with pytest.raises(InputError, match="another listener"):
        record_playlist_export(
            engine, b.id, name="x", format="m3u", track_ids=["t"], session_id=started.session.id
        )
    with pytest.raises(InputError, match="at least one track"):
        record_playlist_export(engine, a.id, name="x", format="m3u", track_ids=[])
    assert unchanged(engine, before)


def test_session_goals_are_the_mood_goals() -> None:
    from moodtune.mood.goals import Goal
    from moodtune.sessions import GOALS

    assert set(GOALS) == {g.value for g in Goal}


@pytest.mark.parametrize("spelling", ["energize", "energise", "ENERGISE"])
def test_start_session_accepts_every_spelling_get_goal_accepts(
    engine: Engine, spelling: str
) -> None:
    from moodtune.mood.goals import get_goal

    person = create_listener(engine)
    started = session(engine, person.id, goal=spelling, target=None)
    assert started.session.goal == get_goal(spelling).goal.value == "energise"
    assert get_session(engine, started.session.id).goal == "energise"


def test_learning_data_feeds_the_learner_and_honours_consent(engine: Engine) -> None:
    import pandas as pd

    from moodtune.recommend.feedback import feedback_from_frame, sessions_from_frame
    from moodtune.sessions import learning_data

    person = create_listener(engine)
    started = session(engine, person.id, target=(0.5, -0.5))
    record_feedback(engine, started.session.id, "trk-2", thumbs=1, helped=True, at=day(0, 10))
    record_feedback(engine, started.session.id, "trk-1", skipped_after_s=8.0, at=day(0, 10))
    finish_session(engine, started.session.id, MoodReport(valence=0.2, arousal=-0.1), at=day(0, 11))
    feedback_rows, outcome_rows = learning_data(engine, person.id)
    assert [(r["track_id"], r["genre"], r["goal"]) for r in feedback_rows] == [
        ("trk-2", "lofi", "calm_down"),
        ("trk-1", "rock", "calm_down"),
    ]
    (fb2, fb1) = feedback_from_frame(pd.DataFrame(feedback_rows))
    assert (fb2.thumbs, fb2.helped, fb1.skipped_after_s) == (1, True, 8.0)
    (outcome,) = sessions_from_frame(pd.DataFrame(outcome_rows))
    assert outcome.before == (-0.4, 0.5) and outcome.after == (0.2, -0.1)
    assert outcome.target == (0.5, -0.5) and outcome.track_ids == ("trk-1", "trk-2", "trk-3")

    private = create_listener(engine, consent_learning=False)
    s2 = session(engine, private.id)
    record_feedback(engine, s2.session.id, "trk-1", thumbs=-1)
    assert learning_data(engine, private.id) == ([], [])
