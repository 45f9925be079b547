"""`moodtune mood fit|evaluate` on the real registry data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from moodtune.cli import app
from moodtune.config import Settings, get_settings
from moodtune.mood.fitted import default_model_path, same_model_json

runner = CliRunner()


@pytest.fixture
def real_env(real_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("MOODTUNE_DATA_DIR", str(real_settings.data_dir))
    monkeypatch.setenv("MOODTUNE_MIRROR_DIR", str(real_settings.mirror_dir))
    monkeypatch.setenv("MOODTUNE_OFFLINE", "true")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.slow
@pytest.mark.usefixtures("real_env")
def test_mood_fit_writes_the_shipped_file_again(tmp_path: Path) -> None:
    out = tmp_path / "model.json"
    result = runner.invoke(app, ["mood", "fit", "--out", str(out)])
    assert result.exit_code == 0, result.output
    # the same model up to the last digits numpy and BLAS builds round differently
    assert same_model_json(out.read_text(), default_model_path().read_text())
    check = runner.invoke(app, ["mood", "fit", "--check"])
    assert check.exit_code == 0 and "identical" in check.stdout


def test_model_files_compare_equal_up_to_rounding_only() -> None:
    shipped = default_model_path().read_text()
    data = json.loads(shipped)
    nudged = json.loads(shipped)
    nudged["alpha"][0] *= 1 + 1e-12  # one ulp or so: equal
    assert same_model_json(shipped, json.dumps(nudged))
    nudged["alpha"][0] = data["alpha"][0] * (1 + 1e-6)  # a real change
    assert not same_model_json(shipped, json.dumps(nudged))
    other = json.loads(shipped)
    other["terms"] = other["terms"][:-1]
    assert not same_model_json(shipped, json.dumps(other))


@pytest.mark.slow
@pytest.mark.usefixtures("real_env")
def test_mood_evaluate_json_has_the_baselines_and_the_transfer_rows() -> None:
    result = runner.invoke(app, ["mood", "evaluate", "--json", "--repeats", "1"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["join"]["matched_songs"] == 260
    rows = {r["model"]: r for r in report["comparison"]["rows"]}
    assert rows["Spotify valence / energy"]["baseline"]
    shipped = rows["residual on prior, spread matched (shipped)"]
    spotify = rows["Spotify valence / energy"]
    assert shipped["valence_spearman"] > spotify["valence_spearman"]
    assert shipped["arousal_ccc"] > spotify["arousal_ccc"]
    assert not any(r["worse_beyond_noise"] for r in report["transfer"])
    assert {r["grouping"] for r in report["transfer"]} == {"genre", "release period"}
