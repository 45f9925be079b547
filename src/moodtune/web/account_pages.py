"""Pages for accounts (multi-user mode): sign-in, sign-up, reset, Account, the therapist's pages.

Thin like the other pages: parse the form, call ``moodtune.app.accounts`` /
``moodtune.app.therapists``, render. In local single-listener mode they answer 404.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import RedirectResponse
from markupsafe import Markup, escape
from starlette.datastructures import FormData

from moodtune.app import accounts, therapists
from moodtune.config import Settings
from moodtune.errors import InputError, NotFoundError
from moodtune.web.auth import (
    CSRF_COOKIE,
    CSRF_FIELD,
    SESSION_COOKIE,
    csrf_token,
    engine_of,
    principal_of,
    set_cookie,
)
from moodtune.web.deps import ServicesDep
from moodtune.web.pages import _errors, browser_zone, page, templates

__all__ = ["csrf_input", "router"]

router = APIRouter(include_in_schema=False)


def csrf_input(request: Request) -> Markup:
    """The hidden CSRF field every form carries in multi-user mode (nothing in local mode)."""
    if not request.app.state.settings.multi_user:
        return Markup("")
    return Markup(
        f'<input type="hidden" name="{CSRF_FIELD}" value="{escape(csrf_token(request))}">'
    )


def csrf_header(request: Request) -> Markup:
    """``hx-headers`` for the body, so every HTMX request sends the token as a header too."""
    if not request.app.state.settings.multi_user:
        return Markup("")
    return Markup(f' hx-headers=\'{{"X-CSRF-Token": "{escape(csrf_token(request))}"}}\'')


templates.env.globals.update(csrf_input=csrf_input, csrf_header=csrf_header,
                             principal_of=principal_of)  # fmt: skip


def multi_user_only(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    if not settings.multi_user:
        raise HTTPException(404, "accounts are off: this moodtune serves one local listener")
    return settings


SettingsDep = Annotated[Settings, Depends(multi_user_only)]


async def form_data(request: Request) -> FormData:
    """The posted form, parsed on the event loop, so the handlers (argon2, the database) can be
    plain functions that FastAPI runs in its thread pool instead of blocking the loop."""
    return await request.form()


FormDep = Annotated[FormData, Depends(form_data)]


def signed_in(request: Request, settings: SettingsDep) -> accounts.Principal:
    principal = principal_of(request)
    if principal is None:
        from moodtune.web.auth import SignInRequired

        raise SignInRequired(request.url.path)
    return principal


Me = Annotated[accounts.Principal, Depends(signed_in)]


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _safe_next(value: Any) -> str:
    """Only a path of this site (no ``//host`` or ``/\\host``): no open redirect."""
    text = str(value or "")
    if not text.startswith("/") or text.startswith(("//", "/\\")) or "\n" in text:
        return "/checkin"
    return text


def _sentence(exc: Exception) -> str:
    """An error message as the page shows it: a sentence (the API keeps the plain detail)."""
    text = str(exc).strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _start_session(request: Request, signed: accounts.SignedIn, to: str) -> Response:
    """Set the session cookie and a fresh CSRF token (a token from before sign-in is dropped)."""
    response = _see(to)
    settings: Settings = request.app.state.settings
    max_age = int(settings.session_max_days * 86400)
    set_cookie(request, response, SESSION_COOKIE, signed.token, max_age=max_age)
    from moodtune.app.credentials import new_token

    set_cookie(request, response, CSRF_COOKIE, new_token("csrf"), max_age=None)
    return response


# -- sign-in, sign-up, sign-out, reset ---------------------------------------------------------


@router.get("/signin")
def signin_page(request: Request, settings: SettingsDep) -> Response:
    params = request.query_params
    notice = {"reset": "Your new password is set: sign in with it.",
              "out": "You are signed out."}.get(params.get("done", ""))  # fmt: skip
    return page(request, "account/signin.html", next_path=_safe_next(params.get("next")),
                values={}, errors={}, message=None, notice=notice)  # fmt: skip


@router.post("/signin")
def signin_submit(request: Request, form: FormDep, settings: SettingsDep) -> Response:
    username = str(form.get("username") or "")
    next_path = _safe_next(form.get("next"))
    context: dict[str, Any] = {"next_path": next_path, "values": {"username": username},
                               "errors": {}, "notice": None}  # fmt: skip
    try:
        signed = accounts.sign_in(
            engine_of(request), settings, username=username,
            password=str(form.get("password") or ""), address=_address(request),
            user_agent=request.headers.get("user-agent"),
        )  # fmt: skip
    except accounts.RateLimited as exc:
        response = page(request, "account/signin.html", status=429, message=_sentence(exc),
                        **context)  # fmt: skip
        response.headers["Retry-After"] = str(exc.retry_after_s)
        return response
    except accounts.AuthFailed as exc:
        return page(request, "account/signin.html", status=401, message=f"Sorry: {exc}.",
                    **context)  # fmt: skip
    return _start_session(request, signed, next_path)


@router.get("/signup")
def signup_page(request: Request, settings: SettingsDep) -> Response:
    return page(request, "account/signup.html", values={}, errors={})


@router.post("/signup")
def signup_submit(request: Request, form: FormDep, settings: SettingsDep) -> Response:
    username = str(form.get("username") or "")
    password = str(form.get("password") or "")
    engine = engine_of(request)
    try:
        accounts.sign_up(
            engine, username=username, password=password,
            keep_notes=form.get("consent_notes") == "yes",
            learning=form.get("consent_learning") == "yes",
        )  # fmt: skip
        signed = accounts.sign_in(
            engine, settings, username=username, password=password, address=_address(request),
            user_agent=request.headers.get("user-agent"),
        )  # fmt: skip
    except InputError as exc:
        return page(request, "account/signup.html", status=422, values={"username": username},
                    errors=_errors(exc))  # fmt: skip
    except accounts.RateLimited as exc:
        return page(request, "account/signup.html", status=429, values={"username": username},
                    errors={"username": str(exc)})  # fmt: skip
    return _start_session(request, signed, "/survey")


@router.post("/signout")
def signout(request: Request, me: Me) -> Response:
    accounts.sign_out(engine_of(request), me)
    response = _see("/signin?done=out")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/reset")
def reset_page(request: Request, settings: SettingsDep) -> Response:
    return page(request, "account/reset.html", values={}, errors={})


@router.post("/reset")
def reset_submit(request: Request, form: FormDep, settings: SettingsDep) -> Response:
    try:
        accounts.reset_password(
            engine_of(request), settings, token=str(form.get("token") or ""),
            new_password=str(form.get("new_password") or ""),
        )  # fmt: skip
    except InputError as exc:
        return page(request, "account/reset.html", status=422, values={}, errors=_errors(exc))
    return _see("/signin?done=reset")


# -- Account -----------------------------------------------------------------------------------


def _account_page(
    request: Request, me: accounts.Principal, *, status: int = 200, **extra: Any
) -> Response:
    engine = engine_of(request)
    context: dict[str, Any] = {
        "principal": me,
        "sessions": accounts.list_sign_in_sessions(engine, me),
        "tokens": accounts.list_api_tokens(engine, me),
        "links": therapists.links_of(engine, me.listener_id),
        "access": therapists.access_log(engine, me.listener_id),
        "suggestions": therapists.suggestions_for(engine, me.listener_id),
        "invite_days": int(therapists.INVITE_DAYS),
        "values": {},
        "errors": {},
        "notice": None,
        "section": "account",  # the header's Account link is current, not Me
    }
    context.update(extra)
    return page(request, "account/account.html", status=status, **context)


NOTICES = {
    "password": "Your password is changed; everywhere else you were signed in is signed out.",
    "sessions": "Signed out there.",
    "everywhere": "Signed out everywhere else.",
    "revoked": "The token is revoked: it no longer works.",
    "link-ended": "Their access has ended.",
    "notes": "Saved.",
    "declined": "Declined.",
}


@router.get("/account")
def account_page(request: Request, me: Me) -> Response:
    return _account_page(request, me, notice=NOTICES.get(request.query_params.get("done", "")))


@router.post("/account/password")
def account_password(request: Request, form: FormDep, me: Me) -> Response:
    try:
        accounts.change_password(
            engine_of(request), me, current=str(form.get("current_password") or ""),
            new=str(form.get("new_password") or ""),
        )  # fmt: skip
    except InputError as exc:
        return _account_page(request, me, status=422, errors=_errors(exc))
    return _see("/account?done=password")


@router.post("/account/sessions/end")
def account_end_sessions(request: Request, form: FormDep, me: Me) -> Response:
    which = str(form.get("session_id") or "")
    engine = engine_of(request)
    if which == "all":
        accounts.end_sessions(engine, me, keep_current=True)
        return _see("/account?done=everywhere")
    accounts.end_sessions(engine, me, session_id=which, keep_current=True)
    return _see("/account?done=sessions")


@router.post("/account/tokens")
def account_new_token(request: Request, form: FormDep, me: Me, settings: SettingsDep) -> Response:
    try:
        made = accounts.create_api_token(
            engine_of(request), settings, me, name=str(form.get("name") or "")
        )
    except InputError as exc:
        return _account_page(request, me, status=422, errors=_errors(exc))
    return _account_page(request, me, new_token=made.token)


@router.post("/account/tokens/{token_id}/revoke")
def account_revoke_token(request: Request, token_id: str, me: Me) -> Response:
    accounts.revoke_api_token(engine_of(request), me, token_id)
    return _see("/account?done=revoked")


@router.post("/account/invite")
def account_invite(request: Request, form: FormDep, me: Me, settings: SettingsDep) -> Response:
    made = therapists.invite_therapist(
        engine_of(request), settings, me.listener_id, share_notes=form.get("share_notes") == "yes"
    )
    return _account_page(request, me, new_code=made.code)


@router.post("/account/links/{link_id}/revoke")
def account_revoke_link(request: Request, link_id: str, me: Me) -> Response:
    therapists.revoke_link(engine_of(request), me.listener_id, link_id)
    return _see("/account?done=link-ended")


@router.post("/account/links/{link_id}/notes")
def account_link_notes(request: Request, form: FormDep, link_id: str, me: Me) -> Response:
    therapists.set_link_notes(
        engine_of(request), me.listener_id, link_id, share_notes=form.get("share_notes") == "yes"
    )
    return _see("/account?done=notes")


@router.post("/account/suggestions/{suggestion_id}/{answer}")
def account_answer(request: Request, suggestion_id: int, answer: str, me: Me) -> Response:
    if answer not in ("accept", "decline"):
        raise HTTPException(404, "no such answer")
    found = therapists.answer_suggestion(
        engine_of(request), me.listener_id, suggestion_id, accept=answer == "accept"
    )
    if answer == "decline":
        return _see("/account?done=declined")
    query = f"goal={found.goal}" + (f"&tracks={found.tracks}" if found.tracks else "")
    return _see(f"/checkin?{query}")


# -- the therapist's pages ---------------------------------------------------------------------


@router.post("/therapist/code")
def therapist_code(request: Request, form: FormDep, me: Me, settings: SettingsDep) -> Response:
    try:
        link = therapists.accept_invite(
            engine_of(request), settings, me.listener_id, str(form.get("code") or "")
        )
    except InputError as exc:
        return _account_page(request, me, status=422, errors=_errors(exc),
                             values={"code": form.get("code")})  # fmt: skip
    return _see(f"/therapist/{link.listener_id}")


@router.get("/therapist")
def therapist_page(request: Request, me: Me, services: ServicesDep) -> Response:
    clients = therapists.linked_clients(services, me.listener_id)
    return page(request, "account/therapist.html", clients=clients, notice=None,
                section="account")  # fmt: skip


def _client_page(
    request: Request, me: accounts.Principal, services: Any, listener_id: str, **extra: Any
) -> Response:
    summary = therapists.client_summary(services, me.listener_id, listener_id)
    history = therapists.client_history(
        services, me.listener_id, listener_id, tz=browser_zone(request)
    )
    checkins = therapists.client_checkins(services, me.listener_id, listener_id)
    extra.setdefault("errors", {})
    extra.setdefault("notice", None)
    return page(
        request, "account/client.html", h=history, checkins=checkins, listener_id=listener_id,
        client=summary.name, share_notes=summary.share_notes, section="account", **extra,
    )  # fmt: skip


@router.get("/therapist/{listener_id}")
def client_page(request: Request, listener_id: str, me: Me, services: ServicesDep) -> Response:
    return _client_page(request, me, services, listener_id)


@router.get("/therapist/{listener_id}/journey/{session_id}")
def client_journey(
    request: Request, listener_id: str, session_id: str, me: Me, services: ServicesDep
) -> Response:
    view = therapists.client_session(services, me.listener_id, listener_id, session_id)
    name = therapists.client_name(services.engine, me.listener_id, listener_id)
    return page(request, "account/client_journey.html", s=view, listener_id=listener_id,
                client=name, section="account")  # fmt: skip


@router.post("/therapist/{listener_id}/suggest")
def client_suggest(
    request: Request, form: FormDep, listener_id: str, me: Me, services: ServicesDep
) -> Response:
    raw_tracks = str(form.get("tracks") or "").strip()
    try:
        tracks = int(raw_tracks) if raw_tracks else None
    except ValueError:
        error = InputError("a whole number of tracks", field="tracks", value=raw_tracks)
        return _client_page(request, me, services, listener_id, errors=_errors(error))
    try:
        therapists.suggest(
            services.engine, me.listener_id, listener_id, goal=str(form.get("goal") or ""),
            tracks=tracks, message=str(form.get("message") or ""),
        )  # fmt: skip
    except NotFoundError:
        raise
    except InputError as exc:
        return _client_page(request, me, services, listener_id, errors=_errors(exc))
    return _client_page(request, me, services, listener_id, notice="Suggestion sent.")
