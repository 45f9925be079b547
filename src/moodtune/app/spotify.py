"""Spotify in the application layer: log in, search, import a library, export a journey.

Everything is configured from ``Settings`` (client id, optional secret, the two base URLs,
timeouts and waits); a missing extra or a missing setting is a ``ConnectorError`` that says
what to install or set. Imported tracks are matched to the catalog (Spotify id, ISRC, title +
artist) by ``app.connectors``; the rest have no known mood and stay out of journeys.
"""

from __future__ import annotations

import time
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from moodtune.app.connectors import (
    FileSummary,
    ImportReport,
    ListenedTrack,
    PlaylistDownload,
    catalog_matcher,
    journey_playlist,
    listening_report,
    playlist_download,
)
from moodtune.errors import ConnectorError

if TYPE_CHECKING:
    from moodtune.app.services import Services
    from moodtune.app.views import MoodView
    from moodtune.config import Settings
    from moodtune.connectors.spotify.client import SpotifyClient
    from moodtune.connectors.spotify.models import SpotifyTrack, SpotifyUser

__all__ = [
    "SPOTIFY_INSTALL",
    "PendingLogin",
    "SpotifyExport",
    "SpotifyHit",
    "SpotifyStatus",
    "export_journey_to_spotify",
    "finish_web_login",
    "import_spotify_library",
    "lookup_client",
    "resolve_tracks",
    "search_spotify",
    "spotify_login",
    "spotify_logout",
    "spotify_status",
    "start_web_login",
    "user_client",
]

SPOTIFY_INSTALL = 'pip install "moodtune[spotify]"'
FORBIDDEN_EXPORT = (
    "Spotify does not let this app create playlists (apps in development mode may not since "
    "11 Feb 2026), so the journey was saved as an M3U8 playlist of Spotify links instead"
)
FORBIDDEN_FILL = (
    "Spotify let this app create the playlist {name!r} but not add its tracks (apps in "
    "development mode may not since 11 Feb 2026), so the journey was saved as an M3U8 "
    "playlist of Spotify links instead; the unfilled playlist is in your Spotify library"
)
UNFINISHED_FILL = "{reason}; so the journey was also saved as an M3U8 playlist of Spotify links"


def _require_spotipy() -> None:
    try:
        import spotipy  # noqa: F401
    except ImportError:
        raise ConnectorError(f"Spotify needs the optional extra: {SPOTIFY_INSTALL}") from None


def _client_id(settings: Settings) -> str:
    if not settings.spotify_client_id:
        raise ConnectorError(
            "set MOODTUNE_SPOTIFY_CLIENT_ID to the client id of your Spotify app (create one at "
            "developer.spotify.com/dashboard, with the redirect URI "
            f"{settings.spotify_redirect_uri})"
        )
    return settings.spotify_client_id


def _parts(settings: Settings) -> tuple[Any, Any]:
    from moodtune.connectors.spotify.cache import LookupCache
    from moodtune.connectors.spotify.client import RetryPolicy

    policy = RetryPolicy(
        max_retries=settings.spotify_max_retries, max_wait_s=settings.spotify_max_wait_s
    )
    cache = LookupCache(
        settings.spotify_dir / "lookups.sqlite3", ttl_s=settings.spotify_cache_ttl_s
    )
    return policy, cache


def _token_cache(settings: Settings) -> Any:
    from moodtune.connectors.spotify.auth import FileTokenCache

    return FileTokenCache(settings.spotify_dir / "token.json")


def _pkce(settings: Settings, redirect_uri: str | None = None) -> Any:
    from moodtune.connectors.spotify.client import pkce_manager

    return pkce_manager(
        client_id=_client_id(settings),
        redirect_uri=redirect_uri or settings.spotify_redirect_uri,
        accounts_base=settings.spotify_accounts_base,
        timeout_s=settings.spotify_timeout_s,
        cache_handler=_token_cache(settings),
    )


def user_client(
    settings: Settings, *, sleep: Callable[[float], None] = time.sleep
) -> SpotifyClient:
    """A client acting for the logged-in listener (``moodtune spotify login`` first)."""
    _require_spotipy()
    from moodtune.connectors.spotify.client import SpotifyClient, make_spotify

    auth = _pkce(settings)
    if auth.cache_handler.get_cached_token() is None:
        raise ConnectorError("not logged in to Spotify: run `moodtune spotify login` first")
    policy, cache = _parts(settings)
    sp = make_spotify(
        api_base=settings.spotify_api_base, auth_manager=auth, timeout_s=settings.spotify_timeout_s
    )
    return SpotifyClient(sp, policy=policy, cache=cache, sleep=sleep)


def lookup_client(
    settings: Settings, *, sleep: Callable[[float], None] = time.sleep
) -> SpotifyClient:
    """A client for look-ups and search: client credentials when a secret is set, else the
    listener's login."""
    _require_spotipy()
    from moodtune.connectors.spotify.client import (
        SpotifyClient,
        client_credentials_manager,
        make_spotify,
    )

    if settings.spotify_client_secret is None:
        if _token_cache(settings).get_cached_token() is None:
            raise ConnectorError(
                "Spotify look-ups need MOODTUNE_SPOTIFY_CLIENT_SECRET (with "
                "MOODTUNE_SPOTIFY_CLIENT_ID), or a login: `moodtune spotify login`"
            )
        return user_client(settings, sleep=sleep)
    auth = client_credentials_manager(
        client_id=_client_id(settings),
        client_secret=settings.spotify_client_secret.get_secret_value(),
        accounts_base=settings.spotify_accounts_base,
        timeout_s=settings.spotify_timeout_s,
    )
    policy, cache = _parts(settings)
    sp = make_spotify(
        api_base=settings.spotify_api_base, auth_manager=auth, timeout_s=settings.spotify_timeout_s
    )
    return SpotifyClient(sp, policy=policy, cache=cache, sleep=sleep)


def spotify_login(
    settings: Settings,
    *,
    open_url: Callable[[str], Any] = webbrowser.open,
    timeout_s: float = 300.0,
    sleep: Callable[[float], None] = time.sleep,
) -> SpotifyUser:
    """Log the listener in (PKCE, loopback redirect); the token is kept owner-only."""
    _require_spotipy()
    from moodtune.connectors.spotify.auth import loopback_login

    loopback_login(_pkce(settings), open_url=open_url, timeout_s=timeout_s)
    return user_client(settings, sleep=sleep).me()


def spotify_logout(settings: Settings) -> bool:
    """Forget the stored login; whether there was one."""
    _require_spotipy()
    from moodtune.connectors.spotify.auth import FileTokenCache

    cache: FileTokenCache = _token_cache(settings)
    return cache.forget()


@dataclass(frozen=True)
class SpotifyStatus:
    """Whether Spotify can be used here, and if not, what to install or set."""

    available: bool
    logged_in: bool
    message: str


def spotify_setup_hint(settings: Settings) -> str | None:
    """None when Spotify can be offered here (the extra installed, a client id set); else the
    one line saying what to install or set. Reads no file and sends nothing."""
    if not settings.spotify_client_id:
        return (
            "To save journeys to Spotify, set MOODTUNE_SPOTIFY_CLIENT_ID to your Spotify app's id."
        )
    try:
        _require_spotipy()
    except ConnectorError:
        return f"To save journeys to Spotify, install the extra: {SPOTIFY_INSTALL}."
    return None


def spotify_status(settings: Settings) -> SpotifyStatus:
    """For the Me page: can the listener connect, are they connected, and if not why."""
    try:
        _require_spotipy()
        _client_id(settings)
    except ConnectorError as exc:
        return SpotifyStatus(False, False, str(exc))
    logged_in = _token_cache(settings).get_cached_token() is not None
    return SpotifyStatus(True, logged_in, "connected" if logged_in else "not connected yet")


@dataclass(frozen=True)
class PendingLogin:
    """A web login under way: the state to check on return, and the PKCE verifier's holder."""

    state: str
    url: str
    auth: Any


#: Hosts a redirect derived from the web request may have: Spotify accepts loopback redirects
#: over plain http only as an IP literal (not ``localhost``).
WEB_LOOPBACK_HOSTS = ("127.0.0.1", "::1")


def web_redirect_uri(settings: Settings, callback_url: str) -> str:
    """The redirect of a web login: ``MOODTUNE_SPOTIFY_REDIRECT_URI`` when it is set, else the
    web app's own callback (``callback_url``, derived from the request) when that is a loopback
    ``http://127.0.0.1:PORT`` or ``http://[::1]:PORT`` address. The CLI keeps its own default
    (``http://127.0.0.1:8888/callback``), so neither needs configuring on one machine."""
    from urllib.parse import urlparse

    if "spotify_redirect_uri" in settings.model_fields_set:
        return settings.spotify_redirect_uri
    parsed = urlparse(callback_url)
    if parsed.scheme != "http" or parsed.hostname not in WEB_LOOPBACK_HOSTS or not parsed.port:
        raise ConnectorError(
            f"moodtune is open at {parsed.scheme}://{parsed.netloc}, not a loopback address "
            "Spotify accepts over http: open it at http://127.0.0.1:PORT, or set "
            "MOODTUNE_SPOTIFY_REDIRECT_URI to the redirect registered in your Spotify app"
        )
    return callback_url


def start_web_login(settings: Settings, *, redirect_uri: str | None = None) -> PendingLogin:
    """The authorize URL for a login whose redirect is this web app's callback: ``redirect_uri``
    (see :func:`web_redirect_uri`), else ``MOODTUNE_SPOTIFY_REDIRECT_URI``."""
    import secrets

    _require_spotipy()
    auth = _pkce(settings, redirect_uri)
    state = secrets.token_urlsafe(24)
    auth.get_pkce_handshake_parameters()
    return PendingLogin(state, auth.get_authorize_url(state=state), auth)


def finish_web_login(
    settings: Settings, pending: PendingLogin, *, code: str | None, error: str | None = None
) -> SpotifyUser:
    """Exchange the code of a web login (its state already matched) and keep the token."""
    from moodtune.connectors.spotify.client import SpotifyAuthError

    if error or not code:
        raise SpotifyAuthError(f"Spotify's login was not completed ({error or 'no code'})")
    pending.auth.get_access_token(code=code, check_cache=False)
    return user_client(settings).me()


@dataclass(frozen=True)
class SpotifyHit:
    """A search result with what moodtune knows of it: the catalog track and its mood, or
    ``mood=None`` ("mood unknown": it cannot join a journey)."""

    track: SpotifyTrack
    catalog_track_id: str | None
    matched_by: str | None
    mood: MoodView | None


def search_spotify(
    services: Services, client: SpotifyClient, query: str, *, offset: int = 0
) -> tuple[list[SpotifyHit], int]:
    """One page (10) of Spotify's track search, each hit matched to the catalog; and the total."""
    from moodtune.app.views import mood_view

    page = client.search(query, offset=offset)
    matcher = catalog_matcher(services)
    hits = []
    for track in page.items:
        found = matcher.match(track.as_external())
        mood = None
        if found.track_id is not None:
            row = matcher.row(found.track_id)
            mood = mood_view(float(row["mood_valence"]), float(row["mood_arousal"]))
        hits.append(SpotifyHit(track, found.track_id, found.method, mood))
    return hits, page.total


def resolve_tracks(
    services: Services, client: SpotifyClient, track_ids: list[str]
) -> list[SpotifyHit]:
    """Spotify's details (link, album art, release date, ISRC) of tracks by id or link, each
    matched to the catalog; ids Spotify does not know are left out."""
    from moodtune.app.views import mood_view
    from moodtune.connectors.matching import spotify_track_id
    from moodtune.errors import InputError

    ids = []
    for given in track_ids:
        found = spotify_track_id(given)
        if found is None:
            raise InputError(
                "not a Spotify track id, URI or link",
                field="track",
                value=given,
                allowed="22 characters, spotify:track:ID or https://open.spotify.com/track/ID",
            )
        ids.append(found)
    matcher = catalog_matcher(services)
    hits = []
    for track in client.tracks(ids).values():
        match = matcher.match(track.as_external())
        mood = None
        if match.track_id is not None:
            row = matcher.row(match.track_id)
            mood = mood_view(float(row["mood_valence"]), float(row["mood_arousal"]))
        hits.append(SpotifyHit(track, match.track_id, match.method, mood))
    return hits


def import_spotify_library(
    services: Services,
    listener_id: str,
    client: SpotifyClient,
    *,
    saved: bool = True,
    recent: bool = True,
    playlists: bool = True,
) -> ImportReport:
    """The listener's saved tracks and playlists (likes) and recent plays, as preference
    signals matched to the catalog."""
    items: list[ListenedTrack] = []
    files: list[FileSummary] = []
    if saved:
        got = [
            ListenedTrack(t.as_external(), "spotify-saved", "like")
            for t, _ in client.saved_tracks()
        ]
        files.append(FileSummary("Spotify: saved tracks", "Spotify library", len(got), len(got)))
        items += got
    if recent:
        got = [
            ListenedTrack(t.as_external(), "spotify-recent", "play", played_at=at)
            for t, at in client.recently_played()
        ]
        files.append(FileSummary("Spotify: recently played", "Spotify library", len(got), len(got)))
        items += got
    if playlists:
        for playlist_id, name in client.playlists():
            got = [
                ListenedTrack(t.as_external(), "spotify-playlist", "like")
                for t in client.playlist_tracks(playlist_id)
            ]
            files.append(
                FileSummary(f"Spotify playlist {name!r}", "Spotify playlist", len(got), len(got))
            )
            items += got
    return listening_report(services, listener_id, items, files)


@dataclass(frozen=True)
class SpotifyExport:
    """Where a journey went: a Spotify playlist (``url``), or a playlist file and why."""

    url: str | None
    playlist_id: str | None
    tracks: int
    fallback: PlaylistDownload | None
    message: str
    notes: tuple[str, ...] = ()


def export_journey_to_spotify(
    services: Services,
    listener_id: str,
    session_id: str,
    client: SpotifyClient | Callable[[], SpotifyClient],
) -> SpotifyExport:
    """The journey as a private Spotify playlist; when Spotify forbids it (403), or keeps
    failing once the playlist exists, an M3U8 of Spotify links instead, with the reason.

    A write Spotify answered 5xx to (or never answered) is checked, not resent blindly
    (``SpotifyClient.create_playlist``); what was recovered is in ``notes``.

    ``client`` may be a factory: it is called only once the session is known to be the
    listener's, so someone else's session is "not found" whatever the Spotify set-up.
    """
    from moodtune.connectors.spotify.client import SpotifyForbidden, SpotifyUnavailable
    from moodtune.sessions import record_playlist_export

    playlist = journey_playlist(services, listener_id, session_id)
    if callable(client):
        client = client()
    uris = [e.spotify_uri for e in playlist.entries if e.spotify_uri]
    notes = tuple(
        f"track {n} ({e.label}) left out: it has no Spotify id"
        for n, e in enumerate(playlist.entries, start=1)
        if not e.spotify_uri
    )
    if not uris:
        raise ConnectorError("no track of this journey is on Spotify")
    try:
        created = client.create_playlist(
            playlist.name, uris, description="A mood journey from moodtune."
        )
    except (SpotifyForbidden, SpotifyUnavailable) as refused:
        if isinstance(refused, SpotifyUnavailable) and refused.created is None:
            raise  # nothing was made: the error says what to do
        fallback = playlist_download(playlist, "m3u8", locations="spotify")
        record_playlist_export(
            services.engine,
            listener_id,
            name=playlist.name,
            format="m3u8",
            track_ids=fallback.track_ids,
            location=fallback.filename,
            session_id=session_id,
        )
        if isinstance(refused, SpotifyUnavailable):
            why = UNFINISHED_FILL.format(reason=refused.message)
        elif refused.created is None:
            why = FORBIDDEN_EXPORT
        else:
            why = FORBIDDEN_FILL.format(name=playlist.name)
        return SpotifyExport(None, None, fallback.tracks, fallback, why, notes + fallback.notes)
    record_playlist_export(
        services.engine,
        listener_id,
        name=playlist.name,
        format="spotify",
        track_ids=[e.track_id for e in playlist.entries if e.spotify_uri and e.track_id],
        location=created.url,
        session_id=session_id,
    )
    return SpotifyExport(
        created.url,
        created.id,
        len(uris),
        None,
        f"saved as a private Spotify playlist of {len(uris)} tracks"
        + (" (Spotify stumbled on the way; each track is in it once)" if created.notes else ""),
        notes + created.notes,
    )
