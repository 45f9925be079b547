"""The Spotify Web API through spotipy, with moodtune deciding every retry.

spotipy's own session retries 429 and 5xx inside urllib3: it sleeps whatever ``Retry-After``
says (up to six hours) and, when it gives up, raises an exception without the headers, so the
caller can neither cap the wait nor tell the user. Here spotipy gets a plain
``requests.Session`` (no retry adapter) and ``SpotifyClient._call`` decides, by
:func:`retry_decision`:

* **429**: wait ``Retry-After`` seconds when it is at most ``max_wait_s``; a missing or
  unreadable header (or ``0``) waits the exponential backoff instead; a longer wait is not
  slept at all: ``SpotifyRateLimited`` says how long Spotify asked for and when to try again.
* **5xx**, timeouts and a dropped connection: exponential backoff (``backoff_s`` × 2^attempt,
  at most ``max_backoff_s``), at most ``max_retries`` times, for reads. The two writes are not
  idempotent and are never simply sent again (below).
* **401**: the token is refreshed once (a login's refresh token, or a new client-credentials
  token) and the call repeated; a second 401 is ``SpotifyAuthError``.
* **403** ``SpotifyForbidden`` (the app is not allowed this call), **404** ``SpotifyNotFound``;
  no connection at all is ``SpotifyUnavailable`` (offline?).

**Writes after an unsure failure.** A 5xx, a read timeout or a dropped connection after
``POST /me/playlists`` or ``POST /playlists/{id}/items`` does not say whether Spotify applied
the request: a gateway can answer 502 for a write the back end made. Sending it again could
add the tracks twice or make a second playlist, so after such a failure (and the backoff) the
client *reads* what Spotify holds and sends only what is missing:

* add items: the playlist's items (``GET /playlists/{id}/items``, paged) must be the first *n*
  tracks of the journey (moodtune made the playlist moments ago and fills it in order); the
  fill resumes at track *n* + 1, so nothing is sent twice and the order is kept. Anything
  else (the listener edited it meanwhile) is not guessed at: ``SpotifyUnavailable`` names the
  playlist and what it holds.
* create: a playlist of the listener's with exactly that name and no items
  (``GET /me/playlists``) is the one just made, and is used; otherwise it is created again.
  Spotify's listing gives no creation time and returns descriptions only for some playlists,
  so "ours, same name, empty" is the test; moodtune's names carry the session's start minute,
  and a same-named empty playlist left by an earlier refused fill is the same journey, so
  filling it is what the listener asked for. Not retrying the create at all was rejected: every
  passing 503 would fail an export. The one case left is a listing that lags behind the create:
  then a second, empty playlist of that name can remain (never duplicated tracks).

Each such recovery is told in ``SpotifyPlaylist.notes``; when the retries run out the error
says how far the fill got (``SpotifyUnavailable.created``). 429 and 401 are refusals before
any work, so those are retried as for reads, and so is a connection that never opened.

Both base URLs come from settings: ``sp.prefix`` for the API and the auth manager's
``OAUTH_TOKEN_URL`` / ``OAUTH_AUTHORIZE_URL`` for the accounts service, so the same code talks
to Spotify or to the fake server of the tests. moodtune never calls audio-features,
audio-analysis or recommendations (removed for new apps on 27 Nov 2024).
"""

from __future__ import annotations

import itertools
import logging
import math
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import urljoin, urlparse

from moodtune.connectors.spotify.cache import LookupCache
from moodtune.connectors.spotify.models import (
    SearchPage,
    SpotifyPlaylist,
    SpotifyTrack,
    SpotifyUser,
    parse_played_at,
    parse_search_page,
    parse_track,
    parse_user,
)
from moodtune.errors import ConnectorError, InputError

__all__ = [
    "MAX_SEARCH_LIMIT",
    "RetryPolicy",
    "SpotifyAuthError",
    "SpotifyClient",
    "SpotifyForbidden",
    "SpotifyNotFound",
    "SpotifyRateLimited",
    "SpotifyUnavailable",
    "client_credentials_manager",
    "make_spotify",
    "pkce_manager",
    "retry_after_seconds",
    "retry_decision",
]

MAX_SEARCH_LIMIT = 10  #: Spotify's search page size since 2026 (default 5, max 10)
MAX_SEARCH_OFFSET = 1000
TRACKS_PER_LOOKUP = 50
ITEMS_PER_ADD = 100
MAX_PAGES = 100  #: pages read from one listing (50 items each): a bound, not a budget
USER_SCOPES = (
    "user-library-read",
    "user-read-recently-played",
    "playlist-read-private",
    "playlist-modify-private",
)

T = TypeVar("T")


class SpotifyRateLimited(ConnectorError):
    """Spotify asked moodtune to wait longer than it will (``retry_after_s``; None: unknown)."""

    def __init__(self, message: str, *, retry_after_s: float | None, url: str | None = None):
        super().__init__(message, status=429, url=url)
        self.retry_after_s = retry_after_s


class SpotifyAuthError(ConnectorError):
    """Credentials refused or missing: wrong client id/secret, or the login has expired."""


class SpotifyForbidden(ConnectorError):
    """403: the app may not make this call (e.g. development-mode apps creating playlists).

    ``created`` is set when ``create_playlist`` made the playlist but was refused adding its
    tracks: the (empty or partly filled) playlist then exists in the listener's library.
    """

    created: SpotifyPlaylist | None = None


class SpotifyNotFound(ConnectorError):
    """404: no such track, playlist or endpoint."""


class SpotifyUnavailable(ConnectorError):
    """Spotify could not be reached (offline, DNS, refused) or kept failing (5xx, timeouts).

    ``created`` is set when ``create_playlist`` made the playlist but could not finish filling
    it: the message says how many tracks it holds.
    """

    created: SpotifyPlaylist | None = None


class _Unsure(Exception):
    """A write failed in a way that does not say whether Spotify applied it (5xx, timeout,
    dropped connection): the caller reads Spotify's state before sending anything again."""

    def __init__(self, reason: str, *, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class RetryPolicy:
    """How moodtune retries: counts and waits in seconds (see the module docstring)."""

    max_retries: int = 3
    max_wait_s: float = 30.0
    backoff_s: float = 0.5
    max_backoff_s: float = 8.0

    def backoff(self, attempt: int) -> float:
        return float(min(self.backoff_s * 2**attempt, self.max_backoff_s))


def retry_after_seconds(
    headers: Mapping[str, str] | None, *, now: datetime | None = None
) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date); None: absent, unreadable."""
    if not headers:
        return None
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if value is None or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)


@dataclass(frozen=True)
class RetryDecision:
    """What to do after a failed attempt: wait ``wait_s`` and retry, or raise ``error``."""

    wait_s: float | None
    error: ConnectorError | None = None


def _human(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def retry_decision(
    status: int,
    headers: Mapping[str, str] | None,
    attempt: int,
    policy: RetryPolicy,
    *,
    message: str = "",
    url: str | None = None,
    now: datetime | None = None,
) -> RetryDecision:
    """Retry a failed attempt (number ``attempt``, from 0) or raise: pure, so it is tested alone."""
    retries_left = attempt < policy.max_retries
    if status == 429:
        asked = retry_after_seconds(headers, now=now)
        if asked is not None and asked > policy.max_wait_s:
            until = (now or datetime.now(UTC)) + timedelta(seconds=asked)
            return RetryDecision(
                None,
                SpotifyRateLimited(
                    f"Spotify's rate limit: it asks to wait {_human(asked)} (until "
                    f"{until:%Y-%m-%d %H:%M} UTC), longer than moodtune waits "
                    f"({_human(policy.max_wait_s)}); try again then",
                    retry_after_s=asked,
                    url=url,
                ),
            )
        if not retries_left:
            return RetryDecision(
                None,
                SpotifyRateLimited(
                    f"Spotify's rate limit: still refused after {attempt + 1} tries"
                    + ("" if asked is None else f" (it last asked for {_human(asked)})")
                    + "; try again in a minute",
                    retry_after_s=asked,
                    url=url,
                ),
            )
        wait = asked if asked else policy.backoff(attempt)  # 0 or missing: back off anyway
        return RetryDecision(wait)
    if status >= 500:
        if retries_left:
            return RetryDecision(policy.backoff(attempt))
        return RetryDecision(
            None,
            SpotifyUnavailable(
                f"Spotify kept failing ({message or 'server error'}) after {attempt + 1} tries; "
                "try again later",
                status=status,
                url=url,
            ),
        )
    if status == 401:
        return RetryDecision(
            None,
            SpotifyAuthError(
                f"Spotify refused the credentials ({message or 'unauthorised'}): log in again "
                "with `moodtune spotify login`, or check MOODTUNE_SPOTIFY_CLIENT_ID / "
                "MOODTUNE_SPOTIFY_CLIENT_SECRET",
                status=401,
                url=url,
            ),
        )
    if status == 403:
        return RetryDecision(
            None,
            SpotifyForbidden(
                f"Spotify does not allow this app that call ({message or 'forbidden'})",
                status=403,
                url=url,
            ),
        )
    if status == 404:
        return RetryDecision(None, SpotifyNotFound(message or "not found", status=404, url=url))
    return RetryDecision(None, ConnectorError(message or "request refused", status=status, url=url))


# -- secrets never reach a log -----------------------------------------------------------------

_SECRET_PATTERNS = (
    re.compile(r"(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+"),
    re.compile(
        r"(['\"]?(?:access_token|refresh_token|code_verifier|client_secret|code)['\"]?\s*[:=]\s*"
        r"['\"]?)[^'\",}&\s]+"
    ),
)


def redact(text: str) -> str:
    """``text`` with bearer tokens, refresh tokens, codes and secrets replaced by ``***``."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(
            lambda m: m.group(1) + ("***" if m.group(1)[-1] in "'\":= " else " ***"), text
        )
    return text


class _RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(str(record.getMessage()))
        record.args = ()
        return True


_REDACTOR = _RedactSecrets()


def _guard_spotipy_logs() -> None:
    # spotipy logs request headers (the bearer token) and token request bodies at DEBUG.
    for name in ("spotipy", "spotipy.client", "spotipy.oauth2", "spotipy.util"):
        logger = logging.getLogger(name)
        if _REDACTOR not in logger.filters:
            logger.addFilter(_REDACTOR)


# -- building spotipy objects ------------------------------------------------------------------


def _base(url: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InputError(
            "not an http(s) base URL",
            field="spotify base URL",
            value=url,
            allowed="e.g. https://api.spotify.com/v1/",
        )
    return url if url.endswith("/") else url + "/"


def _plain_session() -> Any:
    import requests

    return requests.Session()  # no retry adapter: moodtune decides (module docstring)


def client_credentials_manager(
    *, client_id: str, client_secret: str, accounts_base: str, timeout_s: float
) -> Any:
    """A client-credentials auth manager (look-ups and search, no listener data) on
    ``accounts_base``, caching its token in memory only."""
    from spotipy.cache_handler import MemoryCacheHandler
    from spotipy.oauth2 import SpotifyClientCredentials

    _guard_spotipy_logs()
    auth = SpotifyClientCredentials(
        client_id=client_id,
        client_secret=client_secret,
        cache_handler=MemoryCacheHandler(),
        requests_timeout=timeout_s,
        requests_session=_plain_session(),
    )
    auth.OAUTH_TOKEN_URL = urljoin(_base(accounts_base), "api/token")
    return auth


def pkce_manager(
    *,
    client_id: str,
    redirect_uri: str,
    accounts_base: str,
    timeout_s: float,
    cache_handler: Any,
    scopes: Sequence[str] = USER_SCOPES,
) -> Any:
    """An authorization-code-with-PKCE auth manager (no client secret) on ``accounts_base``."""
    from spotipy.oauth2 import SpotifyPKCE

    _guard_spotipy_logs()
    auth = SpotifyPKCE(
        client_id=client_id,
        redirect_uri=redirect_uri,
        scope=list(scopes),
        cache_handler=cache_handler,
        requests_timeout=timeout_s,
        requests_session=_plain_session(),
        open_browser=False,
    )
    base = _base(accounts_base)
    auth.OAUTH_TOKEN_URL = urljoin(base, "api/token")
    auth.OAUTH_AUTHORIZE_URL = urljoin(base, "authorize")
    return auth


def make_spotify(*, api_base: str, auth_manager: Any, timeout_s: float) -> Any:
    """A ``spotipy.Spotify`` on ``api_base`` that never retries by itself."""
    from spotipy import Spotify

    _guard_spotipy_logs()
    sp = Spotify(
        auth_manager=auth_manager,
        requests_session=_plain_session(),
        requests_timeout=timeout_s,
        retries=0,
        status_retries=0,
    )
    sp.prefix = _base(api_base)
    return sp


# -- the client --------------------------------------------------------------------------------


class SpotifyClient:
    """What moodtune asks Spotify, each call behind the retry rules and (for look-ups) a cache.

    Parameters
    ----------
    spotify
        A ``spotipy.Spotify`` from :func:`make_spotify`.
    policy
        Retries and the longest wait.
    cache
        Optional look-up cache (tracks and searches).
    sleep
        How to wait (tests pass a recorder).
    """

    def __init__(
        self,
        spotify: Any,
        *,
        policy: RetryPolicy | None = None,
        cache: LookupCache | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.spotify = spotify
        self.policy = policy or RetryPolicy()
        self.cache = cache
        self.sleep = sleep

    # -- the retry loop --

    def _refresh_token(self) -> None:
        from spotipy.oauth2 import SpotifyClientCredentials, SpotifyPKCE

        auth = self.spotify.auth_manager
        if isinstance(auth, SpotifyPKCE):
            token = auth.cache_handler.get_cached_token()
            if not token or not token.get("refresh_token"):
                raise SpotifyAuthError(
                    "the Spotify login has expired: run `moodtune spotify login`", status=401
                )
            auth.refresh_access_token(token["refresh_token"])
        elif isinstance(auth, SpotifyClientCredentials):
            auth.get_access_token(as_dict=False, check_cache=False)
        else:
            raise SpotifyAuthError(
                "the Spotify token was refused and cannot be refreshed", status=401
            )

    def _call(self, what: str, request: Callable[[Any], T], *, idempotent: bool = True) -> T:
        """``request`` under the retry rules; a write (``idempotent=False``) raises ``_Unsure``
        instead of being sent again after a failure that may have been applied."""
        import requests
        from spotipy.exceptions import SpotifyException, SpotifyOauthError

        refreshed = False
        attempt = 0
        while True:
            try:
                return request(self.spotify)
            except SpotifyOauthError as exc:
                decision = _token_failure(exc, attempt, self.policy, renewing=False)
            except SpotifyException as exc:
                status = int(exc.http_status)
                message = str(exc.msg).split(":\n", 1)[-1].strip()
                if status == 401 and not refreshed:
                    try:
                        self._refresh_token()
                    except SpotifyOauthError as refused:
                        decision = _token_failure(refused, attempt, self.policy, renewing=True)
                    else:
                        refreshed = True
                        continue
                elif status >= 500 and not idempotent:
                    raise _Unsure(
                        f"Spotify answered {status}"
                        + (f" {message}" if message and message != "None" else ""),
                        status=status,
                    ) from None
                else:
                    decision = retry_decision(
                        status,
                        dict(exc.headers or {}),
                        attempt,
                        self.policy,
                        message=message if message and message != "None" else "",
                        url=what,
                    )
            except requests.exceptions.Timeout as exc:
                silent = f"Spotify did not answer within {self.spotify.requests_timeout} s"
                if not idempotent and not isinstance(exc, requests.exceptions.ConnectTimeout):
                    raise _Unsure(silent) from None  # sent, perhaps applied, never answered
                decision = _transient(silent, attempt, self.policy, url=what)
            except requests.exceptions.ConnectionError as exc:
                if not _dropped(exc):
                    host = urlparse(self.spotify.prefix).netloc
                    raise SpotifyUnavailable(
                        f"cannot reach Spotify at {host}: are you offline?", url=what
                    ) from None
                dropped = "Spotify closed the connection without answering"
                if not idempotent:
                    raise _Unsure(dropped) from None
                decision = _transient(dropped, attempt, self.policy, url=what)
            if decision.error is not None:
                raise decision.error
            assert decision.wait_s is not None
            self.sleep(decision.wait_s)
            attempt += 1

    def _pages(self, what: str, first: Callable[[Any], Any]) -> Iterator[Mapping[str, Any]]:
        """Every item of a paged listing, following ``next`` (at most ``MAX_PAGES`` pages)."""
        page = self._call(what, first)
        for _ in range(MAX_PAGES):
            if not isinstance(page, Mapping):
                raise ConnectorError(f"Spotify sent an unreadable page for {what}")
            yield from (i for i in page.get("items") or [] if isinstance(i, Mapping))
            if not page.get("next"):
                return
            page = self._call(what, _next_request(page))

    # -- look-ups (cached) --

    def track(self, track_id: str) -> SpotifyTrack:
        """One track: name, artists, album art, release date, ISRC, link."""
        key = f"track:{track_id}"
        body = self.cache.get(key) if self.cache else None
        if body is None:
            body = self._call(f"tracks/{track_id}", lambda sp: sp.track(track_id))
            if self.cache:
                self.cache.put(key, body)
        return parse_track(body)

    def tracks(self, track_ids: Sequence[str]) -> dict[str, SpotifyTrack]:
        """Several tracks by id; ids Spotify does not know are absent from the answer.

        Uses the multi-get (``GET /tracks/?ids=``, deprecated in the 2026 description) 50 at a
        time, and single look-ups when the service refuses it (403/404).
        """
        found: dict[str, SpotifyTrack] = {}
        missing = []
        for tid in dict.fromkeys(track_ids):
            body = self.cache.get(f"track:{tid}") if self.cache else None
            if body is None:
                missing.append(tid)
            else:
                found[tid] = parse_track(body)
        for start in range(0, len(missing), TRACKS_PER_LOOKUP):
            chunk = missing[start : start + TRACKS_PER_LOOKUP]
            try:
                answer: Any = self._call("tracks/?ids=", _tracks_request(chunk))
                bodies = [b for b in (answer or {}).get("tracks") or [] if isinstance(b, Mapping)]
            except (SpotifyForbidden, SpotifyNotFound):
                bodies = []
                for tid in chunk:
                    try:
                        bodies.append(self._call(f"tracks/{tid}", _track_request(tid)))
                    except SpotifyNotFound:
                        continue
            for body in bodies:
                track = parse_track(body)
                found[track.id] = track
                if self.cache:
                    self.cache.put(f"track:{track.id}", dict(body))
        return {tid: found[tid] for tid in track_ids if tid in found}

    def search(self, query: str, *, limit: int = MAX_SEARCH_LIMIT, offset: int = 0) -> SearchPage:
        """One page of tracks matching ``query`` (at most 10 a page, offsets up to 1000)."""
        if not query or not query.strip():
            raise InputError("say what to search for", field="query", value=query)
        if not 1 <= limit <= MAX_SEARCH_LIMIT:
            raise InputError(
                "Spotify returns at most 10 search results a page",
                field="limit",
                value=limit,
                allowed=f"1-{MAX_SEARCH_LIMIT}",
            )
        if not 0 <= offset <= MAX_SEARCH_OFFSET:
            raise InputError(
                "offset out of range",
                field="offset",
                value=offset,
                allowed=f"0-{MAX_SEARCH_OFFSET}",
            )
        key = f"search:{limit}:{offset}:{query.strip()}"
        body = self.cache.get(key) if self.cache else None
        if body is None:
            body = self._call(
                "search",
                lambda sp: sp.search(q=query.strip(), limit=limit, offset=offset, type="track"),
            )
            if self.cache:
                self.cache.put(key, body)
        return parse_search_page(query.strip(), body)

    # -- a listener's library (needs a login) --

    def me(self) -> SpotifyUser:
        return parse_user(self._call("me", lambda sp: sp.me()))

    def saved_tracks(self) -> Iterator[tuple[SpotifyTrack, datetime | None]]:
        """The listener's saved tracks with when they were saved."""
        for item in self._pages("me/tracks", lambda sp: sp.current_user_saved_tracks(limit=50)):
            if isinstance(item.get("track"), Mapping):
                yield parse_track(item["track"]), parse_played_at(item.get("added_at"))

    def recently_played(self) -> Iterator[tuple[SpotifyTrack, datetime | None]]:
        """Up to the last 50 plays (what the API keeps), with when each was played."""
        answer = self._call(
            "me/player/recently-played", lambda sp: sp.current_user_recently_played(limit=50)
        )
        for item in (answer or {}).get("items") or []:
            if isinstance(item, Mapping) and isinstance(item.get("track"), Mapping):
                yield parse_track(item["track"]), parse_played_at(item.get("played_at"))

    def playlists(self) -> Iterator[tuple[str, str]]:
        """``(id, name)`` of the listener's playlists."""
        for item in self._pages("me/playlists", lambda sp: sp.current_user_playlists(limit=50)):
            if isinstance(item.get("id"), str):
                yield item["id"], str(item.get("name") or item["id"])

    def playlist_tracks(self, playlist_id: str) -> Iterator[SpotifyTrack]:
        """The tracks of one playlist (episodes and local files left out)."""
        what = f"playlists/{playlist_id}/items"
        for item in self._pages(what, lambda sp: sp.playlist_items(playlist_id, limit=50)):
            body = item.get("item") or item.get("track")  # "track" is the deprecated alias
            if item.get("is_local") or not isinstance(body, Mapping):
                continue
            if body.get("type", "track") == "track" and body.get("id"):
                yield parse_track(body)

    def create_playlist(
        self, name: str, uris: Sequence[str], *, description: str = ""
    ) -> SpotifyPlaylist:
        """A new **private** playlist of the listener (``POST /me/playlists``) holding ``uris``
        in order (``POST /playlists/{id}/items``, 100 per request).

        Neither write is sent twice blindly: after a 5xx, a timeout or a dropped connection the
        client reads what Spotify holds and sends only what is missing (module docstring);
        ``notes`` of the result say when that happened.
        """
        if not uris:
            raise InputError("a playlist needs at least one track", field="uris", value=0)
        notes: list[str] = []
        created = self._create_once(name, description, notes)
        playlist_id = created.get("id")
        if not isinstance(playlist_id, str):
            raise ConnectorError("Spotify created a playlist but sent no id")
        url = (created.get("external_urls") or {}).get("spotify")
        snapshot = self._fill(playlist_id, url, name, list(uris), notes)
        return SpotifyPlaylist(id=playlist_id, url=url, snapshot_id=snapshot, notes=tuple(notes))

    def _create_once(self, name: str, description: str, notes: list[str]) -> Mapping[str, Any]:
        """The created playlist's body: made once, or found after an unsure failure."""
        for unsure in itertools.count():
            try:
                created = self._call(
                    "me/playlists",
                    lambda sp: sp.current_user_playlist_create(
                        name, public=False, collaborative=False, description=description
                    ),
                    idempotent=False,
                )
            except _Unsure as failure:
                self.sleep(self.policy.backoff(unsure))
                try:
                    found = self._fresh_playlist(name)
                except SpotifyUnavailable as unread:
                    raise SpotifyUnavailable(
                        f"{failure.reason} when creating the playlist {name!r}, and then could "
                        f"not check whether it was made ({unread.message}): look for it in your "
                        "Spotify library before trying again",
                        status=failure.status,
                        url="me/playlists",
                    ) from None
                if found is not None:
                    notes.append(
                        f"{failure.reason} when creating the playlist, but it had created it: "
                        "moodtune used that one rather than make a second"
                    )
                    return found
                if unsure >= self.policy.max_retries:
                    raise SpotifyUnavailable(
                        f"Spotify kept failing to create the playlist {name!r} ({failure.reason}, "
                        f"{unsure + 1} tries) and none appeared in your library; try again later",
                        status=failure.status,
                        url="me/playlists",
                    ) from None
                notes.append(
                    f"{failure.reason} when creating the playlist and had not created it: "
                    "moodtune created it again"
                )
                continue
            if not isinstance(created, Mapping):
                raise ConnectorError("Spotify created a playlist but sent no id")
            return created
        raise AssertionError("unreachable")  # pragma: no cover

    def _fresh_playlist(self, name: str) -> Mapping[str, Any] | None:
        """The listener's own empty playlist called exactly ``name``: the one a create that
        failed unsurely made (Spotify's listing has no creation time; module docstring)."""
        me = self.me().id
        for item in self._pages("me/playlists", lambda sp: sp.current_user_playlists(limit=50)):
            owner = item.get("owner")
            count = item.get("items") or item.get("tracks")  # "tracks" is the deprecated alias
            if (
                item.get("name") == name
                and isinstance(owner, Mapping)
                and owner.get("id") == me
                and isinstance(count, Mapping)
                and count.get("total") == 0
                and isinstance(item.get("id"), str)
            ):
                return item
        return None

    def _playlist_uris(self, playlist_id: str) -> list[str | None]:
        """Every item's URI in order (the one it was added as, when Spotify relinked it);
        None for an item without one."""
        uris: list[str | None] = []
        what = f"playlists/{playlist_id}/items"
        for item in self._pages(what, lambda sp: sp.playlist_items(playlist_id, limit=50)):
            body = item.get("item") or item.get("track")
            if not isinstance(body, Mapping):
                uris.append(None)
                continue
            linked = body.get("linked_from")
            uri = (linked.get("uri") if isinstance(linked, Mapping) else None) or body.get("uri")
            uris.append(uri if isinstance(uri, str) else None)
        return uris

    def _fill(
        self, playlist_id: str, url: str | None, name: str, uris: list[str], notes: list[str]
    ) -> str | None:
        """Add ``uris`` to the new playlist in order, each track once; the last snapshot id."""
        what = f"playlists/{playlist_id}/items"
        snapshot: str | None = None
        position = 0
        unsure = 0

        def made(message: str, status: int | None = None) -> SpotifyUnavailable:
            error = SpotifyUnavailable(message, status=status, url=what)
            error.created = SpotifyPlaylist(id=playlist_id, url=url, snapshot_id=snapshot)
            return error

        while position < len(uris):
            chunk = uris[position : position + ITEMS_PER_ADD]
            try:
                added: Any = self._call(
                    what, _add_items_request(playlist_id, chunk, position), idempotent=False
                )
            except SpotifyForbidden as refused:
                refused.created = SpotifyPlaylist(id=playlist_id, url=url, snapshot_id=snapshot)
                raise
            except _Unsure as failure:
                self.sleep(self.policy.backoff(unsure))
                unsure += 1
                try:
                    present = self._playlist_uris(playlist_id)
                except SpotifyUnavailable as unread:
                    raise made(
                        f"{failure.reason} while adding tracks to {name!r}, and then could not "
                        f"read the playlist back ({unread.message}): it is in your Spotify "
                        "library and "
                        "may hold only some of the journey"
                    ) from None
                if not position <= len(present) <= position + len(chunk) or present != list(
                    uris[: len(present)]
                ):
                    raise made(
                        f"{failure.reason} while adding tracks to {name!r}, and what the "
                        f"playlist now holds ({len(present)} items) is not the start of the "
                        "journey (was it edited meanwhile?); moodtune added nothing more: check "
                        "it in Spotify"
                    ) from None
                applied = len(present) - position
                tried = (
                    f"{failure.reason} when adding tracks {position + 1}–{position + len(chunk)}"
                )
                if applied == len(chunk):
                    notes.append(f"{tried}, but it had added them: none was sent again")
                elif applied:
                    notes.append(
                        f"{tried}, but it had added the first {applied}: only the rest were "
                        "sent again"
                    )
                else:
                    notes.append(f"{tried} and had not added them: moodtune sent them again")
                position = len(present)
                if position < len(uris) and unsure > self.policy.max_retries:
                    raise made(
                        f"Spotify kept failing while adding tracks to {name!r} "
                        f"({failure.reason}, {unsure} tries): the playlist is in your Spotify "
                        f"library with {position} of the journey's {len(uris)} tracks",
                        status=failure.status,
                    ) from None
                continue
            snapshot = added.get("snapshot_id") if isinstance(added, Mapping) else snapshot
            position += len(chunk)
        return snapshot


def _token_failure(
    exc: Exception, attempt: int, policy: RetryPolicy, *, renewing: bool
) -> RetryDecision:
    """What to do when the accounts service's token endpoint answered an error.

    spotipy turns every such answer into a ``SpotifyOauthError`` without its status; the HTTP
    error it was raised from (``__context__``) still has it. A 429 or 5xx is the service
    being busy or down, not the credentials: the same retry rules as the Web API apply
    (``retry_decision``). Anything else (400 ``invalid_client``, ``invalid_grant``) is refused
    credentials or a refused login.
    """
    error = getattr(exc, "error", None)
    response = getattr(exc.__context__, "response", None)
    status = getattr(response, "status_code", None)
    if isinstance(status, int) and (status == 429 or status >= 500):
        headers = dict(getattr(response, "headers", None) or {})
        return retry_decision(
            status,
            headers,
            attempt,
            policy,
            message=f"the accounts service answered {status}",
            url="api/token",
        )
    if renewing:
        return RetryDecision(
            None,
            SpotifyAuthError(
                f"Spotify refused to renew the login ({error or 'error'}): run "
                "`moodtune spotify login` again",
                status=401,
            ),
        )
    description = getattr(exc, "error_description", None)
    return RetryDecision(
        None,
        SpotifyAuthError(
            f"Spotify's accounts service refused the credentials ({error or 'error'}"
            + (f": {description}" if description else "")
            + "): check MOODTUNE_SPOTIFY_CLIENT_ID / MOODTUNE_SPOTIFY_CLIENT_SECRET, "
            "or log in again with `moodtune spotify login`",
            status=status if isinstance(status, int) else None,
        ),
    )


def _transient(reason: str, attempt: int, policy: RetryPolicy, *, url: str) -> RetryDecision:
    """Back off and retry a read that timed out or lost its connection, or give up."""
    if attempt < policy.max_retries:
        return RetryDecision(policy.backoff(attempt))
    return RetryDecision(None, SpotifyUnavailable(f"{reason} ({attempt + 1} tries)", url=url))


def _dropped(exc: Exception) -> bool:
    """Whether a ``requests`` connection error came after the request was sent (the server
    closed or reset the connection) rather than from never connecting (offline, refused)."""
    from urllib3.exceptions import ProtocolError

    reason = exc.args[0] if exc.args else None
    return isinstance(reason, ProtocolError | ConnectionResetError)


def _tracks_request(ids: list[str]) -> Callable[[Any], Any]:
    return lambda sp: sp.tracks(ids)


def _track_request(track_id: str) -> Callable[[Any], Any]:
    return lambda sp: sp.track(track_id)


def _add_items_request(playlist_id: str, uris: list[str], position: int) -> Callable[[Any], Any]:
    return lambda sp: sp.playlist_add_items(playlist_id, uris, position=position)


def _next_request(page: Mapping[str, Any]) -> Callable[[Any], Any]:
    return lambda sp: sp.next(page)
