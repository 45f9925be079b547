"""The pages: server-rendered HTML forms that work without JavaScript (HTMX only enhances).

Routes parse the form, call the application layer and render; an ``InputError`` re-renders the
same form with the error beside its field and everything typed kept.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from markupsafe import Markup

from moodtune import app as moodtune_app
from moodtune.config import Settings
from moodtune.errors import InputError, NotFoundError, ValidationReport
from moodtune.mood.space import FEELINGS
from moodtune.safety import NOT_A_MEDICAL_DEVICE, help_resources
from moodtune.sessions.service import MoodReport
from moodtune.web import plots
from moodtune.web.deps import IdentityDep, ListenerId, ServicesDep

__all__ = ["DataPlace", "data_place", "render_error", "render_preparing", "router", "templates"]

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES))
# the templates ship with the package: checking each file's mtime on every render (Jinja's
# default, and once per include inside a loop) cost several per cent of a page
templates.env.auto_reload = False
router = APIRouter(include_in_schema=False)

NAV = (
    ("/checkin", "Check in", "checkin"),
    ("/journey", "Journey", "journey"),
    ("/history", "History", "history"),
    ("/explore", "Explore", "explore"),
    ("/me", "Me", "me"),
)
# a word every ~30° around the circumplex: words that share a point (calm/relaxed/content,
# afraid/anxious, sad/depressed) would print on top of each other on the pad
PAD_WORDS = ("excited", "joyful", "happy", "hopeful", "calm", "tired", "bored", "sad",
             "stressed", "anxious", "tense")  # fmt: skip
CHIP_WORDS = ("calm", "happy", "tired", "anxious", "sad", "tense", "stressed", "bored",
              "relaxed", "excited", "angry", "content")  # fmt: skip


@dataclass(frozen=True)
class DataPlace:
    """Where this moodtune keeps a listener's data, in the words every page uses for it.

    One source for the footer, Me, the welcome, the survey's consent hint, the check-in's note
    hint and the delete pages, keyed on ``settings.multi_user`` alone: one local listener keeps
    everything on this machine; with accounts it is a server, whose operator can read the
    database and keeps any backups (docs/accounts.md, "What it protects, and what it does not").
    """

    shared: bool
    where: str
    """"this machine" or "the server that runs this moodtune"."""
    who_reads: str = ""
    """On a shared server: who else can read what is kept there (a sentence)."""
    backups: str = ""
    """On a shared server: what deleting cannot reach (a sentence)."""


LOCAL_DATA = DataPlace(shared=False, where="this machine")
SERVER_DATA = DataPlace(
    shared=True,
    where="the server that runs this moodtune",
    who_reads="Whoever runs that server can read its database.",
    backups="Backups that whoever runs that server made before now still hold a copy until "
    "they are replaced.",
)


def data_place(settings: Settings) -> DataPlace:
    """Where the data of this moodtune is kept: this machine, or a shared server."""
    return SERVER_DATA if settings.multi_user else LOCAL_DATA


def _figure_json(figure: plots.Figure) -> Markup:
    """The figure's JSON, safe inside a ``<script type="application/json">``."""
    text = json.dumps(figure.spec, separators=(",", ":"))
    return Markup(text.replace("</", "<\\/"))


def _num(value: Any) -> str:
    """A stored number for a text field: 24.0 shows as 24, blanks stay blank."""
    if value is None or value == "":
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


ZONE_COOKIE = "moodtune_tz"
"""The browser's time zone (``Intl``), which app.js keeps in a cookie: times and days on the
pages are the person's own. Without it (no script yet, or none) they are this machine's."""


def browser_zone(request: Request) -> str | None:
    """The IANA zone the browser reported, when it is a known one (a bad cookie is ignored:
    it changes how times read, never what is stored)."""
    from urllib.parse import unquote

    from moodtune.app.zones import time_zone

    if hasattr(request.state, "browser_zone"):  # read once per request, not once per time
        known: str | None = request.state.browser_zone
        return known
    name: str | None = unquote(request.cookies.get(ZONE_COOKIE) or "") or None
    try:
        time_zone(name)
    except InputError:
        name = None
    request.state.browser_zone = name
    return name


@pass_context
def _when(context: Any, moment: datetime | None, fmt: str) -> str:
    """A stored (UTC) time as the person's wall-clock time, formatted with ``fmt``."""
    from moodtune.app.zones import in_zone, time_zone

    if moment is None:
        return ""
    return in_zone(moment, time_zone(browser_zone(context["request"]))).strftime(fmt)


@pass_context
def _zone_label(context: Any) -> str:
    """What the page's times are in: the browser's zone, or this machine's ("UTC", "CET")."""
    return browser_zone(context["request"]) or datetime.now().astimezone().tzname() or "local"


templates.env.filters["figure_json"] = _figure_json
templates.env.filters["num"] = _num
templates.env.filters["when"] = _when
templates.env.globals.update(
    zone_label=_zone_label,
    nav=NAV,
    disclaimer=NOT_A_MEDICAL_DEVICE,
    feelings_json=json.dumps(
        [
            {"word": w, "v": round(p.valence, 3), "a": round(p.arousal, 3)}
            for w, p in FEELINGS.items()
        ]
    ),
    pad_words=[(w, FEELINGS[w]) for w in PAD_WORDS if w in FEELINGS],
    chip_words=[w for w in CHIP_WORDS if w in FEELINGS],
    goal_choices=moodtune_app.goal_choices(),
    data_place=data_place,
)


def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a full page (or, for an HTMX request naming a partial, just the partial)."""
    context.setdefault("section", "")
    context.setdefault("plots", context.get("figure") is not None)
    return templates.TemplateResponse(request, name, context, status_code=status)


def render_error(request: Request, status: int, detail: str) -> Response:
    """The HTML error page (the API answers problem+json instead)."""
    if status == 404 and "unknown listener" in detail and not request.app.state.settings.multi_user:
        request.app.state.identity.clear()  # the local listener was deleted elsewhere
        return RedirectResponse("/welcome", status_code=303)
    return page(request, "error.html", status=status, status_code=status, detail=detail)


def render_preparing(request: Request) -> Response:
    state = request.app.state.readiness
    return page(request, "preparing.html", status=503, state=state)


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _errors(exc: InputError) -> dict[str, str]:
    """Field → message, for inline errors (``mood`` covers the whole check-in)."""
    problems = exc.problems if isinstance(exc, ValidationReport) else [exc]
    out: dict[str, str] = {}
    for p in problems:
        key = (p.field or "form").split(".")[0].split("[")[0]
        text = p.message + (f" (allowed: {p.allowed})" if p.allowed else "")
        out.setdefault(key, text)
    return out


# -- form parsing ------------------------------------------------------------------------------


def _float(form: dict[str, Any], name: str) -> float | None:
    raw = str(form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise InputError("must be a number", field=name, value=raw) from None


def mood_from_form(form: Any, *, prefix: str = "") -> MoodReport:
    """The check-in of a form: the pad/slider point, or the chosen words (and free words)."""
    data = {k: form.get(k) for k in form}
    words = [w for w in form.getlist(prefix + "words") if str(w).strip()]
    free = str(data.get(prefix + "words_text") or "").strip()
    if free:
        words += [w.strip() for w in free.replace(";", ",").split(",") if w.strip()]
    note = str(data.get(prefix + "note") or "").strip() or None
    if data.get(prefix + "mode", "point") == "words":
        if not words:
            raise InputError("choose or type at least one feeling word", field="words")
        return MoodReport(words=tuple(words), note=note)
    return MoodReport(
        valence=_float(data, prefix + "valence"),
        arousal=_float(data, prefix + "arousal"),
        words=(),
        note=note,
    )


SURVEY_NUMBERS = ("age", "hours_per_day", "bpm", "anxiety", "depression", "insomnia", "ocd")
SURVEY_BOOLS = ("while_working", "instrumentalist", "composer", "exploratory", "foreign_languages")


def profile_from_form(form: Any) -> dict[str, Any]:
    """The survey answers of the form as a profile mapping (blank answers left out)."""
    from moodtune.survey.schema import GENRES, profile_from_mapping

    data: dict[str, Any] = {}
    for name in SURVEY_NUMBERS:
        raw = str(form.get(name) or "").strip()
        if raw:
            try:
                data[name] = float(raw)
            except ValueError:
                data[name] = raw  # the profile check names the field and the bad value
    for name in SURVEY_BOOLS:
        raw = str(form.get(name) or "")
        if raw in ("yes", "no"):
            data[name] = raw == "yes"
    fav = str(form.get("fav_genre") or "").strip()
    if fav:
        data["fav_genre"] = fav
    frequencies = {}
    for genre in GENRES:
        level = str(form.get(f"freq_{genre}") or "").strip()
        if level:
            frequencies[genre] = level
    data["genre_frequencies"] = frequencies
    return profile_from_mapping(data, source=None).model_dump(mode="json")


# -- welcome, help -----------------------------------------------------------------------------


@router.get("/")
def home(ident: IdentityDep) -> Response:
    return _see("/checkin" if ident.get() else "/welcome")


@router.get("/welcome")
def welcome(request: Request, ident: IdentityDep) -> Response:
    return page(request, "welcome.html", known=ident.get() is not None)


@router.get("/help")
def help_page(request: Request) -> Response:
    support = help_resources(settings=request.app.state.settings)
    return page(request, "help.html", support=support, section="help")


@router.get("/api/v1/docs", include_in_schema=False)
def api_docs_page(request: Request) -> Response:
    """The API reference, from the app's own OpenAPI schema (no CDN, no script)."""
    from moodtune.web.api_docs import api_reference

    state = request.app.state
    reference = getattr(state, "api_reference", None)
    if reference is None:
        reference = state.api_reference = api_reference(request.app.openapi())
    return page(request, "api_docs.html", ref=reference, multi_user=state.settings.multi_user)


# -- survey (onboarding) -----------------------------------------------------------------------


def _survey_context(services: Any, values: dict[str, Any] | None) -> dict[str, Any]:
    from moodtune.survey.schema import FREQUENCY_LEVELS, GENRES

    return {"genres": GENRES, "levels": FREQUENCY_LEVELS, "values": values or {}}


@router.get("/survey")
def survey_page(request: Request, services: ServicesDep, ident: IdentityDep) -> Response:
    listener = ident.get()
    values: dict[str, Any] = {}
    first = listener is None
    if listener is not None:
        stored = moodtune_app.get_listener_view(services, listener)
        first = stored.profile is None
        values = {} if stored.profile is None else stored.profile.model_dump(mode="json")
        for genre, level in (values.pop("genre_frequencies", None) or {}).items():
            values[f"freq_{genre}"] = level
        values["consent_notes"] = stored.consent_notes
        values["consent_learning"] = stored.consent_learning
    return page(
        request, "survey.html", new=listener is None, first=first, errors={}, section="me",
        **_survey_context(services, values),
    )  # fmt: skip


def _first_survey(services: Any, listener: str | None) -> bool:
    """Nothing answered yet (nobody set up, or an account just made, which has a listener but
    no answers): the survey is the first step, skippable, and leads on to the check-in."""
    return listener is None or moodtune_app.get_listener_view(services, listener).profile is None


@router.post("/survey")
async def survey_submit(request: Request, services: ServicesDep, ident: IdentityDep) -> Response:
    form = await request.form()
    listener = ident.get()
    first = _first_survey(services, listener)
    skip = form.get("action") == "skip"
    values = {k: form.get(k) for k in form}
    try:
        profile = None if skip else profile_from_form(form)
        if listener is None:
            made = moodtune_app.onboard(
                services,
                profile=profile,
                display_name=str(form.get("display_name") or "").strip() or None,
                keep_notes=form.get("consent_notes") == "yes",
                # the welcome page's "skip" has no consent boxes: learning stays on by default
                learning=form.get("consent_learning") == "yes"
                if form.get("consent_form")
                else True,
            )
            ident.set(made.id)
        elif not skip:
            moodtune_app.save_survey(services, listener, profile)
    except InputError as exc:
        return page(
            request, "survey.html", status=422, new=listener is None, first=first,
            errors=_errors(exc), section="me", **_survey_context(services, values),
        )  # fmt: skip
    return _see("/checkin?welcome=1" if first else "/me?saved=survey")


# -- check-in → goal → journey -----------------------------------------------------------------


def _checkin_page(
    request: Request, *, values: dict[str, Any], errors: dict[str, str], status: int = 200,
    support: Any = None, notice: str | None = None,
) -> Response:  # fmt: skip
    return page(
        request, "checkin.html", status=status, values=values, errors=errors,
        support=support, notice=notice, section="checkin",
    )  # fmt: skip


@router.get("/checkin")
def checkin_page(request: Request, listener: ListenerId, services: ServicesDep) -> Response:
    params = request.query_params
    values: dict[str, Any] = {"valence": "0", "arousal": "0", "goal": "calm_down", "tracks": "8"}
    # a therapist's suggestion accepted on the Account page arrives as ?goal=…&tracks=…
    for key in ("valence", "arousal", "goal", "tracks"):
        if params.get(key):
            values[key] = params[key]
    notice = "Welcome. Start whenever you are ready." if params.get("welcome") else None
    # when the survey answers signal risk, the crisis resources come before the music
    support = moodtune_app.get_listener_view(services, listener).support
    return _checkin_page(request, values=values, errors={}, notice=notice, support=support)


@router.get("/journey/new")
def journey_new(request: Request, listener: ListenerId) -> Response:
    """A journey from a point (the mood map links here): the check-in, prefilled."""
    query = "&".join(f"{k}={v}" for k, v in request.query_params.items())
    return _see("/checkin" + (f"?{query}" if query else ""))


@router.post("/checkin")
async def checkin_submit(request: Request, listener: ListenerId, services: ServicesDep) -> Response:
    form = await request.form()
    values: dict[str, Any] = {k: form.get(k) for k in form}
    values["words"] = form.getlist("words")
    try:
        mood = mood_from_form(form)
        if form.get("action") == "checkin":
            view = moodtune_app.check_in(services, listener, mood)
            return _checkin_page(
                request, values=values, errors={}, support=view.support,
                notice=f"Checked in: {view.mood.description if view.mood else 'noted'}.",
            )  # fmt: skip
        length_kind = str(form.get("length") or "tracks")
        tracks: int | None = None
        minutes: float | None = None
        amount = str(form.get("amount") or "").strip()
        if amount:
            try:
                number = float(amount)
            except ValueError:
                raise InputError("must be a number", field=length_kind, value=amount) from None
            if length_kind == "minutes":
                minutes = number
            elif number.is_integer():
                tracks = int(number)
            else:
                raise InputError("a whole number of tracks", field="tracks", value=amount)
        session = moodtune_app.start_journey(
            services, listener, goal=str(form.get("goal") or ""), mood=mood, tracks=tracks,
            minutes=minutes,
        )  # fmt: skip
    except InputError as exc:
        errors = _errors(exc)
        for key in ("valence", "arousal", "before"):
            if key in errors:
                errors.setdefault("mood", errors.pop(key))
        if "steps" in errors:
            errors["amount"] = errors.pop("steps")
        for key in ("tracks", "minutes"):
            if key in errors:
                errors["amount"] = errors.pop(key)
        return _checkin_page(request, values=values, errors=errors, status=422)
    return _see(f"/journey/{session.id}")


@router.get("/journey")
def journey_index(request: Request, listener: ListenerId, services: ServicesDep) -> Response:
    items, total = moodtune_app.list_journeys(services, listener, limit=50)
    open_ones = [s for s in items if not s.finished]
    return page(
        request, "journeys.html", items=items, total=total, current=open_ones[0] if open_ones
        else None, section="journey",
    )  # fmt: skip


def _journey_page(
    request: Request, view: Any, *, errors: dict[str, str] | None = None, status: int = 200,
    notice: str | None = None,
) -> Response:  # fmt: skip
    from moodtune.app.spotify import spotify_setup_hint

    figure = plots.journey_figure(view)
    return page(
        request, "journey.html", status=status, s=view, figure=figure, errors=errors or {},
        notice=notice, section="journey", values={},
        spotify_hint=spotify_setup_hint(request.app.state.settings),
    )  # fmt: skip


@router.get("/journey/{session_id}")
def journey_page(
    request: Request, session_id: str, listener: ListenerId, services: ServicesDep
) -> Response:
    view = moodtune_app.session_view(services, listener, session_id)
    return _journey_page(request, view)


@router.post("/journey/{session_id}/tracks/{number}/feedback")
async def journey_feedback(
    request: Request, session_id: str, number: int, listener: ListenerId, services: ServicesDep
) -> Response:
    form = await request.form()
    answer = str(form.get("answer") or "")
    options: dict[str, Any] = {
        "up": {"thumbs": 1}, "down": {"thumbs": -1}, "helped": {"helped": True},
        "skip": {"played": False}, "played": {"played": True},
    }  # fmt: skip
    if answer not in options:
        raise InputError("unknown answer", field="answer", value=answer, allowed=", ".join(options))
    try:
        view = moodtune_app.give_feedback(services, listener, session_id, number, **options[answer])
    except NotFoundError:
        raise
    except InputError as exc:
        view = moodtune_app.session_view(services, listener, session_id)
        if request.headers.get("hx-request"):
            track = next(t for t in view.tracks if t.number == number)
            return page(request, "partials/track_card.html", status=422, s=view, t=track,
                        message=str(exc.message))  # fmt: skip
        return _journey_page(request, view, errors={f"track-{number}": exc.message}, status=422)
    if request.headers.get("hx-request"):
        track = next(t for t in view.tracks if t.number == number)
        return page(request, "partials/track_card.html", s=view, t=track, message="Thanks, noted.")
    return _see(f"/journey/{session_id}#track-{number}")


@router.post("/journey/{session_id}/tracks/{number}/swap")
def journey_swap(
    request: Request, session_id: str, number: int, listener: ListenerId, services: ServicesDep
) -> Response:
    try:
        moodtune_app.swap_track(services, listener, session_id, number)
    except NotFoundError:
        raise
    except InputError as exc:
        view = moodtune_app.session_view(services, listener, session_id)
        return _journey_page(request, view, errors={f"track-{number}": exc.message}, status=422)
    return _see(f"/journey/{session_id}#track-{number}")


@router.post("/journey/{session_id}/finish")
async def journey_finish(
    request: Request, session_id: str, listener: ListenerId, services: ServicesDep
) -> Response:
    form = await request.form()
    try:
        moodtune_app.finish_journey(services, listener, session_id, mood_from_form(form))
    except NotFoundError:
        raise
    except InputError as exc:
        view = moodtune_app.session_view(services, listener, session_id)
        errors = _errors(exc)
        errors["after"] = next(iter(errors.values()))
        return _journey_page(request, view, errors=errors, status=422)
    return _see(f"/journey/{session_id}?finished=1#change")


# -- song paths --------------------------------------------------------------------------------


@router.get("/path")
def path_page(request: Request, services: ServicesDep, listener: ListenerId) -> Response:
    params = request.query_params
    q_from, q_to = params.get("from_q", ""), params.get("to_q", "")
    found_from = found_to = None
    errors: dict[str, str] = {}
    try:
        if q_from.strip():
            found_from = moodtune_app.search_tracks(services, q_from, limit=8)[0]
        if q_to.strip():
            found_to = moodtune_app.search_tracks(services, q_to, limit=8)[0]
    except InputError as exc:
        errors = _errors(exc)
    return page(
        request, "path.html", params=params, found_from=found_from, found_to=found_to,
        errors=errors, preview=None, figure=None, section="journey",
    )  # fmt: skip


@router.post("/path")
async def path_submit(request: Request, services: ServicesDep, listener: ListenerId) -> Response:
    form = await request.form()
    from_track = str(form.get("from_track") or "")
    to_track = str(form.get("to_track") or "") or None
    to_mood = None if to_track else (str(form.get("to_mood") or "") or None)
    try:
        preview = moodtune_app.song_path(
            services, from_track=from_track, to_track=to_track, to_mood=to_mood,
            tracks=int(str(form.get("tracks") or "8")),
        )  # fmt: skip
        if form.get("action") == "start":
            session = moodtune_app.start_song_path(
                services, listener, preview, mood=mood_from_form(form)
            )
            return _see(f"/journey/{session.id}")
    except (InputError, ValueError) as exc:
        errors = _errors(exc) if isinstance(exc, InputError) else {"tracks": "a whole number"}
        return page(
            request, "path.html", status=422, params=form, found_from=None, found_to=None,
            errors=errors, preview=None, figure=None, section="journey",
        )  # fmt: skip
    return page(
        request, "path.html", params=form, found_from=None, found_to=None, errors={},
        preview=preview, figure=plots.journey_figure(preview), section="journey",
    )  # fmt: skip


# -- history, explore, me ----------------------------------------------------------------------


@router.get("/history")
def history_page(request: Request, listener: ListenerId, services: ServicesDep) -> Response:
    raw = request.query_params.get("offset", "0")
    offset = min(int(raw), 10**9) if raw.isdigit() else 0
    view = moodtune_app.history_view(
        services, listener, sessions_offset=offset, tz=browser_zone(request)
    )
    helped = [
        (title, groups, None if view.too_early else plots.helped_figure(groups, title=title))
        for title, groups in (
            ("By goal", view.by_goal),
            ("By genre", view.by_genre),
            ("By mood of the music", view.by_mood),
        )
    ]
    figure = plots.history_figure(view)
    before_after = plots.before_after_figure(view)
    streaks = plots.streaks_figure(view.streaks) if view.checkins else None
    shown = [figure, before_after, streaks, *(f for *_, f in helped)]
    return page(
        request, "history.html", h=view, helped=helped, figure=figure, before_after=before_after,
        streaks_figure=streaks, section="history", plots=any(f is not None for f in shown),
    )  # fmt: skip


@router.get("/explore")
def explore_page(request: Request, services: ServicesDep) -> Response:
    q = request.query_params.get("q", "")
    offset = int(request.query_params.get("offset", "0") or 0) if request.query_params.get(
        "offset", "0").isdigit() else 0  # fmt: skip
    results: list[Any] = []
    total = 0
    errors: dict[str, str] = {}
    if q.strip():
        try:
            results, total = moodtune_app.search_tracks(services, q, offset=offset, limit=20)
        except InputError as exc:
            errors = _errors(exc)
    figure = plots.map_figure(moodtune_app.mood_map(services))
    return page(
        request, "explore.html", q=q, results=results, total=total, offset=offset,
        errors=errors, figure=figure, section="explore",
    )  # fmt: skip


@router.get("/explore/track/{track_id}")
def track_page(request: Request, track_id: str, services: ServicesDep) -> Response:
    found = moodtune_app.similar_tracks(services, track_id, k=10)
    return page(request, "track.html", track=found.seed, similar=found.similar, section="explore")


@router.get("/me")
def me_page(request: Request, listener: ListenerId, services: ServicesDep) -> Response:
    me = moodtune_app.me_view(services, listener)
    figure = None
    if me.persona is not None:
        model = services.personas
        figure = plots.persona_figure(model.embedding_, model.labels_, model.names_, me.persona)
    from moodtune.app.connectors import mood_unknown
    from moodtune.app.spotify import spotify_status

    access: list[Any] = []
    if request.app.state.settings.multi_user:  # reads of your data by your therapists
        from moodtune.app.therapists import access_log

        access = access_log(services.engine, listener)
    return page(
        request, "me.html", me=me, figure=figure, saved=request.query_params.get("saved"),
        section="me", access=access, spotify=spotify_status(services.settings),
        mood_unknown=mood_unknown(services, listener, limit=20),
    )  # fmt: skip


@router.post("/me/consent")
async def me_consent(request: Request, listener: ListenerId, services: ServicesDep) -> Response:
    form = await request.form()
    _view, erased = moodtune_app.set_consent(
        services,
        listener,
        keep_notes=form.get("consent_notes") == "yes",
        learning=form.get("consent_learning") == "yes",
    )
    return _see("/me?saved=consent" + (f"&erased={erased}" if erased else ""))


@router.get("/me/export")
def me_export(listener: ListenerId, services: ServicesDep) -> Response:
    from moodtune.web.api.listener import export_download

    return export_download(services, listener, filename="moodtune-my-data.json")


@router.get("/me/delete")
def me_delete_page(request: Request, listener: ListenerId, services: ServicesDep) -> Response:
    history = moodtune_app.history_view(services, listener)
    return page(request, "delete.html", h=history, section="me")


@router.post("/me/delete")
async def me_delete(
    request: Request, listener: ListenerId, services: ServicesDep, ident: IdentityDep
) -> Response:
    form = await request.form()
    if form.get("confirm") != "yes":
        history = moodtune_app.history_view(services, listener)
        return page(
            request, "delete.html", status=422, h=history, section="me",
            error="Tick the box to confirm that everything should be deleted.",
        )  # fmt: skip
    removed = moodtune_app.delete_everything(services, listener)
    ident.clear()
    return page(request, "deleted.html", removed=removed)


@router.get("/insights")
def insights_page(request: Request, services: ServicesDep) -> Response:
    from moodtune.insights.html import render_body
    from moodtune.insights.service import report_for

    progress = report_for(services, wait=8.0)
    body = render_body(progress.report) if progress.report is not None else None
    return page(
        request, "insights.html", body=body, progress=progress, plots=body is not None,
        section="explore",
    )  # fmt: skip
