"""Everything moodtune writes in its data folder is private, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from moodtune.catalog import import_catalog
from moodtune.cli import app
from moodtune.config import Settings
from moodtune.data import load_table
from moodtune.recommend.tracks import TrackIndex
from moodtune.sessions import create_listener
from moodtune.store import dispose_engines, open_database
from moodtune.survey.personas import PersonaModel, load_or_fit_personas
from tests.catalog.fixtures import EXPORTIFY_HEADER, exportify_rows, write_csv
from tests.survey.test_personas import planted_survey


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_every_folder_is_0700_and_every_file_0600_under_umask_022(
    settings: Settings, tmp_path: Path, rng: np.random.Generator, umask_022: None
) -> None:
    assert not settings.data_dir.exists()
    load_table("mxmh_survey", settings=settings)  # dataset copy + Parquet conversion
    source = write_csv(tmp_path / "mine.csv", EXPORTIFY_HEADER, exportify_rows(600, rng))
    catalog = import_catalog(source, name="mine", settings=settings).catalog
    TrackIndex.load_or_build(catalog.tracks, settings=settings)
    frame, _ = planted_survey(rng)
    load_or_fit_personas(frame, settings=settings, model=PersonaModel(stability_seeds=1))
    try:
        engine = open_database(settings)
        create_listener(engine, display_name="Ada")
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
            paths = [settings.data_dir, *settings.data_dir.rglob("*")]
            loose = {
                str(p.relative_to(settings.data_dir)): oct(_mode(p))
                for p in paths
                if _mode(p) != (0o700 if p.is_dir() else 0o600)
            }
    finally:
        dispose_engines()
    assert loose == {}
    names = {p.name for p in paths}
    assert {"moodtune.sqlite3-wal", "index.faiss", "personas.npz", "catalogs.json"} <= names


def test_an_export_is_0600_even_over_an_existing_readable_file(
    settings: Settings, tmp_path: Path, umask_022: None
) -> None:
    try:
        create_listener(open_database(settings), display_name="Ada")
        out = tmp_path / "export.json"
        out.write_text("old")
        os.chmod(out, 0o644)
        result = CliRunner().invoke(app, ["listener", "export", "Ada", "--out", str(out)])
    finally:
        dispose_engines()
    assert result.exit_code == 0, result.output
    assert _mode(out) == 0o600 and '"listener_id"' in out.read_text()
