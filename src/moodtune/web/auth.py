"""Who a request comes from, in multi-user mode: session cookie or API token, and CSRF.

``guard_request`` is a dependency of the whole app (every route, so a new route cannot escape
it): it resolves the principal, refuses an unauthenticated request to anything but the public
pages (401 problem+json for the API, a redirect to sign-in for pages) and refuses an unsafe
request that a cookie authenticates unless it carries the CSRF token (the form field
``csrf_token`` or, from HTMX, the ``X-CSRF-Token`` header) that matches the CSRF cookie.
A request with ``Authorization: Bearer`` cannot be forged by another site, so it needs none.

In local single-listener mode (loopback, ``MOODTUNE_MULTI_USER`` unset) nothing here applies:
the app factory's Host and Origin guard keeps other sites and other machines out.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine

from moodtune.app import accounts
from moodtune.app.credentials import new_token, same_secret
from moodtune.config import Settings
from moodtune.store.engine import open_database
from moodtune.web.guard import UNSAFE_METHODS

__all__ = [
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "PUBLIC_PATHS",
    "PUBLIC_PREFIXES",
    "SESSION_COOKIE",
    "SignInRequired",
    "csrf_token",
    "guard_request",
    "is_public",
    "principal_of",
    "set_cookie",
]

SESSION_COOKIE = "moodtune_session"
CSRF_COOKIE = "moodtune_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

#: What anyone may open without signing in (everything else needs an account).
PUBLIC_PATHS = frozenset(
    {"/signin", "/signup", "/reset", "/help", "/healthz", "/api/v1/support",
     "/api/v1/auth/token", "/api/v1/openapi.json", "/api/v1/docs"}
)  # fmt: skip
PUBLIC_PREFIXES = ("/static/", "/static-vendor/")


class SignInRequired(Exception):
    """A page needs a signed-in account (the app sends the browser to the sign-in page)."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def multi_user(request: Request) -> bool:
    settings: Settings = request.app.state.settings
    return settings.multi_user


def engine_of(request: Request) -> Engine:
    """The database the request uses: the prepared services' engine (tests give their own),
    or the configured database while the models are still being prepared."""
    services = request.app.state.readiness.services
    if services is not None:
        engine: Engine = services.engine
        return engine
    return open_database(request.app.state.settings)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _resolve(request: Request) -> accounts.Principal | None:
    settings: Settings = request.app.state.settings
    engine = engine_of(request)
    token = _bearer(request)
    if token is not None:
        return accounts.authenticate_token(engine, settings, token)
    cookie = request.cookies.get(SESSION_COOKIE)
    return accounts.authenticate_session(engine, settings, cookie) if cookie else None


def principal_of(request: Request) -> accounts.Principal | None:
    """The principal ``guard_request`` found (``None`` when signed out or in local mode)."""
    found: accounts.Principal | None = getattr(request.state, "principal", None)
    return found


def csrf_token(request: Request) -> str:
    """The CSRF token for this browser, for forms and HTMX (made on first use, then a cookie)."""
    existing = getattr(request.state, "csrf", None) or request.cookies.get(CSRF_COOKIE)
    if not existing:
        existing = new_token("csrf")
        request.state.csrf_new = existing
    request.state.csrf = existing
    return str(existing)


def secure_cookies(request: Request) -> bool:
    """Cookies are Secure behind TLS: ``MOODTUNE_BEHIND_TLS``, or https as a trusted proxy says."""
    settings: Settings = request.app.state.settings
    return settings.behind_tls or request.url.scheme == "https"


def set_cookie(
    request: Request, response: Response, name: str, value: str, *, max_age: int | None
) -> None:
    """A moodtune cookie: HttpOnly, SameSite=Lax, path /, Secure behind TLS."""
    response.set_cookie(
        name, value, max_age=max_age, path="/", httponly=True, samesite="lax",
        secure=secure_cookies(request),
    )  # fmt: skip


async def guard_request(request: Request) -> None:
    """Authenticate (multi-user mode), refuse what needs an account, check CSRF on writes."""
    if not multi_user(request):
        return
    principal = await run_in_threadpool(_resolve, request)
    request.state.principal = principal
    path = request.url.path
    if principal is None and not is_public(path):
        if path.startswith("/api/"):
            raise HTTPException(
                401,
                "sign in first: send 'Authorization: Bearer <token>' with a personal API token "
                "(make one on the Account page or with POST /api/v1/auth/token)",
                headers={"WWW-Authenticate": 'Bearer realm="moodtune"'},
            )
        raise SignInRequired(path)
    if request.method in UNSAFE_METHODS and _forgeable(request, principal):
        await _check_csrf(request)


def _forgeable(request: Request, principal: accounts.Principal | None) -> bool:
    """Whether another site's page could have sent this request: one the session cookie
    authenticates, or a signed-out form post. A Bearer token, or a JSON body (which another
    site cannot send without a CORS preflight moodtune never grants), cannot be forged."""
    if principal is not None:
        return principal.via == "session"
    return request.headers.get("content-type", "").split(";")[0].strip() != "application/json"


async def _check_csrf(request: Request) -> None:
    expected = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()  # cached on the request: the route reads it again
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not same_secret(expected, sent):
        raise HTTPException(
            403,
            "refused: this form is missing its security token or it is out of date; "
            "reload the page and try again",
        )


PrincipalDep = Annotated[accounts.Principal | None, Depends(principal_of)]
