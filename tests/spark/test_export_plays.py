"""`moodtune spark export-plays`: the consenting listeners' plays, numbered, written whole."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from moodtune.cli import app
from moodtune.config import Settings
from moodtune.errors import InputError
from moodtune.sessions import create_listener, record_feedback
from moodtune.spark.cf import PLAYS_COLUMNS, export_plays, plays_from_database
from moodtune.store.engine import open_database
from tests.sessions.factories import day, session


def _population(settings: Settings) -> tuple[str, str]:
    engine = open_database(settings)
    yes = create_listener(engine, consent_learning=True)
    no = create_listener(engine, consent_learning=False)
    second = session(engine, yes.id, at=day(2))  # started later: session 2
    first = session(engine, yes.id, at=day(1))
    record_feedback(engine, first.session.id, "trk-1", played=True, thumbs=1, at=day(1, 10))
    record_feedback(
        engine, first.session.id, "trk-2", played=True, skipped_after_s=12.0, thumbs=-1,
        at=day(1, 10),
    )  # fmt: skip
    record_feedback(engine, second.session.id, "trk-3", thumbs=1, at=day(2, 10))
    hidden = session(engine, no.id, at=day(1))
    record_feedback(engine, hidden.session.id, "trk-1", played=True, at=day(1, 10))
    return yes.id, no.id


def test_export_writes_only_consenting_plays_with_sessions_in_start_order(
    settings: Settings, tmp_path: Path
) -> None:
    yes, _ = _population(settings)
    out = tmp_path / "plays.parquet"
    done = export_plays(str(out), settings=settings)
    assert (done.plays, done.listeners, done.out) == (3, 1, str(out))
    plays = pd.read_parquet(out)
    assert list(plays.columns) == list(PLAYS_COLUMNS)
    got = {
        (r["listener"], r["track"], int(r["session"]), bool(r["accepted"]), int(r["thumbs"]))
        for r in plays.to_dict("records")
    }
    assert got == {
        (yes, "trk-1", 1, True, 1),  # played to the end
        (yes, "trk-2", 1, False, -1),  # skipped after 12 s
        (yes, "trk-3", 2, False, 1),  # rated, never played
    }
    assert oct(out.stat().st_mode & 0o777) == "0o600"  # listening data stays private

    with pytest.raises(InputError, match="already exists") as refused:
        export_plays(str(out), settings=settings)
    assert refused.value.field == "replace"
    assert export_plays(str(out), settings=settings, replace=True).plays == 3
    assert [p.name for p in tmp_path.glob("*plays*")] == ["plays.parquet"]  # no temporary left


def test_the_cli_names_its_flag_when_the_file_exists(settings: Settings, tmp_path: Path) -> None:
    _population(settings)
    out = tmp_path / "plays.parquet"
    first = CliRunner().invoke(app, ["spark", "export-plays", "--out", str(out)])
    assert first.exit_code == 0, first.output
    assert "3 plays of 1 listeners" in " ".join(first.output.split())
    again = CliRunner().invoke(app, ["spark", "export-plays", "--out", str(out)])
    assert isinstance(again.exception, InputError) and again.exception.field == "--replace"
    missing = CliRunner().invoke(app, ["spark", "export-plays", "--out", str(tmp_path / "no/x")])
    assert isinstance(missing.exception, InputError) and missing.exception.field == "--out"
    assert "does not exist" in str(missing.exception)


def test_imported_listening_comes_first_once_per_track_and_only_with_consent(
    settings: Settings,
) -> None:
    from moodtune.sessions import set_consent
    from moodtune.sessions.listening import ListeningEvent, record_listening

    yes, no = _population(settings)
    engine = open_database(settings)
    heard = [
        ListeningEvent("lastfm", "play", "trk-1", "title_artist", played_at=day(0, h))
        for h in (8, 9, 10)  # three plays of one track: one row
    ] + [
        ListeningEvent("spotify-extended-history", "skip", "trk-9", "spotify_id",
                       played_at=day(0, h), ms_played=4_000)
        for h in (11, 12)
    ] + [ListeningEvent("spotify-extended-history", "play", "trk-9", "spotify_id",
                        played_at=day(0, 13), ms_played=200_000)]  # fmt: skip
    record_listening(engine, yes, heard)
    record_listening(engine, no, heard)  # no consent: none of it is exported
    only_history = create_listener(engine, consent_learning=True).id
    record_listening(engine, only_history, heard[:1])

    plays = plays_from_database(settings)
    got = {
        (r["listener"], r["track"], int(r["session"]), bool(r["accepted"]))
        for r in plays.to_dict("records")
    }
    assert got == {
        (yes, "trk-1", 1, True),  # imported: played more than skipped
        (yes, "trk-9", 1, False),  # imported: two skips, one play
        (yes, "trk-1", 2, True),  # the moodtune sessions follow, from 2
        (yes, "trk-2", 2, False),
        (yes, "trk-3", 3, False),
        (only_history, "trk-1", 1, True),
    }
    assert plays["thumbs"].isna().sum() == 3  # imported plays carry no thumbs
    set_consent(engine, yes, learning=False)
    assert set(plays_from_database(settings)["listener"]) == {only_history}
