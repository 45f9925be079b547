"""Listeners: onboarding, the survey, check-ins, the Me page, consent, history, export, delete."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from moodtune.app.views import (
    CheckInView,
    EffectView,
    GenreView,
    GroupView,
    HistoryView,
    ListenerView,
    MeView,
    PersonaView,
    StreaksView,
    SupportView,
    mood_view,
    support_view,
)
from moodtune.app.zones import time_zone
from moodtune.safety import assess_risk

if TYPE_CHECKING:
    from moodtune.app.services import Services
    from moodtune.recommend.base import Recommendation
    from moodtune.sessions.history import History
    from moodtune.sessions.service import MoodReport
    from moodtune.store.records import CheckInRecord, ListenerRecord
    from moodtune.survey.effect import EffectPrediction
    from moodtune.survey.schema import Profile

__all__ = [
    "CheckInDetails",
    "EffectEstimate",
    "GenreSuggestions",
    "HistoryReport",
    "ListenerDetails",
    "check_in",
    "check_in_details",
    "delete_everything",
    "effect_estimate",
    "export_everything",
    "genre_suggestions",
    "get_listener_view",
    "history_report",
    "history_view",
    "listener_details",
    "listener_view",
    "me_view",
    "onboard",
    "onboard_details",
    "profile_insights",
    "profile_support",
    "save_survey",
    "set_consent",
]


@dataclass(frozen=True)
class ListenerDetails:
    """A listener with every stored column, for a caller that shows them all (the CLI).

    ``learned`` is ``LearnedListener.summary()`` when asked for: what the learner knows, or
    ``{"consent_learning": ..., "personalised": False}`` when nothing is learned (or allowed).
    """

    view: ListenerView
    record: ListenerRecord
    learned: dict[str, Any] | None = None


@dataclass(frozen=True)
class CheckInDetails:
    """A stored check-in as the pages show it, and as stored (the CLI's ``--json``)."""

    view: CheckInView
    record: CheckInRecord


@dataclass(frozen=True)
class HistoryReport:
    """The listener and their whole history (every check-in and session, the summaries)."""

    listener: ListenerView
    history: History


def listener_view(record: ListenerRecord) -> ListenerView:
    """The stored listener, with the risk screen of their survey scores."""
    from moodtune.sessions import listener_profile

    profile = listener_profile(record)
    return ListenerView(
        id=record.id,
        display_name=record.display_name,
        has_profile=profile is not None,
        profile=profile,
        consent_notes=record.consent_notes,
        consent_learning=record.consent_learning,
        country=record.country,
        created_at=record.created_at,
        support=profile_support(profile, country=record.country),
    )


def get_listener_view(services: Services, listener_id: str) -> ListenerView:
    """The listener as stored, with the risk screen of their survey (no model is asked)."""
    from moodtune.sessions import get_listener

    return listener_view(get_listener(services.engine, listener_id))


def listener_details(
    services: Services, listener: str, *, learned: bool = False
) -> ListenerDetails:
    """The listener (by id or unique display name) with every stored column.

    With ``learned``, also what the per-listener learner knows from their feedback and
    finished sessions (the active catalog is loaded for it only when there is something to
    learn from and the listener consents to learning).
    """
    from moodtune.sessions import get_listener, learn_listener, learning_data

    record = get_listener(services.engine, listener)
    summary: dict[str, Any] | None = None
    if learned:
        summary = {"consent_learning": record.consent_learning, "personalised": False}
        if record.consent_learning:
            feedback, sessions = learning_data(services.engine, record.id)
            if feedback or any(s.get("after_valence") is not None for s in sessions):
                summary = learn_listener(
                    services.engine,
                    record.id,
                    services.catalog.features,
                    cache=services.learners,
                ).summary()
    return ListenerDetails(view=listener_view(record), record=record, learned=summary)


def profile_support(profile: Profile | None, *, country: str | None = None) -> SupportView:
    """The risk screen for survey scores: when it fires, crisis resources come first."""
    if profile is None:
        return support_view(assess_risk(country=country))
    return support_view(
        assess_risk(depression=profile.depression, anxiety=profile.anxiety, country=country)
    )


def onboard(
    services: Services,
    *,
    profile: Profile | Mapping[str, Any] | None,
    display_name: str | None = None,
    keep_notes: bool = False,
    learning: bool = True,
    country: str | None = None,
    goals: Sequence[str] = (),
) -> ListenerView:
    """Create a listener (the survey may be skipped: ``profile=None``, a flagged cold start)."""
    return onboard_details(
        services,
        profile=profile,
        display_name=display_name,
        keep_notes=keep_notes,
        learning=learning,
        country=country,
        goals=goals,
    ).view


def onboard_details(
    services: Services,
    *,
    profile: Profile | Mapping[str, Any] | None,
    display_name: str | None = None,
    keep_notes: bool = False,
    learning: bool = True,
    country: str | None = None,
    goals: Sequence[str] = (),
) -> ListenerDetails:
    """:func:`onboard`, answered with every stored column (``view.support`` screens the
    survey scores: crisis resources first when it fires)."""
    from moodtune.sessions import create_listener

    record = create_listener(
        services.engine,
        profile=profile,
        goals=goals,
        display_name=display_name,
        country=country,
        consent_notes=keep_notes,
        consent_learning=learning,
    )
    return ListenerDetails(view=listener_view(record), record=record)


def save_survey(
    services: Services, listener_id: str, profile: Profile | Mapping[str, Any] | None
) -> ListenerView:
    """Store (or replace) the listener's survey answers."""
    from moodtune.sessions.service import update_profile

    return listener_view(update_profile(services.engine, listener_id, profile))


def set_consent(
    services: Services,
    listener_id: str,
    *,
    keep_notes: bool | None = None,
    learning: bool | None = None,
) -> tuple[ListenerView, int]:
    """Change consent; withdrawing it for notes erases stored note text (count returned)."""
    from moodtune.sessions import set_consent as store_consent

    record, erased = store_consent(
        services.engine, listener_id, keep_notes=keep_notes, learning=learning
    )
    return listener_view(record), erased


def _checkin_view(record: CheckInRecord, support: SupportView) -> CheckInView:
    mood = (
        None
        if record.valence is None or record.arousal is None
        else mood_view(record.valence, record.arousal, tuple(record.words))
    )
    return CheckInView(
        id=record.id,
        kind=record.kind,
        created_at=record.created_at,
        mood=mood,
        note_kept=record.note is not None,
        support=support,
    )


def check_in(services: Services, listener_id: str, mood: MoodReport) -> CheckInView:
    """Store a standalone check-in; the note is screened for risk (stored only with consent)."""
    return check_in_details(services, listener_id, mood).view


def check_in_details(services: Services, listener: str, mood: MoodReport) -> CheckInDetails:
    """:func:`check_in`, answered with the stored record too."""
    from moodtune.sessions import record_checkin

    result = record_checkin(services.engine, listener, mood, settings=services.settings)
    return CheckInDetails(
        view=_checkin_view(result.checkin, support_view(result.risk)), record=result.checkin
    )


@dataclass(frozen=True)
class EffectEstimate:
    """The whole "will music help" answer (probabilities, the evaluation behind them, the
    baselines) and the risk screen of the survey scores it was asked for."""

    prediction: EffectPrediction
    support: SupportView


@dataclass(frozen=True)
class GenreSuggestions:
    """Genres for survey answers, best first, each with its reason, and the risk screen."""

    method: str
    recommendations: tuple[Recommendation, ...]
    support: SupportView


def effect_estimate(
    services: Services,
    profile: Profile,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> EffectEstimate:
    """Will music help? The model the Me page asks (``profile_insights``), answered whole.

    ``progress`` hears (done, total) while a first start evaluates the model.
    """
    from moodtune.survey.effect import predict_effect

    return EffectEstimate(
        prediction=predict_effect(profile, services.load_effect(progress)),
        support=profile_support(profile),
    )


def genre_suggestions(
    services: Services,
    profile: Profile,
    *,
    method: str = "hybrid",
    n: int = 3,
    include_liked: bool = False,
) -> GenreSuggestions:
    """The top ``n`` genres for survey answers (``"hybrid"``: the Me page's recommender).

    Genres the listener already listens to very frequently are left out unless
    ``include_liked``; a fallback (no genre answers) is flagged on each recommendation.
    """
    recommender = services.genre_recommender(method)
    recs = recommender.recommend(profile, n=n, filter_already_liked=not include_liked)
    return GenreSuggestions(
        method=method, recommendations=tuple(recs), support=profile_support(profile)
    )


def profile_insights(
    services: Services, profile: Profile | None, *, n_genres: int = 3
) -> tuple[PersonaView | None, tuple[GenreView, ...], EffectView | None]:
    """Persona, genre recommendations and the "will music help" estimate, from memory.

    The models are fixed while the app runs, so the answer for the same survey answers is
    kept (``services.insights``): the Me page costs a lookup, not a pass through each model.
    """
    if profile is None:
        return None, (), None
    return services.insights.get_or_compute(
        (profile.model_dump_json(), n_genres),
        lambda: _profile_insights(services, profile, n_genres),
    )


def _profile_insights(
    services: Services, profile: Profile, n_genres: int
) -> tuple[PersonaView | None, tuple[GenreView, ...], EffectView | None]:
    from moodtune.survey.effect import predict_effect

    assignment = services.personas.assign(profile)
    personas = services.personas
    silhouette = float(personas.selection_.get("best_silhouette", 0.0) or 0.0)
    persona = PersonaView(
        persona=assignment.persona,
        probabilities={k: round(v, 4) for k, v in assignment.probabilities.items()},
        x=assignment.x,
        y=assignment.y,
        cold_start=assignment.cold_start,
        imputed_fields=tuple(assignment.imputed_fields),
        n_respondents=int(personas.n_respondents_),
        structure_note=(
            f"The survey's {int(personas.n_respondents_)} respondents fall into "
            f"{len(personas.names_)} loose groups (silhouette {silhouette:.2f}; 1 would be "
            "clear-cut, 0 no structure): a rough description, not a category you belong to."
        ),
    )
    genres = tuple(
        GenreView(
            genre=r.item,
            score=round(r.score, 4),
            reason=r.reason,
            cold_start=bool(r.details.get("was_impossible")),
        )
        for r in genre_suggestions(services, profile, n=n_genres).recommendations
    )
    prediction = predict_effect(profile, services.effect)
    baseline = max(b["mean"] for b in prediction.baselines.values())
    effect = EffectView(
        probabilities={k: round(v, 4) for k, v in prediction.probabilities.items()},
        most_likely=prediction.most_likely,
        evidence_is_weak=prediction.evidence_is_weak,
        message=prediction.message,
        model_macro_f1=round(prediction.macro_f1["mean"], 3),
        baseline_macro_f1=round(baseline, 3),
        n_train=prediction.n_train,
    )
    return persona, genres, effect


def me_view(services: Services, listener_id: str) -> MeView:
    """The Me page: who the survey says you resemble, genres, the honest effect estimate."""
    from moodtune.sessions import get_listener, listener_profile

    record = get_listener(services.engine, listener_id)
    profile = listener_profile(record)
    persona, genres, effect = profile_insights(services, profile)
    return MeView(
        listener=listener_view(record),
        persona=persona,
        genres=genres,
        effect=effect,
        support=profile_support(profile, country=record.country),
        survey_missing=profile is None,
    )


#: Most check-ins a history view carries (the plot and its table): over three months of a
#: check-in a day. The summaries count them all; the download and the check-ins API list all.
HISTORY_CHECKINS = 100
#: Sessions per page of a history view.
HISTORY_SESSIONS = 50


def history_view(
    services: Services,
    listener_id: str,
    *,
    min_sessions: int = 5,
    sessions_offset: int = 0,
    sessions_limit: int = HISTORY_SESSIONS,
    checkins_limit: int = HISTORY_CHECKINS,
    tz: str | None = None,
) -> HistoryView:
    """Mood over time, before/after per session, what helped (with counts), streaks.

    What helped and the streaks count the whole history; the view carries only the latest
    ``checkins_limit`` check-ins and one page of sessions (``sessions_offset`` from the
    newest), so a page costs the same after years of use as after a week. Streak days are
    calendar days in the IANA zone ``tz`` (the listener's; None: this machine's).
    """
    from moodtune.app.explore import check_page
    from moodtune.app.journeys import goal_label, session_summary
    from moodtune.sessions import listener_history

    check_page(sessions_offset, sessions_limit, field="sessions_limit")
    check_page(0, checkins_limit, most=HISTORY_CHECKINS, field="checkins_limit")
    zone = time_zone(tz)
    history = listener_history(
        services.engine,
        listener_id,
        min_sessions=min_sessions,
        checkins_limit=checkins_limit,
        tz=zone,
    )
    quiet = support_view(assess_risk())

    def groups(items: Any) -> tuple[GroupView, ...]:
        return tuple(
            GroupView(
                kind=g.kind,
                name=goal_label(g.name) if g.kind == "goal" else g.name,
                n=g.n,
                mean_progress=g.mean_progress,
                helped=g.helped,
                rated=g.rated,
                too_few=g.too_few,
            )
            for g in items
        )

    finished = sum(1 for s in history.sessions if s.finished and s.progress is not None)
    n_sessions = len(history.sessions)
    page = history.sessions[
        max(n_sessions - sessions_offset - sessions_limit, 0) : max(n_sessions - sessions_offset, 0)
    ]
    return HistoryView(
        checkins=tuple(_checkin_view(c, quiet) for c in history.checkins),
        sessions=tuple(session_summary(s) for s in page),
        by_goal=groups(history.by_goal),
        by_genre=groups(history.by_genre),
        by_mood=groups(history.by_mood),
        streaks=StreaksView(
            current=history.streaks.current,
            longest=history.streaks.longest,
            days_with_checkins=history.streaks.days_with_checkins,
            as_of=history.streaks.as_of,
            recent_days=history.streaks.recent_days,
        ),
        min_sessions=history.min_sessions,
        too_early=finished < min_sessions,
        checkins_total=history.checkins_total,
        sessions_total=n_sessions,
        sessions_offset=sessions_offset,
        sessions_limit=sessions_limit,
        time_zone=tz,
    )


def history_report(services: Services, listener: str, *, min_sessions: int = 5) -> HistoryReport:
    """The listener (by id or unique display name) and their whole history, for a report
    or a download (:func:`history_view` is the paged page)."""
    from moodtune.sessions import get_listener, listener_history

    record = get_listener(services.engine, listener)
    history = listener_history(services.engine, record.id, min_sessions=min_sessions)
    return HistoryReport(listener=listener_view(record), history=history)


def checkin_page(
    services: Services, listener_id: str, *, offset: int = 0, limit: int = 20
) -> tuple[list[CheckInView], int]:
    """One page of the listener's check-ins, newest first, and how many there are."""
    from moodtune.app.explore import check_page
    from moodtune.sessions import checkins_page

    check_page(offset, limit)
    records, total = checkins_page(services.engine, listener_id, offset=offset, limit=limit)
    quiet = support_view(assess_risk())
    return [_checkin_view(r, quiet) for r in records], total


def export_everything(services: Services, listener_id: str) -> dict[str, Any]:
    """Everything stored about the listener, as one JSON-ready document."""
    from moodtune.sessions import export_listener

    return export_listener(services.engine, listener_id)


def delete_everything(services: Services, listener_id: str) -> dict[str, int]:
    """Delete everything stored about the listener; rows removed per table."""
    from moodtune.sessions import delete_listener

    counts = delete_listener(services.engine, listener_id)
    services.learners.forget(listener_id)  # nothing learned from them stays in memory
    return counts
