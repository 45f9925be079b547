"""Consent settings and the answers a track card offers, in-process on SQLite and PostgreSQL:
the Me page's consent form and the API change what is kept (turning notes off erases the notes
already kept), a note is screened for risk whether or not it is kept, and "Skipped it" is
stored as not played, from the page form as from the API."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

API = "/api/v1"
RISKY = "I want to end my life tonight"


def _notes_in_export(client: TestClient) -> list[str]:
    export = client.get(f"{API}/listener/export").json()
    text = repr(export)
    return re.findall(r"(quiet walk|" + re.escape(RISKY) + ")", text)


def test_consent_from_the_api_and_the_me_page(client: TestClient) -> None:
    made = client.post(f"{API}/listener", json={"display_name": "Noa", "keep_notes": True})
    assert made.status_code == 201, made.text
    kept = client.post(f"{API}/checkins", json={"valence": 0.1, "arousal": 0.0,
                                                "note": "a quiet walk helped"})  # fmt: skip
    assert kept.status_code == 201 and kept.json()["note_kept"] is True
    assert _notes_in_export(client) == ["quiet walk"]

    off = client.patch(f"{API}/listener/consent", json={"keep_notes": False})
    assert off.status_code == 200, off.text
    assert client.get(f"{API}/listener").json()["listener"]["consent_notes"] is False
    assert _notes_in_export(client) == []  # erased, not just hidden

    # screened either way: not kept, but the answer carries the crisis resources
    risky = client.post(f"{API}/checkins", json={"valence": -0.8, "arousal": 0.6, "note": RISKY})
    assert risky.status_code == 201
    assert risky.json()["note_kept"] is False and risky.json()["support"]["at_risk"] is True
    assert _notes_in_export(client) == []

    # the Me page's form: ticked boxes are "yes", an unticked box is absent
    page = client.post("/me/consent", data={"consent_notes": "yes"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/me?saved=consent")
    listener = client.get(f"{API}/listener").json()["listener"]
    assert listener["consent_notes"] is True and listener["consent_learning"] is False
    me = client.get("/me").text
    assert re.search(r'name="consent_notes" value="yes"\s+checked', me)
    assert not re.search(r'name="consent_learning" value="yes"\s+checked', me)
    assert "Saved." in client.get("/me?saved=consent").text


def test_a_risky_note_on_the_check_in_page_shows_help_first(client: TestClient) -> None:
    assert client.post(f"{API}/listener", json={"display_name": "Ira"}).status_code == 201
    answer = client.post("/checkin", data={"valence": "-0.8", "arousal": "0.6",
                                           "note": RISKY, "action": "checkin"})  # fmt: skip
    assert answer.status_code == 200, answer.text[:300]
    assert 'id="support-title"' in answer.text and "Support is available" in answer.text
    calm = client.post("/checkin", data={"valence": "0.3", "arousal": "0.1",
                                         "note": "a good day", "action": "checkin"})  # fmt: skip
    assert calm.status_code == 200 and 'id="support-title"' not in calm.text
    assert _notes_in_export(client) == []  # no consent: screened, not kept


def test_skipped_it_is_stored_as_not_played(client: TestClient) -> None:
    assert client.post(f"{API}/listener", json={"display_name": "Sam"}).status_code == 201
    session = client.post(f"{API}/sessions", json={
        "goal": "lift_mood", "mood": {"valence": -0.5, "arousal": -0.3}, "tracks": 5,
    }).json()  # fmt: skip
    journey = f"/journey/{session['id']}"
    page = client.post(f"{journey}/tracks/2/feedback", data={"answer": "skip"},
                       follow_redirects=False)  # fmt: skip
    assert page.status_code in (200, 303), page.text[:300]
    api = client.post(f"{API}/sessions/{session['id']}/tracks/3/feedback", json={"played": False})
    assert api.status_code in (200, 201), api.text
    tracks = client.get(f"{API}/sessions/{session['id']}").json()["tracks"]
    answers = {t["number"]: t["feedback"] for t in tracks}
    assert answers[2]["played"] is False and answers[3]["played"] is False
    assert answers[1] is None
    card = client.get(journey).text
    skipped = re.search(r'id="track-2".*?</li>', card, re.S)
    assert skipped is not None
    assert re.search(r'aria-pressed="true"><svg[^>]*>.*?icon-skip', skipped.group(0), re.S)
