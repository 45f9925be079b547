"""Damaged cached artefacts: each is rebuilt with a note, or refused with a precise message.

Every derived file of a catalog and of the track index is damaged four ways (cut short,
overwritten with garbage, replaced by a valid file of another format, emptied) and deleted;
loading must give back the same catalog and say what was rebuilt. An imported catalog's own
table is its source: damaging it gives an error naming the file, the check and the remedy.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from moodtune.artefacts import MANIFEST_NAME, DamagedFileError
from moodtune.catalog import import_catalog, load_catalog, loader
from moodtune.catalog.store import catalog_root
from moodtune.config import Settings
from moodtune.recommend.tracks import TrackIndex
from tests.catalog.fixtures import EXPORTIFY_HEADER, exportify_rows, write_csv

NAME = "big"


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: max(1, path.stat().st_size // 2)])


def _garbage(path: Path) -> None:
    path.write_bytes(os.urandom(max(64, path.stat().st_size)))


def _wrong_format(path: Path) -> None:
    """A valid file of the same kind but the wrong content (e.g. another array shape)."""
    if path.suffix == ".npy":
        np.save(path, np.zeros((3, 2), dtype=np.float32))
    elif path.suffix == ".parquet":
        pd.DataFrame({"x": [1, 2, 3]}).to_parquet(path)
    elif path.suffix == ".json":
        path.write_text(json.dumps(["not", "this"]))
    else:
        np.save(path.with_suffix(".npy"), np.zeros(4))
        os.replace(path.with_suffix(".npy"), path)


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _delete(path: Path) -> None:
    path.unlink()


DAMAGES: dict[str, Callable[[Path], None]] = {
    "truncate": _truncate,
    "garbage": _garbage,
    "wrong-format": _wrong_format,
    "empty": _empty,
    "delete": _delete,
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, mirror_dir: Path) -> tuple[Path, Path]:
    """A data folder holding an imported 600-track catalog (fits its own models) and the CSV."""
    root = tmp_path_factory.mktemp("corruption")
    source = write_csv(
        root / "big.csv", EXPORTIFY_HEADER, exportify_rows(600, np.random.default_rng(7))
    )
    settings = Settings(data_dir=root / "data", mirror_dir=mirror_dir, offline=True)
    result = import_catalog(source, name=NAME, settings=settings)
    TrackIndex.load_or_build(result.catalog.tracks, settings=settings)
    return root / "data", source


@pytest.fixture
def copy(built: tuple[Path, Path], tmp_path: Path, mirror_dir: Path) -> Iterator[Settings]:
    """Settings over a private copy of the built data folder (and no in-process cache)."""
    shutil.copytree(built[0], tmp_path / "data")
    loader._LOADED.clear()
    yield Settings(data_dir=tmp_path / "data", mirror_dir=mirror_dir, offline=True)
    loader._LOADED.clear()


def _base_dir(settings: Settings) -> Path:
    (base,) = [p for p in (catalog_root(settings) / NAME).iterdir() if not p.name.startswith(".")]
    return base


def _derived_dir(settings: Settings) -> Path:
    (derived,) = _base_dir(settings).glob("derived-*")
    return derived


def _index_dir(settings: Settings) -> Path:
    root = settings.parquet_dir / "track_index"
    (folder,) = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return folder


@pytest.mark.parametrize("damage", DAMAGES)
@pytest.mark.parametrize(
    "name", ["mood.parquet", "mood_proba.npy", "scaled_features.npy", "meta.json", MANIFEST_NAME]
)
def test_a_damaged_derived_file_is_rebuilt_with_a_note(
    copy: Settings, name: str, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    before = load_catalog(copy, name=NAME)
    loader._LOADED.clear()
    target = _derived_dir(copy) / name
    DAMAGES[damage](target)
    with caplog.at_level(logging.WARNING, logger="moodtune.artefacts"):
        after = load_catalog(copy, name=NAME)
    notes = [r.getMessage() for r in caplog.records if r.name == "moodtune.artefacts"]
    assert len(notes) == 1, notes
    assert "rebuilt the mood tables of catalog 'big'" in notes[0]
    assert name in notes[0]  # which file, and which check failed
    assert any(word in notes[0] for word in ("missing", "size check", "sha256", "manifest"))
    pd.testing.assert_frame_equal(after.tracks, before.tracks)
    np.testing.assert_array_equal(after.mood_cluster_proba, before.mood_cluster_proba)
    np.testing.assert_array_equal(after.scaled_features, before.scaled_features)
    caplog.clear()
    loader._LOADED.clear()
    with caplog.at_level(logging.WARNING, logger="moodtune.artefacts"):
        load_catalog(copy, name=NAME)  # healed: loads without another rebuild
    assert not caplog.records


@pytest.mark.parametrize("damage", DAMAGES)
@pytest.mark.parametrize("name", ["tracks.parquet", "source.json"])
def test_a_damaged_imported_table_is_refused_with_file_check_and_remedy(
    copy: Settings, built: tuple[Path, Path], name: str, damage: str
) -> None:
    DAMAGES[damage](_base_dir(copy) / name)
    with pytest.raises(DamagedFileError) as caught:
        load_catalog(copy, name=NAME)
    message = str(caught.value)
    assert str(_base_dir(copy) / name) in message
    assert "damaged" in message and "import it again from" in message
    assert str(built[1]) in message
    # Importing the same file again heals it (its source is at hand).
    import_catalog(built[1], name=NAME, replace=True, settings=copy)
    loader._LOADED.clear()
    assert len(load_catalog(copy, name=NAME).tracks) == 600


@pytest.mark.parametrize("damage", DAMAGES)
@pytest.mark.parametrize("name", ["index.faiss", "meta.json", MANIFEST_NAME])
def test_a_damaged_track_index_is_rebuilt_with_a_note(
    copy: Settings, name: str, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    tracks = load_catalog(copy, name=NAME).tracks
    folder = _index_dir(copy)
    DAMAGES[damage](folder / name)
    with caplog.at_level(logging.WARNING, logger="moodtune.artefacts"):
        index = TrackIndex.load_or_build(tracks, settings=copy)
    notes = [r.getMessage() for r in caplog.records if r.name == "moodtune.artefacts"]
    assert len(notes) == 1 and "rebuilt the track index" in notes[0] and name in notes[0]
    rows, _ = index.similar_rows(int(index.usable_rows_[0]), k=5)
    assert len(rows) == 5
    TrackIndex.load(folder, tracks)  # the healed copy on disk passes its checks


def test_the_cli_says_what_it_rebuilt_on_stderr_and_no_traceback(copy: Settings) -> None:
    _truncate(_derived_dir(copy) / "mood_proba.npy")
    env = {
        **os.environ,
        "MOODTUNE_DATA_DIR": str(copy.data_dir),
        "MOODTUNE_MIRROR_DIR": str(copy.mirror_dir),
        "MOODTUNE_OFFLINE": "true",
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    code = "from moodtune.cli import main; main()"
    done = subprocess.run(
        [sys.executable, "-c", code, "catalog", "info", NAME],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "rebuilt the mood tables of catalog 'big'" in done.stderr
    assert "mood_proba.npy" in done.stderr and "size check failed" in done.stderr


@pytest.mark.slow
def test_a_damaged_default_catalog_table_is_rebuilt_from_the_dataset(
    real_settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    load_catalog(real_settings)  # make sure the shared cache holds the default catalog
    settings = Settings(
        data_dir=tmp_path / "data", mirror_dir=real_settings.mirror_dir, offline=True
    )
    shutil.copytree(
        real_settings.data_dir, settings.data_dir, ignore=shutil.ignore_patterns("*.lock")
    )
    base = loader._default_base_dir(settings)
    _garbage(base / "tracks.parquet")
    loader._LOADED.clear()
    try:
        with caplog.at_level(logging.WARNING, logger="moodtune.artefacts"):
            catalog = load_catalog(settings)
    finally:
        loader._LOADED.clear()
    notes = [r.getMessage() for r in caplog.records if r.name == "moodtune.artefacts"]
    assert any("track table of catalog 'spotify_songs'" in n and "sha256" in n for n in notes)
    assert len(catalog.tracks) > 20_000
