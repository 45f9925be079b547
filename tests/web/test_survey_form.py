"""The onboarding survey as a form: bad answers come back inline (each field marked and
described, a summary linking to each, nothing saved), and its progress shows how many of the
four needed answers are given, on the server and live in the browser."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from tests.web.pages import SurveyPage

NEEDED = {"anxiety": "4", "depression": "3", "insomnia": "2", "ocd": "1"}


def test_bad_answers_come_back_inline_and_nothing_is_saved(client: TestClient) -> None:
    answer = client.post("/survey", data={**NEEDED, "hours_per_day": "lots", "age": "7"})
    assert answer.status_code == 422
    html = answer.text
    assert re.search(r'id="hours_per_day"[^>]*aria-invalid="true"'
                     r'[^>]*aria-describedby="hours_per_day-error"', html)  # fmt: skip
    message = re.search(r'<p class="field-error" id="hours_per_day-error">([^<]+)</p>', html)
    assert message is not None and message.group(1).strip()
    assert 'class="error-summary" role="alert"' in html and 'href="#hours_per_day"' in html
    # what was typed stays in the form, and the four answers given are counted
    assert 'value="lots"' in html
    assert re.search(r'<progress max="4" value="4"', html)
    assert "4 of 4 needed answers given" in html
    assert client.get("/api/v1/listener").status_code == 404  # nobody was set up


def test_progress_counts_the_needed_answers(client: TestClient) -> None:
    empty = client.get("/survey").text
    assert re.search(r'<progress max="4" value="0"', empty)
    two = client.post("/survey", data={"anxiety": "4", "ocd": "1"}).text
    assert re.search(r'<progress max="4" value="2"', two)
    assert "2 of 4 needed answers given" in two


def test_progress_updates_as_the_answers_are_given(page: Page, no_listener: None) -> None:
    page.goto("/survey")
    survey = SurveyPage(page)
    status = page.locator("#survey-progress-text")
    expect(status).to_have_text("0 of 4 needed answers given")
    survey.score("Anxiety", 5)
    expect(status).to_have_text("1 of 4 needed answers given")
    survey.score("Anxiety", 6)  # a changed answer is still one answer
    survey.score("OCD", 0)
    expect(status).to_have_text("2 of 4 needed answers given")
    assert page.locator("#survey-progress progress").evaluate("p => p.value") == 2
    assert page.script_errors == []  # type: ignore[attr-defined]
