from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from moodtune.cli import app
from moodtune.config import Settings
from tests.catalog.fixtures import EXPORTIFY_HEADER, exportify_rows, write_csv, write_exportify

runner = CliRunner()


def test_import_info_use_and_list(
    settings: Settings, tmp_path: Path, rng: np.random.Generator
) -> None:
    path = write_exportify(tmp_path / "Party Mix.csv", rng, n=40)
    result = runner.invoke(app, ["catalog", "import", str(path), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["name"] == "party-mix" and summary["layout"] == "exportify"
    assert summary["tracks"] == 40 and not summary["active"]
    assert runner.invoke(app, ["catalog", "use", "party-mix"]).exit_code == 0
    info = json.loads(runner.invoke(app, ["catalog", "info", "--json"]).stdout)
    assert info["name"] == "party-mix" and info["active"]
    assert info["explicit"]["available"]
    assert info["release_dates"]["year_range"] == [2001, 2019]
    rendered = runner.invoke(app, ["catalog", "info"], env={"COLUMNS": "120"}).stdout
    assert "years 2001–2019" in rendered
    listing = json.loads(runner.invoke(app, ["catalog", "list", "--json"]).stdout)
    assert [r["name"] for r in listing if r["active"]] == ["party-mix"]
    text = runner.invoke(app, ["catalog", "info"])
    assert text.exit_code == 0 and "mood clusters" in text.stdout


def test_bad_file_error_names_row_column_and_value(
    settings: Settings, tmp_path: Path, rng: np.random.Generator
) -> None:
    rows = exportify_rows(30, rng)
    rows[0]["Danceability"] = "lots"
    path = write_csv(tmp_path / "bad.csv", EXPORTIFY_HEADER, rows)
    result = runner.invoke(app, ["catalog", "import", str(path), "--strict"])
    assert result.exit_code != 0
    assert isinstance(result.exception, Exception)
    assert "row 2" in str(result.exception) and "'Danceability'" in str(result.exception)
    assert "'lots' is not a number" in str(result.exception)  # the bad value, strict mode too
    lenient = runner.invoke(app, ["catalog", "import", str(path)])
    assert lenient.exit_code == 0, lenient.output
    assert "Danceability" in lenient.stdout and "'lots'" in lenient.stdout
