"""Mood tracking: change per session, what helped (with counts), streaks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

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


def test_streaks_list_the_recent_days_with_a_check_in() -> None:
    base = datetime(2026, 3, 1, 12, tzinfo=UTC)
    marks = [base - timedelta(days=62), base - timedelta(days=61), base, base, base + timedelta(1)]
    got = streaks(marks, today=date(2026, 3, 2), tz=UTC)
    # RECENT_DAYS = 63, today included: 30 December is the first day in, 29 December is out
    assert got.as_of == date(2026, 3, 2)
    assert got.recent_days == (date(2025, 12, 30), date(2026, 3, 1), date(2026, 3, 2))
    assert streaks([], today=date(2026, 3, 2)).as_of == date(2026, 3, 2)


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


def _read(engine: Engine, listener_id: str, *, today: date) -> dict[str, Any]:
    """The history page's read (the latest 10 check-ins) as a JSON-ready dict."""
    return listener_history(engine, listener_id, today=today, tz=UTC, checkins_limit=10).to_dict()


def _fresh(engine: Engine, listener_id: str, *, today: date) -> dict[str, Any]:
    """:func:`_read` with nothing kept (every session and check-in time read again)."""
    from moodtune.sessions.history import CHECKIN_DAYS, FINISHED_SESSIONS

    kept = dict(FINISHED_SESSIONS.view())
    FINISHED_SESSIONS.clear()
    CHECKIN_DAYS.clear()
    try:
        return _read(engine, listener_id, today=today)
    finally:
        FINISHED_SESSIONS.keep(kept)
        CHECKIN_DAYS.clear()


def test_history_from_kept_sessions_equals_a_fresh_read(engine: Engine) -> None:
    """Finished sessions come from the cache with their helped counts recounted (a late answer
    shows); an open session's swap and finish still show."""
    from moodtune.sessions.history import FINISHED_SESSIONS
    from moodtune.sessions.service import replace_session_track
    from tests.sessions.factories import tracks

    person = create_listener(engine)
    done = []
    for n in range(3):
        s = session(engine, person.id, at=day(n))
        record_feedback(engine, s.session.id, "trk-2", helped=True, at=day(n, 10))
        finish_session(engine, s.session.id, MoodReport(valence=0.3, arousal=-0.2), at=day(n, 10))
        done.append(s.session.id)
    open_one = session(engine, person.id, at=day(3))
    today = day(4).date()
    _read(engine, person.id, today=today)
    kept = FINISHED_SESSIONS.view()
    assert set(done) <= set(kept) and open_one.session.id not in kept

    [metal] = tracks(("trk-9", "metal", "tense/angry"))
    replace_session_track(engine, open_one.session.id, 0, metal, listener_id=person.id)
    cached = _read(engine, person.id, today=today)
    assert cached["sessions"][-1]["genres"] == ("lofi", "metal")
    assert cached == _fresh(engine, person.id, today=today)

    # a late answer on a finished session, then the open one finishes
    record_feedback(engine, done[-1], "trk-1", helped=False, at=day(2, 11))
    finish_session(engine, open_one.session.id, MoodReport(valence=0.1, arousal=0.1), at=day(3, 10))
    cached = _read(engine, person.id, today=today)
    changes = {c["session_id"]: c for c in cached["sessions"]}
    assert (changes[done[-1]]["tracks_helped"], changes[done[-1]]["tracks_rated_helped"]) == (1, 2)
    assert changes[open_one.session.id]["finished"] and open_one.session.id in kept
    assert cached == _fresh(engine, person.id, today=today)


def test_checkin_days_are_read_incrementally_and_stay_exact(engine: Engine) -> None:
    """Later reads ask only for new check-in times; one written with an earlier time than one
    already counted (commit order is not time order) is not missed: the count tells."""
    from moodtune.sessions.history import CHECKIN_DAYS

    person = create_listener(engine)
    today = day(6).date()

    def check_in(n: int) -> None:
        record_checkin(engine, person.id, MoodReport(valence=0.0, arousal=0.0), at=day(n))

    for n in (0, 1, 2):
        check_in(n)
    CHECKIN_DAYS.clear()
    _read(engine, person.id, today=today)
    full_reads = CHECKIN_DAYS.full_reads

    check_in(3)
    check_in(4)
    got = _read(engine, person.id, today=today)
    assert CHECKIN_DAYS.full_reads == full_reads  # only the two new times were read
    assert got["streaks"]["longest"] == 5 and got["checkins_total"] == 5
    assert got == _fresh(engine, person.id, today=today)

    _read(engine, person.id, today=today)
    full_reads = CHECKIN_DAYS.full_reads
    # the same time as the latest counted, then one days before it: both must count
    check_in(4)
    check_in(-3)
    _read(engine, person.id, today=today)
    got = _read(engine, person.id, today=today)
    assert CHECKIN_DAYS.full_reads == full_reads + 1
    assert got["checkins_total"] == 7 and got["streaks"]["days_with_checkins"] == 6
    assert got == _fresh(engine, person.id, today=today)


def test_deleting_a_listener_drops_what_the_history_kept_of_them(engine: Engine) -> None:
    from moodtune.sessions import delete_listener
    from moodtune.sessions.history import CHECKIN_DAYS, FINISHED_SESSIONS

    person, other = create_listener(engine), create_listener(engine)
    for who in (person, other):
        s = session(engine, who.id, at=day(0))
        finish_session(engine, s.session.id, MoodReport(valence=0.3, arousal=-0.2), at=day(0, 10))
        _read(engine, who.id, today=day(1).date())
    kept = {k: v.listener_id for k, v in FINISHED_SESSIONS.view().items()}
    assert person.id in kept.values() and other.id in kept.values()
    delete_listener(engine, person.id)
    left = {v.listener_id for v in FINISHED_SESSIONS.view().values()}
    assert person.id not in left and other.id in left
    assert not any(key[0] == person.id for key in CHECKIN_DAYS._kept)
    assert any(key[0] == other.id for key in CHECKIN_DAYS._kept)
