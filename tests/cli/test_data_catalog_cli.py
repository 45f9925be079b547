"""`moodtune data info|fetch` and `catalog use` output: compact, no stray lines."""

from __future__ import annotations

from typer.testing import CliRunner

from moodtune.cli import app
from moodtune.config import Settings

runner = CliRunner()


def test_data_info_is_one_line_per_dataset_at_80_columns(settings: Settings) -> None:
    result = runner.invoke(app, ["data", "info", "mxmh_survey"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if "mxmh_survey " in line]
    assert len(rows) == 1  # the table row (the description line starts "mxmh_survey:")
    assert " no " in rows[0] and "mirror mxmh_survey_results.csv" in rows[0]
    assert all(len(line) <= 80 for line in result.stdout.splitlines())


def test_data_fetch_prints_no_blank_lines(settings: Settings) -> None:
    result = runner.invoke(app, ["data", "fetch", "mxmh_survey"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("ok mxmh_survey: ")


def test_catalog_use_help_names_only_real_consumers() -> None:
    result = runner.invoke(app, ["catalog", "use", "--help"])
    assert "web app" not in result.stdout
