"""The application layer's listener views: history pages stay bounded as history grows."""

from __future__ import annotations

from typing import Any

import pytest

from moodtune import app as mt
from moodtune.app.services import Services
from moodtune.errors import InputError
from moodtune.sessions import MoodReport, create_listener


def test_history_pages_sessions_from_the_newest_and_counts_everything(
    services: Services,
) -> None:
    person = create_listener(services.engine)
    ids = []
    for k in range(7):
        view = mt.start_journey(
            services, person.id, goal="calm_down", tracks=3,
            mood=MoodReport(valence=-0.5 + k / 20, arousal=0.5),
        )  # fmt: skip
        mt.finish_journey(services, person.id, view.id, MoodReport(valence=0.2, arousal=-0.2))
        ids.append(view.id)
    mt.check_in(services, person.id, MoodReport(valence=0.4, arousal=0.1))

    first = mt.history_view(services, person.id, sessions_limit=3, checkins_limit=4)
    assert [s.id for s in first.sessions] == ids[4:]  # the newest three, oldest first
    assert (first.sessions_total, first.sessions_offset, first.older_sessions) == (7, 0, True)
    assert first.checkins_total == 15 and len(first.checkins) == 4  # 7 before, 7 after, 1
    assert first.checkins[-1].mood is not None and first.checkins[-1].mood.valence == 0.4
    assert first.by_goal[0].n == 7  # what helped counts every session, not just the page

    last = mt.history_view(services, person.id, sessions_offset=6, sessions_limit=3)
    assert [s.id for s in last.sessions] == ids[:1] and not last.older_sessions
    beyond = mt.history_view(services, person.id, sessions_offset=50, sessions_limit=3)
    assert beyond.sessions == () and beyond.sessions_total == 7

    page, total = mt.checkin_page(services, person.id, offset=1, limit=2)
    everything, _ = mt.checkin_page(services, person.id, offset=0, limit=100)
    assert total == 15 and [c.id for c in page] == [c.id for c in everything[1:3]]
    assert [c.created_at for c in everything] == sorted(
        (c.created_at for c in everything), reverse=True
    )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"sessions_limit": 0}, "sessions_limit"), ({"sessions_offset": -1}, "offset"),
     ({"checkins_limit": mt.HISTORY_CHECKINS + 1}, "checkins_limit"),
     ({"tz": "Mars/Olympus_Mons"}, "tz"), ({"tz": "../../etc/passwd"}, "tz"), ({"tz": ""}, "tz")],
)  # fmt: skip
def test_history_refuses_bad_pages_naming_the_field(
    services: Services, kwargs: dict[str, Any], field: str
) -> None:
    person = create_listener(services.engine)
    with pytest.raises(InputError) as info:
        mt.history_view(services, person.id, **kwargs)
    assert info.value.field == field


def test_streak_days_are_the_listeners_calendar_days(services: Services) -> None:
    """Two check-ins an hour apart across midnight UTC: two days on UTC, one in Tokyo (09:30
    and 10:30 there) and in New York (18:30 and 19:30 the evening before)."""
    from datetime import UTC, datetime, timedelta

    from moodtune.sessions import record_checkin

    person = create_listener(services.engine)
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    midnight -= timedelta(days=10)
    for at in (midnight - timedelta(minutes=30), midnight + timedelta(minutes=30)):
        record_checkin(services.engine, person.id, MoodReport(valence=0.1, arousal=0.2), at=at)
    days = {
        tz: mt.history_view(services, person.id, tz=tz).streaks.days_with_checkins
        for tz in ("UTC", "Asia/Tokyo", "America/New_York")
    }
    assert days == {"UTC": 2, "Asia/Tokyo": 1, "America/New_York": 1}
    view = mt.history_view(services, person.id, tz="Asia/Tokyo")
    assert view.time_zone == "Asia/Tokyo" and view.streaks.longest == 1
    assert mt.history_view(services, person.id, tz="UTC").streaks.longest == 2
