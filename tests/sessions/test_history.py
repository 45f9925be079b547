"""Mood tracking: change per session, what helped (with counts), streaks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine

from moodtune.sessions import (
    MoodReport,
    create_listener,
    finish_session,
    listener_history,
    record_checkin,
    record_feedback,
)
from moodtune.sessions.history import streaks
from tests.sessions.factories import day, session


def test_streaks_count_consecutive_days() -> None:
    base = datetime(2026, 3, 1, 12, tzinfo=UTC)
    days = [0, 1, 2, 5, 6, 6, 7, 8, 9, 10]  # a run of 3, a gap, then a run of 6 (one day twice)
    marks = [base + timedelta(days=d) for d in days]
    got = streaks(marks, today=date(2026, 3, 11), tz=UTC)
    assert (got.current, got.longest, got.days_with_checkins) == (6, 6, 9)
    # no check-in yet today: the streak still counts up to yesterday
    assert streaks(marks, today=date(2026, 3, 12), tz=UTC).current == 6
    assert streaks(marks, today=date(2026, 3, 13), tz=UTC).current == 0
    assert streaks([], today=date(2026, 3, 1)).longest == 0


def test_streak_days_follow_the_listeners_time_zone() -> None:
    # 23:30 UTC on two evenings is the next morning in UTC+2: same two days, but shifted
    evening = [datetime(2026, 3, d, 23, 30, tzinfo=UTC) for d in (1, 2)]
    plus_two = timezone(timedelta(hours=2))
    assert streaks(evening, today=date(2026, 3, 3), tz=plus_two).last_day == date(2026, 3, 3)
    assert streaks(evening, today=date(2026, 3, 3), tz=UTC).last_day == date(2026, 3, 2)


def test_history_groups_sessions_with_counts_and_too_few_flags(engine: Engine) -> None:
    person = create_listener(engine)
    calm = (("c1", "lofi", "calm/relaxed"), ("c2", "lofi", "calm/relaxed"))
    loud = (("l1", "metal", "tense/angry"),)
    # five calm_down sessions with lofi that each move the listener 0.2 closer to the target ...
    for n in range(5):
        s = session(
            engine,
            person.id,
            goal="calm_down",
            before=(-0.4, 0.6),
            at=day(n),
            specs=calm,
            target=(0.6, 0.6),
        )
        record_feedback(engine, s.session.id, "c1", helped=n % 2 == 0, at=day(n, 10))
        finish_session(engine, s.session.id, MoodReport(valence=-0.2, arousal=0.6), at=day(n, 10))
    # ... and two energise sessions with metal that move them away from it
    for n in range(5, 7):
        s = session(
            engine,
            person.id,
            goal="energise",
            before=(0.0, 0.0),
            at=day(n),
            specs=loud,
            target=(0.5, 0.5),
        )
        finish_session(engine, s.session.id, MoodReport(valence=-0.3, arousal=-0.4), at=day(n, 10))
    unfinished = session(engine, person.id, goal="sleep", at=day(7), specs=calm)
    record_checkin(engine, person.id, MoodReport(valence=0.1, arousal=0.0), at=day(8))

    history = listener_history(engine, person.id, today=day(8).date(), tz=UTC)

    assert len(history.sessions) == 8
    assert len(history.checkins) == 5 * 2 + 2 * 2 + 1 + 1
    first = history.sessions[0]
    assert first.delta_valence == pytest.approx(0.2) and first.delta_arousal == 0.0
    assert first.progress == pytest.approx(0.2, abs=1e-3)  # distance to (0.6, 0.6): 1.0 -> 0.8
    assert history.sessions[-1].session_id == unfinished.session.id
    assert history.sessions[-1].finished is False and history.sessions[-1].progress is None

    goals = {g.name: g for g in history.by_goal}
    assert goals["calm_down"].n == 5 and goals["calm_down"].too_few is False
    assert goals["calm_down"].helped == 3 and goals["calm_down"].rated == 5
    assert goals["energise"].n == 2 and goals["energise"].too_few is True
    assert goals["energise"].mean_progress is not None and goals["energise"].mean_progress < 0
    assert goals["sleep"].n == 0 and goals["sleep"].mean_progress is None
    assert [g.name for g in history.by_goal] == ["calm_down", "energise", "sleep"]

    genres = {g.name: g for g in history.by_genre}
    assert genres["lofi"].n == 5 and genres["lofi"].mean_progress == pytest.approx(0.2, abs=1e-3)
    assert genres["metal"].too_few is True
    moods = {g.name: g for g in history.by_mood}
    assert set(moods) == {"calm/relaxed", "tense/angry"}

    assert history.streaks.current == 9 and history.streaks.longest == 9
    payload = history.to_dict()
    assert payload["by_goal"][0]["name"] == "calm_down"
    assert payload["streaks"]["last_day"] == day(8).date().isoformat()


def test_history_of_a_new_listener_is_empty_not_an_error(engine: Engine) -> None:
    person = create_listener(engine)
    history = listener_history(engine, person.id)
    assert history.sessions == () and history.by_goal == () and history.streaks.current == 0


def test_history_from_kept_track_labels_equals_a_fresh_read(engine: Engine) -> None:
    """Finished sessions' labels come from the cache; an open session's swap still shows."""
    from moodtune.sessions.history import FINISHED_TRACK_LABELS
    from moodtune.sessions.service import replace_session_track
    from tests.sessions.factories import tracks

    person = create_listener(engine)
    for n in range(3):
        s = session(engine, person.id, at=day(n))
        record_feedback(engine, s.session.id, "trk-2", helped=True, at=day(n, 10))
        finish_session(engine, s.session.id, MoodReport(valence=0.3, arousal=-0.2), at=day(n, 10))
    open_one = session(engine, person.id, at=day(3))
    listener_history(engine, person.id, today=day(4).date(), tz=UTC)
    kept = dict(FINISHED_TRACK_LABELS.view())
    finished = [s for s in listener_history(engine, person.id).sessions if s.finished]
    assert len(finished) == 3 and {s.session_id for s in finished} <= set(kept)
    assert open_one.session.id not in kept

    [metal] = tracks(("trk-9", "metal", "tense/angry"))
    replace_session_track(engine, open_one.session.id, 0, metal, listener_id=person.id)
    cached = listener_history(engine, person.id, today=day(4).date(), tz=UTC).to_dict()
    assert cached["sessions"][-1]["genres"] == ("lofi", "metal")

    saved = dict(FINISHED_TRACK_LABELS.view())
    FINISHED_TRACK_LABELS._labels.clear()  # a read with nothing kept reads every track
    try:
        uncached = listener_history(engine, person.id, today=day(4).date(), tz=UTC).to_dict()
    finally:
        FINISHED_TRACK_LABELS._labels.update(saved)
    assert cached == uncached
