"""People with accounts for the multi-user tests: a browser-like client (cookies + CSRF) and a
Bearer token for the API, each signed up through the real pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from moodtune.web.auth import CSRF_COOKIE, CSRF_HEADER

SECRET_KEY = "test-secret-key-for-accounts-0123456789-abcdef"
PASSWORD = "correct horse battery staple"


@dataclass
class Person:
    """A signed-up account: its browser (cookies), its API token and its listener id."""

    username: str
    listener_id: str
    browser: TestClient
    token: str

    @property
    def csrf(self) -> str:
        value = self.browser.cookies.get(CSRF_COOKIE)
        assert value, "the browser has no CSRF cookie yet"
        return str(value)

    def form(self, path: str, data: dict[str, Any] | None = None) -> Any:
        """A form post as the browser sends it (with the CSRF field), redirects not followed."""
        return self.browser.post(
            path, data={**(data or {}), "csrf_token": self.csrf}, follow_redirects=False
        )

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        """An API call with the Bearer token (no cookies)."""
        headers = {"Authorization": f"Bearer {self.token}", **kwargs.pop("headers", {})}
        return TestClient(self.browser.app).request(method, path, headers=headers, **kwargs)


def browser(app: FastAPI, *, https: bool = False) -> TestClient:
    return TestClient(app, base_url="https://testserver" if https else "http://testserver")


def sign_up(
    app: FastAPI, username: str, *, password: str = PASSWORD, https: bool = False
) -> Person:
    """Sign up through the pages, then make an API token on the Account page."""
    client = browser(app, https=https)
    client.get("/signup")
    made = client.post(
        "/signup",
        data={"username": username, "password": password, "consent_notes": "yes",
              "consent_learning": "yes", "csrf_token": client.cookies.get(CSRF_COOKIE)},
        follow_redirects=False,
    )  # fmt: skip
    assert made.status_code == 303, made.text
    me = client.get("/api/v1/account")
    assert me.status_code == 200, me.text
    token = client.post(
        "/api/v1/tokens", json={"name": "tests"},
        headers={CSRF_HEADER: client.cookies.get(CSRF_COOKIE) or ""},
    )  # fmt: skip
    assert token.status_code == 201, token.text
    return Person(username, me.json()["listener_id"], client, token.json()["token"])
