"""The Me page, in-process on SQLite and PostgreSQL: the honest "will music help" estimate in
plain words with its uncertainty, genres each with its reason (the same the API gives), and a
listener who skipped the survey is told so, with the way back to it."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from tests.web.conftest import SURVEY


def test_the_estimate_and_the_genres_with_their_reasons(client: TestClient) -> None:
    made = client.post("/api/v1/listener", json={"display_name": "Mo", "survey": SURVEY})
    assert made.status_code == 201, made.text
    me = client.get("/api/v1/listener").json()
    page = html.unescape(client.get("/me").text)
    section = re.search(r'aria-labelledby="effect-title">(.*?)</section>', page, re.S)
    assert section is not None
    shares = [int(p) for p in re.findall(r'<span class="small">(\d+)%</span>', section.group(1))]
    assert len(shares) == 3 and abs(sum(shares) - 100) <= 2  # three outcomes, rounded
    for words in ("It helps", "No difference", "It makes things worse", "How sure is this?"):
        assert words in section.group(1)
    assert me["effect"]["message"] in section.group(1)  # the uncertainty, in words
    assert re.search(r"macro-F1 [\d.]+ against [\d.]+ for the best trivial guess", section.group(1))
    assert me["genres"], "no genre suggestions"
    for genre in me["genres"]:
        assert genre["reason"].strip()
        assert f"<strong>{genre['genre']}</strong>" in page and genre["reason"] in page
    assert "You skipped the questions" not in page


def test_a_listener_who_skipped_the_survey_is_told_and_shown_the_way_back(
    client: TestClient,
) -> None:
    assert client.post("/api/v1/listener", json={"display_name": "Lu"}).status_code == 201
    page = client.get("/me").text
    assert "You skipped the questions" in page
    assert re.search(r'<a class="btn btn--primary" href="/survey">Answer the questions</a>', page)
    assert 'id="effect-title"' not in page  # no estimate about a person it knows nothing of
    # and a journey still works for them (cold start)
    started = client.post("/api/v1/sessions", json={
        "goal": "lift_mood", "mood": {"valence": -0.4, "arousal": -0.2}, "tracks": 4,
    })  # fmt: skip
    assert started.status_code == 201, started.text
