"""The multi-user pages in a real browser: a listener and their therapist through the pages.

Against ``multi_user_server`` (``moodtune serve`` with accounts on, SQLite): everything typed
into the forms as a person would. Every account page is looked at as every other page is
(``check_page``: screenshots at 1280×800 and 390×844 in ``test-artifacts/screenshots/``, light
and dark, and axe-core with no serious or critical violation), named ``account-*``.
Each browser context comes from its own client address (``X-Forwarded-For`` through the trusted
proxy setting), so the per-address sign-in limit is per test.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    APIRequestContext,
    Browser,
    BrowserContext,
    Locator,
    Page,
    Playwright,
    expect,
)

from tests.web.accounts_helpers import PASSWORD
from tests.web.conftest import (
    DESKTOP,
    MULTI_USER_SIGN_IN_LIMIT,
    PHONE,
    LiveServer,
    moodtune_admin,
    new_context,
    new_tab,
)
from tests.web.pages import (
    AccountPage,
    AppPage,
    CheckinPage,
    ClientPage,
    DeletePage,
    ResetPage,
    SignInPage,
    SignUpPage,
    TherapistPage,
    WelcomePage,
    check_page,
    stay,
    text_lines,
)

NEW_PASSWORD = "a new password for robin"
SERVER = "the server that runs this moodtune"
WHO_READS = "Whoever runs that server can read its database."
_addresses = (f"198.51.100.{n}" for n in itertools.count(10))  # TEST-NET-2, one per profile
NewTab = Callable[[], Page]
TokenClient = Callable[[str], APIRequestContext]


@pytest.fixture(scope="module")
def therapist_account(multi_user_server: LiveServer) -> str:
    """A therapist's account, made the way docs/accounts.md says: by whoever runs moodtune."""
    out = moodtune_admin(multi_user_server, "create-user", "dr-lee", password=PASSWORD)
    assert "created account dr-lee" in out, out
    return "dr-lee"


@pytest.fixture
def person(browser: Browser, multi_user_server: LiveServer) -> Iterator[NewTab]:
    """``person()`` opens a tab in a fresh browser profile that comes from its own address."""
    contexts: list[BrowserContext] = []

    def open_tab() -> Page:
        context = new_context(browser, multi_user_server)
        context.set_extra_http_headers({"X-Forwarded-For": next(_addresses)})
        contexts.append(context)
        return new_tab(context)

    yield open_tab
    for context in contexts:
        context.close()


@pytest.fixture
def bearer(playwright_driver: Playwright, multi_user_server: LiveServer) -> Iterator[TokenClient]:
    """``bearer(token)``: an API client with no cookies that sends only that token."""
    clients: list[APIRequestContext] = []

    def client(token: str) -> APIRequestContext:
        made = playwright_driver.request.new_context(
            base_url=multi_user_server.base_url,
            extra_http_headers={"Authorization": f"Bearer {token}",
                                "X-Forwarded-For": next(_addresses)},
        )  # fmt: skip
        clients.append(made)
        return made

    yield client
    for made in clients:
        made.dispose()


def _post(api: APIRequestContext, path: str, body: dict[str, Any]) -> Any:
    answer = api.post("/api/v1" + path, data=body)
    assert answer.ok, f"POST {path}: {answer.status} {answer.text()}"
    return answer.json()


def test_a_listener_and_their_therapist_through_the_pages(
    person: NewTab, bearer: TokenClient, therapist_account: str, screenshot_dir: Path
) -> None:
    listener = person()
    # signed out, a page leads to sign-in, which offers to make an account
    listener.goto("/account")
    expect(listener).to_have_url(re.compile(r"/signin\?next=/account$"))
    check_page(listener, screenshot_dir, "account-signin", stay)

    signup = SignUpPage(listener).open_it()
    listener.get_by_label("Username").fill("robin")
    listener.get_by_label("Password").fill("short")
    listener.get_by_role("button", name="Make my account").click()
    expect(listener.get_by_role("alert")).to_contain_text("10 characters")
    expect(listener.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    check_page(listener, screenshot_dir, "account-signup-errors", stay)
    signup.sign_up("robin", PASSWORD, keep_notes=True)
    listener.get_by_role("button", name="Skip the questions for now").click()
    expect(CheckinPage(listener).heading).to_have_text("How are you right now?")
    # on a shared server the pages say where the data is kept, and who else can read it there
    expect(listener.get_by_role("main")).to_contain_text(f"it is read, on {SERVER}, for signs")
    privacy = WelcomePage(listener).open_it().privacy
    expect(privacy).to_contain_text(f"Everything you enter is kept on {SERVER}. {WHO_READS}")
    delete = DeletePage(listener).open_it()
    expect(delete.main).to_contain_text(f"This deletes, from {SERVER} and for good:")
    for page_object in (WelcomePage(listener).open_it(), delete.open_it()):
        expect(page_object.page.locator("body")).not_to_contain_text("this machine")

    account = AppPage(listener).to_account()
    # one current page: the header's Account link, not Me as well
    expect(listener.locator('[aria-current="page"]')).to_have_count(1)
    check_page(listener, screenshot_dir, "account", stay)
    account.change_password(PASSWORD, NEW_PASSWORD)

    # an API token acts as the listener until it is revoked
    token = account.make_token("my laptop script")
    assert token.startswith("mtk_"), token
    check_page(listener, screenshot_dir, "account-new-token", stay)
    api = bearer(token)
    _post(api, "/checkins", {"words": ["tired", "tense"], "note": "slept badly"})
    journey = _post(api, "/sessions", {"goal": "calm_down", "tracks": 4,
                                       "mood": {"valence": -0.4, "arousal": 0.5}})  # fmt: skip
    _post(api, f"/sessions/{journey['id']}/finish", {"valence": 0.2, "arousal": -0.3})
    account.open_it()
    expect(account.token_rows).to_have_count(1)
    expect(account.token_rows.first).to_contain_text("my laptop script")
    account.revoke_token("my laptop script")
    expect(account.token_rows).to_have_count(0)
    assert api.get("/api/v1/account").status == 401

    code = account.invite_therapist(share_notes=True)
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code), code
    check_page(listener, screenshot_dir, "account-invitation-code", stay)

    # the therapist, in their own browser, signs in and uses the code
    therapist = person()
    SignInPage(therapist).open_it("/account").sign_in(therapist_account, PASSWORD)
    AccountPage(therapist).use_code(code)
    client = ClientPage(therapist)
    expect(client.heading).to_have_text("robin")
    listener_url = therapist.url
    check_page(therapist, screenshot_dir, "account-therapist-listener", stay)
    expect(client.main.locator("form")).to_have_count(1)  # read-only: only the suggestion
    expect(therapist.locator('[aria-current="page"]')).to_have_text("Account")
    checkins = client.main.get_by_role("region", name="Check-ins").get_by_role("row")
    expect(checkins.filter(has_text="slept badly")).to_have_count(1)  # notes are shared
    sessions = client.main.get_by_role("region", name="Sessions", exact=True)
    sessions.get_by_role("row").nth(1).get_by_role("link").click()
    expect(client.heading).to_contain_text("Calm down")
    expect(client.main.locator("li.track-card")).to_have_count(4)
    check_page(therapist, screenshot_dir, "account-therapist-journey", stay)

    mine = TherapistPage(therapist).open_it()
    expect(mine.row("robin")).to_contain_text("+")  # a before→after change at a glance
    check_page(therapist, screenshot_dir, "account-therapist-listeners", stay)
    mine.open_listener("robin").suggest("Calm down", tracks=6, words="Try this before bed.")
    check_page(therapist, screenshot_dir, "account-therapist-suggested", stay)

    # the listener sees the suggestion, and who read their data, in Me and on Account
    account.open_it()
    expect(account.suggestions).to_contain_text("Calm down, 6 tracks")
    expect(account.suggestions).to_contain_text("Try this before bed.")
    expect(account.access_log.filter(has_text="dr-lee").first).to_be_visible()
    # the journey read is named by its goal and day, linked; its id is not in the text
    journey_read = account.access_log.filter(has_text=re.compile(r"journey “Calm down”, \d\d \w+"))
    expect(journey_read).to_have_count(1)
    expect(journey_read.get_by_role("link")).to_have_attribute("href", f"/journey/{journey['id']}")
    expect(account.section("Who has read my data")).not_to_contain_text(journey["id"][:12])
    listener.set_viewport_size(PHONE)  # a name is never broken across lines, "dr-lee" neither
    assert text_lines(account.access_log.first.get_by_role("cell", name=therapist_account)) == 1
    listener.set_viewport_size(DESKTOP)
    check_page(listener, screenshot_dir, "account-linked", stay)
    account.nav("Me")
    reads = listener.get_by_role("region", name="Who has read my data")
    expect(reads.get_by_role("listitem").filter(has_text="dr-lee").first).to_be_visible()
    # the export keeps each entry as it was logged
    exported = listener.request.get("/me/export").json()["tables"]["access_log"]
    assert f"journey {journey['id'][:12]}" in [e["what"] for e in exported], exported
    check_page(listener, screenshot_dir, "account-me-access-log", stay)
    account.open_it()
    account.suggestions.get_by_role("button", name="Accept and check in").click()
    expect(listener.get_by_role("radio", name=re.compile("^Calm down"))).to_be_checked()
    expect(listener.get_by_label("Length")).to_have_value("6")

    # revoked, the therapist gets nothing: 404 on the very next request
    account.open_it().end_access()
    answer = therapist.goto(listener_url)
    assert answer is not None and answer.status == 404, answer and answer.status
    expect(therapist.get_by_role("main")).not_to_contain_text("slept badly")
    TherapistPage(therapist).open_it()
    expect(therapist.get_by_role("row")).to_have_count(0)
    check_page(therapist, screenshot_dir, "account-therapist-none", stay)

    # signed in somewhere else too; "sign out everywhere" ends that session, not this one
    elsewhere = person()
    SignInPage(elsewhere).open_it("/account").sign_in("robin", NEW_PASSWORD)
    expect(AccountPage(elsewhere).heading).to_have_text("Account")
    account.open_it().sign_out_everywhere()
    elsewhere.goto("/account")
    expect(SignInPage(elsewhere).heading).to_have_text("Sign in")
    signed_out = account.open_it().sign_out()
    check_page(listener, screenshot_dir, "account-signed-out", stay)
    listener.goto("/me")
    expect(signed_out.heading).to_have_text("Sign in")


def test_a_wrong_password_then_too_many_then_a_reset(
    person: NewTab, multi_user_server: LiveServer, screenshot_dir: Path
) -> None:
    moodtune_admin(multi_user_server, "create-user", "sam", password=PASSWORD)
    tab = person()
    signin = SignInPage(tab).open_it()
    signin.sign_in("sam", "not my password at all")
    expect(signin.message).to_have_text(
        "Sorry: that username and password do not match an active account."
    )
    expect(tab.get_by_label("Username")).to_have_value("sam")  # kept; the password is not
    check_page(tab, screenshot_dir, "account-signin-wrong-password", stay)
    for _ in range(MULTI_USER_SIGN_IN_LIMIT - 1):
        signin.sign_in("sam", "not my password at all")
    signin.sign_in("sam", PASSWORD)  # even the right one waits now
    expect(signin.message).to_contain_text("Too many failed sign-ins for this account")
    expect(signin.message).to_contain_text("please wait about 15 minute(s)")
    check_page(tab, screenshot_dir, "account-signin-rate-limited", stay)

    # whoever runs moodtune prints a reset token; the reset page takes it once
    token = moodtune_admin(multi_user_server, "reset-password", "sam").strip()
    assert token.startswith("mtr_"), token
    reset = ResetPage(person()).open_it()
    check_page(reset.page, screenshot_dir, "account-reset", stay)
    after = reset.set_new_password(token, NEW_PASSWORD)
    expect(after.notice).to_have_text("Your new password is set: sign in with it.")
    after.sign_in("sam", NEW_PASSWORD)
    expect(after.heading).to_have_text("How are you right now?")  # sign-in leads to check-in
    again = ResetPage(person()).open_it()
    again.page.get_by_label("Reset token").fill(token)
    again.page.get_by_label("New password").fill("yet another new password")
    again.page.get_by_role("button", name="Set my new password").click()
    expect(again.page.get_by_role("alert")).to_contain_text("unknown, used or expired")


def test_sign_in_with_the_keyboard_alone(
    person: NewTab, multi_user_server: LiveServer, screenshot_dir: Path
) -> None:
    moodtune_admin(multi_user_server, "create-user", "kai", password=PASSWORD)
    tab = person()
    tab.goto("/signin?next=/account")
    # signed out, no navigation that would only lead back here: the form comes right after
    expect(tab.get_by_role("navigation", name="Primary")).to_have_count(0)
    tab.keyboard.press("Tab")
    expect(tab.get_by_role("link", name="Skip to content")).to_be_focused()
    tab.keyboard.press("Enter")
    tab.keyboard.press("Tab")
    username = tab.get_by_label("Username")
    expect(username).to_be_focused()
    assert tab.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    tab.keyboard.type("kai")
    tab.keyboard.press("Tab")
    expect(tab.get_by_label("Password")).to_be_focused()
    tab.keyboard.type(PASSWORD)
    tab.keyboard.press("Enter")
    expect(AppPage(tab).heading).to_have_text("Account")
    expect(tab).to_have_url(re.compile(r"/account$"))


def _tab_to(tab: Page, target: Locator, *, limit: int = 80) -> None:
    """Press Tab (from wherever focus is) until ``target`` has the focus, as a keyboard user
    moves through a page; fails if it is never reached or shows no focus outline."""
    for _ in range(limit):
        if target.evaluate("node => node === document.activeElement"):
            break
        tab.keyboard.press("Tab")
    else:
        raise AssertionError(f"{target} was not reached with {limit} presses of Tab")
    assert tab.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"


def _type_into(tab: Page, field: Locator, text: str) -> None:
    _tab_to(tab, field)
    tab.keyboard.type(text)


def test_the_account_forms_with_the_keyboard_alone(person: NewTab, therapist_account: str) -> None:
    """Sign-up, password change, an API token made and revoked, an invitation used by the
    therapist and ended, and deleting the account: Tab to each control, type, Space for a
    checkbox, Enter to send; no click anywhere."""
    tab = person()
    tab.goto("/signup")
    expect(AppPage(tab).heading).to_have_text("Make an account")
    _type_into(tab, tab.get_by_label("Username"), "noa")
    _type_into(tab, tab.get_by_label("Password"), PASSWORD)
    notes = tab.get_by_role("checkbox", name="Keep the notes I write")
    _tab_to(tab, notes)
    before = notes.is_checked()
    tab.keyboard.press("Space")
    expect(notes).to_be_checked(checked=not before)
    _tab_to(tab, tab.get_by_role("button", name="Make my account"))
    tab.keyboard.press("Enter")
    expect(AppPage(tab).heading).to_have_text("A few questions first")
    _tab_to(tab, tab.get_by_role("button", name="Skip the questions for now"))
    tab.keyboard.press("Enter")
    expect(CheckinPage(tab).heading).to_have_text("How are you right now?")

    account = AccountPage(tab).open_it()
    password = account.section("Password")
    _type_into(tab, password.get_by_label("Current password"), PASSWORD)
    _type_into(tab, password.get_by_label("New password"), NEW_PASSWORD)
    tab.keyboard.press("Enter")  # Enter in a field sends its form
    expect(account.notice).to_contain_text("Your password is changed")

    tokens = account.section("API tokens")
    _type_into(tab, tokens.get_by_label("Token name"), "keyboard script")
    tab.keyboard.press("Enter")
    expect(account.main.get_by_role("status").filter(has_text="Your new API token")).to_be_visible()
    _tab_to(tab, tokens.get_by_role("button", name="Revoke keyboard script"))
    tab.keyboard.press("Enter")
    expect(account.notice).to_have_text("The token is revoked: it no longer works.")
    expect(account.token_rows).to_have_count(0)

    mine = account.section("My therapist")
    _tab_to(tab, mine.get_by_role("button", name="Make an invitation code"))
    tab.keyboard.press("Enter")
    shown = account.main.get_by_role("status").filter(has_text="invitation code")
    code = shown.locator("code").first.inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code), code

    therapist = person()
    SignInPage(therapist).open_it("/account")
    _type_into(therapist, therapist.get_by_label("Username"), therapist_account)
    _type_into(therapist, therapist.get_by_label("Password"), PASSWORD)
    therapist.keyboard.press("Enter")
    side = AccountPage(therapist).section("I am a therapist")
    _type_into(therapist, side.get_by_label("Invitation code"), code.lower().replace("-", " "))
    therapist.keyboard.press("Enter")
    expect(ClientPage(therapist).heading).to_have_text("noa")  # typed as read aloud: accepted
    listener_url = therapist.url

    account.open_it()
    _tab_to(tab, account.section("My therapist").get_by_role("button", name="End access"))
    tab.keyboard.press("Enter")
    expect(account.notice).to_have_text("Their access has ended.")
    answer = therapist.goto(listener_url)
    assert answer is not None and answer.status == 404, answer and answer.status

    delete = DeletePage(tab).open_it()
    confirm = tab.get_by_role("checkbox", name="Yes, delete everything")
    _tab_to(tab, confirm)
    tab.keyboard.press("Space")
    expect(confirm).to_be_checked()
    _tab_to(tab, tab.get_by_role("button", name="Delete my data"))
    tab.keyboard.press("Enter")
    expect(delete.heading).to_have_text("Your data is deleted")
    SignInPage(tab).open_it()
    _type_into(tab, tab.get_by_label("Username"), "noa")
    _type_into(tab, tab.get_by_label("Password"), NEW_PASSWORD)
    tab.keyboard.press("Enter")
    expect(SignInPage(tab).message).to_contain_text("do not match an active account")


@pytest.mark.parametrize("proto", ["https", "http"])
def test_cookies_are_secure_when_the_trusted_proxy_says_https(
    multi_user_server: LiveServer, proto: str
) -> None:
    """Through the real server (uvicorn believes its trusted proxy, 127.0.0.1): a sign-in the
    proxy forwarded as https sets only Secure cookies; one it forwarded as http does not."""
    import httpx

    from moodtune.web.auth import CSRF_COOKIE, SESSION_COOKIE

    username = f"proxied-{proto}"
    moodtune_admin(multi_user_server, "create-user", username, password=PASSWORD)
    headers = {"X-Forwarded-Proto": proto, "X-Forwarded-For": next(_addresses)}
    with httpx.Client(base_url=multi_user_server.base_url, headers=headers) as client:
        first = client.get("/signin")
        csrf = re.search(rf"{CSRF_COOKIE}=([^;]+)", first.headers["set-cookie"])
        assert csrf is not None
        answer = client.post(
            "/signin",
            data={"username": username, "password": PASSWORD, "csrf_token": csrf.group(1)},
            # by hand: httpx keeps a Secure cookie from an http:// address in its jar
            headers={"Cookie": f"{CSRF_COOKIE}={csrf.group(1)}"},
        )
    assert answer.status_code == 303, answer.text[:300]
    cookies = [*first.headers.get_list("set-cookie"), *answer.headers.get_list("set-cookie")]
    assert any(c.startswith(f"{SESSION_COOKIE}=") for c in cookies)
    for cookie in cookies:
        flags = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert "httponly" in flags and "samesite=lax" in flags, cookie
        assert ("secure" in flags) == (proto == "https"), cookie
