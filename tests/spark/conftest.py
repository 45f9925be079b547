"""One SparkSession (``local[2]``, no UI) for every Spark test, all on one xdist worker.

Spark starts in a few seconds and holds a JVM: the tests share it (``--dist loadgroup`` sends
the group ``spark`` to one worker) and it is stopped when the session ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest

from moodtune.config import Settings
from tests.spark.fixtures import write_parts

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every Spark test goes to one xdist worker (``--dist loadgroup``): one JVM start."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.xdist_group("spark"))


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    pytest.importorskip("pyspark")
    from moodtune.spark.session import spark_session

    with spark_session(
        master="local[2]",
        app_name="moodtune-tests",
        config={"spark.sql.shuffle.partitions": "4", "spark.default.parallelism": "2"},
    ) as session:
        yield session


@pytest.fixture(scope="session")
def default_annotated(
    spark: SparkSession, real_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> tuple[pd.DataFrame, str]:
    """The default catalog's stored track table, in three part files, annotated by Spark:
    the rows in catalog order and the output folder."""
    from moodtune.catalog import load_catalog
    from moodtune.spark.annotate import annotate_catalog

    catalog = load_catalog(real_settings)
    base = pd.read_parquet(catalog.base_dir / "tracks.parquet")
    root = tmp_path_factory.mktemp("spark-default")
    source = write_parts(base, root / "catalog", parts=3)
    out = str(root / "annotated")
    annotate_catalog(spark, str(source), out, random_state=real_settings.random_state)
    annotated = pd.read_parquet(out).sort_values(["source_file", "source_row"], kind="stable")
    return annotated.reset_index(drop=True), out
