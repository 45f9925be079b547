"""Playlist files: every format round-trips, other tools' files read, malformed ones are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from moodtune.connectors.matching import CatalogMatcher
from moodtune.connectors.playlists import (
    EXPORT_FORMATS,
    Playlist,
    PlaylistEntry,
    entry_from_catalog_row,
    format_from_name,
    read_playlist,
    write_playlist,
)
from moodtune.errors import InputError
from tests.connectors.catalog import CALM, HAPPY, SAD, connector_catalog


@pytest.fixture(scope="module")
def playlist() -> Playlist:
    frame = connector_catalog()
    entries = [
        entry_from_catalog_row({str(k): v for k, v in r.items()}) for _, r in frame.iterrows()
    ]
    local = PlaylistEntry(
        title="Café del Mar, part 2", artist="Ünï & Co", album=None, duration_ms=61_000,
        path="/home/me/Music/café del mar #2.flac",
    )  # fmt: skip
    return Playlist(name="Calm down – 2026-01-05", entries=(*entries, local))


@pytest.mark.parametrize("fmt", EXPORT_FORMATS)
def test_every_format_round_trips_what_it_holds(playlist: Playlist, fmt: str) -> None:
    text = write_playlist(playlist, fmt)
    back = read_playlist(text.encode(), name=f"journey.{fmt}")
    assert back.name == (playlist.name if fmt != "csv" else "journey")  # CSV has no name row
    assert len(back.entries) == len(playlist.entries)
    for wrote, read in zip(playlist.entries, back.entries, strict=True):
        assert (read.title, read.artist) == (wrote.title, wrote.artist)
        assert read.spotify_id == wrote.spotify_id
        assert read.path == wrote.path
        assert read.duration_ms == wrote.duration_ms  # M3U8 keeps whole seconds: these are whole
        if fmt in ("csv", "json", "xspf"):
            assert read.album == wrote.album and read.isrc == wrote.isrc
        if fmt in ("csv", "json"):
            assert read.track_id == wrote.track_id
            if wrote.valence is not None:
                assert read.valence == pytest.approx(wrote.valence, abs=1e-4)


def test_m3u8_points_at_local_files_or_spotify_uris(playlist: Playlist) -> None:
    auto = write_playlist(playlist, "m3u8").splitlines()
    assert auto[:2] == ["#EXTM3U", "#PLAYLIST:Calm down – 2026-01-05"]
    assert auto[2] == "#EXTINF:480,Marconi Union - Weightless"
    assert auto[3] == f"spotify:track:{CALM}"
    assert auto[-1] == "/home/me/Music/café del mar #2.flac"
    with pytest.raises(InputError) as info:
        write_playlist(playlist, "m3u8", locations="path")  # catalog tracks have no file
    assert info.value.row == 1 and info.value.field == "location"
    with pytest.raises(InputError) as info:
        write_playlist(playlist, "m3u8", locations="spotify")
    assert info.value.row == 5  # the local file has no Spotify id


def test_xspf_is_namespaced_xml_with_file_uris(playlist: Playlist) -> None:
    text = write_playlist(playlist, "xspf")
    assert '<playlist xmlns="http://xspf.org/ns/0/" version="1">' in text
    assert "<location>file:///home/me/Music/caf%C3%A9%20del%20mar%20%232.flac</location>" in text
    assert f"<identifier>spotify:track:{HAPPY}</identifier>" in text
    assert "<identifier>isrc:GBCEL1100349</identifier>" in text


def test_exportify_style_csv_and_a_bare_m3u_are_read() -> None:
    exportify = (
        '"Track URI","Track Name","Artist Name(s)","Album Name","Duration (ms)","ISRC"\n'
        f'"spotify:track:{SAD}","Hurt","Johnny Cash","American IV","218000","USUM70301339"\n'
    )
    got = read_playlist(exportify.encode(), name="liked.csv").entries[0]
    assert (got.spotify_id, got.title, got.artist, got.duration_ms, got.isrc) == (
        SAD, "Hurt", "Johnny Cash", 218_000, "USUM70301339"
    )  # fmt: skip
    bare = read_playlist(b"/music/a.mp3\n\nhttps://open.spotify.com/track/" + CALM.encode(),
                         name="x.m3u")  # fmt: skip
    assert [(e.path, e.spotify_id) for e in bare.entries] == [("/music/a.mp3", None), (None, CALM)]


def test_imported_entries_match_the_catalog(playlist: Playlist) -> None:
    matcher = CatalogMatcher(connector_catalog())
    back = read_playlist(write_playlist(playlist, "m3u8").encode(), name="j.m3u8")
    found = [matcher.match(e).track_id for e in back.entries]
    assert found[:4] == [r.track_id for r in playlist.entries[:4]]
    assert found[4] is None


@pytest.mark.parametrize(
    ("name", "text", "row", "field"),
    [
        ("a.m3u8", "#EXTM3U\n#EXTINF:abc,X - Y\n/a.mp3\n", 2, "EXTINF"),
        ("a.m3u8", "#EXTM3U\n#EXTINF:12 no comma\n/a.mp3\n", 2, "EXTINF"),
        ("a.m3u8", "#EXTM3U\n/a.mp3\n#EXTINF:12,X - Y\n", 3, "location"),
        ("a.xspf", "<playlist xmlns='http://xspf.org/ns/0/'><trackList><track>", 1, "xml"),
        ("a.xspf", "<playlist xmlns='http://xspf.org/ns/0/'><trackList><track><title>x</title>"
                   "<duration>3.5s</duration></track></trackList></playlist>", 1, "duration"),
        ("a.xspf", "<!DOCTYPE x [<!ENTITY a 'aaaa'>]><playlist/>", None, "DOCTYPE"),
        ("a.xspf", "<rss/>", None, "playlist"),
        ("a.csv", "title,artist,duration_ms\nHurt,Johnny Cash,long\n", 2, "duration_ms"),
        ("a.csv", "title,artist\nHurt,Johnny Cash,extra\n", 2, "row"),
        ("a.csv", "colour,size\nred,big\n", 1, "header"),
        ("a.csv", "title,spotify_uri\nHurt,spotify:album:xyz\n", 2, "spotify_uri"),
        ("a.json", '{"format": "moodtune-playlist", "format_version": 1, "tracks": '
                   '[{"title": "a"}, {"title": 3}]}', 2, "title"),
        ("a.json", '{"format": "moodtune-playlist", "format_version": 9, "tracks": []}', None,
         "format_version"),
        ("a.json", "{not json", 1, "json"),
    ],
)  # fmt: skip
def test_malformed_files_raise_input_error_naming_file_line_and_field(
    name: str, text: str, row: int | None, field: str
) -> None:
    with pytest.raises(InputError) as info:
        read_playlist(text.encode(), name=name)
    assert (info.value.file, info.value.row, info.value.field) == (name, row, field)


def test_files_are_read_from_disk_and_must_be_utf8(tmp_path: Path) -> None:
    path = tmp_path / "mine.m3u8"
    path.write_text("#EXTM3U\n#EXTINF:-1,Johnny Cash - Hurt\n/x.mp3\n", encoding="utf-8")
    entry = read_playlist(path).entries[0]
    assert (entry.title, entry.duration_ms) == ("Hurt", None)
    with pytest.raises(InputError) as info:
        read_playlist(b"\xff\xfe#EXTM3U", name="bad.m3u8")
    assert info.value.field == "encoding"
    with pytest.raises(InputError) as info:
        format_from_name("list.pls")
    assert info.value.field == "format"
