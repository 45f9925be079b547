"""When the answers signal risk, the crisis resources come first and the music second."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.web.pages import MePage, WelcomePage


def test_crisis_resources_come_first_after_a_depression_score_of_nine(
    page: Page, no_listener: None
):
    survey = WelcomePage(page).open_it().get_started()
    survey.scores(anxiety=7, depression=9, insomnia=6, ocd=2)
    checkin = survey.submit()

    support = checkin.support
    expect(support).to_be_visible()
    expect(support.get_by_role("heading", name="Support is available")).to_be_visible()
    expect(support.get_by_role("listitem").first).to_be_visible()
    # first in the page: above the check-in's own heading
    support_box = support.bounding_box()
    heading_box = checkin.heading.bounding_box()
    assert support_box and heading_box and support_box["y"] < heading_box["y"]

    me = MePage(page).open_it()
    expect(me.main.get_by_role("region", name="Support is available")).to_be_visible()
    help_page = me.need_help()
    expect(help_page.heading).to_have_text("Need help now?")
