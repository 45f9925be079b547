"""Per-listener isolation, generated from the app's route table: a route added later is tested
the moment it exists (an unknown path parameter fails the test until it is mapped here).

Every route and API operation, asked by someone else (another listener, an unlinked or a
revoked therapist) for a listener's ids, answers 404 and never the data; without signing in,
the API answers 401 problem+json and pages send the browser to sign in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from moodtune.web.auth import is_public
from tests.web.accounts_helpers import Person, sign_up

VICTIM_NOTE = "victim-note-umbrella-5521"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
#: Path parameters that name the shared catalog (nobody's data): no owner to isolate.
CATALOG_PARAMS = {"track_id"}
#: A valid JSON body for each API operation that takes one (so the ownership check is reached
#: rather than a 422); a new operation with a body fails the test until it is listed here.
API_BODIES: dict[str, dict[str, Any]] = {
    "/api/v1/sessions/{session_id}/tracks/{number}/feedback": {"thumbs": 1},
    "/api/v1/sessions/{session_id}/finish": {"valence": 0.3, "arousal": -0.2},
    "/api/v1/links/{link_id}": {"share_notes": True},
    "/api/v1/therapist/listeners/{listener_id}/suggestions": {"goal": "calm_down"},
}
PAGE_FORMS: dict[str, dict[str, str]] = {
    "/journey/{session_id}/tracks/{number}/feedback": {"answer": "up"},
    "/journey/{session_id}/finish": {"valence": "0.3", "arousal": "-0.2"},
    "/account/links/{link_id}/notes": {"share_notes": "yes"},
    "/therapist/{listener_id}/suggest": {"goal": "calm_down"},
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    params: tuple[str, ...]
    has_body: bool

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")


def route_table(app: FastAPI) -> list[Operation]:
    """Every (method, path) the app answers, from its route table (mounts have no methods)."""
    out = []
    for route in iter_route_contexts(app.routes):
        path = str(route.path)
        for method in sorted((route.methods or set()) - {"HEAD"}):
            params = tuple(re.findall(r"{(\w+)(?::\w+)?}", path))
            body = getattr(route.route, "body_field", None) is not None
            out.append(Operation(method, path, params, body))
    assert len(out) > 60, "the route table looks empty: did FastAPI change how it lists routes?"
    return out


@dataclass
class World:
    app: FastAPI
    victim: Person
    intruder: Person  # another listener, and an unlinked therapist
    therapist: Person  # linked to the victim
    ids: dict[str, str]


@pytest.fixture
def world(multi_app: FastAPI) -> World:
    victim = sign_up(multi_app, "victim")
    intruder = sign_up(multi_app, "intruder")
    therapist = sign_up(multi_app, "therapist")
    started = victim.api("POST", "/api/v1/sessions", json={
        "goal": "calm_down", "tracks": 4, "mood": {"valence": -0.4, "arousal": 0.5}})  # fmt: skip
    assert started.status_code == 201, started.text
    checkin = victim.api("POST", "/api/v1/checkins",
                         json={"valence": -0.5, "arousal": 0.2, "note": VICTIM_NOTE})  # fmt: skip
    assert checkin.status_code == 201, checkin.text
    invite = victim.api("POST", "/api/v1/invites", json={"share_notes": True}).json()
    linked = therapist.api("POST", "/api/v1/therapist/links", json={"code": invite["code"]})
    assert linked.status_code == 201, linked.text
    suggestion = therapist.api(
        "POST", f"/api/v1/therapist/listeners/{victim.listener_id}/suggestions",
        json={"goal": "focus", "message": "try this"},
    ).json()  # fmt: skip
    tokens = victim.api("GET", "/api/v1/tokens").json()["items"]
    track_id = started.json()["tracks"][0]["track_id"]
    ids = {
        "session_id": started.json()["id"], "listener_id": victim.listener_id,
        "link_id": invite["link"]["id"], "token_id": tokens[0]["id"],
        "suggestion_id": str(suggestion["id"]), "number": "1", "answer": "accept",
        "track_id": track_id,
    }  # fmt: skip
    return World(multi_app, victim, intruder, therapist, ids)


def _ask(person: Person, op: Operation, path: str) -> Any:
    if op.api:
        body = API_BODIES.get(op.path) if op.has_body else None
        return person.api(op.method, path, json=body)
    if op.method in UNSAFE:
        return person.form(path, PAGE_FORMS.get(op.path, {}))
    return person.browser.get(path, follow_redirects=False)


def _fill(op: Operation, ids: dict[str, str]) -> str:
    path = op.path
    for name in op.params:
        path = re.sub(r"{" + name + r"(?::\w+)?}", ids[name], path)
    return path


def _owned(op: Operation) -> bool:
    return bool(op.params) and not set(op.params) <= CATALOG_PARAMS


def _victim_secrets(world: World) -> list[str]:
    return [VICTIM_NOTE, world.victim.token]


def _assert_every_owned_route_is_404(world: World, person: Person) -> None:
    """Every route of the route table that names the victim's data is 404 for ``person``,
    as problem+json on the API, and shows none of the victim's secrets."""
    leaks = []
    checked = 0
    for op in route_table(world.app):
        if not _owned(op) or is_public(op.path):
            continue
        answer = _ask(person, op, _fill(op, world.ids))
        checked += 1
        if answer.status_code != 404 or any(s in answer.text for s in _victim_secrets(world)):
            leaks.append(f"{op.method} {op.path}: {answer.status_code} {answer.text[:120]!r}")
        if op.api and answer.headers.get("content-type") != "application/problem+json":
            leaks.append(f"{op.method} {op.path}: not problem+json")
    assert checked >= 20
    assert not leaks, "\n".join(leaks)


def test_every_route_with_an_id_is_404_for_someone_else(world: World) -> None:
    table = route_table(world.app)
    unknown = {p for op in table for p in op.params} - set(world.ids)
    assert not unknown, f"map these path parameters in the isolation test: {sorted(unknown)}"
    missing = [op.path for op in table if op.api and op.has_body and _owned(op)
               and op.path not in API_BODIES]  # fmt: skip
    assert not missing, f"give these API operations a valid body in API_BODIES: {missing}"
    _assert_every_owned_route_is_404(world, world.intruder)
    # nothing of the victim's changed: the session has no feedback, the suggestion is open
    session = world.victim.api("GET", f"/api/v1/sessions/{world.ids['session_id']}").json()
    assert all(t["feedback"] is None for t in session["tracks"]) and session["after"] is None
    suggestions = world.victim.api("GET", "/api/v1/suggestions").json()["items"]
    assert [s["state"] for s in suggestions] == ["open"]
    assert world.victim.api("GET", "/api/v1/links").json()["items"][0]["share_notes"] is True


def test_a_revoked_therapist_gets_404_on_every_route(world: World) -> None:
    """Generated from the route table like the test above: once the listener ends the link,
    their former therapist is anyone else, on every page and API operation."""
    base = f"/api/v1/therapist/listeners/{world.victim.listener_id}"
    assert world.therapist.api("GET", f"{base}/checkins").status_code == 200  # linked: reads
    ended = world.victim.api("DELETE", f"/api/v1/links/{world.ids['link_id']}")
    assert ended.status_code == 200, ended.text
    _assert_every_owned_route_is_404(world, world.therapist)
    assert world.therapist.api("GET", "/api/v1/therapist/listeners").json()["items"] == []


def test_lists_without_ids_never_show_someone_elses_data(world: World) -> None:
    for op in route_table(world.app):
        # /insights is the survey-wide report (no listener's data) and waits for it to be built
        if op.params or op.method != "GET" or is_public(op.path) or op.path == "/insights":
            continue
        answer = _ask(world.intruder, op, op.path)
        assert answer.status_code in (200, 303, 422), (op.path, answer.status_code)
        for secret in [*_victim_secrets(world), world.ids["session_id"], "victim"]:
            assert secret not in answer.text, (op.path, secret)


def _unauthenticated(app: FastAPI, *, bearer: str | None) -> Iterator[tuple[Operation, Any]]:
    client = TestClient(app)
    ids = {name: "0123456789abcdef" for name in ("session_id", "listener_id", "link_id",
                                                  "token_id", "track_id")}  # fmt: skip
    ids.update(number="1", answer="accept", suggestion_id="1")
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    for op in route_table(app):
        if is_public(op.path) or (bearer and not op.api):
            continue
        path = _fill(op, ids)
        yield op, client.request(op.method, path, headers=headers, follow_redirects=False)


@pytest.mark.parametrize("bearer", [None, "mtk_not-a-real-token"])
def test_without_signing_in_the_api_says_401_and_pages_go_to_sign_in(
    multi_app: FastAPI, bearer: str | None
) -> None:
    wrong = []
    for op, answer in _unauthenticated(multi_app, bearer=bearer):
        if op.api:
            ok = (answer.status_code == 401
                  and answer.headers.get("content-type") == "application/problem+json"
                  and answer.headers.get("www-authenticate", "").startswith("Bearer"))  # fmt: skip
        else:
            ok = answer.status_code == 303 and answer.headers["location"].startswith("/signin?")
        if not ok:
            wrong.append(f"{op.method} {op.path}: {answer.status_code}")
    assert not wrong, "\n".join(wrong)


def test_a_linked_therapist_reads_logged_and_a_revoked_one_gets_nothing(world: World) -> None:
    victim, therapist, ids = world.victim, world.therapist, world.ids
    base = f"/api/v1/therapist/listeners/{victim.listener_id}"
    glance = therapist.api("GET", "/api/v1/therapist/listeners").json()["items"]
    assert [c["listener_id"] for c in glance] == [victim.listener_id]
    assert glance[0]["sessions"] == 1 and glance[0]["last_checkin_at"] is not None
    checkins = therapist.api("GET", f"{base}/checkins").json()["items"]
    assert VICTIM_NOTE in [c["note"] for c in checkins]  # the victim shares notes
    assert therapist.api("GET", f"{base}/history").status_code == 200
    assert therapist.api("GET", f"{base}/sessions/{ids['session_id']}").status_code == 200
    assert therapist.browser.get(f"/therapist/{victim.listener_id}").status_code == 200
    # notes off: the note text is no longer shown
    victim.api("PATCH", f"/api/v1/links/{ids['link_id']}", json={"share_notes": False})
    checkins = therapist.api("GET", f"{base}/checkins").json()["items"]
    assert all(c["note"] is None for c in checkins)
    # every read is in the victim's access log, in Me and in the export
    log = victim.api("GET", "/api/v1/access-log").json()["items"]
    assert {e["what"] for e in log} >= {"progress at a glance", "check-ins", "history"}
    assert all(e["reader"] == "therapist" for e in log)
    # a journey read is named by its goal and day (its id only in journey_id, for a link)
    journey = next(e for e in log if e["what"] == f"journey {ids['session_id'][:12]}")
    assert journey["label"].startswith("journey “Calm down”, "), journey
    assert journey["journey_id"] == ids["session_id"]
    unknown = "f" * 32  # logged before the read, then 404: no journey to name, no id shown
    assert therapist.api("GET", f"{base}/sessions/{unknown}").status_code == 404
    latest = victim.api("GET", "/api/v1/access-log").json()["items"][0]
    assert (latest["label"], latest["journey_id"]) == ("a journey", None), latest
    log = victim.api("GET", "/api/v1/access-log").json()["items"]
    assert "Who has read my data" in victim.browser.get("/me").text
    exported = victim.api("GET", "/api/v1/listener/export").json()
    assert len(exported["tables"]["access_log"]) == len(log)
    assert "password_hash" not in exported["tables"]["accounts"][0]
    # the listener accepts the suggestion: the check-in opens with its goal
    accepted = victim.form(f"/account/suggestions/{ids['suggestion_id']}/accept")
    assert accepted.headers["location"] == "/checkin?goal=focus"
    # revoked: the very next request gets nothing
    assert victim.api("DELETE", f"/api/v1/links/{ids['link_id']}").status_code == 200
    for path in (f"{base}/checkins", f"{base}/history", f"{base}/sessions/{ids['session_id']}"):
        answer = therapist.api("GET", path)
        assert answer.status_code == 404 and VICTIM_NOTE not in answer.text
    assert therapist.api("GET", "/api/v1/therapist/listeners").json()["items"] == []
    assert therapist.browser.get(f"/therapist/{victim.listener_id}").status_code == 404


def test_an_invitation_code_works_once(world: World) -> None:
    code = world.victim.api("POST", "/api/v1/invites", json={}).json()["code"]
    assert world.intruder.api("POST", "/api/v1/therapist/links",
                              json={"code": code.lower()}).status_code == 201  # fmt: skip
    again = world.therapist.api("POST", "/api/v1/therapist/links", json={"code": code})
    assert again.status_code == 422 and "unknown, used or expired" in again.json()["detail"]
    own = world.victim.api("POST", "/api/v1/invites", json={}).json()["code"]
    assert world.victim.api("POST", "/api/v1/therapist/links",
                            json={"code": own}).status_code == 422  # fmt: skip
