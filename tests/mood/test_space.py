from __future__ import annotations

import pytest

from moodtune.errors import InputError
from moodtune.mood.space import (
    FEELING_SOURCES,
    FEELINGS,
    MoodPoint,
    nearest_feeling,
    parse_mood,
    quadrant,
)

EXPECTED_QUADRANT = {
    "happy": "happy/energetic",
    "excited": "happy/energetic",
    "focused": "happy/energetic",
    "tense": "tense/angry",
    "angry": "tense/angry",
    "stressed": "tense/angry",
    "anxious": "tense/angry",
    "sad": "sad/low",
    "depressed": "sad/low",
    "bored": "sad/low",
    "tired": "sad/low",
    "calm": "calm/relaxed",
    "relaxed": "calm/relaxed",
    "content": "calm/relaxed",
    "serene": "calm/relaxed",
}


@pytest.mark.parametrize(("word", "expected"), sorted(EXPECTED_QUADRANT.items()))
def test_feelings_land_in_their_quadrant(word: str, expected: str) -> None:
    assert parse_mood(word).quadrant == expected


def test_at_least_sixteen_feelings_all_inside_the_plane_with_a_source() -> None:
    required = {*EXPECTED_QUADRANT, "hopeful"}
    assert required <= set(FEELINGS)
    assert len(FEELINGS) >= 16
    for word, point in FEELINGS.items():
        assert -1 <= point.valence <= 1 and -1 <= point.arousal <= 1
        assert FEELING_SOURCES[word].source in {"Russell 1980", "moodtune"}
    assert FEELINGS["hopeful"].valence > 0.5


def test_quadrant_boundaries_count_zero_as_positive() -> None:
    assert quadrant(0.0, 0.0) == "happy/energetic"
    assert quadrant(-0.01, 0.0) == "tense/angry"
    assert quadrant(0.0, -0.01) == "calm/relaxed"
    assert quadrant(-0.5, -0.5) == "sad/low"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("-0.5,0.3", (-0.5, 0.3)), (" 0.2 , -1 ", (0.2, -1.0)), ("(0.1, 0.1)", (0.1, 0.1))],
)
def test_coordinates_are_parsed(text: str, expected: tuple[float, float]) -> None:
    assert parse_mood(text).as_tuple() == expected


def test_words_are_case_and_space_insensitive() -> None:
    assert parse_mood("  At_Ease ") == FEELINGS["at ease"]
    assert nearest_feeling(FEELINGS["sad"]) in {"sad", "down"}


def test_unknown_word_lists_the_known_words() -> None:
    with pytest.raises(InputError, match="unknown feeling 'grumpyish'") as info:
        parse_mood("grumpyish")
    assert "calm" in (info.value.allowed or "") and "valence,arousal" in (info.value.allowed or "")


@pytest.mark.parametrize("text", ["1.5,0", "0,-2", "0.3,abc", "", "7"])
def test_bad_coordinates_say_what_is_valid(text: str) -> None:
    with pytest.raises(InputError) as info:
        parse_mood(text)
    assert "[-1, 1]" in (info.value.allowed or "")


def test_mood_point_refuses_values_outside_the_plane() -> None:
    with pytest.raises(InputError, match="valence 1.2 is outside"):
        MoodPoint(1.2, 0.0)
    with pytest.raises(InputError, match="arousal must be a finite number"):
        MoodPoint(0.0, float("nan"))
