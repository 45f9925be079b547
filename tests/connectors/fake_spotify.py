"""A fake Spotify (Web API + accounts service) on 127.0.0.1, for the connector's tests.

A real HTTP server (FastAPI under uvicorn, in a thread) that answers what the 2026.5.31
OpenAPI description and the real bodies in ``tests/connectors/fixtures`` show, and accepts the
exact requests spotipy 2.26 sends (``/v1/me/`` and ``/v1/tracks/?ids=`` with their trailing
slashes, the bare JSON array of ``POST /playlists/{id}/items``). Tests script failures with
:meth:`FakeSpotify.fail` (429 with or without ``Retry-After``, an empty 429 body, 5xx, 403,
404) and :meth:`FakeSpotify.expire_tokens` (401 "The access token expired"), and read what
was asked from :attr:`FakeSpotify.requests`. A failure can come *after* the request was
applied (``applied=True``): the 5xx a gateway sends for a write the back end made, a connection
dropped without an answer (``drop=True``), or an answer too late for the client's timeout
(``delay_s``).
"""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import itertools
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

FIXTURES = Path(__file__).parent / "fixtures"
CLIENT_ID = "fake-client-id"
CLIENT_SECRET = "fake-client-secret-do-not-log"
USER = json.loads((FIXTURES / "me_jmperez.json").read_text())
SCOPES = " ".join(
    (
        "user-library-read",
        "user-read-recently-played",
        "playlist-read-private",
        "playlist-modify-private",
    )
)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def track_body(
    track_id: str, name: str, artist: str, *, isrc: str | None = None, release: str = "2004-06-07"
) -> dict[str, Any]:
    """A current-shape track object, built on the real ``track_get_jmperez.json`` body."""
    body = copy.deepcopy(fixture("track_get_jmperez.json"))
    body.update(
        id=track_id,
        name=name,
        uri=f"spotify:track:{track_id}",
        is_playable=True,
        external_urls={"spotify": f"https://open.spotify.com/track/{track_id}"},
    )
    body["artists"] = [{**body["artists"][0], "name": artist}]
    body["external_ids"] = {"isrc": isrc} if isrc else {}
    body["album"].update(release_date=release, release_date_precision="day", total_tracks=11)
    body.pop("available_markets", None)
    return body


@dataclass
class Failure:
    status: int
    headers: dict[str, str]
    body: bytes
    times: int
    applied: bool = False  #: the request is carried out, then the failure answered
    drop: bool = False  #: the connection is closed instead of answering
    delay_s: float = 0.0  #: wait this long before answering


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    authorization: str | None


@dataclass
class FakeSpotify:
    """State of the fake service; ``base`` is its root (``http://127.0.0.1:PORT/``)."""

    base: str = ""
    tracks: dict[str, dict[str, Any]] = field(default_factory=dict)
    saved: list[str] = field(default_factory=list)
    recent: list[tuple[str, str]] = field(default_factory=list)
    user_playlists: dict[str, tuple[str, list[str]]] = field(default_factory=dict)
    followed: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  #: others' playlists
    created: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    history: list[str] = field(default_factory=list)  #: every request ever, never reset
    failures: list[tuple[str, str, Failure]] = field(default_factory=list)
    valid_tokens: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)
    codes: dict[str, tuple[str, str]] = field(default_factory=dict)  # code → challenge, redirect
    deny_login: bool = False
    page_cap: int = 50  #: the most items a page holds, whatever ``limit`` asks
    _counter: Iterator[int] = field(default_factory=itertools.count)

    @property
    def api(self) -> str:
        return self.base + "v1/"

    def reset(self) -> None:
        self.requests.clear()
        self.failures.clear()
        self.created.clear()
        self.followed.clear()
        self.deny_login = False
        self.page_cap = 50

    def fail(
        self,
        method: str,
        path_prefix: str,
        status: int,
        *,
        times: int = 1,
        retry_after: str | None = None,
        empty: bool = False,
        message: str | None = None,
        applied: bool = False,
        drop: bool = False,
        delay_s: float = 0.0,
    ) -> None:
        """The next ``times`` requests to ``path_prefix`` answer ``status`` (error body shape);
        with ``applied`` each is first carried out; ``drop`` closes the connection instead of
        answering; ``delay_s`` answers that late."""
        headers = {} if retry_after is None else {"Retry-After": retry_after}
        body = (
            b""
            if empty
            else json.dumps(
                {"error": {"status": status, "message": message or _MESSAGES.get(status, "error")}}
            ).encode()
        )
        self.failures.append(
            (
                method,
                path_prefix,
                Failure(status, headers, body, times, applied=applied, drop=drop, delay_s=delay_s),
            )
        )

    def expire_tokens(self) -> None:
        """Every access token issued so far is now expired (refresh tokens stay valid)."""
        self.valid_tokens.clear()

    def paths(self) -> list[str]:
        return [f"{r.method} {r.path}" for r in self.requests]

    def new_token(self) -> str:
        token = f"access-{next(self._counter)}-{time.time_ns()}"
        self.valid_tokens.add(token)
        return token


_MESSAGES = {
    401: "The access token expired",
    403: "Forbidden",
    404: "Not found",
    429: "API rate limit exceeded",
    500: "Server error",
    502: "Bad gateway",
    503: "Service unavailable",
}


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"status": status, "message": message}}, status_code=status)


def _page(
    fake: FakeSpotify, request: Request, items: list[Any], *, default_limit: int
) -> dict[str, Any]:
    limit = min(int(request.query_params.get("limit", default_limit)), fake.page_cap)
    offset = int(request.query_params.get("offset", 0))
    chunk = items[offset : offset + limit]
    params = dict(request.query_params)

    def link(at: int) -> str:
        return f"{fake.base.rstrip('/')}{request.url.path}?" + urlencode(
            {**params, "offset": at, "limit": limit}
        )

    return {
        "href": link(offset),
        "items": chunk,
        "limit": limit,
        "offset": offset,
        "total": len(items),
        "next": link(offset + limit) if offset + limit < len(items) else None,
        "previous": link(max(offset - limit, 0)) if offset > 0 else None,
    }


def build_app(fake: FakeSpotify) -> FastAPI:
    app = FastAPI(redirect_slashes=False, openapi_url=None, docs_url=None, redoc_url=None)

    @app.middleware("http")
    async def record_and_fail(request: Request, call_next: Any) -> Response:
        raw = await request.body()
        try:
            body: Any = (
                json.loads(raw)
                if raw and "json" in request.headers.get("content-type", "")
                else raw.decode()
            )
        except ValueError:
            body = raw.decode(errors="replace")
        fake.history.append(f"{request.method} {request.url.path}")
        fake.requests.append(
            Recorded(
                request.method,
                request.url.path,
                dict(request.query_params),
                body,
                request.headers.get("authorization"),
            )
        )
        for index, (method, prefix, failure) in enumerate(fake.failures):
            if method == request.method and request.url.path.startswith(prefix):
                failure.times -= 1
                if failure.times <= 0:
                    fake.failures.pop(index)
                if failure.applied:
                    done: Response = await call_next(request)
                    async for _ in done.body_iterator:  # type: ignore[attr-defined]
                        pass
                if failure.delay_s:
                    await asyncio.sleep(failure.delay_s)
                if failure.drop:
                    request.scope[_DROP] = True  # _dropping closes the connection
                headers = dict(failure.headers)
                if failure.body:
                    headers["Content-Type"] = "application/json"
                return Response(failure.body, status_code=failure.status, headers=headers)
        if request.url.path.startswith("/v1/"):
            auth = request.headers.get("authorization", "")
            if not auth.startswith("Bearer "):
                return _error(401, "No token provided")
            if auth.removeprefix("Bearer ") not in fake.valid_tokens:
                return _error(401, "The access token expired")
        response: Response = await call_next(request)
        return response

    # -- accounts service --

    @app.get("/authorize")
    async def authorize(request: Request) -> Response:
        q = request.query_params
        if q.get("client_id") != CLIENT_ID or q.get("response_type") != "code":
            return _error(400, "INVALID_CLIENT: Invalid client")
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            return _error(400, "code_challenge required")
        redirect = q["redirect_uri"]
        if fake.deny_login:
            return RedirectResponse(
                f"{redirect}?" + urlencode({"error": "access_denied", "state": q.get("state", "")}),
                302,
            )
        code = f"code-{next(fake._counter)}"
        fake.codes[code] = (q["code_challenge"], redirect)
        return RedirectResponse(
            f"{redirect}?" + urlencode({"code": code, "state": q.get("state", "")}), 302
        )

    @app.post("/api/token")
    async def token(request: Request) -> Response:
        form = dict(await request.form())
        grant = form.get("grant_type")
        if grant == "client_credentials":
            expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if request.headers.get("authorization") != f"Basic {expected}":
                return JSONResponse(
                    {"error": "invalid_client", "error_description": "Invalid client secret"}, 400
                )
            return JSONResponse({**fixture_token(), "access_token": fake.new_token()})
        if grant == "authorization_code":
            code = str(form.get("code"))
            challenge, redirect = fake.codes.pop(code, ("", ""))
            verifier = str(form.get("code_verifier", ""))
            digest = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                .decode()
                .rstrip("=")
            )
            if (
                not challenge
                or digest != challenge
                or form.get("redirect_uri") != redirect
                or form.get("client_id") != CLIENT_ID
            ):
                return JSONResponse(
                    {"error": "invalid_grant", "error_description": "Invalid authorization code"},
                    400,
                )
            refresh = f"refresh-{next(fake._counter)}"
            fake.refresh_tokens.add(refresh)
            return JSONResponse(
                {
                    "access_token": fake.new_token(),
                    "token_type": "Bearer",
                    "expires_in": 3600,
                    "refresh_token": refresh,
                    "scope": SCOPES,
                }
            )
        if grant == "refresh_token":
            if form.get("refresh_token") not in fake.refresh_tokens:
                return JSONResponse(
                    {"error": "invalid_grant", "error_description": "Refresh token revoked"}, 400
                )
            return JSONResponse(
                {
                    "access_token": fake.new_token(),
                    "token_type": "Bearer",
                    "expires_in": 3600,
                    "scope": SCOPES,
                }
            )
        return JSONResponse({"error": "unsupported_grant_type"}, 400)

    # -- Web API --

    @app.get("/v1/search")
    async def search(request: Request) -> Response:
        q = request.query_params
        if q.get("type") != "track":
            return _error(400, "Missing parameter type")
        if int(q.get("limit", 5)) > 10:
            return _error(400, "Invalid limit")
        words = str(q.get("q", "")).lower().split()
        found = [
            t
            for t in fake.tracks.values()
            if all(w in f"{t['name']} {t['artists'][0]['name']}".lower() for w in words)
        ]
        return JSONResponse({"tracks": _page(fake, request, found, default_limit=5)})

    @app.get("/v1/tracks/{track_id}")
    async def track(track_id: str) -> Response:
        if track_id not in fake.tracks:
            return _error(404, "Non existing id")
        return JSONResponse(fake.tracks[track_id])

    async def several_tracks(request: Request) -> Response:
        ids = [i for i in request.query_params.get("ids", "").split(",") if i]
        if len(ids) > 50:
            return _error(400, "Too many ids requested")
        return JSONResponse({"tracks": [fake.tracks.get(i) for i in ids]})

    app.add_api_route("/v1/tracks", several_tracks, methods=["GET"])
    app.add_api_route("/v1/tracks/", several_tracks, methods=["GET"])

    async def me() -> Response:
        return JSONResponse(USER)

    app.add_api_route("/v1/me", me, methods=["GET"])
    app.add_api_route("/v1/me/", me, methods=["GET"])

    @app.get("/v1/me/tracks")
    async def saved(request: Request) -> Response:
        items = [{"added_at": "2025-03-01T12:00:00Z", "track": fake.tracks[t]} for t in fake.saved]
        return JSONResponse(_page(fake, request, items, default_limit=20))

    @app.get("/v1/me/player/recently-played")
    async def recent(request: Request) -> Response:
        items = [
            {"track": fake.tracks[t], "played_at": at, "context": None} for t, at in fake.recent
        ]
        limit = int(request.query_params.get("limit", 20))
        return JSONResponse(
            {
                "items": items[:limit],
                "next": None,
                "limit": limit,
                "cursors": {"after": None, "before": None},
                "href": request.url.path,
            }
        )

    @app.get("/v1/me/playlists")
    async def playlists(request: Request) -> Response:
        def listed(pid: str, name: str, uris: list[str], owner: str) -> dict[str, Any]:
            total = len(uris)
            return {
                "id": pid,
                "name": name,
                "type": "playlist",
                "description": None,  # Spotify returns it only for some playlists
                "owner": {"id": owner, "type": "user"},
                "external_urls": {"spotify": f"https://open.spotify.com/playlist/{pid}"},
                "items": {"href": f"{fake.api}playlists/{pid}/items", "total": total},
                "tracks": {"href": f"{fake.api}playlists/{pid}/tracks", "total": total},
            }

        # the newest first, as Spotify lists them: those the tests made, then the fixed ones
        items = [
            listed(p, c["name"], c["items"], USER["id"]) for p, c in reversed(fake.created.items())
        ]
        items += [listed(p, n, u, USER["id"]) for p, (n, u) in fake.user_playlists.items()]
        items += [listed(p, n, u, "someone_else") for p, (n, u) in fake.followed.items()]
        return JSONResponse(_page(fake, request, items, default_limit=20))

    @app.get("/v1/playlists/{playlist_id}/items")
    async def playlist_items(playlist_id: str, request: Request) -> Response:
        if playlist_id in fake.created:
            made = [
                {"added_at": None, "is_local": False, "item": fake.tracks[u.rsplit(":", 1)[1]]}
                for u in fake.created[playlist_id]["items"]
            ]
            return JSONResponse(_page(fake, request, made, default_limit=100))
        if playlist_id not in fake.user_playlists:
            return _error(404, "Not found.")
        items = [
            {"added_at": None, "is_local": False, "item": fake.tracks[t], "track": fake.tracks[t]}
            for t in fake.user_playlists[playlist_id][1]
        ]
        items.append(
            {
                "added_at": None,
                "is_local": True,
                "item": {"type": "track", "id": None, "name": "my file"},
            }
        )
        items.append(
            {
                "added_at": None,
                "is_local": False,
                "item": {"type": "episode", "id": "ep1", "name": "A show"},
            }
        )
        return JSONResponse(_page(fake, request, items, default_limit=100))

    @app.post("/v1/me/playlists")
    async def create_playlist(request: Request) -> Response:
        body = await request.json()
        if not isinstance(body, dict) or not body.get("name"):
            return _error(400, "Missing required field: name")
        created = copy.deepcopy(fixture("playlist_created_jmperez.json"))
        playlist_id = f"pl{next(fake._counter):020d}"[:22]
        created.update(
            id=playlist_id,
            name=body["name"],
            public=bool(body.get("public")),
            description=body.get("description"),
            external_urls={"spotify": f"https://open.spotify.com/playlist/{playlist_id}"},
        )
        fake.created[playlist_id] = {**created, "items": []}
        return JSONResponse(created, status_code=201)

    @app.post("/v1/playlists/{playlist_id}/items")
    async def add_items(playlist_id: str, request: Request) -> Response:
        if playlist_id not in fake.created:
            return _error(404, "Not found.")
        body = await request.json()
        uris = body if isinstance(body, list) else (body or {}).get("uris")
        if not isinstance(uris, list) or len(uris) > 100:
            return _error(400, "Invalid uris")
        position = request.query_params.get("position")
        items = fake.created[playlist_id]["items"]
        at = len(items) if position is None else int(position)
        items[at:at] = uris
        return JSONResponse({"snapshot_id": f"snap-{len(items)}"}, status_code=201)

    # Endpoints new apps may no longer use: their observed answers (moodtune never calls them).
    async def audio_features(request: Request) -> Response:
        return _error(403, "Forbidden")

    async def recommendations(request: Request) -> Response:
        return _error(404, "Not found")

    app.add_api_route("/v1/audio-features", audio_features, methods=["GET"])
    app.add_api_route("/v1/audio-features/", audio_features, methods=["GET"])
    app.add_api_route("/v1/recommendations", recommendations, methods=["GET"])
    return app


_DROP = "fake_spotify.drop"


def _dropping(app: Any) -> Any:
    """``app`` that closes the connection, answering nothing, for a request marked ``_DROP``.

    ASGI has no "close the socket" message, so this reaches uvicorn's request cycle (the
    ``receive`` it hands the app is a method of it) and closes its transport.
    """

    async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
        async def send_or_drop(message: dict[str, Any]) -> None:
            if not scope.get(_DROP):
                await send(message)
                return
            cycle = getattr(receive, "__self__", None)
            transport = getattr(cycle, "transport", None)
            if cycle is None or transport is None:
                raise RuntimeError("cannot drop the connection: not uvicorn's request cycle")
            transport.close()
            cycle.disconnected = True  # uvicorn then sends nothing more (no 500)

        await app(scope, receive, send_or_drop)

    return asgi


def fixture_token() -> dict[str, Any]:
    return {k: v for k, v in fixture_client_credentials().items() if k != "access_token"}


def fixture_client_credentials() -> dict[str, Any]:
    return {"access_token": "", "token_type": "Bearer", "expires_in": 3600}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RunningFake:
    """The fake served by uvicorn in a thread; stop with :meth:`stop` (a fixture does)."""

    def __init__(self, fake: FakeSpotify) -> None:
        port = free_port()
        fake.base = f"http://127.0.0.1:{port}/"
        config = uvicorn.Config(
            _dropping(build_app(fake)),
            host="127.0.0.1",
            port=port,
            log_level="error",
            lifespan="off",
            access_log=False,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the fake Spotify server did not start")
            time.sleep(0.01)
        self.fake = fake

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
