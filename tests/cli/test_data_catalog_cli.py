"""`moodtune data info|fetch` and `catalog use` output: compact, no stray lines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from moodtune.cli import app
from moodtune.config import Settings
from moodtune.errors import InputError, NotFoundError

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


def test_catalog_import_errors_name_the_flags_the_library_names_its_parameters(
    settings: Settings, tmp_path: Path, rng: np.random.Generator
) -> None:
    from tests.catalog.fixtures import write_exportify

    first = write_exportify(tmp_path / "a.csv", rng, n=40)
    made = runner.invoke(app, ["catalog", "import", str(first), "--name", "mix"])
    assert made.exit_code == 0, made.output
    again = runner.invoke(app, ["catalog", "import", str(first), "--name", "mix"])
    assert isinstance(again.exception, InputError)
    assert "pass --replace to replace it" in str(again.exception)
    assert "replace=True" not in str(again.exception) and again.exception.field == "--name"

    bad = runner.invoke(app, ["catalog", "import", str(first), "--map", "Song"])
    assert isinstance(bad.exception, InputError) and bad.exception.field == "--map"
    odd = tmp_path / "odd.csv"
    odd.write_text("Titel,Performer\ns,p\n")
    unmapped = runner.invoke(app, ["catalog", "import", str(odd)])
    assert isinstance(unmapped.exception, InputError)
    assert "map them with --map 'FILE COLUMN=FIELD'" in str(unmapped.exception)
    assert "mapping=" not in str(unmapped.exception)


def test_the_error_handler_names_flags_for_library_parameters() -> None:
    from moodtune.cli._common import as_cli_error

    library = InputError(
        "catalog 'x' is registered but its files are missing; import it again with replace=True",
        field="catalog",
        value="x",
    )
    shown = as_cli_error(library, {})
    assert "import it again with --replace" in str(shown) and shown.field == "catalog"
    assert as_cli_error(shown, {}) is shown  # nothing left to translate: the same error
    flagged = as_cli_error(
        InputError("no", field="overwrite", allowed="overwrite=True"), {"overwrite": "--yes"}
    )
    assert (flagged.field, flagged.allowed) == ("--yes", "--yes")
    missing = as_cli_error(NotFoundError("unknown session", field="session"), {"session": "ID"})
    assert isinstance(missing, NotFoundError) and missing.field == "ID"
