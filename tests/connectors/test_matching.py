"""Matching outside tracks to the catalog: Spotify id, then ISRC, then normalised names."""

from __future__ import annotations

import pytest

from moodtune.connectors.matching import CatalogMatcher, ExternalTrack, spotify_track_id
from tests.connectors.catalog import CALM, HAPPY, SAD, TENSE, connector_catalog


@pytest.fixture(scope="module")
def matcher() -> CatalogMatcher:
    return CatalogMatcher(connector_catalog())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"spotify:track:{CALM}", CALM),
        (f"https://open.spotify.com/track/{CALM}?si=abc", CALM),
        (f"https://open.spotify.com/intl-de/track/{CALM}", CALM),
        (CALM, CALM),
        ("spotify:album:4uLU6hMCjMI75M1A2tKUQC", None),
        ("/music/a.flac", None),
        (None, None),
    ],
)
def test_spotify_ids_are_read_from_uris_links_and_bare_ids(
    text: str | None, expected: str | None
) -> None:
    assert spotify_track_id(text) == expected


def test_the_spotify_id_wins_over_names(matcher: CatalogMatcher) -> None:
    found = matcher.match(ExternalTrack(title="Hurt", artist="Johnny Cash", spotify_id=HAPPY))
    assert (found.track_id, found.method) == (HAPPY, "spotify_id")


def test_isrc_matches_when_the_id_is_unknown(matcher: CatalogMatcher) -> None:
    found = matcher.match(ExternalTrack(spotify_id="0" * 22, isrc="gbcel1100349"))
    assert (found.track_id, found.method) == (CALM, "isrc")


def test_names_match_after_normalising_remasters_features_and_the(
    matcher: CatalogMatcher,
) -> None:
    found = matcher.match(ExternalTrack(title="Mr. Brightside - 2004 Remaster", artist="Killers"))
    assert (found.track_id, found.method) == (TENSE, "title_artist")
    found = matcher.match(ExternalTrack(title="Hurt (feat. Nobody)", artist="Johnny Cash"))
    assert found.track_id == SAD


def test_unmatched_tracks_say_why(matcher: CatalogMatcher) -> None:
    live = matcher.match(ExternalTrack(title="Hurt - Live", artist="Johnny Cash"))
    assert live.track_id is None and live.reason == "not in the catalog"
    nameless = matcher.match(ExternalTrack(path="/music/unknown.flac"))
    assert nameless.reason == "no title and artist to match on"
    only_id = matcher.match(ExternalTrack(spotify_id="1" * 22))
    assert only_id.reason == "Spotify id not in the catalog"


def test_unusable_rows_are_never_matched() -> None:
    frame = connector_catalog()
    frame.loc[frame["track_id"] == SAD, "usable"] = False
    matcher = CatalogMatcher(frame)
    assert matcher.match(ExternalTrack(spotify_id=SAD)).track_id is None
    assert SAD not in matcher and CALM in matcher
