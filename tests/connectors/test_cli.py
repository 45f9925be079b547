"""The connector commands, thin over the application layer (tiny catalog, fake Spotify)."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from moodtune.app.services import Services
from moodtune.cli import app
from moodtune.cli import history as history_cli
from moodtune.cli import spotify as spotify_cli
from moodtune.config import get_settings
from moodtune.errors import ConnectorError, InputError, MoodtuneError
from moodtune.sessions import create_listener
from tests.connectors.catalog import CALM, TENSE, record_journey
from tests.connectors.fake_spotify import CLIENT_ID, CLIENT_SECRET, FakeSpotify
from tests.connectors.test_imports import SCROBBLES

runner = CliRunner()


@pytest.fixture
def cli_services(services: Services, settings: Any, monkeypatch: pytest.MonkeyPatch) -> Services:
    monkeypatch.setattr(history_cli, "services_for_cli", lambda: services)
    monkeypatch.setattr(spotify_cli, "services_for_cli", lambda: services)
    return services


def run(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def fails(*args: str) -> Exception:
    """The moodtune error a command stopped with (``main`` prints it as one line, exit 2)."""
    result = runner.invoke(app, list(args))
    assert isinstance(result.exception, MoodtuneError), result.output
    return result.exception


def test_history_import_prints_the_report(cli_services: Services, tmp_path: Path) -> None:
    person = create_listener(cli_services.engine)
    scrobbles = tmp_path / "scrobbles.csv"
    scrobbles.write_bytes(SCROBBLES)
    text = run("history", "import", str(scrobbles), "--listener", person.id).stdout
    assert "3 of 4 matched the catalog (75%)" in text and "Nobody Known – Song Nobody Has" in text
    report = json.loads(
        run("history", "import", str(scrobbles), "--listener", person.id, "--json").stdout
    )
    assert (report["matched"], report["added"], report["already_stored"]) == (3, 0, 3)
    bad = tmp_path / "bad.json"
    bad.write_text('[{"ts": "2024-01-01T00:00:00Z", "ms_played": "x"}]')
    error = fails("history", "import", str(bad), "--listener", person.id)
    assert isinstance(error, InputError) and error.field == "ms_played"
    assert error.file is not None and error.file.endswith("bad.json")


def test_history_listener_still_shows_their_history(settings: Any) -> None:
    from moodtune.store import dispose_engines, open_database

    person = create_listener(open_database(), display_name="Kim")
    shown = json.loads(run("history", "Kim", "--json").stdout)
    assert shown["listener_id"] == person.id
    assert "Kim" in run("history", "show", person.id).stdout
    dispose_engines()


def test_playlist_export_and_import(cli_services: Services, tmp_path: Path) -> None:
    person = create_listener(cli_services.engine)
    session_id = record_journey(cli_services.engine, person.id)
    out = tmp_path / "journey.xspf"
    result = run(
        "playlist",
        "export",
        session_id,
        "--listener",
        person.id,
        "--format",
        "xspf",
        "--out",
        str(out),
    )
    assert "Wrote 3 tracks" in result.stdout and "left out" in result.stdout
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    shown = run(
        "playlist", "export", session_id, "--listener", person.id, "--format", "csv", "--out", "-"
    ).stdout
    assert shown.startswith("position,track_id,title") and TENSE in shown
    imported = json.loads(
        run("playlist", "import", str(out), "--listener", person.id, "--json").stdout
    )
    assert (imported["matched"], imported["likes"]) == (3, 3)
    error = fails("playlist", "export", session_id, "--listener", person.id, "--format", "pls")
    assert isinstance(error, InputError) and error.field == "--format"


def test_spotify_commands_use_only_settings(
    cli_services: Services, fake: FakeSpotify, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name, value in {
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "API_BASE": fake.api,
        "ACCOUNTS_BASE": fake.base,
    }.items():
        monkeypatch.setenv(f"MOODTUNE_SPOTIFY_{name}", value)
    get_settings.cache_clear()
    found = json.loads(run("spotify", "search", "weightless", "--json").stdout)
    assert found["tracks"][0]["catalog_track_id"] == CALM
    assert run("spotify", "search", "song", "--offset", "5").stdout.count("unknown") >= 5
    shown = run("spotify", "track", f"spotify:track:{TENSE}", "1" * 22).stdout
    assert "Mr. Brightside" in shown and "1 not found on Spotify" in shown
    error = fails("spotify", "import", "--listener", "nobody")
    assert isinstance(error, ConnectorError) and "moodtune spotify login" in str(error)
    assert CLIENT_SECRET not in str(error)
