"""The survey report: personas, the honest effect evaluation and the genre evaluation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moodtune.config import Settings, get_settings

__all__ = ["ProgressFactory", "survey_report"]

ProgressFactory = Callable[[str], Callable[[int, int], None]]
"""Given what is starting, returns the callback told ``(done, total)`` as it advances."""


def survey_report(
    *,
    repeats: int = 5,
    splits: int = 5,
    seed: int = 0,
    settings: Settings | None = None,
    progress: ProgressFactory | None = None,
) -> dict[str, Any]:
    """The whole survey report as a JSON-serialisable dict (every figure computed here)."""
    from moodtune.evaluation.genres import evaluate_genre_recommenders
    from moodtune.survey.effect import effect_evaluation
    from moodtune.survey.personas import load_or_fit_personas, persona_report
    from moodtune.survey.schema import load_survey

    settings = settings or get_settings()
    survey = load_survey(settings=settings)

    def callback(description: str) -> Callable[[int, int], None] | None:
        return None if progress is None else progress(description)

    personas_task = callback("fitting listener personas")
    personas = load_or_fit_personas(survey.frame, settings=settings)
    if personas_task is not None:
        personas_task(1, 1)
    # The stored evaluation behind `moodtune effect`, so both quote the same figures.
    effect = effect_evaluation(
        survey,
        settings=settings,
        n_repeats=repeats,
        n_splits=splits,
        random_state=seed,
        progress=callback("evaluating effect models (leak-free CV)") or False,
    )
    genres = evaluate_genre_recommenders(
        survey,
        n_repeats=repeats,
        random_state=seed,
        progress=callback("evaluating genre recommenders"),
    )
    return {
        "survey": {
            "source": survey.source,
            "respondents": len(survey.frame),
            "labelled": len(survey.labelled),
            "cleaning": survey.report.as_dict(),
        },
        "personas": persona_report(personas),
        "effect": effect,
        "genres": genres,
        "commands": {
            "this report": f"moodtune survey report --repeats {repeats} --splits {splits} "
            f"--seed {seed} [--json]"
        },
    }
