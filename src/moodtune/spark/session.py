"""The SparkSession the jobs run in: ``local[N]`` on one machine, or the cluster spark-submit set.

Workers must run the same Python as the driver (the one with moodtune, pandas and pyarrow), so
``PYSPARK_PYTHON`` and ``PYSPARK_DRIVER_PYTHON`` default to this interpreter; without that,
Spark starts the system python and its workers fail with ``No module named 'pyarrow'``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from moodtune.errors import MoodtuneError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["SparkUnavailableError", "require_pyspark", "spark_session"]

INSTALL_HINT = 'pip install "moodtune[spark]" (pyspark 4, pandas, pyarrow) and a Java 17+ runtime'


class SparkUnavailableError(MoodtuneError):
    """pyspark (the ``spark`` extra) or its Java runtime is missing."""


def require_pyspark() -> Any:
    """The ``pyspark`` module, or :class:`SparkUnavailableError` saying what to install."""
    try:
        import pyspark
    except ImportError as exc:
        raise SparkUnavailableError(
            f"the Spark jobs need pyspark, which is not installed ({exc}): {INSTALL_HINT}"
        ) from None
    return pyspark


@contextmanager
def spark_session(
    *,
    master: str | None = "local[2]",
    app_name: str = "moodtune",
    config: dict[str, str] | None = None,
) -> Iterator[SparkSession]:
    """A SparkSession for the length of the block, stopped afterwards if this call made it.

    ``master=None`` leaves the master to ``spark-submit`` (a cluster); the web UI is off and
    Arrow is on (``mapInPandas`` and ``toPandas`` move columns, not pickled rows).
    """
    require_pyspark()
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    existing = SparkSession.getActiveSession()
    if existing is not None:
        yield existing
        return
    builder = SparkSession.builder.appName(app_name)
    if master is not None:
        builder = builder.master(master)
    settings = {
        "spark.ui.enabled": "false",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.session.timeZone": "UTC",
        **(config or {}),
    }
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # the JVM failed to start: Java missing or too old
        raise SparkUnavailableError(f"Spark could not start ({exc}): {INSTALL_HINT}") from exc
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()
