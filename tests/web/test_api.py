"""The JSON API end to end, in-process, on SQLite and PostgreSQL: what a listener does, in order,
then ownership, errors (problem+json naming the field) and the local-only guard."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from moodtune import app as moodtune_app
from moodtune.app.services import Services
from moodtune.sessions.service import MoodReport
from tests.web.conftest import SURVEY

API = "/api/v1"
PROBLEM = "application/problem+json"
MOOD = {"valence": -0.5, "arousal": 0.6, "words": ["anxious"]}


def start(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post(
        f"{API}/sessions", json={"goal": "calm_down", "mood": MOOD, "tracks": 6, **body}
    )
    assert response.status_code == 201, response.text
    session: dict[str, Any] = response.json()
    return session


def assert_problem(response: Any, status: int, *, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["detail"]
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    return body


@pytest.mark.slow
def test_a_listener_from_setup_to_history(client: TestClient, api_listener: dict[str, Any]) -> None:
    assert api_listener["display_name"] == "Ana"
    assert api_listener["has_profile"] is True
    again = client.post(f"{API}/listener", json={"display_name": "Bo"})
    assert_problem(again, 409)

    survey = client.put(f"{API}/listener/survey", json={**SURVEY, "anxiety": 2})
    assert survey.status_code == 200, survey.text
    assert survey.json()["profile"]["anxiety"] == 2
    me = client.get(f"{API}/listener").json()
    assert me["listener"]["id"] == api_listener["id"]
    assert me["persona"] is not None
    assert me["genres"]

    checkin = client.post(f"{API}/checkins", json={"valence": 0.2, "arousal": -0.1})
    assert checkin.status_code == 201, checkin.text
    assert checkin.json()["mood"]["valence"] == 0.2

    session = start(client)
    assert session["goal"] == "calm_down"
    assert len(session["tracks"]) == 6
    assert [t["number"] for t in session["tracks"]] == [1, 2, 3, 4, 5, 6]
    assert session["before"]["valence"] == -0.5
    assert session["finished_at"] is None
    sid = session["id"]
    assert client.get(f"{API}/sessions/{sid}").json()["tracks"] == session["tracks"]

    liked = client.post(
        f"{API}/sessions/{sid}/tracks/2/feedback", json={"thumbs": 1, "helped": True}
    )
    assert liked.status_code == 200, liked.text
    second = liked.json()["tracks"][1]
    assert second["feedback"] == {
        "thumbs": 1, "helped": True, "played": None, "skipped_after_s": None
    }  # fmt: skip

    old = session["tracks"][2]["track_id"]
    swapped = client.post(f"{API}/sessions/{sid}/tracks/3/swap")
    assert swapped.status_code == 200, swapped.text
    new = swapped.json()["tracks"][2]
    assert new["track_id"] != old
    assert new["track_id"] not in {t["track_id"] for t in session["tracks"]}
    assert new["reason"].startswith("swapped in")

    done = client.post(f"{API}/sessions/{sid}/finish", json={"valence": 0.1, "arousal": -0.2})
    assert done.status_code == 200, done.text
    finished = done.json()
    assert finished["finished_at"] is not None
    assert finished["after"]["valence"] == 0.1
    assert finished["change"]["progress"] > 0
    assert_problem(client.post(f"{API}/sessions/{sid}/tracks/1/swap"), 422, field="session")

    history = client.get(f"{API}/history").json()
    assert [s["id"] for s in history["sessions"]] == [sid]
    assert history["sessions"][0]["finished"] is True
    kinds = sorted(c["kind"] for c in history["checkins"])
    assert kinds == ["after", "before", "standalone"]
    checkins = client.get(f"{API}/checkins", params={"limit": 2}).json()
    assert checkins["total"] == 3
    assert len(checkins["items"]) == 2


@pytest.mark.slow
def test_sessions_list_pages(client: TestClient, api_listener: dict[str, Any]) -> None:
    ids = [start(client, goal=goal)["id"] for goal in ("calm_down", "focus", "stay")]
    everything = client.get(f"{API}/sessions").json()
    assert everything["total"] == 3
    assert [s["id"] for s in everything["items"]] == ids[::-1]  # newest first
    page = client.get(f"{API}/sessions", params={"offset": 1, "limit": 1}).json()
    assert page == {**page, "total": 3, "offset": 1, "limit": 1}
    assert [s["id"] for s in page["items"]] == [ids[1]]
    past_the_end = client.get(f"{API}/sessions", params={"offset": 5}).json()
    assert past_the_end["items"] == []
    assert past_the_end["total"] == 3
    assert_problem(client.get(f"{API}/sessions", params={"limit": 0}), 422, field="limit")


@pytest.mark.slow
def test_explore_search_track_similar_map_and_song_paths(
    client: TestClient, api_listener: dict[str, Any]
) -> None:
    found = client.get(f"{API}/tracks", params={"q": "love", "limit": 5})
    assert found.status_code == 200, found.text
    page = found.json()
    assert page["total"] > 5
    assert len(page["items"]) == 5
    assert all("love" in (t["name"] + t["artists"]).lower() for t in page["items"])
    first, other = page["items"][0]["track_id"], page["items"][1]["track_id"]

    track = client.get(f"{API}/tracks/{first}").json()
    assert track["track_id"] == first
    similar = client.get(f"{API}/tracks/{first}/similar", params={"k": 4}).json()
    assert similar["seed"]["track_id"] == first
    assert len(similar["similar"]) == 4
    assert first not in [s["track"]["track_id"] for s in similar["similar"]]
    assert all(s["reason"] for s in similar["similar"])

    mood_map = client.get(f"{API}/mood-map")
    assert mood_map.status_code == 200, mood_map.text

    to_mood = client.post(
        f"{API}/song-paths", json={"from_track": first, "to_mood": "calm", "tracks": 5}
    )
    assert to_mood.status_code == 200, to_mood.text
    assert len(to_mood.json()["tracks"]) == 5
    assert to_mood.json()["tracks"][0]["track_id"] == first
    to_track = client.post(
        f"{API}/song-paths", json={"from_track": first, "to_track": other, "tracks": 4}
    ).json()
    assert [t["track_id"] for t in to_track["tracks"][:: len(to_track["tracks"]) - 1]] == [
        first,
        other,
    ]
    started = client.post(
        f"{API}/song-paths/session",
        json={"from_track": first, "to_mood": "0.5,-0.5", "tracks": 3, "mood": MOOD},
    )
    assert started.status_code == 201, started.text
    assert started.json()["goal"] == "stay"
    assert_problem(
        client.post(f"{API}/song-paths", json={"from_track": first}), 422, field="to_track"
    )


@pytest.mark.slow
def test_export_has_everything_and_delete_removes_it(
    client: TestClient, api_listener: dict[str, Any]
) -> None:
    session = start(client)
    sid = session["id"]
    client.post(f"{API}/sessions/{sid}/tracks/1/feedback", json={"played": True})
    client.post(f"{API}/checkins", json={"words": ["calm"]})

    exported = client.get(f"{API}/listener/export")
    assert exported.status_code == 200
    assert "attachment" in exported.headers["content-disposition"]
    body = exported.json()
    assert body["listener_id"] == api_listener["id"]
    tables = body["tables"]
    assert [s["id"] for s in tables["listening_sessions"]] == [sid]
    assert len(tables["mood_checkins"]) == 2
    assert len(tables["track_feedback"]) == 1
    assert {t["track_id"] for t in tables["session_tracks"]} == {
        t["track_id"] for t in session["tracks"]
    }

    removed = client.delete(f"{API}/listener")
    assert removed.status_code == 200, removed.text
    counts = removed.json()
    assert counts["listening_sessions"] == 1
    assert counts["mood_checkins"] == 2
    for path in ("/listener", f"/sessions/{sid}", "/history", "/listener/export"):
        assert_problem(client.get(API + path), 404)
    # the machine can be set up afresh
    assert client.post(f"{API}/listener", json={}).status_code == 201
    assert client.get(f"{API}/sessions").json()["total"] == 0


@pytest.mark.slow
def test_another_listeners_session_is_not_found_never_shown(
    client: TestClient, api_listener: dict[str, Any], services: Services
) -> None:
    other = moodtune_app.onboard(services, profile=None, display_name="someone else")
    theirs = moodtune_app.start_journey(
        services, other.id, goal="focus", mood=MoodReport(valence=0.3, arousal=0.3), tracks=3
    )
    for response in (
        client.get(f"{API}/sessions/{theirs.id}"),
        client.post(f"{API}/sessions/{theirs.id}/tracks/1/feedback", json={"thumbs": 1}),
        client.post(f"{API}/sessions/{theirs.id}/tracks/1/swap"),
        client.post(f"{API}/sessions/{theirs.id}/finish", json={"valence": 0, "arousal": 0}),
    ):
        body = assert_problem(response, 404)
        assert theirs.tracks[0].track_id not in response.text
        assert "someone else" not in str(body)
    assert client.get(f"{API}/sessions").json()["total"] == 0
    # and nothing was written to their session
    still = moodtune_app.session_view(services, other.id, theirs.id)
    assert still.finished_at is None
    assert all(t.feedback is None for t in still.tracks)


@pytest.mark.slow
def test_unknown_ids_are_404_problems(client: TestClient, api_listener: dict[str, Any]) -> None:
    session = start(client, tracks=3)
    for response in (
        client.get(f"{API}/sessions/no-such-session"),
        client.post(f"{API}/sessions/no-such-session/tracks/1/feedback", json={"thumbs": 1}),
        client.get(f"{API}/tracks/no-such-track"),
        client.get(f"{API}/tracks/no-such-track/similar"),
        client.post(f"{API}/sessions/{session['id']}/tracks/9/feedback", json={"thumbs": 1}),
    ):
        assert_problem(response, 404)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/checkins", {"valence": 5, "arousal": 0}, "valence"),
        ("/checkins", {"valence": "0.5", "arousal": 0}, "valence"),
        ("/checkins", {"valence": 0, "arousal": 0, "mood": "ok"}, "mood"),
        ("/listener/survey", {**SURVEY, "anxiety": True}, "anxiety"),
        ("/listener/survey", {k: v for k, v in SURVEY.items() if k != "ocd"}, "ocd"),
        ("/sessions", {"goal": "be_happy", "mood": MOOD}, "goal"),
        ("/sessions", {"goal": "focus", "mood": {"valence": 0, "arousal": -3}}, "mood.arousal"),
        ("/sessions", {"goal": "focus", "mood": MOOD, "tracks": 1}, "tracks"),
        ("/sessions", {"goal": "focus", "mood": MOOD, "tracks": 4, "minutes": 10}, "tracks"),
        ("/sessions", {"goal": "focus", "mood": MOOD, "extra": 1}, "extra"),
    ],
)
def test_bad_bodies_are_422_problems_naming_the_field(
    client: TestClient, api_listener: dict[str, Any], path: str, body: dict[str, Any], field: str
) -> None:
    method = client.put if path.endswith("survey") else client.post
    problem = assert_problem(method(API + path, json=body), 422, field=field)
    assert problem["title"] == "Invalid input"


@pytest.mark.slow
def test_without_a_listener_routes_say_how_to_make_one(client: TestClient) -> None:
    problem = assert_problem(client.get(f"{API}/sessions"), 404)
    assert "POST /api/v1/listener" in problem["detail"]
    assert client.get(f"{API}/support").status_code == 200


@pytest.mark.slow
def test_cross_site_and_non_local_requests_are_refused(
    client: TestClient, api_listener: dict[str, Any]
) -> None:
    evil = client.post(
        f"{API}/checkins",
        json={"valence": 0, "arousal": 0},
        headers={"Origin": "https://evil.example"},
    )
    assert_problem(evil, 403)
    fetched = client.post(
        f"{API}/checkins",
        json={"valence": 0, "arousal": 0},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert_problem(fetched, 403)
    same = client.post(
        f"{API}/checkins",
        json={"valence": 0, "arousal": 0},
        headers={"Origin": "http://testserver"},
    )
    assert same.status_code == 201
    for local in ("LOCALHOST:8000", "127.0.0.1:8000", "[::1]:8000"):
        assert client.get(f"{API}/support", headers={"Host": local}).status_code == 200
    rebound = client.get(f"{API}/sessions", headers={"Host": "evil.example"})
    assert_problem(rebound, 400)
    assert client.get(f"{API}/checkins").json()["total"] == 1  # the refused ones wrote nothing
