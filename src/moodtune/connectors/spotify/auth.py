"""Logging a listener in to Spotify: authorization code with PKCE and a loopback redirect.

No client secret is involved (PKCE is the flow Spotify recommends for apps that run on the
listener's machine). :func:`loopback_login` starts a one-shot HTTP server on the redirect
URI's loopback address and port, opens the authorize URL (``open_url``: the browser, or in
tests a plain HTTP client), waits for Spotify to redirect back with ``code`` and ``state``,
checks the state, and exchanges the code (with the PKCE verifier) for tokens, which the auth
manager's cache handler keeps: :class:`FileTokenCache` writes them to a file only its owner
can read.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from spotipy.cache_handler import CacheHandler

from moodtune.artefacts import PRIVATE_FILE_MODE, private_dir
from moodtune.connectors.spotify.client import SpotifyAuthError
from moodtune.errors import InputError

__all__ = ["LOOPBACK_HOSTS", "FileTokenCache", "loopback_address", "loopback_login"]

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")

_DONE_PAGE = (
    b"<!doctype html><meta charset=utf-8><title>moodtune</title>"
    b"<p>moodtune is connected to Spotify. You can close this window.</p>"
)
_FAILED_PAGE = (
    b"<!doctype html><meta charset=utf-8><title>moodtune</title>"
    b"<p>Spotify did not connect moodtune. Return to moodtune for the reason.</p>"
)


class FileTokenCache(CacheHandler):
    """spotipy's token cache as a JSON file created owner-only (0600), replaced atomically."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def get_cached_token(self) -> dict[str, Any] | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            token = json.loads(text)
        except json.JSONDecodeError:
            return None  # a damaged token file means: log in again
        return token if isinstance(token, dict) else None

    def save_token_to_cache(self, token_info: dict[str, Any]) -> None:
        private_dir(self.path.parent)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
        os.fchmod(fd, PRIVATE_FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(token_info, out)
        os.replace(tmp, self.path)

    def forget(self) -> bool:
        """Remove the stored token (log out); whether there was one."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        return True


def loopback_address(redirect_uri: str) -> tuple[str, int, str]:
    """``(host, port, path)`` of a loopback ``http://`` redirect URI, or ``InputError``."""
    parsed = urlparse(redirect_uri)
    host = parsed.hostname or ""
    if parsed.scheme != "http" or host not in LOOPBACK_HOSTS or not parsed.port:
        raise InputError(
            "the Spotify redirect must be a loopback http address with a port",
            field="spotify_redirect_uri",
            value=redirect_uri,
            allowed="e.g. http://127.0.0.1:8888/callback (registered in your Spotify app)",
        )
    return host, parsed.port, parsed.path or "/"


class _Answer:
    def __init__(self) -> None:
        self.query: dict[str, list[str]] | None = None
        self.arrived = threading.Event()


def _handler(path: str, answer: _Answer) -> type[BaseHTTPRequestHandler]:
    class Redirect(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlparse(self.path)
            if url.path != path:
                self.send_response(404)
                self.end_headers()
                return
            query = parse_qs(url.query)
            ok = "code" in query
            self.send_response(200 if ok else 400)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(_DONE_PAGE if ok else _FAILED_PAGE)
            answer.query = query
            answer.arrived.set()

        def log_message(self, format: str, *args: Any) -> None:
            return  # the query holds the one-time code: never printed

    return Redirect


def loopback_login(auth: Any, *, open_url: Callable[[str], Any], timeout_s: float = 300.0) -> None:
    """Log in with PKCE: open the authorize URL, catch the redirect, store the tokens.

    ``auth`` is a ``SpotifyPKCE`` from ``client.pkce_manager``. Raises ``SpotifyAuthError`` when
    the listener refuses, the state does not match, or nothing arrives within ``timeout_s``.
    """
    host, port, path = loopback_address(auth.redirect_uri)
    answer = _Answer()
    server_type = type("LoopbackServer", (HTTPServer,), {"address_family": _family(host)})
    try:
        server = server_type((host, port), _handler(path, answer))
    except OSError as exc:
        raise SpotifyAuthError(
            f"cannot listen on {host}:{port} for Spotify's redirect ({exc.strerror}): free the "
            "port or set MOODTUNE_SPOTIFY_REDIRECT_URI to another registered loopback address"
        ) from None
    state = secrets.token_urlsafe(24)
    auth.get_pkce_handshake_parameters()
    url = auth.get_authorize_url(state=state)
    thread = threading.Thread(target=_serve_until, args=(server, answer, timeout_s), daemon=True)
    thread.start()
    try:
        open_url(url)
        arrived = answer.arrived.wait(timeout_s)
    finally:
        answer.arrived.set()
        thread.join(timeout=5)
        server.server_close()
    if not arrived or answer.query is None:
        raise SpotifyAuthError(f"no answer from Spotify's login within {timeout_s:g} s")
    query = answer.query
    if query.get("state", [None])[0] != state:
        raise SpotifyAuthError("the login answer's state does not match: log in again")
    if "error" in query:
        raise SpotifyAuthError(f"Spotify's login was not completed ({query['error'][0]})")
    auth.get_access_token(code=query["code"][0], check_cache=False)


def _family(host: str) -> int:
    import socket

    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _serve_until(server: HTTPServer, answer: _Answer, timeout_s: float) -> None:
    server.timeout = 0.2
    waited = 0.0
    while not answer.arrived.is_set() and waited < timeout_s:
        server.handle_request()
        waited += 0.2
