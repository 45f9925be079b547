"""A batch that fails names its partition, file and row; the output is never half-written."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest

from moodtune.errors import InputError
from moodtune.spark.partitions import (
    PartitionFailure,
    committed_output,
    guarded,
    locate_failure,
    raise_partition_failure,
)
from moodtune.spark.session import SparkUnavailableError, require_pyspark

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def _refuse_bad(batch: pd.DataFrame) -> pd.DataFrame:
    if (batch["track_id"] == "bad").any():
        raise ValueError("tempo is a word")
    return batch


def _write_committed(spark: SparkSession, frame: DataFrame, out: Path) -> None:
    with committed_output(spark, str(out)) as staged:
        mapped = frame.mapInPandas(
            guarded(_refuse_bad), schema="track_id string, source_file string, source_row bigint"
        )
        try:
            mapped.write.parquet(staged)
        except Exception as exc:
            raise_partition_failure(exc)
            raise


def test_locate_failure_finds_the_row() -> None:
    batch = pd.DataFrame(
        {"track_id": ["a", "bad", "c"], "source_file": "f.parquet", "source_row": [0, 1, 2]}
    )
    failure = locate_failure(_refuse_bad, batch, partition=3, error=ValueError("x"))
    assert failure == PartitionFailure(3, "f.parquet", 1, "bad", "ValueError: tempo is a word")
    error = failure.as_input_error()
    assert (
        str(error) == "file f.parquet, row 2: partition 3, track 'bad': ValueError: tempo is a word"
    )


def test_a_failing_partition_is_reported_and_nothing_is_committed(
    spark: SparkSession, tmp_path: Path
) -> None:
    from pyspark.sql import functions as F

    rows = pd.DataFrame({"track_id": [f"t{i}" for i in range(40)]})
    rows.loc[27, "track_id"] = "bad"
    source = tmp_path / "in.parquet"
    rows.to_parquet(source, index=False)
    frame = (
        spark.read.parquet(str(source))
        .select(
            "track_id",
            F.col("_metadata.file_path").alias("source_file"),
            F.col("_metadata.row_index").alias("source_row"),
        )
        .repartition(3, "track_id")
    )
    out = tmp_path / "out"
    with pytest.raises(InputError) as caught:
        _write_committed(spark, frame, out)
    error = caught.value
    assert error.row == 28 and error.file is not None and error.file.endswith("in.parquet")
    assert "track 'bad'" in str(error) and "partition " in str(error)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["in.parquet"]  # no temporary left behind


def test_missing_pyspark_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)
    with pytest.raises(SparkUnavailableError, match=r'pip install "moodtune\[spark\]"'):
        require_pyspark()
