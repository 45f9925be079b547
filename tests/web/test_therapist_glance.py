"""A therapist's listeners at a glance, against the listener's own history: sessions, finished
ones, mean and latest before→after change, last check-in and sessions per week, counted over
the whole history (more sessions than one history page holds)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.accounts_helpers import sign_up

SESSIONS = 53  # more than the history page's 50


@pytest.mark.slow
def test_the_glance_counts_the_whole_history(multi_app: Any) -> None:
    listener = sign_up(multi_app, "glanced")
    therapist = sign_up(multi_app, "dr-glance")
    code = listener.api("POST", "/api/v1/invites", json={}).json()["code"]
    assert therapist.api("POST", "/api/v1/therapist/links", json={"code": code}).status_code == 201

    for n in range(SESSIONS):
        start = {"valence": -0.6 + 0.01 * n, "arousal": 0.5}
        made = listener.api("POST", "/api/v1/sessions",
                            json={"goal": "calm_down", "mood": start, "tracks": 3})  # fmt: skip
        assert made.status_code == 201, made.text
        if n % 4 != 3:  # every fourth journey is left open
            after = {"valence": 0.1 + 0.005 * n, "arousal": -0.2 + 0.004 * n}
            done = listener.api("POST", f"/api/v1/sessions/{made.json()['id']}/finish",
                                json=after)  # fmt: skip
            assert done.status_code == 200, done.text

    own = listener.api("GET", "/api/v1/history", params={"sessions_limit": 100}).json()
    assert own["sessions_total"] == SESSIONS and len(own["sessions"]) == SESSIONS
    finished = [s for s in own["sessions"] if s["finished"] and s["progress"] is not None]
    changes = [s["progress"] for s in finished]
    assert len(changes) == SESSIONS - SESSIONS // 4

    (glance,) = therapist.api("GET", "/api/v1/therapist/listeners").json()["items"]
    assert glance["sessions"] == SESSIONS
    assert glance["finished"] == len(changes)
    assert glance["mean_change"] == pytest.approx(sum(changes) / len(changes), abs=1e-3)
    assert glance["last_change"] == pytest.approx(changes[-1], abs=1e-3)
    assert glance["sessions_per_week"] == pytest.approx(SESSIONS / 4, abs=0.01)  # all in 28 days
    latest = listener.api("GET", "/api/v1/checkins", params={"limit": 1}).json()["items"][0]
    assert glance["last_checkin_at"] == latest["created_at"]
    page = therapist.browser.get("/therapist").text
    assert f"{SESSIONS} sessions" in page or str(SESSIONS) in page
