"""The OWASP basics in multi-user mode: security headers, CSRF refusal, no secret in logs or
error pages, timing-safe comparison of secrets."""

from __future__ import annotations

import hmac
import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient

from moodtune.app import credentials
from moodtune.web.auth import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE
from tests.web.accounts_helpers import PASSWORD, SECRET_KEY, browser, sign_up


@pytest.mark.parametrize("path", ["/signin", "/help", "/api/v1/support", "/checkin",
                                  "/api/v1/history", "/no-such-page"])  # fmt: skip
def test_security_headers_on_every_kind_of_answer(multi_app: Any, path: str) -> None:
    answer = TestClient(multi_app).get(path, follow_redirects=False)
    headers = answer.headers
    csp = {d.split()[0]: d.split()[1:] for d in headers["content-security-policy"].split("; ")}
    assert csp["script-src"] == ["'self'"]  # no inline scripts, no eval
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-frame-options"] == "DENY"
    assert headers["cache-control"] == "no-store"


def test_csrf_is_refused_without_or_with_a_wrong_token(multi_app: Any) -> None:
    person = sign_up(multi_app, "csrf-user")
    form = {"valence": "0.1", "arousal": "0.1", "action": "checkin"}
    missing = person.browser.post("/checkin", data=form)
    assert missing.status_code == 403 and "security token" in missing.text
    wrong = person.browser.post("/checkin", data={**form, "csrf_token": "x" * 43})
    assert wrong.status_code == 403
    assert person.form("/checkin", form).status_code == 200
    # the API with the session cookie needs the header (HTMX sends it); a Bearer token does not
    body = {"valence": 0.1, "arousal": 0.2}
    refused = person.browser.post("/api/v1/checkins", json=body)
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert person.browser.post("/api/v1/checkins", json=body,
                               headers={CSRF_HEADER: person.csrf}).status_code == 201  # fmt: skip
    assert person.api("POST", "/api/v1/checkins", json=body).status_code == 201
    # a signed-out form post (sign-in) needs it too: no login CSRF
    stranger = browser(multi_app)
    assert stranger.post("/signin", data={"username": "csrf-user", "password": PASSWORD}
                         ).status_code == 403  # fmt: skip
    # and another site's page is refused before any of this (Origin / Fetch metadata)
    cross = person.browser.post("/checkin", data={**form, "csrf_token": person.csrf},
                                headers={"Origin": "https://evil.example"})  # fmt: skip
    assert cross.status_code == 403
    # HTMX pages carry the token as a header for every request
    assert f'"X-CSRF-Token": "{person.csrf}"' in person.browser.get("/checkin").text


def test_no_secret_in_logs_or_error_pages(
    multi_app: Any, multi_settings: Any, services: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from moodtune.app import accounts

    caplog.set_level(logging.DEBUG)
    person = sign_up(multi_app, "quiet")
    session_cookie = person.browser.cookies.get(SESSION_COOKIE)
    reset, _ = accounts.issue_reset_token(services.engine, multi_settings, "quiet")
    pages = [
        person.browser.get("/account"),
        person.browser.get("/journey/not-a-session"),  # 404 page
        person.browser.post("/checkin", data={"action": "checkin"}),  # 403 page
        person.api("GET", "/api/v1/sessions/not-a-session"),  # 404 problem
        TestClient(multi_app).get("/api/v1/history", headers={"Authorization": "Bearer nope"}),
        TestClient(multi_app).post("/api/v1/auth/token",
                                   json={"username": "quiet", "password": "wrong wrong"}),
    ]  # fmt: skip
    secrets = [PASSWORD, person.token, str(session_cookie), reset, SECRET_KEY, person.csrf]
    for answer in pages:
        for secret in [*secrets[:4], SECRET_KEY]:
            assert secret not in answer.text, (answer.url, answer.status_code)
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in secrets:
        assert secret not in logged


def test_secrets_are_compared_in_constant_time(
    multi_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = sign_up(multi_app, "timing")
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(credentials.hmac, "compare_digest", spy)
    person.form("/checkin", {"valence": "0.1", "arousal": "0.1", "action": "checkin"})
    assert (person.csrf.encode(), person.csrf.encode()) in calls
    # tokens are found by their keyed hash: a guess never meets a stored token byte by byte
    assert credentials.keyed_hash(b"k" * 32, "api", "mtk_x") != credentials.keyed_hash(
        b"k" * 32, "session", "mtk_x"
    )
    assert not credentials.same_secret(None, "x") and not credentials.same_secret("", "")


def test_a_disabled_account_is_signed_out_at_once(multi_app: Any, services: Any) -> None:
    from moodtune.app import accounts

    person = sign_up(multi_app, "gone")
    assert person.api("GET", "/api/v1/history").status_code == 200
    accounts.disable_account(services.engine, "gone")
    assert person.api("GET", "/api/v1/history").status_code == 401
    assert person.browser.get("/history", follow_redirects=False).status_code == 303
    client = browser(multi_app)
    client.get("/signin")
    form = {"username": "gone", "password": PASSWORD, "csrf_token": client.cookies.get(CSRF_COOKIE)}
    refused = client.post("/signin", data=form)
    assert refused.status_code == 401


def test_every_post_form_in_every_template_carries_the_csrf_token() -> None:
    """A form without the field is refused with 403 for every signed-in person (and works
    without JavaScript only with the field): every ``<form method="post">`` includes it."""
    import re
    from pathlib import Path

    import moodtune.web

    templates = Path(moodtune.web.__file__).parent / "templates"
    post_form = re.compile(r"<form\b[^>]*method=\"post\"[^>]*>(.*?)</form>", re.S | re.I)
    forms = 0
    missing = []
    for path in sorted(templates.rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        for form in post_form.finditer(text):
            forms += 1
            if "partials/csrf.html" not in form.group(1) and "csrf_input(" not in form.group(1):
                line = text.count("\n", 0, form.start()) + 1
                missing.append(f"{path.relative_to(templates)}:{line}")
    assert forms >= 30  # the scan found the app's forms
    assert missing == []


def test_the_me_page_upload_forms_work_signed_in(multi_app: Any) -> None:
    """The history and playlist uploads (multipart) post the token from the rendered form."""
    import re

    person = sign_up(multi_app, "uploader")
    page = person.browser.get("/me").text
    for action, name, body in (
        ("/me/playlists", "mix.m3u8", b"#EXTM3U\n#EXTINF:1,Nobody - Nothing\nnothing.mp3\n"),
        ("/me/history", "plays.json", b"[]"),
    ):
        form = re.search(rf'<form method="post" action="{action}".*?</form>', page, re.S)
        assert form is not None, action
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.group(0))
        assert token is not None and token.group(1) == person.csrf, action
        answer = person.browser.post(
            action, data={"csrf_token": token.group(1)},
            files={"files": (name, body, "application/octet-stream")},
        )  # fmt: skip
        assert answer.status_code != 403, (action, answer.text[:300])
        assert answer.status_code < 500, action
