"""Schemathesis against the authenticated API (multi-user mode, a Bearer token): every
operation, the listener's as well as those accounts added; no 5xx, every answer documented and
schema-conformant, every error (401/403/404/422/429) problem+json."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.accounts_helpers import sign_up
from tests.web.test_fuzz import _fuzz

#: The operations accounts added (each must be reached past the guard, below).
ACCOUNT_PATHS = ("/api/v1/auth", "/api/v1/account", "/api/v1/tokens", "/api/v1/invites",
                 "/api/v1/links", "/api/v1/access-log", "/api/v1/suggestions",
                 "/api/v1/therapist")  # fmt: skip


@pytest.mark.slow
def test_the_authenticated_api_conforms_to_its_openapi_document(multi_app: Any) -> None:
    person = sign_up(multi_app, "fuzzer")
    body = {"goal": "calm_down", "mood": {"valence": -0.4, "arousal": 0.5}, "tracks": 5}
    session = person.api("POST", "/api/v1/sessions", json=body).json()
    statuses: dict[str, set[int]] = {}
    failures = _fuzz(
        multi_app, sessions=session["id"], track=session["tracks"][0]["track_id"],
        tracks=len(session["tracks"]), statuses=statuses,
        headers={"Authorization": f"Bearer {person.token}"},
    )  # fmt: skip
    assert not failures, "\n\n".join(failures)
    assert 200 in statuses["GET /api/v1/access-log"]  # authenticated, past the guard
    assert 200 in statuses["GET /api/v1/tokens"]
    assert 201 in statuses["POST /api/v1/checkins"]  # the listener's API, with the token
    assert 200 in statuses["GET /api/v1/history"]
    reached = {label.split(" ", 1)[1] for label in statuses}
    assert all(any(p.startswith(prefix) for p in reached) for prefix in ACCOUNT_PATHS)
