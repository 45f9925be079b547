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
from moodtune.spark.cf import PLAYS_COLUMNS, export_plays
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
