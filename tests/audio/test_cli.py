"""`moodtune audio scan` and `moodtune audio analyse` through the command line."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from moodtune.cli import app
from moodtune.config import Settings, get_settings


@pytest.fixture
def cli_settings(real_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The CLI sees the worker-wide data dir (the default catalog is built there once)."""
    monkeypatch.setenv("MOODTUNE_DATA_DIR", str(real_settings.data_dir))
    monkeypatch.setenv("MOODTUNE_MIRROR_DIR", str(real_settings.mirror_dir))
    monkeypatch.setenv("MOODTUNE_OFFLINE", "true")
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def test_scan_prints_a_summary_and_names_each_skipped_file(
    audio_files: dict[str, Path], cli_settings: Settings, tmp_path: Path
) -> None:
    music = tmp_path / "Music"
    music.mkdir()
    for name in ("clicks.flac", "drums.wav", "song.m4a"):
        shutil.copy2(audio_files[name], music / name)
    name = f"cli-{tmp_path.name.lower()}"[:60].rstrip("-_")
    result = CliRunner().invoke(
        app, ["audio", "scan", str(music), "--name", name, "--workers", "1"]
    )
    assert result.exit_code == 0, result.output
    compact = "".join(result.output.split())  # Rich wraps long lines, even inside a path
    assert "analysednow" in compact and f"moodtunecataloguse{name}" in compact
    assert "song.m4a:unsupported:MP4/M4A" in compact

    again = CliRunner().invoke(
        app, ["audio", "scan", str(music), "--name", name, "--json"], catch_exceptions=False
    )
    summary = json.loads(again.stdout)
    assert summary["outcome"]["analysed"] == 0 and summary["outcome"]["unchanged"] == 3
    assert summary["usable_tracks"] == 2
    assert [Path(f["path"]).name for f in summary["failed"]] == ["song.m4a"]


def test_analyse_shows_one_files_features_and_mood(audio_files: dict[str, Path]) -> None:
    result = CliRunner().invoke(
        app, ["audio", "analyse", str(audio_files["clicks.flac"]), "--json"]
    )
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["ok"] and abs(found["features"]["tempo_bpm"] - 120) < 2.4
    assert set(found["placement"]) >= {"valence", "arousal", "sd", "uncertain"}
    bad = CliRunner().invoke(app, ["audio", "analyse", str(audio_files["silent.flac"])])
    assert bad.exit_code != 0


def test_scan_progress_shows_files_per_second_an_eta_and_each_skipped_file() -> None:
    from rich.console import Console

    from moodtune.audio.scan import FileAnalysis
    from moodtune.cli.audio import RichScanProgress, scan_progress

    console = Console(record=True, width=160, force_terminal=False)
    clock = [0.0]
    with scan_progress(console, get_time=lambda: clock[0]) as progress:
        shown = RichScanProgress(progress)
        shown.start(10)
        for n in range(4):
            clock[0] += 0.5
            shown.advance(
                FileAnalysis(path=f"/m/{n}.flac", size=1, mtime_ns=1, sha256="x", ok=n != 2,
                             problem=None if n != 2 else "corrupt", reason="bad frames")
            )  # fmt: skip
        console.print(progress.make_tasks_table(progress.tasks))
    text = console.export_text()
    assert "skipped /m/2.flac: corrupt: bad frames" in text
    assert "4/10" in text and "2.0 files/s" in text  # 3 more files in the last 1.5 s
    assert "ETA 0:00:03" in text  # 6 files left at 2 a second
