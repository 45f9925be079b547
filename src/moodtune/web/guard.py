"""The guard in front of every request: who may ask, and the security headers of every answer.

A plain ASGI middleware rather than ``@app.middleware("http")``: Starlette's
``BaseHTTPMiddleware`` runs each request through an extra task and memory streams, which cost
a sixth of a loaded server's time (measured with py-spy on ``POST /api/v1/sessions``).
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import Response

from moodtune.web.problems import problem

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from moodtune.config import Settings

__all__ = ["CSP", "UNSAFE_METHODS", "Guard", "local_host"]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; "
    "frame-src https://open.spotify.com; media-src 'self' blob:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Paths whose answers hold someone's data: never stored by a browser or a proxy.
PRIVATE_PREFIXES = ("/api/", "/journey", "/me", "/history")
STATIC_PREFIXES = ("/static", "/static-vendor")


def local_host(host: str) -> bool:
    """Whether a ``Host`` header names this machine (loopback address or localhost)."""
    host = host.lower()  # host names are case-insensitive (RFC 3986)
    name = host.rsplit(":", 1)[0].strip("[]") if host.count(":") <= 1 or "]" in host else host
    if name in ("localhost", "testserver"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class Guard:
    """Refuses what must not reach the app, and adds the security headers to every answer.

    * Single-listener mode answers only to a local ``Host`` (no DNS rebinding); with accounts
      the app answers on any name it is reached by.
    * An unsafe request another site's page sent (``Sec-Fetch-Site`` or ``Origin``) is refused
      (no cross-site request forgery), before the accounts' CSRF token is even looked at.
    * A fresh CSRF token made while answering (``request.state.csrf_new``) is set as a cookie.
    """

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        static = [
            (b"x-frame-options", b"DENY"),
            (b"content-security-policy", CSP.encode()),
            (b"x-content-type-options", b"nosniff"),
            # same-origin, not no-referrer: under no-referrer Chromium sends "Origin: null"
            # with same-origin form posts, which the cross-site check must refuse
            (b"referrer-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        ]
        if settings.behind_tls:
            static.insert(0, (b"strict-transport-security", b"max-age=31536000"))
        self._headers = static

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = self._refusal(scope)
        if refused is not None:
            await refused(scope, receive, send)
            return
        path: str = scope["path"]
        private = path.startswith(PRIVATE_PREFIXES) or (
            self.settings.multi_user and not path.startswith(STATIC_PREFIXES)
        )

        async def send_guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                present = {k.lower() for k, _ in message.get("headers", [])}
                for name, value in self._headers:
                    if name not in present:
                        headers.raw.append((name, value))
                if private and b"cache-control" not in present:
                    headers.raw.append((b"cache-control", b"no-store"))
                fresh = scope.get("state", {}).get("csrf_new")
                if fresh and self.settings.multi_user:
                    headers.raw.extend(_csrf_cookie(scope, str(fresh)))
            await send(message)

        await self.app(scope, receive, send_guarded)

    def _refusal(self, scope: Scope) -> Response | None:
        headers = Headers(scope=scope)
        host = headers.get("host", "")
        if not self.settings.multi_user and not local_host(host):
            return problem(400, f"this moodtune answers only on a local address, not {host!r}")
        if scope["method"] in UNSAFE_METHODS:
            site = headers.get("sec-fetch-site")
            origin = headers.get("origin")
            if (site is not None and site not in ("same-origin", "none")) or (
                origin is not None and origin.split("//", 1)[-1] != host
            ):
                return problem(
                    403, "refused: this request came from another site", request=Request(scope)
                )
        return None


def _csrf_cookie(scope: Scope, token: str) -> list[tuple[bytes, bytes]]:
    """The ``Set-Cookie`` header of a fresh CSRF token (the accounts' cookie rules)."""
    from moodtune.web.auth import CSRF_COOKIE, set_cookie

    carrier = Response()
    set_cookie(Request(scope), carrier, CSRF_COOKIE, token, max_age=None)
    return [(k, v) for k, v in carrier.raw_headers if k == b"set-cookie"]
