"""Imported tracks the catalog does not hold: kept per listener as "mood unknown", shown,
exported and deleted with the listener, kept out of journeys and learning, placed later."""

from __future__ import annotations

import json
from typing import Any

from moodtune.app.connectors import import_history, mood_unknown, place_mood_unknown
from moodtune.app.services import Services
from moodtune.recommend.tracks import TrackIndex
from moodtune.sessions import JourneyCatalog, create_listener
from moodtune.sessions.listening import listening_data, unknown_listening
from moodtune.store import read_transaction
from moodtune.store import repository as repo
from tests.connectors.catalog import CALM, connector_catalog
from tests.recommend.tiny_catalog import make_catalog

UNKNOWN_ID = "1AbCdEfGhIjKlMnOpQrStU"  # a Spotify id the catalog does not hold

#: Extended history: one matched play, two plays and a skip of a track the catalog lacks.
EXTENDED = [
    {"ts": "2024-03-01T10:00:00Z", "ms_played": 480_000, "ip_addr": "198.51.100.23",
     "platform": "Windows 10", "conn_country": "IS", "username": "user-xyz",
     "master_metadata_track_name": "Weightless",
     "master_metadata_album_artist_name": "Marconi Union",
     "master_metadata_album_album_name": "Weightless", "spotify_track_uri": f"spotify:track:{CALM}",
     "reason_end": "trackdone", "skipped": False},
    *[
        {"ts": f"2024-03-01T1{h}:00:00Z", "ms_played": ms, "ip_addr": "198.51.100.23",
         "platform": "Windows 10", "conn_country": "IS", "username": "user-xyz",
         "master_metadata_track_name": "Quiet Harbour",
         "master_metadata_album_artist_name": "Nils Unheard",
         "master_metadata_album_album_name": "Low Tide",
         "spotify_track_uri": f"spotify:track:{UNKNOWN_ID}",
         "reason_end": end, "skipped": end == "fwdbtn"}
        for h, ms, end in (
            (1, 240_000, "trackdone"), (2, 250_000, "trackdone"), (3, 9_000, "fwdbtn")
        )
    ],
]  # fmt: skip
FILES = [("Streaming_History_Audio_2024.json", json.dumps(EXTENDED).encode())]


def test_unmatched_plays_are_kept_once_as_mood_unknown_without_device_fields(
    services: Services,
) -> None:
    person = create_listener(services.engine)
    report = import_history(services, person.id, FILES)
    assert (report.matched, report.unknown_added) == (1, 3)
    assert "kept 3 new unmatched as mood unknown" in report.summary
    again = import_history(services, person.id, FILES)
    assert again.unknown_added == 0  # a re-import adds nothing

    (track,) = mood_unknown(services, person.id)
    assert (track.title, track.artists) == ("Quiet Harbour", "Nils Unheard")
    assert track.album == "Low Tide"
    assert track.spotify_uri == f"spotify:track:{UNKNOWN_ID}"
    assert (track.plays, track.skips, track.likes) == (2, 1, 0)
    assert track.reason == "not in the catalog"

    stored = json.dumps(unknown_listening(services.engine, person.id), default=str)
    for secret in ("198.51.100.23", "Windows", 'IS"', "user-xyz"):
        assert secret not in stored
    # Kept out of learning (and so of anything a journey is built from).
    assert {r["track_id"] for r in listening_data(services.engine, person.id)} == {CALM}


def test_mood_unknown_is_in_the_export_and_gone_after_delete(services: Services) -> None:
    from moodtune.sessions import delete_listener

    person = create_listener(services.engine)
    other = create_listener(services.engine)
    import_history(services, person.id, FILES)
    import_history(services, other.id, FILES)
    with read_transaction(services.engine) as conn:
        exported = repo.listener_rows(conn, person.id)["unmatched_listening"]
    assert len(exported) == 3 and {r["title"] for r in exported} == {"Quiet Harbour"}
    delete_listener(services.engine, person.id)
    with read_transaction(services.engine) as conn:
        assert repo.unmatched_rows(conn, person.id) == []
        assert len(repo.unmatched_rows(conn, other.id)) == 3


def test_a_grown_catalog_places_mood_unknown_plays(engine: Any) -> None:
    extra = make_catalog(
        [{"track_id": "local-quiet-harbour", "name": "Quiet Harbour", "artists": "Nils Unheard",
          "mood_valence": 0.2, "mood_arousal": -0.5}]
    )  # fmt: skip
    before = Services(engine=engine, catalog_loader=lambda: _catalog(connector_catalog()))
    person = create_listener(engine)
    import_history(before, person.id, FILES)
    assert place_mood_unknown(before, person.id).added == 0  # nothing new to place

    import pandas as pd

    grown = pd.concat([connector_catalog(), extra], ignore_index=True)
    after = Services(engine=engine, catalog_loader=lambda: _catalog(grown))
    placed = place_mood_unknown(after, person.id)
    assert placed.added == 3
    assert mood_unknown(after, person.id) == []
    kinds = sorted(
        r["kind"]
        for r in listening_data(engine, person.id)
        if r["track_id"] == "local-quiet-harbour"
    )
    assert kinds == ["play", "play", "skip"]
    assert import_history(after, person.id, FILES).added == 0  # placed plays are not doubled


def _catalog(frame: Any) -> JourneyCatalog:
    return JourneyCatalog.from_index(TrackIndex(method="exact").fit(frame), name="grown")


def test_cli_lists_and_places_mood_unknown(services: Services, monkeypatch: Any) -> None:
    from typer.testing import CliRunner

    from moodtune.cli import app
    from moodtune.cli import history as history_cli

    monkeypatch.setattr(history_cli, "services_for_cli", lambda: services)
    person = create_listener(services.engine)
    import_history(services, person.id, FILES)
    runner = CliRunner()
    shown = runner.invoke(app, ["history", "unknown", "--listener", person.id])
    assert shown.exit_code == 0, shown.output
    assert "Nils Unheard – Quiet Harbour: 2 plays, 1 skips" in " ".join(shown.stdout.split())
    placed = runner.invoke(
        app, ["history", "unknown", "--listener", person.id, "--place", "--json"]
    )
    assert placed.exit_code == 0, placed.output
    body = json.loads(placed.stdout)
    assert body["placed"] == 0 and body["mood_unknown"][0]["plays"] == 2  # catalog unchanged
