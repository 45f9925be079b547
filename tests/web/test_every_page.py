"""Every page, as a listener with some history sees it: screenshots to look at, and axe-core.

Screenshots go to ``test-artifacts/screenshots/`` (desktop 1280×800 and phone 390×844, light and
dark); axe-core runs on each page in both themes and fails on any serious or critical violation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import APIRequestContext, Browser, Page, expect

from tests.web.conftest import DESKTOP, LiveServer, new_context, new_tab
from tests.web.pages import DeletePage, PathPage, Visit, check_page


@dataclass(frozen=True)
class History:
    """What the prepared listener has done: ids the pages are about."""

    open_journey: str
    finished_journey: str
    track_id: str


def _api(request: APIRequestContext, method: str, path: str, body: Any = None) -> Any:
    answer = request.fetch("/api/v1" + path, method=method, data=body)
    assert answer.ok, f"{method} {path}: {answer.status} {answer.text()}"
    return answer.json()


def _prepare(request: APIRequestContext) -> History:
    """A listener with a survey, check-ins, five finished journeys with feedback, an open one."""
    request.delete("/api/v1/listener")
    _api(request, "POST", "/listener", {
        "display_name": "Robin",
        "survey": {"anxiety": 5, "depression": 3, "insomnia": 4, "ocd": 1, "hours_per_day": 3,
                   "fav_genre": "Rock", "while_working": True, "exploratory": True},
    })  # fmt: skip
    _api(request, "POST", "/checkins", {"words": ["tired", "calm"]})
    done = _api(request, "POST", "/sessions", {
        "goal": "calm_down", "mood": {"valence": -0.5, "arousal": 0.6}, "tracks": 5,
    })  # fmt: skip
    _api(
        request, "POST", f"/sessions/{done['id']}/tracks/1/feedback", {"thumbs": 1, "helped": True}
    )
    _api(request, "POST", f"/sessions/{done['id']}/tracks/2/feedback", {"thumbs": -1})
    _api(request, "POST", f"/sessions/{done['id']}/finish", {"valence": 0.2, "arousal": -0.3})
    # enough finished journeys (5) for history's "what helped" figures, not its "too early"
    for goal, before, after in [
        ("lift_mood", (-0.6, -0.4), (0.3, 0.1)), ("focus", (0.1, 0.7), (0.2, 0.2)),
        ("calm_down", (-0.2, 0.8), (0.0, 0.1)), ("energise", (-0.1, -0.7), (0.4, 0.5)),
    ]:  # fmt: skip
        more = _api(request, "POST", "/sessions", {
            "goal": goal, "mood": {"valence": before[0], "arousal": before[1]}, "tracks": 4,
        })  # fmt: skip
        _api(request, "POST", f"/sessions/{more['id']}/tracks/1/feedback", {"helped": True})
        _api(request, "POST", f"/sessions/{more['id']}/finish",
             {"valence": after[0], "arousal": after[1]})  # fmt: skip
    open_one = _api(request, "POST", "/sessions", {
        "goal": "lift_mood", "mood": {"valence": -0.6, "arousal": -0.4}, "tracks": 6,
    })  # fmt: skip
    track_id = done["tracks"][0]["track"]["track_id"]
    return History(open_journey=open_one["id"], finished_journey=done["id"], track_id=track_id)


@pytest.fixture(scope="module")
def history(browser: Browser, live_server: LiveServer) -> Iterator[History]:
    context = new_context(browser, live_server)
    try:
        yield _prepare(context.request)
    finally:
        context.close()


def _song_path(page: Page) -> None:
    path = PathPage(page).open_it()
    path.find("Someone You Loved")
    path.go_to_mood("calm")
    path.show_the_path()


def _insights(page: Page) -> None:
    """A first visit computes the report (the page says so and refreshes itself) until it is in."""
    page.goto("/insights")
    expect(page.locator("div.plot[data-figure-key]").first).to_be_attached(timeout=240_000)


# name → how a person gets there (a path, or steps taken on the page)
PAGES: dict[str, Callable[[History], Visit]] = {
    "welcome": lambda h: "/welcome",
    "survey": lambda h: "/survey",
    "checkin": lambda h: "/checkin",
    "journey": lambda h: f"/journey/{h.open_journey}",
    "journey-finished": lambda h: f"/journey/{h.finished_journey}?finished=1",
    "journeys": lambda h: "/journey",
    "history": lambda h: "/history",
    "explore": lambda h: "/explore?q=love",
    "track": lambda h: f"/explore/track/{h.track_id}",
    "path": lambda h: _song_path,
    "me": lambda h: "/me",
    "insights": lambda h: _insights,
    "delete-confirm": lambda h: "/me/delete",
    "help": lambda h: "/help",
    "api-docs": lambda h: "/api/v1/docs",
    "error-404": lambda h: "/explore/track/no-such-track",
}


def _deleted(page: Page) -> None:
    """Set someone up, then delete everything through the pages: the confirmation of what went."""
    _api(page.request, "POST", "/listener", {"display_name": "Kit"})
    page.goto("/me/delete")
    DeletePage(page).confirm_and_delete()


# before anyone is set up (each visit starts with nobody on this machine)
FIRST_VISIT: dict[str, Visit] = {
    "welcome-new": "/welcome",
    "survey-new": "/survey",
    "deleted": _deleted,
}


@pytest.fixture(scope="module")
def tab(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """One tab for every page of this module: plotly.js is loaded and compiled once."""
    context = new_context(browser, live_server, viewport=DESKTOP)
    yield new_tab(context)
    context.close()


@pytest.mark.parametrize("name", list(FIRST_VISIT))
def test_first_visit_pages(tab: Page, screenshot_dir: Path, name: str) -> None:
    tab.request.delete("/api/v1/listener")
    check_page(tab, screenshot_dir, name, FIRST_VISIT[name])


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page(tab: Page, history: History, screenshot_dir: Path, name: str) -> None:
    check_page(tab, screenshot_dir, name, PAGES[name](history))


def test_the_narrow_phone_check_finds_a_page_that_scrolls_sideways(tab: Page) -> None:
    from tests.web.pages import NARROWEST, _sideways_at

    tab.goto("/help")
    assert _sideways_at(tab, NARROWEST) == []
    tab.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend',"
                 "'<p class=\"too-wide\" style=\"width: 800px\">x</p>')")  # fmt: skip
    (problem,) = _sideways_at(tab, NARROWEST)
    assert "p.too-wide" in problem and "[360 px]" in problem
