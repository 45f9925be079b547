"""The application layer's memo of model answers: computed once per input, bounded."""

from __future__ import annotations

from typing import Any

import pytest

from moodtune.app import listeners
from moodtune.app.services import Memo, Services
from moodtune.survey.schema import Profile


def test_a_memo_computes_once_per_key_and_drops_the_least_recently_used() -> None:
    memo: Memo[str, int] = Memo(max_entries=2)
    calls: list[str] = []

    def compute(key: str) -> int:
        calls.append(key)
        return len(calls)

    assert memo.get_or_compute("a", lambda: compute("a")) == 1
    assert memo.get_or_compute("a", lambda: compute("a")) == 1  # kept
    assert memo.get_or_compute("b", lambda: compute("b")) == 2
    assert memo.get_or_compute("a", lambda: compute("a")) == 1  # "a" is now the newest
    assert memo.get_or_compute("c", lambda: compute("c")) == 3  # "b" goes, not "a"
    assert len(memo) == 2
    assert memo.get_or_compute("a", lambda: compute("a")) == 1
    assert memo.get_or_compute("b", lambda: compute("b")) == 4  # computed again
    assert calls == ["a", "b", "c", "b"]


def test_profile_insights_are_computed_once_per_survey_answers(
    monkeypatch: pytest.MonkeyPatch, engine: Any
) -> None:
    seen: list[Profile] = []

    def fake(services: Services, profile: Profile, n_genres: int) -> Any:
        seen.append(profile)
        return tuple([None, (), None])  # a new tuple each call

    monkeypatch.setattr(listeners, "_profile_insights", fake)
    services = Services(engine=engine)
    answers = Profile(age=30, anxiety=5, depression=3, insomnia=2, ocd=1)
    first = listeners.profile_insights(services, answers)
    again = listeners.profile_insights(services, answers.model_copy())  # equal, not the same
    other = listeners.profile_insights(services, answers.model_copy(update={"anxiety": 6}))
    assert first is again and other is not first
    assert [p.anxiety for p in seen] == [5, 6]
    assert listeners.profile_insights(services, None) == (None, (), None)
    # another database over the same models shares the answers
    assert services.with_engine(services.engine).insights is services.insights
