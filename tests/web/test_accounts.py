"""Accounts in multi-user mode: sign-up/in/out, sessions, password change and reset, tokens,
the sign-in rate limit, and the settings that must be right before the app starts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from moodtune.app import accounts
from moodtune.config import Settings
from moodtune.errors import InputError
from moodtune.store import read_transaction
from moodtune.web import create_app
from moodtune.web.auth import CSRF_COOKIE, SESSION_COOKIE
from tests.web.accounts_helpers import PASSWORD, browser, sign_up

# -- settings ----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "", "changethis", "short-but-real"])
def test_multi_user_refuses_to_start_without_a_real_secret_key(
    app_settings: Settings, key: str | None
) -> None:
    settings = app_settings.model_copy(
        update={"multi_user": True, "secret_key": None if key is None else SecretStr(key)}
    )
    with pytest.raises(InputError) as caught:
        create_app(settings)
    message = str(caught.value)
    assert "MOODTUNE_SECRET_KEY" in message and "secrets.token_urlsafe(32)" in message


def test_serve_on_another_address_requires_accounts_and_a_key(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    from typer.testing import CliRunner

    from moodtune.cli import app

    monkeypatch.delenv("MOODTUNE_SECRET_KEY", raising=False)
    monkeypatch.setenv("MOODTUNE_MULTI_USER", "false")  # serve sets it for its workers
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--port", "1"])
    assert isinstance(result.exception, InputError)
    assert "requires accounts" in str(result.exception)
    assert "MOODTUNE_SECRET_KEY" in str(result.exception)


@pytest.mark.parametrize(
    "variable", [("MOODTUNE_BEHIND_TLS", "true"), ("MOODTUNE_TRUSTED_PROXIES", "127.0.0.1")]
)
def test_behind_a_proxy_on_loopback_requires_accounts_and_a_key(
    monkeypatch: pytest.MonkeyPatch, settings: Settings, variable: tuple[str, str]
) -> None:
    """A proxy serves other people though moodtune is bound to 127.0.0.1: without accounts
    the one local listener would answer everyone the proxy lets in."""
    from typer.testing import CliRunner

    from moodtune.cli import app
    from moodtune.config import get_settings

    field = variable[0].removeprefix("MOODTUNE_").lower()
    assert Settings.model_validate({field: variable[1]}).multi_user
    assert not Settings(trusted_proxies=" , ").multi_user
    monkeypatch.delenv("MOODTUNE_SECRET_KEY", raising=False)
    monkeypatch.delenv("MOODTUNE_MULTI_USER", raising=False)
    monkeypatch.setenv(*variable)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["serve", "--host", "127.0.0.1", "--port", "1"])
    finally:
        get_settings.cache_clear()
    assert isinstance(result.exception, InputError), result.output
    assert "behind a proxy" in str(result.exception)
    assert "requires accounts" in str(result.exception)
    assert "MOODTUNE_SECRET_KEY" in str(result.exception)


def test_passwords_use_argon2id_with_owasps_parameters() -> None:
    from moodtune.app.credentials import hash_password, verify_password

    hashed = hash_password("a long enough password")
    assert re.match(r"^\$argon2id\$v=19\$m=19456,t=2,p=1\$", hashed), hashed
    assert verify_password(hashed, "a long enough password")
    assert not verify_password(hashed, "a long enough passwore")
    assert not verify_password(None, "anything at all")  # unknown user: a dummy hash is checked


def test_sign_in_rehashes_a_password_stored_with_other_parameters(
    engine: Any, multi_settings: Settings
) -> None:
    """An account hashed with RFC 9106's profile (moodtune's earlier default) still signs in,
    and that sign-in stores a hash with today's parameters; a wrong password changes nothing."""
    from argon2 import PasswordHasher
    from argon2.profiles import RFC_9106_LOW_MEMORY

    from moodtune.store import accounts as store
    from moodtune.store import write_transaction
    from moodtune.store.tables import utcnow

    made = accounts.sign_up(engine, username="old-hash", password=PASSWORD)
    old = PasswordHasher.from_parameters(RFC_9106_LOW_MEMORY).hash(PASSWORD)
    assert old.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    with write_transaction(engine) as conn:
        store.set_password(conn, made.listener_id, old, utcnow())

    def stored() -> str:
        with read_transaction(engine) as conn:
            account = store.get_account(conn, username="old-hash")
        assert account is not None
        return account.password_hash

    with pytest.raises(accounts.AuthFailed):
        accounts.sign_in(engine, multi_settings, username="old-hash",
                         password="not the password at all", address="127.0.0.1")  # fmt: skip
    assert stored() == old
    accounts.sign_in(engine, multi_settings, username="old-hash", password=PASSWORD,
                     address="127.0.0.1")  # fmt: skip
    fresh = stored()
    assert fresh.startswith("$argon2id$v=19$m=19456,t=2,p=1$"), fresh
    accounts.sign_in(engine, multi_settings, username="old-hash", password=PASSWORD,
                     address="127.0.0.1")  # fmt: skip
    assert stored() == fresh  # already current: not hashed again


# -- sign-up, sign-in, sign-out ----------------------------------------------------------------


def test_pages_need_sign_in_and_sign_up_leads_to_the_survey(multi_app: Any) -> None:
    client = browser(multi_app)
    answer = client.get("/journey", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/signin?next=/journey"
    page = client.get("/signin?next=/journey")
    assert page.status_code == 200 and 'name="csrf_token"' in page.text
    person = sign_up(multi_app, "robin")
    assert person.browser.get("/journey").status_code == 200
    assert person.browser.get("/survey").status_code == 200
    # the session cookie: HttpOnly, SameSite=Lax, not Secure on plain http
    signed = browser(multi_app)
    signed.get("/signin")
    answer = signed.post(
        "/signin",
        data={"username": "ROBIN ", "password": PASSWORD, "next": "/history",
              "csrf_token": signed.cookies.get(CSRF_COOKIE)},
        follow_redirects=False,
    )  # fmt: skip
    assert answer.status_code == 303 and answer.headers["location"] == "/history"
    cookie = next(c for c in answer.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie


def test_sign_in_refuses_an_outside_next_and_a_wrong_password(multi_app: Any) -> None:
    sign_up(multi_app, "sam")
    client = browser(multi_app)
    client.get("/signin")
    token = client.cookies.get(CSRF_COOKIE)
    wrong = client.post("/signin", data={"username": "sam", "password": "not the password",
                                         "csrf_token": token})  # fmt: skip
    assert wrong.status_code == 401 and "do not match" in wrong.text
    assert SESSION_COOKIE not in client.cookies
    ok = client.post(
        "/signin",
        data={"username": "sam", "password": PASSWORD, "next": "//evil.example/x",
              "csrf_token": token},
        follow_redirects=False,
    )  # fmt: skip
    assert ok.headers["location"] == "/checkin"


def test_secure_cookies_behind_tls(multi_settings: Settings, services: Any,
                                   fast_passwords: None) -> None:  # fmt: skip
    app = create_app(multi_settings.model_copy(update={"behind_tls": True}), services=services)
    person = sign_up(app, "tls-user", https=True)
    client = browser(app, https=True)
    client.get("/signin")
    answer = client.post(
        "/signin",
        data={"username": person.username, "password": PASSWORD,
              "csrf_token": client.cookies.get(CSRF_COOKIE)},
        follow_redirects=False,
    )  # fmt: skip
    cookies = answer.headers.get_list("set-cookie")
    assert cookies and all("Secure" in c and "HttpOnly" in c for c in cookies)
    assert "max-age=" in client.get("/help").headers["strict-transport-security"]


def test_sign_out_and_sign_out_everywhere_end_sessions(multi_app: Any) -> None:
    person = sign_up(multi_app, "kim")
    other = browser(multi_app)
    other.get("/signin")
    other.post("/signin", data={"username": "kim", "password": PASSWORD,
                                "csrf_token": other.cookies.get(CSRF_COOKIE)})  # fmt: skip
    assert other.get("/history", follow_redirects=False).status_code == 200
    listed = person.browser.get("/api/v1/account/sessions").json()["items"]
    assert len(listed) == 2 and sum(s["current"] for s in listed) == 1
    ended = person.form("/account/sessions/end", {"session_id": "all"})
    assert ended.status_code == 303
    assert other.get("/history", follow_redirects=False).status_code == 303  # signed out there
    assert person.browser.get("/history", follow_redirects=False).status_code == 200
    out = person.form("/signout")
    assert out.headers["location"] == "/signin?done=out"
    assert person.browser.get("/history", follow_redirects=False).status_code == 303


def test_password_change_ends_the_other_sessions(multi_app: Any) -> None:
    person = sign_up(multi_app, "lee")
    wrong = person.form("/account/password", {"current_password": "nope nope nope",
                                              "new_password": "another fine password"})  # fmt: skip
    assert wrong.status_code == 422 and "not your current password" in wrong.text
    new = {"current_password": PASSWORD, "new_password": "another fine password"}
    changed = person.form("/account/password", new)
    assert changed.status_code == 303
    client = browser(multi_app)
    client.get("/signin")
    old = client.post("/signin", data={"username": "lee", "password": PASSWORD,
                                       "csrf_token": client.cookies.get(CSRF_COOKIE)})  # fmt: skip
    assert old.status_code == 401


def test_reset_token_works_once_and_signs_out_everywhere(
    multi_app: Any, multi_settings: Settings, services: Any
) -> None:
    person = sign_up(multi_app, "ria")
    token, _expires = accounts.issue_reset_token(services.engine, multi_settings, "ria")
    client = browser(multi_app)
    client.get("/reset")
    form = {"token": token, "new_password": "a brand new password",
            "csrf_token": client.cookies.get(CSRF_COOKIE)}  # fmt: skip
    done = client.post("/reset", data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/signin?done=reset"
    assert person.browser.get("/history", follow_redirects=False).status_code == 303
    again = client.post("/reset", data=form)
    assert again.status_code == 422 and "unknown, used or expired" in again.text
    with read_transaction(services.engine) as conn:  # only a keyed hash is stored
        stored = conn.exec_driver_sql("SELECT reset_token_hash FROM accounts").scalars().all()
    assert token not in str(stored)


def test_admin_commands(settings: Settings, monkeypatch: pytest.MonkeyPatch,
                        fast_passwords: None) -> None:  # fmt: skip
    from typer.testing import CliRunner

    from moodtune.cli import app
    from moodtune.store import dispose_engines

    monkeypatch.setenv("MOODTUNE_SECRET_KEY", "admin-test-secret-key-0123456789abcdef")
    from moodtune.config import get_settings

    get_settings.cache_clear()
    runner = CliRunner()
    try:
        made = runner.invoke(app, ["admin", "create-user", "ana", "--password", PASSWORD])
        assert made.exit_code == 0, made.output
        listed = runner.invoke(app, ["admin", "list-users"])
        assert "ana" in listed.output
        reset = runner.invoke(app, ["admin", "reset-password", "ana"])
        assert reset.exit_code == 0 and re.search(r"mtr_[\w-]{40,}", reset.output)
        disabled = runner.invoke(app, ["admin", "disable-user", "ana"])
        assert "disabled" in disabled.output
        engine_settings = get_settings()
        from moodtune.store import open_database

        with pytest.raises(accounts.AuthFailed):
            accounts.sign_in(open_database(engine_settings), engine_settings, username="ana",
                             password=PASSWORD, address="127.0.0.1")  # fmt: skip
        missing = runner.invoke(app, ["admin", "disable-user", "nobody"])
        assert missing.exit_code != 0
    finally:
        dispose_engines()


# -- API tokens --------------------------------------------------------------------------------


def test_api_tokens_are_shown_once_listed_and_revoked(multi_app: Any, services: Any) -> None:
    person = sign_up(multi_app, "tok")
    assert person.api("GET", "/api/v1/history").status_code == 200
    listed = person.api("GET", "/api/v1/tokens").json()["items"]
    assert len(listed) == 1 and person.token.startswith(listed[0]["prefix"])
    assert person.token not in str(listed)
    with read_transaction(services.engine) as conn:
        stored = conn.exec_driver_sql("SELECT * FROM api_tokens").all()
    assert person.token not in str(stored)  # hashed at rest
    page = person.form("/account/tokens", {"name": "laptop"})
    shown = re.search(r'id="new-token">(mtk_[\w-]+)<', page.text)
    assert shown is not None
    assert shown.group(1) not in person.browser.get("/account").text  # once only
    gone = person.api("DELETE", f"/api/v1/tokens/{listed[0]['id']}")
    assert gone.status_code == 204
    refused = person.api("GET", "/api/v1/history")
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.headers["www-authenticate"].startswith("Bearer")


def test_token_by_password_is_rate_limited_per_account_and_per_address(multi_app: Any) -> None:
    sign_up(multi_app, "rate")
    sign_up(multi_app, "other")
    api = TestClient(multi_app)
    bad = {"username": "rate", "password": "wrong password!"}
    for _ in range(3):
        assert api.post("/api/v1/auth/token", json=bad).status_code == 401
    limited = api.post("/api/v1/auth/token", json={"username": "rate", "password": PASSWORD})
    assert limited.status_code == 429  # even the right password waits now
    assert limited.headers["content-type"] == "application/problem+json"
    assert int(limited.headers["retry-after"]) > 0
    assert "too many failed sign-ins" in limited.json()["detail"]
    # per address too: another account from the same address is limited
    other = {"username": "other", "password": PASSWORD}
    assert api.post("/api/v1/auth/token", json=other).status_code == 429
    # the sign-in page says so in words
    client = browser(multi_app)
    client.get("/signin")
    page = client.post("/signin", data={"username": "rate", "password": PASSWORD,
                                        "csrf_token": client.cookies.get(CSRF_COOKIE)})  # fmt: skip
    assert page.status_code == 429 and "please wait about" in page.text


def test_deleting_the_account_removes_it_and_ends_its_tokens_and_links(multi_app: Any) -> None:
    person = sign_up(multi_app, "leaving")
    therapist = sign_up(multi_app, "their-therapist")
    code = person.api("POST", "/api/v1/invites", json={}).json()["code"]
    assert therapist.api("POST", "/api/v1/therapist/links", json={"code": code}).status_code == 201
    removed = person.api("DELETE", "/api/v1/listener").json()
    assert removed["accounts"] == 1 and removed["therapist_links"] == 1
    assert removed["api_tokens"] == 1 and removed["auth_sessions"] == 1
    assert person.api("GET", "/api/v1/history").status_code == 401
    assert person.browser.get("/history", follow_redirects=False).status_code == 303
    assert therapist.api("GET", "/api/v1/therapist/listeners").json()["items"] == []
    client = browser(multi_app)
    client.get("/signin")
    form = {"username": "leaving", "password": PASSWORD,
            "csrf_token": client.cookies.get(CSRF_COOKIE)}  # fmt: skip
    assert client.post("/signin", data=form).status_code == 401


def test_free_text_with_control_characters_is_refused_by_name(multi_app: Any) -> None:
    person = sign_up(multi_app, "texty")
    refused = person.api("POST", "/api/v1/tokens", json={"name": "bad\x00name"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "name"


def test_sessions_end_when_idle_and_at_their_maximum_age(
    multi_app: Any, multi_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A session unused for ``session_idle_hours`` ends; one in use ends ``session_max_days``
    after sign-in all the same. Ended: pages go to sign-in, the API answers 401."""
    from datetime import timedelta

    from moodtune.store.tables import utcnow

    start = utcnow()
    clock = {"now": start}
    monkeypatch.setattr(accounts, "utcnow", lambda: clock["now"])
    idle = timedelta(hours=multi_settings.session_idle_hours)
    longest = timedelta(days=multi_settings.session_max_days)

    def signed_in(person: Any) -> bool:
        page = person.browser.get("/checkin", follow_redirects=False)
        api = person.browser.get("/api/v1/history")
        assert (page.status_code == 200) == (api.status_code == 200), (page, api)
        if page.status_code != 200:
            assert page.headers["location"].startswith("/signin")
            assert api.status_code == 401
        return bool(page.status_code == 200)

    idler = sign_up(multi_app, "idler")
    clock["now"] = start + idle - timedelta(minutes=5)
    assert signed_in(idler)  # used just in time: the idle clock starts again
    clock["now"] = start + 2 * idle - timedelta(minutes=10)
    assert signed_in(idler)
    clock["now"] = start + 3 * idle
    assert not signed_in(idler)  # unused for longer than the idle limit

    clock["now"] = start
    regular = sign_up(multi_app, "regular")
    step = idle / 2
    while clock["now"] + step < start + longest:
        clock["now"] += step
        assert signed_in(regular), clock["now"] - start
    clock["now"] = start + longest + timedelta(minutes=1)
    assert not signed_in(regular)  # in use every day, but past its maximum age


def test_account_lists_are_pages(multi_app: Any) -> None:
    person = sign_up(multi_app, "pager")
    for name in ("a", "b", "c"):
        assert person.api("POST", "/api/v1/tokens", json={"name": name}).status_code == 201
    first = person.api("GET", "/api/v1/tokens", params={"limit": 2}).json()
    assert (first["total"], first["offset"], first["limit"], len(first["items"])) == (4, 0, 2, 2)
    rest = person.api("GET", "/api/v1/tokens", params={"offset": 2, "limit": 2}).json()
    assert len(rest["items"]) == 2
    ids = {t["id"] for t in first["items"]} | {t["id"] for t in rest["items"]}
    assert len(ids) == 4  # no token on two pages, none left out
    too_big = person.api("GET", "/api/v1/links", params={"limit": 10_000})
    assert too_big.status_code == 422
    assert too_big.headers["content-type"].startswith("application/problem+json")
