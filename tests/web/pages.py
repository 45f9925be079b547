"""Page objects: what a person sees and does on each moodtune page, so tests read like that.

Locators go by role and accessible name (what a screen reader user hears), not by CSS classes,
wherever the page offers one; a page object that cannot find its control is an accessibility
finding as much as a test failure. ``check_page`` at the end is how every page is looked at
(screenshots at both sizes and themes, axe-core), for the local and the multi-user pages alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Download, Locator, Page, ViewportSize, expect

from tests.web.conftest import DESKTOP, PHONE


@dataclass
class AppPage:
    """Anything every page has: the header, the primary navigation, the main heading."""

    page: Page

    def open(self, path: str) -> AppPage:
        self.page.goto(path)
        return self

    @property
    def heading(self) -> Locator:
        return self.page.get_by_role("heading", level=1)

    @property
    def main(self) -> Locator:
        return self.page.locator("main")

    def nav(self, label: str) -> None:
        """Follow a primary navigation link (Check in, Journey, History, Explore, Me)."""
        nav = self.page.get_by_role("navigation", name="Primary")
        nav.get_by_role("link", name=label, exact=True).click()
        self.page.wait_for_load_state()

    def to_account(self) -> AccountPage:
        """The header's Account link (multi-user mode, signed in)."""
        self.page.get_by_role("banner").get_by_role("link", name="Account", exact=True).click()
        account = AccountPage(self.page)
        expect(account.heading).to_have_text("Account")
        return account

    def need_help(self) -> HelpPage:
        self.page.get_by_role("banner").get_by_role("link", name="Need help now?").click()
        return HelpPage(self.page)

    def switch_theme(self) -> None:
        self.page.get_by_role("button", name="Dark theme").click()

    def wait_for_plots(self) -> None:
        """Every Plotly figure on the page has drawn (app.js marks them ``data-rendered``)."""
        plots = self.page.locator("div.plot[data-figure]")
        for i in range(plots.count()):
            expect(plots.nth(i)).to_have_attribute("data-rendered", "", timeout=15_000)


class HelpPage(AppPage):
    pass


class WelcomePage(AppPage):
    def open_it(self) -> WelcomePage:
        self.page.goto("/welcome")
        return self

    def get_started(self) -> SurveyPage:
        self.page.get_by_role("link", name=re.compile("Get started")).click()
        expect(self.heading).to_have_text("A few questions first")
        return SurveyPage(self.page)

    @property
    def privacy(self) -> Locator:
        """The "Your privacy" card: where the data is kept and who can read it."""
        return self.page.get_by_role("region", name="Your privacy")

    def skip_the_questions(self) -> CheckinPage:
        self.main.get_by_role("button", name="Skip the questions for now").click()
        expect(self.heading).to_have_text("How are you right now?")
        return CheckinPage(self.page)


class SurveyPage(AppPage):
    def score(self, question: str, value: int) -> None:
        """Answer one of the four 0–10 questions ("Anxiety", "Depression", …)."""
        group = self.page.get_by_role("radiogroup", name=re.compile(f"^{question}"))
        group.get_by_role("radio", name=str(value), exact=True).check()

    def scores(self, *, anxiety: int, depression: int, insomnia: int, ocd: int) -> None:
        self.score("Anxiety", anxiety)
        self.score("Depression", depression)
        self.score("Insomnia", insomnia)
        self.score("OCD", ocd)

    def hours_per_day(self, hours: float) -> None:
        self.page.get_by_label("Hours of music on a typical day").fill(str(hours))

    def favourite_genre(self, genre: str) -> None:
        self.page.get_by_label("Favourite genre").select_option(genre)

    def name(self, name: str) -> None:
        self.page.get_by_label("A name to greet you by").fill(name)

    def submit(self) -> CheckinPage:
        self.page.get_by_role("button", name="Continue").click()
        expect(self.heading).to_have_text("How are you right now?")
        return CheckinPage(self.page)


class Pad:
    """The check-in pad (a 2-D slider) and the two range inputs behind it."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.control = page.get_by_role("slider", name=re.compile("^Mood pad"))
        self.valence = page.get_by_label("Unpleasant ↔ pleasant")
        self.arousal = page.get_by_label("Calm ↔ energetic")

    def point(self) -> tuple[float, float]:
        return float(self.valence.input_value()), float(self.arousal.input_value())

    @property
    def valuetext(self) -> str:
        return self.control.get_attribute("aria-valuetext") or ""

    def tap(self, valence: float, arousal: float) -> None:
        """Click the pad where (valence, arousal) is."""
        box = self.control.bounding_box()
        assert box is not None, "the pad is not on screen"
        self.control.click(
            position={
                "x": (valence + 1) / 2 * box["width"],
                "y": (1 - arousal) / 2 * box["height"],
            }
        )


class CheckinPage(AppPage):
    def open_it(self, query: str = "") -> CheckinPage:
        self.page.goto("/checkin" + query)
        expect(self.heading).to_have_text("How are you right now?")
        return self

    @property
    def pad(self) -> Pad:
        return Pad(self.page)

    def feel(self, valence: float, arousal: float) -> None:
        """Say how you feel on the pad, by clicking it."""
        self.pad.tap(valence, arousal)

    def goal(self, label: str) -> None:
        self.page.get_by_role("radio", name=re.compile(f"^{label}")).check()

    def length(self, amount: int, unit: str = "tracks") -> None:
        self.page.get_by_label("Length").fill(str(amount))
        self.page.get_by_label("in", exact=True).select_option(unit)

    def in_words(self, *words: str) -> None:
        self.page.get_by_role("radio", name="In words").check()
        for word in words:
            # the chip (the box's label) is what a person clicks; the box itself is hidden
            box = self.page.get_by_role("checkbox", name=word, exact=True)
            self.page.locator("label.chip", has=box).click()
            expect(box).to_be_checked()

    def make_my_journey(self) -> JourneyPage:
        self.page.get_by_role("button", name="Make my journey").click()
        journey = JourneyPage(self.page)
        journey.wait_until_open()
        return journey

    def just_check_in(self) -> None:
        self.page.get_by_role("button", name="Just check in").click()

    @property
    def support(self) -> Locator:
        return self.page.get_by_role("region", name="Support is available")


class TrackCard:
    """One numbered track of a journey."""

    def __init__(self, page: Page, number: int) -> None:
        self.page = page
        self.number = number

    @property
    def root(self) -> Locator:
        # looked up afresh each time: an HTMX answer replaces the whole card
        return self.page.locator(f"#track-{self.number}")

    @property
    def title(self) -> str:
        text = self.root.get_by_role("heading").inner_text()
        return text.split(":", 1)[-1].strip() if text.startswith("Track ") else text.strip()

    def button(self, label: str) -> Locator:
        return self.root.get_by_role("button", name=label, exact=True)

    def like(self) -> None:
        self._answer("I like it")

    def not_for_me(self) -> None:
        self._answer("Not for me")

    def helped(self) -> None:
        self._answer("This helped")

    def _answer(self, label: str) -> None:
        self.button(label).click()
        expect(self.button(label)).to_have_attribute("aria-pressed", "true")

    def swap(self) -> bool:
        """Ask for another track here; False when there is none (the card then says why)."""
        before = self.root.get_by_role("heading").inner_text()
        with self.page.expect_response(lambda r: r.url.endswith("/swap")) as answer:
            self.button("Swap").click()
        if answer.value.status == 422:
            expect(self.status).not_to_be_empty()
            return False
        assert answer.value.status == 303, answer.value.status
        expect(self.root.get_by_role("heading")).not_to_have_text(before)
        return True

    @property
    def status(self) -> Locator:
        return self.root.get_by_role("status")


class JourneyPage(AppPage):
    def wait_until_open(self) -> None:
        expect(self.page).to_have_url(re.compile(r"/journey/[^/?#]+"))
        expect(self.page.locator(".track-card").first).to_be_visible()

    @property
    def cards(self) -> Locator:
        return self.page.locator("li.track-card")

    def track(self, number: int) -> TrackCard:
        return TrackCard(self.page, number)

    @property
    def plot(self) -> Locator:
        return self.page.locator("div.plot[data-figure]")

    @property
    def pad(self) -> Pad:
        return Pad(self.page)

    def finish(self, valence: float, arousal: float) -> None:
        """The second check-in: how do you feel now? Then see the change."""
        after = self.page.get_by_role("region", name="When you have listened")
        after.scroll_into_view_if_needed()
        self.pad.tap(valence, arousal)
        after.get_by_role("button", name="Finish and see the change").click()
        expect(self.page.get_by_role("heading", name="How it went")).to_be_visible()

    @property
    def change(self) -> Locator:
        return self.page.get_by_role("region", name="How it went")


class HistoryPage(AppPage):
    def open_it(self) -> HistoryPage:
        self.page.goto("/history")
        expect(self.heading).to_have_text("How you have been")
        return self

    @property
    def journeys(self) -> Locator:
        return self.page.get_by_role("region", name="Before → after, per journey").get_by_role(
            "listitem"
        )


class ExplorePage(AppPage):
    def open_it(self) -> ExplorePage:
        self.page.goto("/explore")
        expect(self.heading).to_have_text("Explore the music")
        return self

    def search(self, text: str) -> Locator:
        self.page.get_by_role("searchbox", name="Search titles and artists").fill(text)
        self.page.get_by_role("button", name="Search", exact=True).click()
        results = self.page.get_by_role("region", name=re.compile("tracks? for"))
        expect(results).to_be_visible()
        return results

    @property
    def mood_map(self) -> Locator:
        return self.page.get_by_role("region", name="The catalog's mood map").locator(
            "div.plot[data-figure]"
        )

    def click_map_at(self, fx: float, fy: float) -> None:
        """Click the plot area at a fraction (0–1) of its width and height."""
        area = self.mood_map.locator(".nsewdrag").first
        box = area.bounding_box()
        assert box is not None, "the mood map has no plot area"
        area.click(position={"x": fx * box["width"], "y": fy * box["height"]})

    def mood_chip(self, word: str) -> Locator:
        return self.page.get_by_role("region", name="The catalog's mood map").get_by_role(
            "link", name=word, exact=True
        )


class PathPage(AppPage):
    def open_it(self) -> PathPage:
        self.page.goto("/path")
        expect(self.heading).to_have_text("A song path")
        return self

    def find(self, start_from: str) -> None:
        self.page.get_by_label("Start from a song").fill(start_from)
        self.page.get_by_role("button", name="Find songs").click()
        expect(self.page.get_by_role("group", name="Start with")).to_be_visible()

    def go_to_mood(self, mood: str) -> None:
        self.page.get_by_label("A mood").select_option(mood)

    def show_the_path(self) -> None:
        self.page.get_by_role("button", name="Show the path").click()
        expect(self.page.locator("li.track-card").first).to_be_visible()

    @property
    def tracks(self) -> Locator:
        return self.page.locator("li.track-card")

    def start_it(self) -> JourneyPage:
        self.page.get_by_role("button", name="Start this journey").click()
        journey = JourneyPage(self.page)
        journey.wait_until_open()
        return journey


class MePage(AppPage):
    def open_it(self) -> MePage:
        self.page.goto("/me")
        return self

    def download_my_data(self) -> Download:
        with self.page.expect_download() as info:
            self.page.get_by_role("link", name="Download my data").click()
        return info.value

    def delete_my_data(self) -> DeletePage:
        self.page.get_by_role("link", name="Delete my data…").click()
        expect(self.heading).to_have_text("Delete all of my data")
        return DeletePage(self.page)


class DeletePage(AppPage):
    def open_it(self) -> DeletePage:
        self.page.goto("/me/delete")
        expect(self.heading).to_have_text("Delete all of my data")
        return self

    def confirm_and_delete(self) -> None:
        self.page.get_by_role("checkbox", name="Yes, delete everything").check()
        self.page.get_by_role("button", name="Delete my data").click()
        expect(self.heading).to_have_text("Your data is deleted")


# --- accounts (multi-user mode) ---------------------------------------------------------------


class SignInPage(AppPage):
    def open_it(self, next_path: str | None = None) -> SignInPage:
        self.page.goto("/signin" + (f"?next={next_path}" if next_path else ""))
        expect(self.heading).to_have_text("Sign in")
        return self

    def sign_in(self, username: str, password: str) -> None:
        """Type both fields and press the button; where it leads is the caller's to check."""
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in", exact=True).click()

    @property
    def message(self) -> Locator:
        """Why sign-in did not work (announced: role alert)."""
        return self.main.get_by_role("alert")

    @property
    def notice(self) -> Locator:
        return self.main.get_by_role("status")


class SignUpPage(AppPage):
    def open_it(self) -> SignUpPage:
        self.page.goto("/signup")
        expect(self.heading).to_have_text("Make an account")
        return self

    def sign_up(self, username: str, password: str, *, keep_notes: bool = False) -> SurveyPage:
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("checkbox", name="Keep the notes I write").set_checked(keep_notes)
        self.page.get_by_role("button", name="Make my account").click()
        expect(self.heading).to_have_text("A few questions first")
        return SurveyPage(self.page)


class ResetPage(AppPage):
    def open_it(self) -> ResetPage:
        self.page.goto("/reset")
        expect(self.heading).to_have_text("Set a new password")
        return self

    def set_new_password(self, token: str, password: str) -> SignInPage:
        self.page.get_by_label("Reset token").fill(token)
        self.page.get_by_label("New password").fill(password)
        self.page.get_by_role("button", name="Set my new password").click()
        signin = SignInPage(self.page)
        expect(signin.heading).to_have_text("Sign in")
        return signin


class AccountPage(AppPage):
    def open_it(self) -> AccountPage:
        self.page.goto("/account")
        expect(self.heading).to_have_text("Account")
        return self

    def section(self, title: str) -> Locator:
        return self.page.get_by_role("region", name=title, exact=True)

    @property
    def notice(self) -> Locator:
        """The answer to what was just done (a status message under the heading)."""
        return self.main.get_by_role("status").first

    def change_password(self, current: str, new: str) -> None:
        form = self.section("Password")
        form.get_by_label("Current password").fill(current)
        form.get_by_label("New password").fill(new)
        form.get_by_role("button", name="Change my password").click()
        expect(self.notice).to_contain_text("Your password is changed")

    def make_token(self, name: str) -> str:
        """Make an API token; the secret, which the page shows this once."""
        tokens = self.section("API tokens")
        tokens.get_by_label("Token name").fill(name)
        tokens.get_by_role("button", name="Make a token").click()
        shown = self.main.get_by_role("status").filter(has_text="Your new API token")
        expect(shown).to_be_visible()
        return shown.locator("code").first.inner_text().strip()

    @property
    def token_rows(self) -> Locator:
        return (
            self.section("API tokens").get_by_role("row").filter(has=self.page.get_by_role("cell"))
        )

    def revoke_token(self, name: str) -> None:
        self.section("API tokens").get_by_role("button", name=f"Revoke {name}").click()
        expect(self.notice).to_have_text("The token is revoked: it no longer works.")

    def invite_therapist(self, *, share_notes: bool) -> str:
        """Make a one-time invitation code; the code, shown this once."""
        mine = self.section("My therapist")
        mine.get_by_role("checkbox", name=re.compile("Let them read the notes")).set_checked(
            share_notes
        )
        mine.get_by_role("button", name="Make an invitation code").click()
        shown = self.main.get_by_role("status").filter(has_text="invitation code")
        expect(shown).to_be_visible()
        return shown.locator("code").first.inner_text().strip()

    def use_code(self, code: str) -> None:
        """The therapist's side: enter a listener's invitation code."""
        side = self.section("I am a therapist")
        side.get_by_label("Invitation code").fill(code)
        side.get_by_role("button", name="Use the code").click()

    def end_access(self) -> None:
        self.section("My therapist").get_by_role("button", name="End access").click()
        expect(self.notice).to_have_text("Their access has ended.")

    @property
    def suggestions(self) -> Locator:
        return self.section("Suggested for you")

    @property
    def access_log(self) -> Locator:
        return (
            self.section("Who has read my data")
            .get_by_role("row")
            .filter(has=self.page.get_by_role("cell"))
        )

    def sign_out_everywhere(self) -> None:
        sessions = self.section("Where I am signed in")
        sessions.get_by_role("button", name="Sign out everywhere").click()
        expect(self.notice).to_have_text("Signed out everywhere else.")

    def sign_out(self) -> SignInPage:
        self.main.get_by_role("button", name="Sign out", exact=True).click()
        signin = SignInPage(self.page)
        expect(signin.notice).to_have_text("You are signed out.")
        return signin


class TherapistPage(AppPage):
    """My listeners: the therapist's list of who invited them, with progress at a glance."""

    def open_it(self) -> TherapistPage:
        self.page.goto("/therapist")
        expect(self.heading).to_have_text("My listeners")
        return self

    def row(self, name: str) -> Locator:
        return self.main.get_by_role("row").filter(
            has=self.page.get_by_role("rowheader", name=name)
        )

    def open_listener(self, name: str) -> ClientPage:
        self.row(name).get_by_role("link", name=name).click()
        client = ClientPage(self.page)
        expect(client.heading).to_have_text(name)
        return client


class ClientPage(AppPage):
    """One listener, as their therapist sees them: read-only, and a goal to suggest."""

    def section(self, title: str) -> Locator:
        return self.page.get_by_role("region", name=title, exact=True)

    def rows(self, title: str) -> Locator:
        return self.section(title).get_by_role("row").filter(has=self.page.get_by_role("cell"))

    def suggest(self, goal: str, *, tracks: int | None = None, words: str = "") -> None:
        form = self.section("Suggest a goal")
        form.get_by_label("Goal").select_option(label=goal)
        if tracks is not None:
            form.get_by_label("Tracks (optional)").fill(str(tracks))
        form.get_by_label("A few words (optional)").fill(words)
        form.get_by_role("button", name="Send the suggestion").click()
        expect(self.main.get_by_role("status")).to_have_text("Suggestion sent.")


# --- how every page is looked at: screenshots at both sizes, axe-core in both themes ----------

AXE = Axe()
BLOCKING = ("serious", "critical")
Scheme = Literal["light", "dark"]
# the order keeps changes small: one theme or one size at a time
LOOKS: list[tuple[ViewportSize, Scheme]] = [
    (DESKTOP, "light"), (DESKTOP, "dark"), (PHONE, "dark"), (PHONE, "light"),
]  # fmt: skip
# how a person gets to a page: a path, or steps taken on the page (``stay`` for where it is)
Visit = str | Callable[[Page], None]


def stay(page: Page) -> None:
    """The page as it is now (the answer to a form just sent, say)."""


def _visit(page: Page, visit: Visit) -> None:
    if callable(visit):
        visit(page)
    else:
        page.goto(visit)
    page.wait_for_load_state("load")
    AppPage(page).wait_for_plots()


def _theme(page: Page, scheme: Scheme) -> None:
    """Switch the system theme under the open page; wait until its figures have redrawn."""
    plots = page.locator("div.plot[data-rendered]")
    plots.evaluate_all("divs => divs.forEach(d => d.removeAttribute('data-rendered'))")
    page.emulate_media(color_scheme=scheme)
    expect(page.locator("html")).to_have_css("color-scheme", scheme)
    AppPage(page).wait_for_plots()
    # two frames: the whole page has repainted in the new colours before the picture
    page.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def blocking_violations(results: Any) -> list[str]:
    """One line per serious or critical axe violation: rule, impact, where, and how to fix."""
    lines = []
    for violation in results.response["violations"]:
        if violation.get("impact") not in BLOCKING:
            continue
        for node in violation["nodes"]:
            lines.append(
                f"{violation['id']} ({violation['impact']}): {violation['help']} at "
                f"{node['target']}: {node.get('failureSummary', '').strip()}"
            )
    return lines


def text_lines(element: Locator) -> int:
    """On how many lines the element's text is drawn (one box per line of each text run)."""
    lines: int = element.evaluate(
        "e => { const r = document.createRange(); r.selectNodeContents(e); "
        "return new Set([...r.getClientRects()].map(b => Math.round(b.top))).size; }"
    )
    return lines


NARROWEST: ViewportSize = {"width": 360, "height": 740}
"""The narrowest phone the app is made for (DESIGN.md): nothing may scroll sideways."""

_OVERFLOWING = """(width) => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > width + 1
               && (!(e.parentElement && e.parentElement.closest('.table-wrap, .plot'))
                   || getComputedStyle(e).position === 'absolute')
               && getComputedStyle(e).position !== 'fixed' && e.getClientRects().length)
  .slice(0, 5).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
                       + ' → ' + Math.round(e.getBoundingClientRect().right) + ' px')"""


def _sideways_at(tab: Page, viewport: ViewportSize) -> list[str]:
    """Whether the page scrolls sideways at ``viewport`` (wide tables and figures scroll inside
    their own boxes, which is fine); what sticks out, if it does."""
    tab.set_viewport_size(viewport)
    tab.evaluate(
        "window.Plotly && Promise.all([...document.querySelectorAll("
        "'div.plot[data-rendered]')].map(d => Plotly.Plots.resize(d)))"
    )
    width = int(tab.evaluate("document.documentElement.scrollWidth"))
    if width <= viewport["width"]:
        return []
    culprits = tab.evaluate(_OVERFLOWING, viewport["width"])
    return [f"[{viewport['width']} px] the page is {width} px wide: {culprits}"]


def check_page(tab: Page, screenshots: Path, name: str, visit: Visit) -> None:
    """Visit a page as a person would; screenshot it on a desktop and a phone, light and dark;
    axe-core finds nothing serious or critical in either theme. The tab is left as it came
    (desktop, light), so a test can go on from the page."""
    errors: list[str] = tab.script_errors  # type: ignore[attr-defined]
    errors.clear()
    tab.set_viewport_size(DESKTOP)
    tab.emulate_media(color_scheme="light")
    _visit(tab, visit)
    expect(tab.get_by_role("heading", level=1)).to_be_visible()
    problems: list[str] = []
    for viewport, scheme in LOOKS:
        if tab.viewport_size != viewport:
            tab.set_viewport_size(viewport)
            # figures follow their container's new width before the picture is taken
            tab.evaluate(
                "window.Plotly && Promise.all([...document.querySelectorAll("
                "'div.plot[data-rendered]')].map(d => Plotly.Plots.resize(d)))"
            )
        if tab.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") != (scheme == "dark"):
            _theme(tab, scheme)
        size = f"{viewport['width']}x{viewport['height']}"
        tab.screenshot(path=screenshots / f"{name}-{size}-{scheme}.png", full_page=True)
        if viewport is DESKTOP:
            problems += [f"[{scheme}] {line}" for line in blocking_violations(AXE.run(tab))]
    problems += _sideways_at(tab, NARROWEST)
    tab.set_viewport_size(DESKTOP)
    assert not problems, f"axe on {name}:\n" + "\n".join(problems)
    assert not errors, f"script errors on {name}: {errors}"
