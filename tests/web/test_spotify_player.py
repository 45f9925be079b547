"""The Spotify player on a journey page, in a real browser: nothing is requested from Spotify
until the listener clicks "Play here"; then exactly Spotify's embed for that track loads.
Requests that would leave the machine are recorded and stopped (no network in tests)."""

from __future__ import annotations

from urllib.parse import urlparse

from playwright.sync_api import BrowserContext, Page, Route

from tests.web.conftest import LiveServer


def test_spotify_loads_only_after_the_listener_asks(
    listener: str, live_server: LiveServer, context: BrowserContext, page: Page
) -> None:
    elsewhere: list[str] = []

    def outside(route: Route) -> None:
        elsewhere.append(route.request.url)
        route.abort()

    local = urlparse(live_server.base_url).netloc
    context.route(lambda url: urlparse(url).netloc != local, outside)
    journey = context.request.post(
        live_server.base_url + "/api/v1/sessions",
        data={"goal": "calm_down", "mood": {"valence": -0.4, "arousal": 0.5}, "tracks": 5},
    )  # fmt: skip
    assert journey.ok, journey.text()
    first = journey.json()["tracks"][0]["track"]["track_id"]

    page.goto(f"/journey/{journey.json()['id']}")
    page.wait_for_load_state("networkidle")
    card = page.locator("#track-1")
    link = card.get_by_role("link", name="Open in Spotify")
    assert link.get_attribute("href") == f"https://open.spotify.com/track/{first}"
    assert link.get_attribute("rel") == "noopener noreferrer"
    assert page.locator("iframe").count() == 0
    assert elsewhere == []  # the page alone asked nothing of Spotify

    card.get_by_role("button", name="Play here").click()
    frame = card.locator("iframe.track-embed")
    frame.wait_for(state="attached")
    assert frame.get_attribute("src") == f"https://open.spotify.com/embed/track/{first}"
    assert (frame.get_attribute("title") or "").startswith("Spotify player: ")
    page.wait_for_timeout(300)
    assert elsewhere and all(urlparse(u).netloc == "open.spotify.com" for u in elsewhere)
    assert all(f"/embed/track/{first}" in u for u in elsewhere)
    assert page.locator("iframe").count() == 1  # the other tracks' players stay unloaded
    assert page.script_errors == []  # type: ignore[attr-defined]
