"""The error tree's messages: long echoed values are cut to a readable length, once."""

from __future__ import annotations

from moodtune.errors import MAX_ECHOED_CHARS, InputError, shorten


def test_a_long_echoed_value_is_cut_in_the_message_but_kept_whole() -> None:
    value = "9" * 1_000_000
    error = InputError(f"{value!r} is not a number", field="anxiety", value=value)
    assert len(str(error)) < 200
    assert "characters cut" in str(error) and str(error).startswith("field 'anxiety': '999")
    assert error.value == value
    assert len(error.as_dict()["value"]) <= MAX_ECHOED_CHARS + 2


def test_short_values_are_untouched() -> None:
    assert shorten("calm") == "calm"
    error = InputError("'calm' is not a goal", field="goal", value="calm")
    assert str(error) == "field 'goal': 'calm' is not a goal"


def test_shorten_keeps_both_ends_and_counts_what_it_cut() -> None:
    text = "a" * 100 + "b" * 100
    cut = shorten(text, 60)
    assert cut.startswith("a") and cut.endswith("b") and len(cut) <= 62
    kept = len(cut) - len(cut[cut.index("...[") : cut.index("]...") + 4])
    assert f"[{len(text) - kept} characters cut]" in cut
