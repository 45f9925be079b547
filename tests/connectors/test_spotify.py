"""The Spotify client against the fake Spotify on 127.0.0.1: every call and error shape.

The client under test is the one that talks to the real service (spotipy with moodtune's
retry rules), pointed at the fake only through the two base URLs.
"""

from __future__ import annotations

import logging
import os
import socket
import stat
from pathlib import Path
from typing import Any

import pytest
import requests

from moodtune.connectors.spotify.auth import FileTokenCache, loopback_login
from moodtune.connectors.spotify.cache import LookupCache
from moodtune.connectors.spotify.client import (
    RetryPolicy,
    SpotifyAuthError,
    SpotifyClient,
    SpotifyForbidden,
    SpotifyNotFound,
    SpotifyRateLimited,
    SpotifyUnavailable,
    client_credentials_manager,
    make_spotify,
    pkce_manager,
    retry_after_seconds,
)
from moodtune.errors import InputError
from tests.connectors.catalog import CALM, HAPPY, SAD, TENSE
from tests.connectors.fake_spotify import (
    CLIENT_ID,
    CLIENT_SECRET,
    FakeSpotify,
    free_port,
)

# One worker runs the whole module in order: the last test reads what the shared fake saw.
pytestmark = pytest.mark.xdist_group("fake-spotify")


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def _client(
    fake: FakeSpotify,
    sleeps: Sleeps,
    *,
    secret: str = CLIENT_SECRET,
    cache: LookupCache | None = None,
    **policy: Any,
) -> SpotifyClient:
    auth = client_credentials_manager(
        client_id=CLIENT_ID, client_secret=secret, accounts_base=fake.base, timeout_s=5
    )
    sp = make_spotify(api_base=fake.api, auth_manager=auth, timeout_s=5)
    return SpotifyClient(sp, policy=RetryPolicy(**policy), cache=cache, sleep=sleeps)


# -- look-ups and search -----------------------------------------------------------------------


def test_search_sends_what_spotipy_sends_and_reads_the_paging_envelope(
    fake: FakeSpotify, sleeps: Sleeps
) -> None:
    page = _client(fake, sleeps).search("many songs", offset=10)
    assert [t.name for t in page.items] == [f"Song {i}" for i in range(10, 20)]
    assert (page.total, page.offset, page.limit, page.has_next) == (23, 10, 10, True)
    request = fake.requests[-1]
    assert (request.path, request.query) == (
        "/v1/search",
        {"q": "many songs", "limit": "10", "offset": "10", "type": "track"},
    )
    assert request.authorization is not None and request.authorization.startswith("Bearer ")
    assert fake.paths()[0] == "POST /api/token"  # client credentials, from the accounts base


def test_search_refuses_more_than_ten_a_page_before_asking(
    fake: FakeSpotify, sleeps: Sleeps
) -> None:
    client = _client(fake, sleeps)
    for bad in ({"limit": 11}, {"limit": 0}, {"offset": 1001}):
        with pytest.raises(InputError):
            client.search("x", **bad)
    with pytest.raises(InputError):
        client.search("  ")
    assert fake.requests == []


def test_a_track_resolves_to_link_album_art_release_date_and_isrc(
    fake: FakeSpotify, sleeps: Sleeps
) -> None:
    real = _client(fake, sleeps).track(TENSE)
    assert (real.name, real.artists, real.album, real.isrc) == (
        "Mr. Brightside",
        ("The Killers",),
        "Hot Fuss",
        "USIR20400274",
    )
    assert real.album_art_url is not None and real.album_art_url.startswith("https://")
    assert real.url == f"https://open.spotify.com/track/{TENSE}"
    calm = _client(fake, sleeps).track(CALM)
    assert (calm.release_date, calm.release_precision, calm.is_playable) == (
        "2004-06-07",
        "day",
        True,
    )
    assert f"GET /v1/tracks/{TENSE}" in fake.paths()


def test_several_tracks_use_the_trailing_slash_multi_get_and_skip_unknown_ids(
    fake: FakeSpotify, sleeps: Sleeps
) -> None:
    got = _client(fake, sleeps).tracks([CALM, "0" * 22, SAD])
    assert list(got) == [CALM, SAD]
    request = fake.requests[-1]
    assert request.path == "/v1/tracks/" and request.query["ids"] == f"{CALM},{'0' * 22},{SAD}"


def test_a_refused_multi_get_falls_back_to_single_lookups(
    fake: FakeSpotify, sleeps: Sleeps
) -> None:
    fake.fail("GET", "/v1/tracks/", 403, times=1)  # only the first: the multi-get
    got = _client(fake, sleeps).tracks([CALM, "0" * 22])
    assert list(got) == [CALM]
    assert fake.paths()[-2:] == [f"GET /v1/tracks/{CALM}", f"GET /v1/tracks/{'0' * 22}"]


def test_lookups_are_cached_until_they_expire(
    fake: FakeSpotify, sleeps: Sleeps, tmp_path: Path
) -> None:
    now = [1000.0]
    cache = LookupCache(tmp_path / "lookups.sqlite3", ttl_s=60, clock=lambda: now[0])
    client = _client(fake, sleeps, cache=cache)
    client.track(CALM)
    client.search("hurt")
    asked = len(fake.requests)
    assert client.track(CALM).name == "Weightless" and client.search("hurt").items[0].id == SAD
    assert client.tracks([CALM]) == {CALM: client.track(CALM)}
    assert len(fake.requests) == asked  # all from the cache
    now[0] += 61
    client.track(CALM)
    assert fake.paths()[-1] == f"GET /v1/tracks/{CALM}"
    assert cache.purge_expired() == 1  # the search answer; the track was refreshed
    assert stat.S_IMODE(os.stat(tmp_path / "lookups.sqlite3").st_mode) == 0o600


# -- error shapes ------------------------------------------------------------------------------


def test_429_with_retry_after_is_honoured_when_short(fake: FakeSpotify, sleeps: Sleeps) -> None:
    fake.fail("GET", "/v1/tracks/", 429, retry_after="2")
    assert _client(fake, sleeps).track(CALM).id == CALM
    assert sleeps == [2.0]


@pytest.mark.parametrize(
    ("retry_after", "empty"), [("0", False), (None, False), (None, True), ("soon", False)]
)
def test_429_with_zero_missing_or_unreadable_retry_after_backs_off(
    fake: FakeSpotify, sleeps: Sleeps, retry_after: str | None, empty: bool
) -> None:
    fake.fail("GET", "/v1/tracks/", 429, retry_after=retry_after, empty=empty, times=2)
    assert _client(fake, sleeps, backoff_s=0.5).track(CALM).id == CALM
    assert sleeps == [0.5, 1.0]


def test_429_asking_for_hours_is_not_slept_but_told(fake: FakeSpotify, sleeps: Sleeps) -> None:
    fake.fail("GET", "/v1/search", 429, retry_after="83276")
    with pytest.raises(SpotifyRateLimited) as info:
        _client(fake, sleeps, max_wait_s=30).search("hurt")
    assert info.value.retry_after_s == 83276 and info.value.status == 429
    assert "23.1 h" in str(info.value) and "try again" in str(info.value)
    assert sleeps == []
    assert len([p for p in fake.paths() if p == "GET /v1/search"]) == 1


def test_429_that_never_ends_gives_up_after_the_retries(fake: FakeSpotify, sleeps: Sleeps) -> None:
    fake.fail("GET", "/v1/search", 429, retry_after="1", times=10)
    with pytest.raises(SpotifyRateLimited, match="after 3 tries"):
        _client(fake, sleeps, max_retries=2).search("hurt")
    assert sleeps == [1.0, 1.0]


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_retried_with_exponential_backoff(
    fake: FakeSpotify, sleeps: Sleeps, status: int
) -> None:
    fake.fail("GET", "/v1/me", status, times=2)
    user = _client(fake, sleeps, backoff_s=0.25).me()
    assert user.id == "some_random_user" and sleeps == [0.25, 0.5]


def test_5xx_that_persists_is_a_clear_error(fake: FakeSpotify, sleeps: Sleeps) -> None:
    fake.fail("GET", "/v1/me", 503, times=10)
    with pytest.raises(SpotifyUnavailable, match="kept failing") as info:
        _client(fake, sleeps, max_retries=3).me()
    assert info.value.status == 503
    assert fake.paths().count("GET /v1/me/") == 4  # spotipy's /me/, with its trailing slash


def test_401_expired_token_is_refreshed_once(fake: FakeSpotify, sleeps: Sleeps) -> None:
    client = _client(fake, sleeps)
    client.me()
    fake.expire_tokens()
    assert client.track(SAD).name == "Hurt"
    assert fake.paths()[-3:] == [
        f"GET /v1/tracks/{SAD}",
        "POST /api/token",
        f"GET /v1/tracks/{SAD}",
    ]


def test_401_after_a_refresh_is_an_auth_error(fake: FakeSpotify, sleeps: Sleeps) -> None:
    fake.fail("GET", "/v1/tracks/", 401, times=2)
    with pytest.raises(SpotifyAuthError, match="moodtune spotify login"):
        _client(fake, sleeps).track(SAD)


def test_403_and_404_keep_spotifys_message(fake: FakeSpotify, sleeps: Sleeps) -> None:
    fake.fail("GET", "/v1/search", 403, message="Insufficient client scope")
    with pytest.raises(SpotifyForbidden, match="Insufficient client scope") as info:
        _client(fake, sleeps).search("hurt")
    assert info.value.status == 403
    with pytest.raises(SpotifyNotFound, match="Non existing id"):
        _client(fake, sleeps).track("1" * 22)
    assert sleeps == []


def test_wrong_credentials_say_what_to_check_without_the_secret(
    fake: FakeSpotify, sleeps: Sleeps
) -> None:
    with pytest.raises(SpotifyAuthError) as info:
        _client(fake, sleeps, secret="wrong-secret-123").search("hurt")
    assert "invalid_client" in str(info.value) and "MOODTUNE_SPOTIFY_CLIENT_SECRET" in str(
        info.value
    )
    assert "wrong-secret-123" not in str(info.value)


@pytest.mark.parametrize("status", [500, 503])
def test_a_token_endpoint_5xx_is_retried_not_called_wrong_credentials(
    fake: FakeSpotify, sleeps: Sleeps, status: int
) -> None:
    fake.fail("POST", "/api/token", status, times=2)
    assert _client(fake, sleeps, backoff_s=0.5).search("hurt").items[0].id == SAD
    assert sleeps == [0.5, 1.0]
    assert fake.paths()[:3] == ["POST /api/token"] * 3


def test_a_token_endpoint_that_stays_down_is_unavailable(fake: FakeSpotify, sleeps: Sleeps) -> None:
    fake.fail("POST", "/api/token", 503, times=10)
    with pytest.raises(SpotifyUnavailable, match="accounts service answered 503") as info:
        _client(fake, sleeps, max_retries=2).search("hurt")
    assert info.value.status == 503 and "MOODTUNE_SPOTIFY_CLIENT_SECRET" not in str(info.value)
    assert fake.paths() == ["POST /api/token"] * 3


@pytest.mark.parametrize(("retry_after", "slept"), [("1", [1.0]), ("0", [0.5]), (None, [0.5])])
def test_a_token_endpoint_429_waits_as_the_web_api_does(
    fake: FakeSpotify, sleeps: Sleeps, retry_after: str | None, slept: list[float]
) -> None:
    fake.fail("POST", "/api/token", 429, retry_after=retry_after)
    assert _client(fake, sleeps, backoff_s=0.5).track(CALM).id == CALM
    assert sleeps == slept


def test_a_token_endpoint_429_asking_for_hours_is_told(fake: FakeSpotify, sleeps: Sleeps) -> None:
    fake.fail("POST", "/api/token", 429, retry_after="7200")
    with pytest.raises(SpotifyRateLimited, match="2.0 h") as info:
        _client(fake, sleeps, max_wait_s=30).search("hurt")
    assert info.value.retry_after_s == 7200 and sleeps == []


def test_offline_is_a_clear_error(sleeps: Sleeps) -> None:
    closed = f"http://127.0.0.1:{free_port()}/"
    auth = client_credentials_manager(
        client_id="x", client_secret="y", accounts_base=closed, timeout_s=2
    )
    client = SpotifyClient(
        make_spotify(api_base=closed + "v1/", auth_manager=auth, timeout_s=2), sleep=sleeps
    )
    with pytest.raises(SpotifyUnavailable, match="are you offline"):
        client.search("hurt")


def test_a_silent_server_times_out_and_is_retried(fake: FakeSpotify, sleeps: Sleeps) -> None:
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        api = f"http://127.0.0.1:{silent.getsockname()[1]}/v1/"
        auth = client_credentials_manager(
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET, accounts_base=fake.base, timeout_s=2
        )
        sp = make_spotify(api_base=api, auth_manager=auth, timeout_s=0.2)
        client = SpotifyClient(sp, policy=RetryPolicy(max_retries=1, backoff_s=0.1), sleep=sleeps)
        with pytest.raises(SpotifyUnavailable, match="did not answer within 0.2 s"):
            client.search("hurt")
    assert sleeps == [0.1]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Retry-After": "5"}, 5.0),
        ({"retry-after": "0"}, 0.0),
        ({}, None),
        (None, None),
        ({"Retry-After": ""}, None),
        ({"Retry-After": "-3"}, 0.0),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT"}, 30.0),
    ],
)
def test_retry_after_reads_seconds_and_http_dates(headers: Any, expected: float | None) -> None:
    from datetime import UTC, datetime

    now = datetime(2015, 10, 21, 7, 28, tzinfo=UTC)
    assert retry_after_seconds(headers, now=now) == expected


# -- a listener's login and library ------------------------------------------------------------


@pytest.fixture
def logged_in(fake: FakeSpotify, sleeps: Sleeps, tmp_path: Path) -> SpotifyClient:
    redirect = f"http://127.0.0.1:{free_port()}/callback"
    auth = pkce_manager(
        client_id=CLIENT_ID,
        redirect_uri=redirect,
        accounts_base=fake.base,
        timeout_s=5,
        cache_handler=FileTokenCache(tmp_path / "spotify" / "token.json"),
    )
    loopback_login(auth, open_url=lambda url: requests.get(url, timeout=5), timeout_s=10)
    sp = make_spotify(api_base=fake.api, auth_manager=auth, timeout_s=5)
    return SpotifyClient(sp, policy=RetryPolicy(), sleep=sleeps)


def test_pkce_login_exchanges_the_code_and_keeps_the_token_owner_only(
    fake: FakeSpotify, logged_in: SpotifyClient, tmp_path: Path
) -> None:
    token_file = tmp_path / "spotify" / "token.json"
    assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(token_file.parent).st_mode) == 0o700
    authorize = next(r for r in fake.requests if r.path == "/authorize")
    assert authorize.query["code_challenge_method"] == "S256" and authorize.query["state"]
    exchange = next(r for r in fake.requests if r.path == "/api/token")
    assert "grant_type=authorization_code" in exchange.body and "code_verifier=" in exchange.body
    assert "client_secret" not in exchange.body  # PKCE: no secret at all
    assert logged_in.me().display_name == "Some Random User"


def test_a_refused_login_is_an_auth_error(fake: FakeSpotify, tmp_path: Path) -> None:
    fake.deny_login = True
    auth = pkce_manager(
        client_id=CLIENT_ID,
        redirect_uri=f"http://127.0.0.1:{free_port()}/cb",
        accounts_base=fake.base,
        timeout_s=5,
        cache_handler=FileTokenCache(tmp_path / "t.json"),
    )
    with pytest.raises(SpotifyAuthError, match="access_denied"):
        loopback_login(auth, open_url=lambda url: requests.get(url, timeout=5), timeout_s=10)
    assert not (tmp_path / "t.json").exists()


def test_the_login_redirect_must_be_loopback(fake: FakeSpotify, tmp_path: Path) -> None:
    auth = pkce_manager(
        client_id=CLIENT_ID,
        redirect_uri="https://example.org/cb",
        accounts_base=fake.base,
        timeout_s=5,
        cache_handler=FileTokenCache(tmp_path / "t.json"),
    )
    with pytest.raises(InputError) as info:
        loopback_login(auth, open_url=lambda url: None, timeout_s=1)
    assert info.value.field == "spotify_redirect_uri"


def test_saved_recent_and_playlists_are_read_with_paging(
    fake: FakeSpotify, logged_in: SpotifyClient
) -> None:
    saved = list(logged_in.saved_tracks())
    assert [t.id for t, _ in saved] == [CALM, SAD] and saved[0][1] is not None
    recent = list(logged_in.recently_played())
    assert [t.id for t, _ in recent] == [TENSE, HAPPY]
    assert recent[0][1] is not None and recent[0][1].microsecond == 123_000
    assert list(logged_in.playlists()) == [("3cEYpjA9oz9GiPac4AsH4n", "Focus")]
    tracks = list(
        logged_in.playlist_tracks("3cEYpjA9oz9GiPac4AsH4n")
    )  # the local file and episode left out
    assert [t.id for t in tracks] == [CALM, "x000000000000000000001"]
    paths = fake.paths()
    for expected in (
        "GET /v1/me/tracks",
        "GET /v1/me/player/recently-played",
        "GET /v1/me/playlists",
        "GET /v1/playlists/3cEYpjA9oz9GiPac4AsH4n/items",
    ):
        assert expected in paths


LIBRARY_CALLS: dict[str, tuple[str, str, Any, Any]] = {
    "saved tracks": (
        "GET", "/v1/me/tracks", lambda c: [t.id for t, _ in c.saved_tracks()], [CALM, SAD]
    ),
    "recently played": (
        "GET", "/v1/me/player/recently-played",
        lambda c: [t.id for t, _ in c.recently_played()], [TENSE, HAPPY],
    ),
    "playlists": ("GET", "/v1/me/playlists", lambda c: [n for _, n in c.playlists()], ["Focus"]),
    "playlist items": (
        "GET", "/v1/playlists/3cEYpjA9oz9GiPac4AsH4n/items",
        lambda c: [t.id for t in c.playlist_tracks("3cEYpjA9oz9GiPac4AsH4n")],
        [CALM, "x000000000000000000001"],
    ),
    "create playlist": (
        "POST", "/v1/me/playlists",
        lambda c: c.create_playlist("x", [f"spotify:track:{SAD}"]).snapshot_id, "snap-1",
    ),
    "add items": (
        "POST", "/v1/playlists/",
        lambda c: c.create_playlist("x", [f"spotify:track:{SAD}"]).snapshot_id, "snap-1",
    ),
    "me": ("GET", "/v1/me", lambda c: c.me().id, "some_random_user"),
    "several tracks": ("GET", "/v1/tracks/", lambda c: list(c.tracks([CALM, SAD])), [CALM, SAD]),
}  # fmt: skip


@pytest.mark.parametrize("call", list(LIBRARY_CALLS))
@pytest.mark.parametrize(("status", "retry_after"), [(503, None), (429, "0"), (429, None)])
def test_every_listener_call_goes_through_the_retry_rules(
    fake: FakeSpotify,
    logged_in: SpotifyClient,
    sleeps: Sleeps,
    call: str,
    status: int,
    retry_after: str | None,
) -> None:
    method, path, run, expected = LIBRARY_CALLS[call]
    fake.fail(method, path, status, retry_after=retry_after)
    assert run(logged_in) == expected
    assert sleeps == [0.5]  # one backoff, then the call went through
    assert sum(p.startswith(f"{method} {path}") for p in fake.paths()) == 2  # refused, then sent


def test_paging_follows_next_links(fake: FakeSpotify, logged_in: SpotifyClient) -> None:
    fake.saved = list(fake.tracks)[:23]
    fake.page_cap = 10
    try:
        got = [t.id for t, _ in logged_in.saved_tracks()]
    finally:
        fake.saved = [CALM, SAD]
    assert got == list(fake.tracks)[:23]
    offsets = [r.query.get("offset") for r in fake.requests if r.path == "/v1/me/tracks"]
    assert offsets == ["0", "10", "20"]  # the first page, then the server's next links


def test_a_private_playlist_is_created_and_filled(
    fake: FakeSpotify, logged_in: SpotifyClient
) -> None:
    uris = [f"spotify:track:{t}" for t in (CALM, SAD, HAPPY)]
    created = logged_in.create_playlist("moodtune – Calm down", uris, description="from moodtune")
    create = next(r for r in fake.requests if r.path == "/v1/me/playlists" and r.method == "POST")
    assert create.body == {
        "name": "moodtune – Calm down",
        "public": False,
        "collaborative": False,
        "description": "from moodtune",
    }
    add = next(r for r in fake.requests if r.path.endswith("/items") and r.method == "POST")
    assert add.body == uris and add.query == {"position": "0"}  # a bare JSON array
    assert fake.created[created.id]["items"] == uris
    assert created.url == f"https://open.spotify.com/playlist/{created.id}"
    assert created.snapshot_id == "snap-3"


def test_a_forbidden_playlist_create_is_a_forbidden_error(
    fake: FakeSpotify, logged_in: SpotifyClient
) -> None:
    fake.fail("POST", "/v1/me/playlists", 403)
    with pytest.raises(SpotifyForbidden) as info:
        logged_in.create_playlist("x", [f"spotify:track:{CALM}"])
    assert info.value.created is None and fake.created == {}


def test_a_forbidden_add_items_says_which_playlist_was_left_unfilled(
    fake: FakeSpotify, logged_in: SpotifyClient
) -> None:
    fake.fail("POST", "/v1/playlists/", 403)
    with pytest.raises(SpotifyForbidden) as info:
        logged_in.create_playlist("x", [f"spotify:track:{CALM}"])
    (playlist_id,) = fake.created
    assert info.value.created is not None and info.value.created.id == playlist_id
    assert fake.created[playlist_id]["items"] == []


# -- writes Spotify may have applied although it answered an error ------------------------------

JOURNEY = [f"spotify:track:{t}" for t in (CALM, SAD, HAPPY)]
UNSURE: dict[str, dict[str, Any]] = {
    "502 after applying": {"status": 502, "applied": True},
    "dropped after applying": {"status": 500, "applied": True, "drop": True},
}


def _count(fake: FakeSpotify, prefix: str) -> int:
    return sum(p.startswith(prefix) for p in fake.paths())


@pytest.mark.parametrize("status", [500, 502, 503])
def test_tracks_added_before_a_5xx_are_not_added_again(
    fake: FakeSpotify, logged_in: SpotifyClient, sleeps: Sleeps, status: int
) -> None:
    fake.fail("POST", "/v1/playlists/", status, applied=True)
    created = logged_in.create_playlist("Calm", JOURNEY)
    assert fake.created[created.id]["items"] == JOURNEY  # each once, in order
    assert _count(fake, "POST /v1/playlists/") == 1  # not sent again
    assert f"GET /v1/playlists/{created.id}/items" in fake.paths()  # read back instead
    reason = {500: "Server error", 502: "Bad gateway", 503: "Service unavailable"}[status]
    assert created.notes == (
        f"Spotify answered {status} {reason} when adding tracks 1–3, but it had added them: "
        "none was sent again",
    )
    assert sleeps == [0.5]


def test_a_dropped_connection_after_adding_is_read_back_not_resent(
    fake: FakeSpotify, logged_in: SpotifyClient
) -> None:
    fake.fail("POST", "/v1/playlists/", **UNSURE["dropped after applying"])
    created = logged_in.create_playlist("Calm", JOURNEY)
    assert fake.created[created.id]["items"] == JOURNEY
    assert _count(fake, "POST /v1/playlists/") == 1
    assert created.notes[0].startswith("Spotify closed the connection without answering")


def test_an_add_that_times_out_after_applying_is_not_resent(
    fake: FakeSpotify, logged_in: SpotifyClient, sleeps: Sleeps
) -> None:
    impatient = SpotifyClient(
        make_spotify(api_base=fake.api, auth_manager=logged_in.spotify.auth_manager, timeout_s=0.3),
        sleep=sleeps,
    )
    fake.fail("POST", "/v1/playlists/", 500, applied=True, delay_s=1.5)
    created = impatient.create_playlist("Calm", JOURNEY)
    assert fake.created[created.id]["items"] == JOURNEY
    assert _count(fake, "POST /v1/playlists/") == 1
    assert created.notes[0].startswith("Spotify did not answer within 0.3 s when adding")


def test_an_add_refused_before_applying_is_sent_again(
    fake: FakeSpotify, logged_in: SpotifyClient
) -> None:
    fake.fail("POST", "/v1/playlists/", 503)  # not applied
    created = logged_in.create_playlist("Calm", JOURNEY)
    assert fake.created[created.id]["items"] == JOURNEY
    assert _count(fake, "POST /v1/playlists/") == 2
    assert created.notes == (
        "Spotify answered 503 Service unavailable when adding tracks 1–3 and had not added "
        "them: moodtune sent them again",
    )


def test_a_long_fill_resumes_after_the_chunk_spotify_had_applied(
    fake: FakeSpotify, logged_in: SpotifyClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import moodtune.connectors.spotify.client as client_module

    monkeypatch.setattr(client_module, "ITEMS_PER_ADD", 10)
    uris = [f"spotify:track:x{i:021d}" for i in range(23)]
    fake.page_cap = 10  # the read-back follows next links too
    fake.fail("POST", "/v1/playlists/", 502, applied=True)  # the first chunk
    created = logged_in.create_playlist("Many", uris)
    assert fake.created[created.id]["items"] == uris
    adds = [r for r in fake.requests if r.method == "POST" and r.path.endswith("/items")]
    assert [(r.query["position"], len(r.body)) for r in adds] == [("0", 10), ("10", 10), ("20", 3)]


def test_an_add_that_keeps_failing_says_how_full_the_playlist_is(
    fake: FakeSpotify, logged_in: SpotifyClient, sleeps: Sleeps
) -> None:
    fake.fail("POST", "/v1/playlists/", 503, times=10)
    with pytest.raises(SpotifyUnavailable, match="with 0 of the journey's 3 tracks") as info:
        logged_in.create_playlist("Calm", JOURNEY)
    (playlist_id,) = fake.created
    assert info.value.created is not None and info.value.created.id == playlist_id
    assert fake.created[playlist_id]["items"] == []
    assert _count(fake, "POST /v1/playlists/") == 4 and sleeps == [0.5, 1.0, 2.0, 4.0]


@pytest.mark.parametrize("unsure", list(UNSURE))
def test_a_playlist_created_before_a_failure_is_used_not_made_twice(
    fake: FakeSpotify, logged_in: SpotifyClient, unsure: str
) -> None:
    fake.fail("POST", "/v1/me/playlists", **UNSURE[unsure])
    created = logged_in.create_playlist("moodtune – Calm – 2026-12-01 19:40", JOURNEY)
    (playlist_id,) = fake.created  # one playlist, not two
    assert created.id == playlist_id and fake.created[playlist_id]["items"] == JOURNEY
    assert _count(fake, "POST /v1/me/playlists") == 1
    assert created.url == f"https://open.spotify.com/playlist/{playlist_id}"
    assert "GET /v1/me/playlists" in fake.paths()
    assert created.notes[0].endswith(
        "when creating the playlist, but it had created it: moodtune used that one rather "
        "than make a second"
    )


def test_a_create_spotify_had_not_applied_is_made_again_ignoring_lookalikes(
    fake: FakeSpotify, logged_in: SpotifyClient
) -> None:
    name = "moodtune – Calm – 2026-12-01 19:40"
    earlier = logged_in.create_playlist(name, JOURNEY)  # the same journey, exported before
    fake.followed = {"f" * 22: (name, [])}  # someone else's, empty, of the same name
    fake.fail("POST", "/v1/me/playlists", 503)  # not applied
    created = logged_in.create_playlist(name, JOURNEY)
    assert set(fake.created) == {earlier.id, created.id}  # neither look-alike was taken
    assert fake.created[created.id]["items"] == JOURNEY
    assert fake.created[earlier.id]["items"] == JOURNEY
    assert created.notes == (
        "Spotify answered 503 Service unavailable when creating the playlist and had not "
        "created it: moodtune created it again",
    )


def test_a_create_that_keeps_failing_says_nothing_was_made(
    fake: FakeSpotify, logged_in: SpotifyClient
) -> None:
    fake.fail("POST", "/v1/me/playlists", 502, times=10)
    with pytest.raises(SpotifyUnavailable, match="none appeared in your library") as info:
        logged_in.create_playlist("Calm", JOURNEY)
    assert info.value.status == 502 and info.value.created is None and fake.created == {}
    assert _count(fake, "POST /v1/me/playlists") == 4


def test_an_unsure_add_that_cannot_be_read_back_is_not_resent_but_told(
    fake: FakeSpotify, logged_in: SpotifyClient
) -> None:
    fake.fail("POST", "/v1/playlists/", 502, applied=True)
    fake.fail("GET", "/v1/playlists/", 503, times=10)  # the read-back keeps failing
    with pytest.raises(SpotifyUnavailable, match="could not read the playlist back") as info:
        logged_in.create_playlist("Calm", JOURNEY)
    (playlist_id,) = fake.created
    assert info.value.created is not None and info.value.created.id == playlist_id
    assert "may hold only some of the journey" in str(info.value)
    assert (
        fake.created[playlist_id]["items"] == JOURNEY and _count(fake, "POST /v1/playlists/") == 1
    )


def test_an_unsure_create_that_cannot_be_checked_says_to_look_before_retrying(
    fake: FakeSpotify, logged_in: SpotifyClient
) -> None:
    fake.fail("POST", "/v1/me/playlists", 502, applied=True)
    fake.fail("GET", "/v1/me/playlists", 503, times=10)
    with pytest.raises(SpotifyUnavailable, match="could not check whether it was made") as info:
        logged_in.create_playlist("Calm", JOURNEY)
    assert "look for it in your Spotify library before trying again" in str(info.value)
    assert len(fake.created) == 1 and _count(fake, "POST /v1/me/playlists") == 1


def test_a_read_whose_connection_drops_is_retried(
    fake: FakeSpotify, logged_in: SpotifyClient, sleeps: Sleeps
) -> None:
    fake.fail("GET", "/v1/me", 500, drop=True)
    assert logged_in.me().id == "some_random_user"
    assert sleeps == [0.5] and _count(fake, "GET /v1/me/") == 2


def test_an_expired_login_is_refreshed_with_the_refresh_token(
    fake: FakeSpotify, logged_in: SpotifyClient
) -> None:
    fake.expire_tokens()
    assert logged_in.me().id == "some_random_user"
    refresh = [r for r in fake.requests if r.path == "/api/token"][-1]
    assert "grant_type=refresh_token" in refresh.body


def test_a_refresh_that_meets_a_busy_token_endpoint_is_retried(
    fake: FakeSpotify, logged_in: SpotifyClient, sleeps: Sleeps
) -> None:
    fake.expire_tokens()
    fake.fail("POST", "/api/token", 502)
    assert logged_in.me().id == "some_random_user"
    assert sleeps == [0.5]
    tokens = [r.body for r in fake.requests if r.path == "/api/token"]
    assert sum("grant_type=refresh_token" in body for body in tokens) == 2


def test_a_revoked_refresh_token_asks_to_log_in_again(
    fake: FakeSpotify, logged_in: SpotifyClient
) -> None:
    fake.expire_tokens()
    fake.refresh_tokens.clear()  # revoked
    with pytest.raises(SpotifyAuthError, match="log in|login"):
        logged_in.me()


def test_tokens_and_secrets_never_reach_the_log(
    fake: FakeSpotify, sleeps: Sleeps, caplog: pytest.LogCaptureFixture, logged_in: SpotifyClient
) -> None:
    with caplog.at_level(logging.DEBUG, logger="spotipy"):
        _client(fake, sleeps).search("hurt")
        logged_in.me()
        fake.expire_tokens()
        logged_in.me()
    tokens = {
        r.authorization.removeprefix("Bearer ")
        for r in fake.requests
        if r.authorization and r.authorization.startswith("Bearer ")
    }
    assert tokens and caplog.text  # spotipy did log at DEBUG
    for secret in (*tokens, CLIENT_SECRET, *fake.refresh_tokens):
        assert secret not in caplog.text


def test_moodtune_never_called_audio_features_or_recommendations(fake: FakeSpotify) -> None:
    assert len(fake.history) > 50, "runs after the other tests of this module"
    assert not [
        p
        for p in fake.history
        if "audio-features" in p or "audio-analysis" in p or "recommendations" in p
    ]
