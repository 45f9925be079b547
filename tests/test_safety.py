"""Risk signals and crisis resources."""

from __future__ import annotations

import json

import pytest

from moodtune.config import Settings
from moodtune.errors import InputError
from moodtune.safety import (
    NOT_A_MEDICAL_DEVICE,
    SCORE_THRESHOLD,
    assess_risk,
    check_country_code,
    crisis_resources,
    screen_note,
    screen_scores,
)


@pytest.mark.parametrize(
    "note",
    [
        "I want to die",
        "honestly I keep thinking about suicide",
        "feeling SUICIDAL tonight",
        "I might hurt myself",
        "thinking of self-harm again",
        "self harm urges",
        "I don’t want to live like this",  # curly apostrophe
        "I dont want to be alive",
        "everyone would be better off without me",
        "i could kill myself",
        "thinking about ending   my life",
        "there is no reason to live",
        "honestly kms",
        "KMS.",
        "i wanna kms tbh",
        "I wish I could disappear forever",
        "I just want to disappear",
        "i don't want to wake up tomorrow",
        "thinking about how to unalive myself",
        "suicide squad soundtrack, and I feel suicidal",  # a title does not hide the rest
    ],
)
def test_self_harm_language_is_noticed(note: str) -> None:
    assert screen_note(note), note


@pytest.mark.parametrize(
    "note",
    [
        "what a killer playlist",
        "this track kills",
        "I'd die for this chorus",
        "dead tired but ok",
        "the drop was to die for",
        "killing it at work today",
        "skills, skillset",  # 'kill' inside a word
        "cutting onions myself",  # 'cut myself' only as a phrase
        "overdosed on coffee",  # not the whole word 'overdose'
        "suicide squad soundtrack",  # film titles and band names
        "Suicidal Tendencies live at the festival",
        "the Suicide Squad score is great",
        "ran 5 kms this morning",  # kilometres, not 'kill myself'
        "ran 10kms",
        "weekms",  # 'kms' inside a word
        "",
    ],
)
def test_music_slang_and_ordinary_words_are_not_flagged(note: str) -> None:
    assert screen_note(note) == [], note


def test_titles_are_ignored_only_where_they_stand() -> None:
    assert screen_note("Suicide Squad then I want to die") == ["want to die"]
    assert screen_note("suicidal tendencies, suicide") == ["suicide"]


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("US", "US"),
        ("gb", "GB"),
        ("UK", "GB"),
        (" de ", "DE"),
        ("XK", "XK"),
        ("international", "international"),
        ("International", "international"),
    ],
)
def test_assigned_country_codes_are_accepted(given: str, stored: str) -> None:
    assert check_country_code(given) == stored


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("XX", "not an assigned"),
        ("ZZ", "not an assigned"),
        ("QM", "not an assigned"),
        ("AB", "not an assigned"),
        ("Narnia", "two-letter"),
        ("U5", "two-letter"),
        ("USA", "two-letter"),
    ],
)
def test_other_country_codes_are_refused(given: str, problem: str) -> None:
    with pytest.raises(InputError, match=problem) as info:
        check_country_code(given)
    assert info.value.field == "country" and info.value.value == given
    assert "international" in str(info.value)


def test_score_threshold_is_inclusive() -> None:
    assert SCORE_THRESHOLD == 9.0
    assert screen_scores(depression=8.9, anxiety=8.5) == []
    assert screen_scores(depression=9, anxiety=None) == ["depression score 9/10"]
    assert screen_scores(depression=None, anxiety=10) == ["anxiety score 10/10"]


def test_no_risk_means_no_message(settings: Settings) -> None:
    calm = assess_risk(depression=3, anxiety=4, note="a nice walk", settings=settings)
    assert not calm.at_risk and calm.message == "" and calm.resources is None


@pytest.mark.parametrize(
    ("country", "expected"),
    [("US", "988"), ("uk", "116 123"), ("GB", "Samaritans"), ("au", "13 11 14"), ("CA", "988")],
)
def test_country_resources(settings: Settings, country: str, expected: str) -> None:
    risk = assess_risk(depression=10, country=country, settings=settings)
    assert risk.at_risk
    assert expected in risk.message
    assert risk.resources is not None and risk.resources.emergency in risk.message
    assert risk.to_dict()["disclaimer"] == NOT_A_MEDICAL_DEVICE


def test_default_and_unknown_countries_fall_back_to_international(settings: Settings) -> None:
    default = assess_risk(note="I want to die", settings=settings)
    assert default.country == "international"
    assert "findahelpline.com" in default.message and "112" in default.message
    unknown = assess_risk(note="I want to die", country="ZZ", settings=settings)
    assert unknown.country == "international"
    assert "No local list for 'ZZ'" in unknown.message
    # the configured default country applies when the listener has none
    us = settings.model_copy(update={"crisis_country": "US"})
    assert "988" in assess_risk(anxiety=9.5, settings=us).message


def test_crisis_resources_can_be_added_in_the_data_dir(settings: Settings) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    custom = settings.data_dir / "crisis_resources.json"
    custom.write_text(
        json.dumps(
            {
                "SE": {
                    "label": "Sweden",
                    "emergency": "112",
                    "lines": [{"name": "Mind", "contact": "call 90101"}],
                }
            }
        )
    )
    resources, exact = crisis_resources("se", settings=settings)
    assert exact and resources.lines[0].contact == "call 90101"
    custom.write_text(json.dumps({"SE": {"label": "Sweden"}}))
    with pytest.raises(InputError, match="needs 'emergency' and 'lines'") as info:
        crisis_resources("SE", settings=settings)
    assert info.value.file == str(custom)


def test_the_message_is_plain_and_keeps_music_alongside(settings: Settings) -> None:
    risk = assess_risk(depression=9, note="I want to die", settings=settings)
    assert risk.reasons == ("depression score 9/10", "check-in note mentions: want to die")
    text = risk.message.lower()
    assert "not alone" in text or "don't have to go through it alone" in text
    assert "alongside" in text
