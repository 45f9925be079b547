"""Malformed history records: all or nothing by default; ``skip_bad`` imports the good ones and
reports each bad one with its file, record and field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from moodtune.app.connectors import import_history
from moodtune.app.services import Services
from moodtune.cli import app
from moodtune.cli import history as history_cli
from moodtune.config import Settings
from moodtune.connectors.history import BadRecord, read_history
from moodtune.errors import InputError
from moodtune.sessions import JourneyCatalog, create_listener
from moodtune.sessions.listening import listening_data
from moodtune.web import create_app
from tests.connectors.catalog import CALM, SAD

URI_CALM, URI_SAD = f"spotify:track:{CALM}", f"spotify:track:{SAD}"
EXTENDED = [
    {"ts": "2024-02-01T10:00:00Z", "ms_played": 480_000, "master_metadata_track_name": "Weightless",
     "master_metadata_album_artist_name": "Marconi Union", "spotify_track_uri": URI_CALM},
    {"ts": "2024-02-01T10:09:00Z", "ms_played": "lots", "master_metadata_track_name": "Hurt",
     "master_metadata_album_artist_name": "Johnny Cash", "spotify_track_uri": URI_SAD},
    "not an object",
    {"ts": "yesterday", "ms_played": 1000, "master_metadata_track_name": "Hurt",
     "master_metadata_album_artist_name": "Johnny Cash"},
    {"ts": "2024-02-01T11:00:00Z", "ms_played": 200_000, "master_metadata_track_name": "Hurt",
     "master_metadata_album_artist_name": "Johnny Cash", "spotify_track_uri": URI_SAD},
]  # fmt: skip
EXTENDED_BYTES = json.dumps(EXTENDED).encode()
SCROBBLES = (
    b"Johnny Cash,American IV,Hurt,05 Jan 2024 21:04\n"
    b"Johnny Cash,American IV,,05 Jan 2024 21:09\n"
    b"Johnny Cash,American IV,Hurt,sometime\n"
)
JSONL = (
    b'{"listened_at": 1706781600, "track_metadata": {"artist_name": "Marconi Union",'
    b' "track_name": "Weightless"}}\n{"listened_at": 17\n'
)
EXPECTED_EXTENDED = [
    BadRecord("endsong_0.json", 2, "ms_played", "must be a number of milliseconds"),
    BadRecord("endsong_0.json", 3, None, "a record must be a JSON object"),
    BadRecord("endsong_0.json", 4, "ts", "not a date and time this export uses"),
]


def test_the_reader_keeps_good_records_and_names_each_bad_one() -> None:
    got = read_history(EXTENDED_BYTES, name="endsong_0.json", skip_bad=True)
    assert [listen.track.spotify_id for listen in got.listens] == [CALM, SAD]
    assert list(got.bad) == EXPECTED_EXTENDED and got.records == 5
    assert str(got.bad[0]) == (
        "endsong_0.json, record 2, field 'ms_played': must be a number of milliseconds"
    )
    lastfm = read_history(SCROBBLES, name="scrobbles.csv", skip_bad=True)
    assert len(lastfm.listens) == 1
    assert [(b.record, b.field) for b in lastfm.bad] == [(2, "title"), (3, "date")]
    lines = read_history(JSONL, name="listens.jsonl", skip_bad=True)
    assert len(lines.listens) == 1 and [(b.record, b.field) for b in lines.bad] == [(2, None)]
    with pytest.raises(InputError) as caught:  # the default stays all or nothing
        read_history(EXTENDED_BYTES, name="endsong_0.json")
    assert (caught.value.row, caught.value.field) == (2, "ms_played")
    first_bad = read_history(json.dumps(EXTENDED[2:]).encode(), name="e.json", skip_bad=True)
    assert len(first_bad.listens) == 1 and [b.record for b in first_bad.bad] == [1, 2]
    with pytest.raises(InputError):  # a file that is no export fails even when skipping
        read_history(b'[{"what": 1}]', name="other.json", skip_bad=True)


def test_the_import_stores_nothing_by_default_and_the_good_records_when_skipping(
    services: Services,
) -> None:
    person = create_listener(services.engine)
    files = [("endsong_0.json", EXTENDED_BYTES), ("scrobbles.csv", SCROBBLES)]
    with pytest.raises(InputError):
        import_history(services, person.id, files)
    assert listening_data(services.engine, person.id) == []
    report = import_history(services, person.id, files, skip_bad=True)
    assert report.matched == 3 and report.added == 3
    assert [(b.file, b.record, b.field) for b in report.bad_records] == [
        ("endsong_0.json", 2, "ms_played"),
        ("endsong_0.json", 3, None),
        ("endsong_0.json", 4, "ts"),
        ("scrobbles.csv", 2, "title"),
        ("scrobbles.csv", 3, "date"),
    ]
    assert "left out 5 malformed records" in report.summary
    assert report.to_dict()["bad_records"][0] == {
        "file": "endsong_0.json", "record": 2, "field": "ms_played",
        "message": "must be a number of milliseconds",
    }  # fmt: skip


def test_cli_skip_bad(services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history_cli, "services_for_cli", lambda: services)
    person = create_listener(services.engine)
    path = tmp_path / "endsong_0.json"
    path.write_bytes(EXTENDED_BYTES)
    runner = CliRunner()
    stopped = runner.invoke(app, ["history", "import", str(path), "--listener", person.id])
    assert isinstance(stopped.exception, InputError)
    done = runner.invoke(
        app, ["history", "import", str(path), "--listener", person.id, "--skip-bad"]
    )
    assert done.exit_code == 0, done.output
    text = "".join(done.stdout.split())  # the console wraps long lines, even inside a path
    assert "".join(f"Left out: {path}, record 2, field 'ms_played'".split()) in text
    assert "leftout3malformedrecords" in text


def test_web_skip_bad_checkbox_and_api_field(
    engine: Any, tiny: JourneyCatalog, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "web", offline=True)
    services = Services(settings, engine=engine, catalog_loader=lambda: tiny)
    files = [("files", ("endsong_0.json", EXTENDED_BYTES, "application/json"))]
    with TestClient(create_app(settings, services=services)) as client:
        assert client.post("/api/v1/listener", json={"display_name": "Ed"}).status_code == 201
        assert 'name="skip_bad"' in client.get("/me").text
        assert client.post("/me/history", files=files).status_code == 422
        page = client.post("/me/history", files=files, data={"skip_bad": "on"})
        assert page.status_code == 200 and "malformed records" in page.text
        assert "endsong_0.json, record 2, field <code>ms_played</code>" in page.text
        api = client.post("/api/v1/listening-history", files=files, data={"skip_bad": "true"})
        assert api.status_code == 201 and len(api.json()["bad_records"]) == 3
        assert client.post("/api/v1/listening-history", files=files).status_code == 422
