"""History exports: each documented layout read into plays and skips; malformed files named."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from moodtune.connectors.history import Listen, read_history
from moodtune.errors import InputError
from tests.connectors.catalog import CALM, SAD

BASIC = [
    {"endTime": "2024-01-05 21:04", "artistName": "Johnny Cash", "trackName": "Hurt",
     "msPlayed": 218_000},
    {"endTime": "2024-01-05 21:05", "artistName": "The Killers", "trackName": "Mr. Brightside",
     "msPlayed": 12_000},
    {"endTime": "2024-01-06 08:00", "podcastName": "Talk", "episodeName": "Ep 1",
     "msPlayed": 60_000},
]  # fmt: skip

EXTENDED = [
    {"ts": "2024-02-01T10:00:00Z", "username": "someone", "platform": "Android OS 14",
     "ms_played": 480_000, "conn_country": "NZ", "ip_addr": "203.0.113.7",
     "user_agent_decrypted": "unknown", "master_metadata_track_name": "Weightless",
     "master_metadata_album_artist_name": "Marconi Union",
     "master_metadata_album_album_name": "Weightless", "spotify_track_uri": f"spotify:track:{CALM}",
     "episode_name": None, "episode_show_name": None, "spotify_episode_uri": None,
     "reason_start": "clickrow", "reason_end": "trackdone", "shuffle": False, "skipped": False,
     "offline": False, "offline_timestamp": 0, "incognito_mode": False},
    {"ts": "2024-02-01T10:09:00Z", "ms_played": 95_000, "ip_addr": "203.0.113.7",
     "master_metadata_track_name": "Hurt", "master_metadata_album_artist_name": "Johnny Cash",
     "master_metadata_album_album_name": "American IV", "spotify_track_uri": f"spotify:track:{SAD}",
     "reason_end": "fwdbtn", "skipped": None},
    {"ts": "2024-02-01T11:00:00Z", "ms_played": 1_000_000, "master_metadata_track_name": None,
     "master_metadata_album_artist_name": None, "spotify_track_uri": None,
     "episode_name": "An episode", "spotify_episode_uri": "spotify:episode:abc"},
]  # fmt: skip

LISTENBRAINZ = [
    {"listened_at": 1706781600, "recording_msid": "x",
     "track_metadata": {"artist_name": "Marconi Union", "track_name": "Weightless",
                        "release_name": "Weightless",
                        "additional_info": {"spotify_id": f"https://open.spotify.com/track/{CALM}",
                                            "isrc": "gbcel1100349", "duration_ms": 480000}}},
    {"listened_at": 1706785200, "track_metadata": {"artist_name": "Nobody", "track_name": "Song"}},
]  # fmt: skip


def _bytes(body: object) -> bytes:
    return json.dumps(body).encode()


def test_spotify_account_data_reads_plays_short_plays_as_skips_and_drops_podcasts() -> None:
    got = read_history(_bytes(BASIC), name="StreamingHistory_music_0.json")
    assert got.layout == "spotify-streaming-history" and got.records == 3 and got.not_music == 1
    first, second = got.listens
    assert first == Listen(
        played_at=datetime(2024, 1, 5, 21, 4, tzinfo=UTC),
        track=first.track, ms_played=218_000, skipped=False, source="spotify-streaming-history",
    )  # fmt: skip
    assert (first.track.artist, first.track.title) == ("Johnny Cash", "Hurt")
    assert second.skipped  # 12 s: under the 30 s early-skip line


def test_extended_history_keeps_skips_and_ids_and_no_device_details() -> None:
    got = read_history(_bytes(EXTENDED), name="Streaming_History_Audio_2024.json")
    assert got.layout == "spotify-extended-history" and got.not_music == 1
    done, skipped = got.listens
    assert (done.track.spotify_id, done.skipped, done.ms_played) == (CALM, False, 480_000)
    assert skipped.skipped and skipped.track.spotify_id == SAD  # reason_end fwdbtn
    kept = repr(got)
    for secret in ("203.0.113.7", "Android", "NZ", "someone", "clickrow"):
        assert secret not in kept


def test_listenbrainz_json_and_json_lines() -> None:
    array = read_history(_bytes(LISTENBRAINZ), name="listens.json")
    lines = read_history(
        "\n".join(json.dumps(x) for x in LISTENBRAINZ).encode(), name="2024/02.jsonl"
    )
    assert array.layout == lines.layout == "listenbrainz"
    assert array.listens == lines.listens
    first = array.listens[0]
    assert first.played_at == datetime(2024, 2, 1, 10, 0, tzinfo=UTC)
    assert (first.track.spotify_id, first.track.isrc, first.track.duration_ms) == (
        CALM, "GBCEL1100349", 480_000
    )  # fmt: skip
    api_payload = _bytes({"count": 2, "listens": LISTENBRAINZ})
    assert read_history(api_payload, name="api.json").listens == array.listens


def test_lastfm_csv_with_and_without_a_header(tmp_path: Path) -> None:
    bare = tmp_path / "scrobbles.csv"
    bare.write_text(
        "Johnny Cash,American IV,Hurt,05 Jan 2024 21:04\n"
        '"Katrina & The Waves","Walking, on","Walking on Sunshine","06 Jan 2024 08:00"\n'
    )
    got = read_history(bare)
    assert got.layout == "lastfm" and len(got.listens) == 2
    assert got.listens[1].track.album == "Walking, on"
    assert got.listens[0].played_at == datetime(2024, 1, 5, 21, 4, tzinfo=UTC)
    headed = (
        "uts,utc_time,artist,artist_mbid,album,album_mbid,track,track_mbid\n"
        "1704488640,05 Jan 2024 21:04,Johnny Cash,,American IV,,Hurt,\n"
    )
    again = read_history(headed.encode(), name="lastfmstats.csv")
    assert again.listens[0].played_at == got.listens[0].played_at
    assert again.listens[0].track.title == "Hurt"


@pytest.mark.parametrize(
    ("name", "body", "row", "field"),
    [
        ("s.json", b"[{\"endTime\": \"2024-01-05\", \"artistName\": \"a\", \"trackName\": \"b\","
                   b" \"msPlayed\": 1}]", 1, "endTime"),
        ("s.json", _bytes([BASIC[0], {**BASIC[0], "msPlayed": "long"}]), 2, "msPlayed"),
        ("s.json", _bytes([BASIC[0], {**BASIC[0], "trackName": None}]), 2, "trackName"),
        ("e.json", _bytes([{**EXTENDED[0], "ms_played": -5}]), 1, "ms_played"),
        ("e.json", _bytes([{**EXTENDED[0], "skipped": "yes"}]), 1, "skipped"),
        ("e.json", _bytes([{**EXTENDED[0], "spotify_track_uri": "spotify:album:x"}]), 1,
         "spotify_track_uri"),
        ("e.json", _bytes([EXTENDED[0], "not an object"]), 2, None),
        ("l.json", _bytes([{**LISTENBRAINZ[0], "listened_at": "yesterday"}]), 1, "listened_at"),
        ("l.json", _bytes([{"listened_at": 1, "track_metadata": {"artist_name": "x"}}]), 1,
         "track_metadata.track_name"),
        ("l.jsonl", b"{\"listened_at\": 1, \"track_metadata\": {}}\n{broken\n", 2, None),
        ("x.json", _bytes([{"song": "a"}]), 1, "keys"),
        ("x.json", b"[1, 2", 1, None),
        ("f.csv", b"artist,track,uts\nJohnny Cash,Hurt,soon\n", 2, "uts"),
        ("f.csv", b"Johnny Cash,American IV,Hurt,someday\n", 1, "date"),
        ("f.csv", b"artist,track,uts\nJohnny Cash,,1704488640\n", 2, "title"),
        ("f.csv", b"a,b\n", 1, "header"),
    ],
)  # fmt: skip
def test_malformed_exports_raise_input_error_naming_file_record_and_field(
    name: str, body: bytes, row: int | None, field: str | None
) -> None:
    with pytest.raises(InputError) as info:
        read_history(body, name=name)
    assert (info.value.file, info.value.row, info.value.field) == (name, row, field)


def test_empty_and_non_utf8_files_are_refused() -> None:
    with pytest.raises(InputError, match="empty"):
        read_history(b"  \n", name="e.json")
    with pytest.raises(InputError) as info:
        read_history(b"\xff\xfe[]", name="u.json")
    assert info.value.field == "encoding"
