"""A new listener's first visit, from the welcome to deleting everything again."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Page, expect

from tests.web.pages import CheckinPage, HistoryPage, MePage, WelcomePage


def test_a_new_listener_checks_in_listens_checks_out_and_leaves(page: Page, no_listener: None):
    page.goto("/")
    expect(page).to_have_url(re.compile("/welcome$"))
    survey = WelcomePage(page).get_started()

    survey.scores(anxiety=6, depression=3, insomnia=4, ocd=1)
    survey.hours_per_day(3)
    survey.favourite_genre("Rock")
    survey.name("Sam")
    checkin = survey.submit()
    expect(page.get_by_role("status")).to_contain_text("Welcome")

    # tense and wound up, wants to calm down, a short journey
    checkin.feel(-0.5, 0.6)
    valence, arousal = checkin.pad.point()
    assert valence < -0.3 and arousal > 0.4, (valence, arousal)
    assert "unpleasant" in checkin.pad.valuetext and "energetic" in checkin.pad.valuetext
    checkin.goal("Calm down")
    checkin.length(5)
    journey = checkin.make_my_journey()

    expect(journey.heading).to_have_text("Calm down")
    expect(journey.cards).to_have_count(5)
    journey.wait_for_plots()

    # not in the mood for a track: swap it for another (where the smooth path allows one)
    swapped = None
    for number in range(2, 6):
        card = journey.track(number)
        before_swap = card.title
        if card.swap():
            swapped = number
            assert journey.track(number).title != before_swap
            break
    assert swapped is not None, "no track of the journey could be swapped"

    # the first track was good: thumbs up and "this helped", answered in place (HTMX)
    first = journey.track(1)
    url_before = page.url
    first.like()
    expect(first.status).to_have_text("Thanks, noted.")
    first.helped()
    expect(first.button("I like it")).to_have_attribute("aria-pressed", "true")
    assert page.url == url_before  # the card was swapped, the page was not reloaded

    # the second check-in: calmer and a little more pleasant
    journey.finish(0.2, -0.4)
    expect(journey.change).to_contain_text("Valence")
    expect(journey.change.get_by_role("status")).not_to_be_empty()
    expect(journey.cards.first.get_by_role("button", name="Swap")).to_have_count(0)

    journey.nav("History")
    history = HistoryPage(page)
    expect(history.heading).to_have_text("How you have been")
    expect(history.main).to_contain_text("2 check-ins")
    expect(history.journeys).to_have_count(1)
    expect(history.journeys.first).to_contain_text("Calm down")
    history.wait_for_plots()

    history.nav("Me")
    me = MePage(page)
    expect(me.heading).to_have_text("Sam")
    download = me.download_my_data()
    assert download.suggested_filename == "moodtune-my-data.json"
    exported = json.loads(download.path().read_text(encoding="utf-8"))
    assert exported["format"] == "moodtune-listener-export"
    checkins = exported["tables"]["mood_checkins"]
    assert [c["kind"] for c in checkins] == ["before", "after"], checkins
    assert checkins[0]["valence"] < 0 < checkins[1]["valence"], checkins
    feedback = exported["tables"]["track_feedback"]
    assert [(f["position"], f["thumbs"], f["helped"]) for f in feedback] == [(0, 1, True)]

    me.delete_my_data().confirm_and_delete()
    page.get_by_role("link", name="Start again").click()
    expect(page).to_have_url(re.compile("/welcome$"))
    expect(page.get_by_role("link", name=re.compile("Get started"))).to_be_visible()
    page.goto("/checkin")  # nobody is set up any more
    expect(page).to_have_url(re.compile("/welcome$"))
    assert not page.script_errors, page.script_errors  # type: ignore[attr-defined]


def test_a_listener_can_check_in_without_a_journey(page: Page, listener: str):
    checkin = CheckinPage(page).open_it()
    checkin.in_words("tired", "calm")
    checkin.just_check_in()
    expect(page.get_by_role("status")).to_contain_text("Checked in")
