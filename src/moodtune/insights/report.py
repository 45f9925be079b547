"""Assemble the insights report: every section's figures, the claims checked and the cards.

``build_report`` computes from the same loaders the application uses (``Services``); slow
evaluations are read from their caches (the effect model's stored evaluation; the genre,
journey and learning evaluations under ``settings.model_dir / "insights"``, keyed by what
they were computed from), so a second build is quick.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from moodtune.config import Settings
from moodtune.insights import figures as fig
from moodtune.insights.cards import (
    ModelCard,
    effect_card,
    genre_card,
    learning_card,
    mood_card,
    persona_card,
)
from moodtune.insights.claims import ClaimsReport, check_claims
from moodtune.jsonable import to_jsonable

if TYPE_CHECKING:
    from moodtune.app.services import Services

__all__ = [
    "InsightsReport",
    "ReportOptions",
    "Section",
    "build_report",
    "mood_model_agreement",
]

StepCallback = Callable[[str], None]


@dataclass(frozen=True)
class ReportOptions:
    """How much evaluation the report runs (defaults: the figures the CLI commands quote)."""

    effect_repeats: int = 5
    effect_splits: int = 5
    genre_repeats: int = 5
    journey_pairs: int = 200
    #: The learning simulation is the slowest part (the full bench takes minutes): the report
    #: runs this small configuration once and caches its JSON.
    learning_listeners: int = 30
    learning_sessions: int = 12
    learning_seeds: int = 1
    seed: int = 0
    correction: str = "holm"


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    intro: str
    figures: tuple[fig.Figure, ...]
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class InsightsReport:
    """Everything the report shows, computed when it was built."""

    generated_at: str
    sections: tuple[Section, ...]
    claims: ClaimsReport
    cards: tuple[ModelCard, ...]
    options: ReportOptions
    commands: dict[str, str]
    timings: dict[str, float]

    @property
    def figures(self) -> tuple[fig.Figure, ...]:
        return tuple(f for s in self.sections for f in s.figures)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (figures as their numbers, not their Plotly JSON)."""
        return to_jsonable(
            {
                "generated_at": self.generated_at,
                "claims": self.claims.to_dict(),
                "cards": [c.to_dict() for c in self.cards],
                "figures": [
                    {
                        "key": f.key,
                        "title": f.title,
                        "reading": f.reading,
                        "columns": f.columns,
                        "rows": f.rows,
                    }
                    for f in self.figures
                ],
                "options": asdict(self.options),
                "commands": self.commands,
                "timings": self.timings,
            }
        )


def _cached_json(
    settings: Settings,
    name: str,
    key: dict[str, Any],
    compute: Callable[[], dict[str, Any]],
    *,
    use_cache: bool = True,
) -> dict[str, Any]:
    """``compute()`` once per ``key``, kept as JSON in ``model_dir/insights`` (atomic write).

    ``use_cache=False`` recomputes (and refreshes the stored copy).
    """
    key = json.loads(json.dumps(to_jsonable(key), sort_keys=True))  # tuples become lists
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    path = Path(settings.model_dir) / "insights" / f"{name}-{digest}.json"
    if use_cache and path.is_file():
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
            if stored.get("key") == key:
                result: dict[str, Any] = stored["result"]
                return result
        except (OSError, ValueError, KeyError):
            pass  # unreadable or foreign: recompute and replace below
    result = to_jsonable(compute())
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_suffix(f".{os.getpid()}.tmp")
    staged.write_text(json.dumps({"key": key, "result": result}), encoding="utf-8")
    staged.replace(path)
    return result


def mood_model_agreement(settings: Settings) -> dict[str, Any] | None:
    """The fitted mood model's agreement with human ratings, or None while there is none.

    The slot for issue 13: a ``mood_model_evaluation(settings=...)`` in ``moodtune.mood``,
    ``moodtune.mood.ratings`` or ``moodtune.evaluation.mood`` (where it lives) returning a
    dict with ``valence`` / ``arousal`` entries (``n``, ``pearson_r``, ``mae``,
    ``baseline_mae``), optional ``pairs`` (``axis → [(rated, predicted), ...]``), ``reading``,
    ``data`` and ``limits``; ``None`` when not fitted.
    """
    for module_name in ("moodtune.mood", "moodtune.mood.ratings", "moodtune.evaluation.mood"):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        evaluate = getattr(module, "mood_model_evaluation", None)
        if callable(evaluate):
            result = evaluate(settings=settings)
            return dict(result) if result else None
    return None


def _learning_summary(
    services: Services, options: ReportOptions, *, use_cache: bool = True
) -> dict[str, Any]:
    from moodtune.bench.learning import run_learning_benchmark
    from moodtune.evaluation.simulation import SimulationConfig, prepare_catalog

    config = SimulationConfig(
        n_listeners=options.learning_listeners,
        n_sessions=options.learning_sessions,
        seeds=tuple(range(options.learning_seeds)),
    )
    index = services.catalog.index
    key = {
        "config": asdict(config),
        "catalog": str(getattr(index, "fingerprint_", "")),
        "name": services.catalog_name,
    }

    def compute() -> dict[str, Any]:
        bench = run_learning_benchmark(
            config, catalog=prepare_catalog(index.tracks_), catalog_name=services.catalog_name
        )
        out = bench.to_dict()
        out.pop("ranking", None)
        return out

    summary = _cached_json(services.settings, "learning", key, compute, use_cache=use_cache)
    summary["source"] = (
        f"Small simulation computed once for the report and cached ({config.n_listeners} "
        f"listeners x {config.n_sessions} sessions x {len(config.seeds)} seed); "
        "`moodtune bench learning` runs the full one."
    )
    return summary


def build_report(
    services: Services | None = None,
    *,
    settings: Settings | None = None,
    options: ReportOptions | None = None,
    on_step: StepCallback | None = None,
    use_cache: bool = True,
) -> InsightsReport:
    """Compute every figure, claim check and model card of the insights report.

    ``use_cache=False`` recomputes the report's own cached evaluations (genres, journeys,
    learning); the models' caches (personas, effect model) are the application's and are kept.
    """
    from moodtune.app.services import Services
    from moodtune.evaluation.genres import evaluate_genre_recommenders
    from moodtune.recommend.journey import evaluate_journeys
    from moodtune.survey.effect import effect_evaluation
    from moodtune.survey.personas import persona_report
    from moodtune.survey.schema import survey_checksum

    services = services or Services(settings)
    settings = services.settings
    options = options or ReportOptions()
    marks: list[tuple[str, float]] = []

    def step(name: str) -> None:
        marks.append((name, time.perf_counter()))
        if on_step is not None:
            on_step(name)

    step("survey")
    survey = services.survey
    frame = survey.frame
    claims = check_claims(frame, correction=options.correction)
    survey_section = Section(
        key="survey",
        title="The survey",
        intro=f"{len(frame)} people answered the Music & Mental Health survey online "
        f"({survey.source}). They chose to take part, so they are not a sample of everyone: "
        "every reading below is an association among these respondents, not a cause.",
        figures=(
            fig.age_figure(frame),
            fig.hours_figure(frame),
            fig.streaming_figure(frame),
            fig.while_working_figure(frame),
            fig.genre_scores_figure(frame),
            fig.hours_scores_figure(frame),
            fig.bpm_figure(frame),
            fig.effects_figure(frame),
        ),
    )
    claims_section = Section(
        key="claims",
        title="The prior art's claims, checked",
        intro="Earlier projects on this survey stated findings without intervals or sample "
        "sizes. Each is tested here with an effect size, a 95% confidence interval, the number "
        f"of people behind it and a correction for testing {len(claims.checks)} claims at once.",
        figures=(fig.claims_figure(claims),),
        notes=(claims.rule,),
    )

    step("personas")
    personas = services.personas
    personas_json = persona_report(personas)
    persona_section = Section(
        key="personas",
        title="Listener personas",
        intro="Groups of respondents who answered alike, found by clustering their "
        "standardised answers.",
        figures=(
            fig.persona_map_figure(personas.embedding_, personas.labels_, personas.names_),
            fig.persona_profile_figure(personas_json),
        ),
    )

    step("catalog")
    tracks = services.catalog.index.tracks_
    agreement = mood_model_agreement(settings)
    catalog_figures = [
        fig.mood_density_figure(tracks),
        fig.composition_figure(tracks, column="quadrant"),
        fig.composition_figure(tracks, column="mood_cluster"),
    ]
    catalog_notes: tuple[str, ...] = ()
    if agreement:
        catalog_figures.append(fig.mood_agreement_figure(agreement))
    else:
        catalog_notes = (
            "Mood model against human ratings: not yet fitted. No track-mood model fitted to "
            "human ratings exists yet, so there is no agreement to show; track moods come from "
            "the documented prior weights.",
        )
    catalog_section = Section(
        key="catalog",
        title="The catalog",
        intro=f"The '{services.catalog_name}' catalog: {int(tracks['usable'].sum()):,} usable "
        "tracks placed on the valence-arousal plane by the track mood model.",
        figures=tuple(catalog_figures),
        notes=catalog_notes,
    )

    step("effect evaluation")
    effect = effect_evaluation(
        survey,
        settings=settings,
        n_repeats=options.effect_repeats,
        n_splits=options.effect_splits,
        random_state=options.seed,
    )
    step("genre evaluation")
    checksum = survey_checksum(survey)
    genres = _cached_json(
        settings,
        "genres",
        {"survey": checksum, "repeats": options.genre_repeats, "seed": options.seed},
        lambda: evaluate_genre_recommenders(
            survey, n_repeats=options.genre_repeats, random_state=options.seed
        ),
        use_cache=use_cache,
    )
    step("journey evaluation")
    index = services.catalog.index
    journeys = _cached_json(
        settings,
        "journeys",
        {
            "catalog": str(getattr(index, "fingerprint_", "")),
            "name": services.catalog_name,
            "pairs": options.journey_pairs,
            "seed": options.seed,
        },
        lambda: evaluate_journeys(
            index, pairs=options.journey_pairs, random_state=options.seed
        ).to_dict(),
        use_cache=use_cache,
    )
    step("learning simulation")
    learning = _learning_summary(services, options, use_cache=use_cache)
    step("figures")
    evaluation_section = Section(
        key="evaluation",
        title="How well the models do",
        intro="Every figure comes from data the model could not see while it was fitted, next "
        "to the trivial baselines measured in the same run.",
        figures=(
            fig.effect_evaluation_figure(effect),
            fig.genre_evaluation_figure(genres),
            fig.journey_evaluation_figure(journeys),
            fig.learning_figure(learning),
        ),
    )
    cards = (
        effect_card(effect, respondents=len(frame)),
        persona_card(personas_json),
        mood_card(agreement, catalog=services.catalog_name, tracks=int(tracks["usable"].sum())),
        genre_card(genres),
        learning_card(learning),
    )
    end = time.perf_counter()
    timings = {
        name: round((marks[i + 1][1] if i + 1 < len(marks) else end) - started, 3)
        for i, (name, started) in enumerate(marks)
    }
    return InsightsReport(
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        sections=(
            survey_section,
            claims_section,
            persona_section,
            catalog_section,
            evaluation_section,
        ),
        claims=claims,
        cards=cards,
        options=options,
        commands={
            "this report": "moodtune report --output insights.html",
            "the model cards": "moodtune models",
            "the effect evaluation": f"moodtune survey report --repeats {options.effect_repeats}"
            f" --splits {options.effect_splits} --seed {options.seed}",
            "the full learning simulation": "moodtune bench learning",
        },
        timings=timings,
    )
