"""The "Getting ready" page a first start shows while the models are prepared: accessible like
every page, honest about a failed preparation, and replaced by the page asked for once ready.

The app runs in a real uvicorn on 127.0.0.1 in this process, so the test holds its readiness:
what the background preparation would report is reported by the test, step by step.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, Route, expect

from moodtune.app.services import Services
from moodtune.config import Settings
from moodtune.sessions import create_listener
from moodtune.web.app import create_app
from moodtune.web.state import Readiness
from tests.connectors.fake_spotify import free_port
from tests.web.conftest import LiveServer, new_context, new_tab
from tests.web.pages import check_page


class Preparing:
    """A moodtune whose preparation the test drives (nothing runs in the background)."""

    def __init__(self, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(Readiness, "start", lambda self: None)
        self.app = create_app(settings)
        self.readiness: Readiness = self.app.state.readiness
        port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.live = LiveServer(
            base_url=f"http://127.0.0.1:{port}", data_dir=settings.data_dir,
            log=settings.data_dir / "none.log", env={},
        )  # fmt: skip

    def __enter__(self) -> Preparing:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "uvicorn did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def preparing(app_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Preparing]:
    with Preparing(app_settings, monkeypatch) as running:
        yield running


@pytest.fixture
def tab(browser: Browser, preparing: Preparing) -> Iterator[Page]:
    context = new_context(browser, preparing.live)
    yield new_tab(context)
    context.close()


def _without_the_refresh_timer(tab: Page) -> None:
    """Serve the page without its ``<meta http-equiv="refresh">``: axe and the screenshots
    need the page to hold still for longer than its three seconds."""

    def hold_still(route: Route) -> None:
        answer = route.fetch()
        html = answer.text().replace('<meta http-equiv="refresh" content="3">', "")
        route.fulfill(response=answer, body=html)

    tab.route("**/explore", hold_still)


def test_the_page_says_what_is_being_prepared_and_passes_axe(
    tab: Page, preparing: Preparing, screenshot_dir: Path
) -> None:
    preparing.readiness._report("the 'will music help?' model", 4, 6)
    _without_the_refresh_timer(tab)
    check_page(tab, screenshot_dir, "preparing", "/explore")
    expect(tab.get_by_role("heading", level=1)).to_have_text("Getting ready")
    expect(tab.get_by_role("status")).to_have_text("Step 4 of 6: the 'will music help?' model…")
    steps = tab.locator("ol.progress-steps li")
    expect(steps).to_have_count(6)
    expect(tab.locator("ol.progress-steps li.is-done")).to_have_count(3)
    expect(tab.locator('ol.progress-steps li[aria-current="step"]')).to_have_text("Step 4")
    api = tab.request.get("/api/v1/tracks?q=love")
    assert api.status == 503 and api.headers["retry-after"] == "5"
    assert api.headers["content-type"].startswith("application/problem+json")
    assert "still preparing (the 'will music help?' model)" in api.json()["detail"]


def test_a_failed_preparation_is_said_plainly(
    tab: Page, preparing: Preparing, screenshot_dir: Path
) -> None:
    preparing.readiness.error = "OSError: no space left on device"
    _without_the_refresh_timer(tab)
    check_page(tab, screenshot_dir, "preparing-failed", "/explore")
    expect(tab.locator(".notice")).to_contain_text(
        "moodtune could not prepare its models: OSError: no space left on device"
    )
    assert "Traceback" not in tab.content()


@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_the_page_refreshes_itself_into_the_page_asked_for(
    tab: Page, preparing: Preparing, services: Services
) -> None:
    """No script needed: the page's own refresh brings the check-in once the models are in."""
    preparing.readiness._report("the track index", 6, 6)
    # someone set up earlier: the local listener, in the database the models will serve from
    preparing.app.state.identity.set(create_listener(services.engine, display_name="Sam").id)
    tab.goto("/checkin")
    expect(tab.get_by_role("heading", level=1)).to_have_text("Getting ready")
    preparing.readiness.services = services  # what Readiness.run does when it is done
    expect(tab.get_by_role("heading", level=1)).not_to_have_text("Getting ready", timeout=10_000)
    expect(tab).to_have_url(f"{preparing.live.base_url}/checkin")
    assert tab.script_errors == []  # type: ignore[attr-defined]
