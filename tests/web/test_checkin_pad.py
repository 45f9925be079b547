"""The check-in pad with the keyboard alone, and the check-in without any JavaScript."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.web.conftest import LiveServer, new_context
from tests.web.pages import CheckinPage


def test_the_pad_works_with_the_keyboard_alone(page: Page, listener: str):
    checkin = CheckinPage(page).open_it()
    pad = checkin.pad

    # Tab from the first radio of "How would you like to say it?" reaches the pad next
    page.get_by_role("radio", name="On the pad").focus()
    page.keyboard.press("Tab")
    expect(pad.control).to_be_focused()
    assert pad.point() == (0.0, 0.0)

    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert pad.point() == (0.1, 0.0)
    page.keyboard.press("Shift+ArrowUp")
    assert pad.point() == (0.1, 0.2)
    expect(pad.control).to_have_attribute(
        "aria-valuetext", re.compile(r"^pleasant 0\.10, energetic 0\.20")
    )
    page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("ArrowDown")
    assert pad.point() == (-0.1, 0.15)
    expect(pad.control).to_have_attribute(
        "aria-valuetext", re.compile(r"^unpleasant 0\.10, energetic 0\.15")
    )

    page.keyboard.press("Home")
    assert pad.point() == (0.0, 0.0)
    for _ in range(8):  # past the edge: stays on it
        page.keyboard.press("Shift+ArrowDown")
    assert pad.point() == (0.0, -1.0)
    expect(pad.control).to_have_attribute("aria-valuetext", re.compile(r"calm 1\.00"))
    # the live region tells a screen reader where the point is now
    expect(page.locator(".pad-live")).to_contain_text("calm 1.00", timeout=2_000)

    page.keyboard.press("Enter")  # submits the check-in form: the first button makes a journey
    expect(page).to_have_url(re.compile(r"/journey/[^/]+$"))
    expect(page.locator("li.track-card").first).to_be_visible()


def test_without_javascript_the_ranges_still_start_a_journey(
    browser: Browser, live_server: LiveServer, listener: str
):
    context = new_context(browser, live_server, java_script=False)
    try:
        page = context.new_page()
        checkin = CheckinPage(page).open_it()
        expect(checkin.pad.control).to_be_hidden()  # the pad needs script; the ranges do not
        checkin.pad.valence.fill("-0.6")
        checkin.pad.arousal.fill("0.5")
        checkin.goal("Calm down")
        checkin.length(4)
        journey = checkin.make_my_journey()
        expect(journey.cards).to_have_count(4)
        expect(journey.heading).to_have_text("Calm down")
        # the feedback buttons are plain forms too: the answer comes back with the page
        journey.track(1).button("I like it").click()
        expect(journey.track(1).button("I like it")).to_have_attribute("aria-pressed", "true")
        journey.track(2).button("Skipped it").click()
        expect(journey.track(2).button("Skipped it")).to_have_attribute("aria-pressed", "true")
        # and the second check-in finishes it, with the ranges
        after = page.get_by_role("region", name="When you have listened")
        after.get_by_label("Unpleasant ↔ pleasant").fill("0.2")
        after.get_by_label("Calm ↔ energetic").fill("-0.3")
        after.get_by_role("button", name="Finish and see the change").click()
        expect(page.get_by_role("heading", name="How it went")).to_be_visible()
    finally:
        context.close()


def test_a_journey_by_keyboard_alone(page: Page, listener: str) -> None:
    """Tab to a track's answers and press them; the focus stays on the answer given (the card
    is replaced by HTMX), and the finish form is reached and sent from the keyboard."""
    checkin = CheckinPage(page).open_it()
    checkin.goal("Calm down")
    checkin.length(4)
    journey = checkin.make_my_journey()

    def tab_to(name: str) -> None:
        for _ in range(60):
            page.keyboard.press("Tab")
            focused = page.evaluate("document.activeElement && document.activeElement.innerText")
            if (focused or "").strip() == name:
                return
        raise AssertionError(f"Tab never reached {name!r}")

    def focus_back_on(card: str) -> None:
        # the card is in the page from the swap on; the focus comes back when HTMX has settled
        try:
            page.wait_for_function(
                "card => { const li = document.activeElement && document.activeElement"
                ".closest('li'); return li !== null && li.id === card; }",
                arg=card,
                timeout=5_000,
            )
        except PlaywrightTimeoutError:
            raise AssertionError(f"the focus was lost when {card} was replaced") from None

    page.locator("#track-1 summary").focus()
    tab_to("I like it")
    page.keyboard.press("Enter")
    expect(journey.track(1).button("I like it")).to_have_attribute("aria-pressed", "true")
    focus_back_on("track-1")
    tab_to("This helped")
    page.keyboard.press("Space")
    expect(journey.track(1).button("This helped")).to_have_attribute("aria-pressed", "true")
    focus_back_on("track-1")
    tab_to("Finish and see the change")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="How it went")).to_be_visible()
    assert page.script_errors == []  # type: ignore[attr-defined]


def test_the_theme_toggle_is_remembered_across_pages(page: Page, listener: str) -> None:
    """The light/dark switch: a toggle button whose pressed state is the theme shown, applied
    before paint on the next page, and back to following the system when switched again."""
    page.emulate_media(color_scheme="light")
    page.goto("/history")
    toggle = page.get_by_role("button", name="Dark theme")
    expect(toggle).to_have_attribute("aria-pressed", "false")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    toggle.click()
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    # the new colours apply once the theme's style recalculation (and any transition) is done
    page.wait_for_function(
        "before => getComputedStyle(document.body).backgroundColor !== before", arg=background
    )
    page.goto("/me")  # another page: dark before any script but theme.js in <head> ran
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    expect(page.get_by_role("button", name="Dark theme")).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="Dark theme").click()
    page.reload()
    expect(page.get_by_role("button", name="Dark theme")).to_have_attribute("aria-pressed", "false")
    page.wait_for_function(
        "before => getComputedStyle(document.body).backgroundColor === before", arg=background
    )


def test_the_browsers_time_zone_is_the_pages_time_zone(
    browser: Browser, live_server: LiveServer, listener: str
) -> None:
    """A browser in Tokyo: app.js keeps its zone in a cookie, and the pages' times and streak
    days are Tokyo's (the server runs on its own zone)."""
    context = browser.new_context(base_url=live_server.base_url, timezone_id="Asia/Tokyo")
    try:
        tab = context.new_page()
        tab.goto("/checkin")  # any page: the script runs on every one
        expect(tab.get_by_role("heading", level=1)).to_be_visible()
        cookies = {c["name"]: c for c in context.cookies()}
        assert cookies["moodtune_tz"]["value"] == "Asia/Tokyo"
        assert cookies["moodtune_tz"]["sameSite"] == "Lax"
        answer = tab.request.post("/api/v1/checkins", data={"words": ["calm"]})
        assert answer.ok, answer.text()
        tab.goto("/history")
        tab.get_by_text("Check-ins as a table").click()
        expect(tab.get_by_role("columnheader", name="When (Asia/Tokyo)")).to_be_visible()
    finally:
        context.close()
