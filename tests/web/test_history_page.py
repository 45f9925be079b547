"""The history page in-process, on SQLite and PostgreSQL: after enough finished journeys it shows
the before → after arrows, the "what helped" bars with their counts and the streak calendar."""

from __future__ import annotations

import html
import json
import re
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

API = "/api/v1"
FIGURE = re.compile(
    r'<div class="plot" data-figure role="img" aria-label="([^"]*)"[^>]*>'
    r'<script type="application/json">(.*?)</script>',
    re.S,
)


def figures(page: str) -> dict[str, dict[str, Any]]:
    """The page's figures by their accessible label."""
    return {
        html.unescape(label): json.loads(spec.replace("<\\/", "</"))
        for label, spec in FIGURE.findall(page)
    }


def finish_journey(client: TestClient, *, helped: bool) -> None:
    before = {"valence": -0.5, "arousal": 0.6, "words": ["anxious"]}
    body = {"goal": "calm_down", "mood": before, "tracks": 4}
    started = client.post(f"{API}/sessions", json=body)
    assert started.status_code == 201, started.text
    sid = started.json()["id"]
    if helped:
        answer = client.post(f"{API}/sessions/{sid}/tracks/1/feedback", json={"helped": True})
        assert answer.status_code == 200, answer.text
    done = client.post(f"{API}/sessions/{sid}/finish", json={"valence": 0.1, "arousal": -0.2})
    assert done.status_code == 200, done.text


@pytest.mark.slow
def test_history_page_plots_journeys_what_helped_and_streaks(
    client: TestClient, api_listener: dict[str, Any]
) -> None:
    for number in range(4):
        finish_journey(client, helped=number == 0)
    early = client.get("/history")
    assert early.status_code == 200
    assert "Too early to tell" in early.text
    assert not [label for label in figures(early.text) if label.startswith("What helped")]

    finish_journey(client, helped=False)  # the fifth: enough for "what helped"
    page = client.get("/history")
    assert page.status_code == 200
    assert "Too early to tell" not in page.text
    assert '<script src="/static-vendor/plotly.min.js" defer></script>' in page.text
    shown = figures(page.text)

    (arrows,) = [s for label, s in shown.items() if label.startswith("Before and after")]
    (closer,) = arrows["data"]  # every journey went from anxious toward calm
    assert closer["name"] == "closer to your target"
    assert closer["x"] == [-0.5, 0.1, None] * 5
    assert "5 finished journeys" in page.text

    (by_goal,) = [s for label, s in shown.items() if label.startswith("What helped, by goal.")]
    (bars,) = by_goal["data"]
    assert bars["y"] == ["Calm down"] and bars["text"] == ["n = 5"]
    assert bars["x"][0] > 0
    assert [label for label in shown if label.startswith("What helped, by genre")]
    assert '<td class="num">n = 5</td><td class="num">1 of 1</td>' in page.text  # the table

    (calendar,) = [s for label, s in shown.items() if label.startswith("Calendar of the last")]
    ticks = [t for row in calendar["data"][0]["text"] for t in row if t]
    assert ticks == ["\u2713"]  # every check-in today: one day
    # a one-day run is stated too, in words beside the calendar and in the lede
    assert "Days in a row with a check-in: 1 now, 1 at most." in page.text
    assert "10 check-ins on 1 day; 5 journeys. Days in a row with a check-in: 1." in page.text
    assert '<td>this week</td><td class="num">1</td>' in page.text
    streaks = client.get(f"{API}/history").json()["streaks"]  # the API carries the days too
    assert streaks["recent_days"] == [streaks["as_of"]] == [date.today().isoformat()]


def test_times_and_streak_days_are_in_the_listeners_time_zone(
    client: TestClient, api_listener: dict[str, Any], services: Any
) -> None:
    """A check-in at 23:30 UTC is 08:30 the next morning in Tokyo: the page (zone from the
    browser's cookie) and the API (``tz``) show it there and count that day; a zone that is
    not one is a 422 naming ``tz`` in the API and ignored in a cookie."""
    from datetime import UTC, datetime

    from moodtune.sessions import MoodReport, record_checkin

    at = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)
    record_checkin(services.engine, api_listener["id"], MoodReport(0.2, 0.1), at=at)
    record_checkin(
        services.engine, api_listener["id"], MoodReport(0.3, 0.1), at=at.replace(hour=12)
    )

    tokyo = client.get(f"{API}/history", params={"tz": "Asia/Tokyo"}).json()
    assert tokyo["time_zone"] == "Asia/Tokyo"
    assert tokyo["streaks"]["days_with_checkins"] == 2  # 20 Nov 21:00 and 21 Nov 08:30
    assert (
        client.get(f"{API}/history", params={"tz": "UTC"}).json()["streaks"]["days_with_checkins"]
        == 1
    )
    bad = client.get(f"{API}/history", params={"tz": "Mars/Olympus_Mons"})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith(
        "application/problem+json"
    )
    assert "Mars/Olympus_Mons" in bad.json()["detail"] and "tz" in bad.text

    client.cookies.set("moodtune_tz", "Asia/Tokyo")
    page = client.get("/history").text
    assert "When (Asia/Tokyo)" in page and "21 Nov 2026 08:30" in page
    client.cookies.set("moodtune_tz", "Not/AZone")
    page = client.get("/history")
    here = at.astimezone().strftime("%d %b %Y %H:%M")  # this machine's zone
    assert page.status_code == 200 and here in page.text
