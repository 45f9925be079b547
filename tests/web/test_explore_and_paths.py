"""Finding music: a song path from a named song to a mood, and the mood map on Explore."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.web.pages import AppPage, CheckinPage, ExplorePage, PathPage


def test_a_song_path_goes_from_a_searched_song_to_a_mood(page: Page, listener: str):
    path = PathPage(page).open_it()
    path.find("Someone You Loved")
    start = page.get_by_role("group", name="Start with").get_by_role("radio").first
    expect(start).to_be_checked()
    expect(page.get_by_role("group", name="Start with")).to_contain_text("Lewis Capaldi")
    path.go_to_mood("calm")
    path.show_the_path()

    expect(path.tracks).to_have_count(8)
    expect(path.tracks.first).to_contain_text("Someone You Loved")
    expect(path.tracks.last.locator(".chip")).to_contain_text(re.compile(r"\w"))
    path.wait_for_plots()

    journey = path.start_it()
    expect(journey.cards).to_have_count(8)
    expect(journey.track(1).root).to_contain_text("Someone You Loved")


def test_the_mood_map_starts_a_journey_from_where_you_click(page: Page, listener: str):
    explore = ExplorePage(page).open_it()
    explore.wait_for_plots()
    expect(explore.mood_map).to_have_attribute("aria-label", re.compile(r"\w"))
    expect(explore.mood_map.locator("svg.main-svg").first).to_be_visible()

    # the upper right of the plane: pleasant and energetic
    explore.click_map_at(0.8, 0.2)
    expect(page).to_have_url(re.compile(r"/checkin\?valence=0\.\d+&arousal=0\.\d+"))
    checkin = CheckinPage(page)
    expect(checkin.heading).to_have_text("How are you right now?")
    valence, arousal = checkin.pad.point()
    assert valence > 0.2 and arousal > 0.2, (valence, arousal)
    expect(checkin.pad.control).to_have_attribute("aria-valuetext", re.compile("^pleasant"))


def test_the_mood_chips_are_the_no_pointer_way_to_the_same_place(page: Page, listener: str):
    explore = ExplorePage(page).open_it()
    explore.mood_chip("sad").click()
    checkin = CheckinPage(page)
    expect(checkin.heading).to_have_text("How are you right now?")
    valence, arousal = checkin.pad.point()
    assert valence < -0.2 and arousal < 0.0, (valence, arousal)


def test_searching_explore_leads_to_a_track_and_its_neighbours(page: Page, listener: str):
    explore = ExplorePage(page).open_it()
    results = explore.search("Someone You Loved")
    results.get_by_role("link", name="Someone You Loved").first.click()
    track = AppPage(page)
    expect(track.heading).to_have_text("Someone You Loved")
    expect(page.get_by_role("heading", name="Sounds and feels like it")).to_be_visible()
    expect(page.locator("main ol > li")).to_have_count(10)
