"""The in-process annotation in bounded memory equals the whole-table one, row for row."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from moodtune.catalog.schema import validate_tracks
from moodtune.config import Settings
from moodtune.errors import InputError
from moodtune.spark.batches import ARRAY_COLUMNS, annotate_in_process, annotate_parquet_in_process
from tests.spark.fixtures import write_parts


@pytest.fixture(scope="module")
def sample(real_settings: Settings) -> pd.DataFrame:
    """1,500 rows of the default catalog's track table and every row it excludes, in order."""
    from moodtune.catalog import load_catalog

    base = pd.read_parquet(load_catalog(real_settings).base_dir / "tracks.parquet")
    excluded = ~validate_tracks(base)["usable"].to_numpy(dtype=bool)
    keep = excluded.copy()
    keep[:1500] = True
    assert excluded.sum() == 6
    return base.loc[keep].reset_index(drop=True)


def test_batches_over_parts_give_the_whole_tables_annotation(
    sample: pd.DataFrame, tmp_path: Path
) -> None:
    expected, state = annotate_in_process(sample)
    source = write_parts(sample, tmp_path / "in", parts=3)
    out = tmp_path / "annotated.parquet"
    rows, streamed_state = annotate_parquet_in_process(source, out, batch_rows=211)
    got = pd.read_parquet(out)
    assert rows == len(sample) == len(got)
    assert streamed_state.fit_rows == state.fit_rows == len(sample) - 6
    assert streamed_state.describe() == state.describe()
    flat = [c for c in expected.columns if c not in ARRAY_COLUMNS]
    assert list(got.columns) == list(expected.columns)

    def values(frame: pd.DataFrame) -> pd.DataFrame:  # one missing marker whatever the dtype
        plain = frame[flat].reset_index(drop=True).astype(object)
        return plain.where(plain.notna(), None)

    pd.testing.assert_frame_equal(values(got), values(expected))
    for column in ARRAY_COLUMNS:
        np.testing.assert_array_equal(
            np.stack(list(got[column])), np.stack(list(expected[column])), err_msg=column
        )
    assert not list(tmp_path.glob(".*partial"))  # the staged file was renamed into place


def test_an_empty_folder_and_a_bad_batch_size_are_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no .parquet files"):
        annotate_parquet_in_process(tmp_path / "empty", tmp_path / "out.parquet")
    with pytest.raises(InputError, match="batch_rows"):
        annotate_parquet_in_process(tmp_path / "empty", tmp_path / "out.parquet", batch_rows=0)
    assert not (tmp_path / "out.parquet").exists()
