"""Running a per-batch function over partitions, and committing a job's output all at once.

* :func:`guarded` wraps a pandas-batch function for ``mapInPandas``: when it raises, the task
  re-runs the batch row by row to find the first row that fails and raises an error naming
  the partition, the input file, the row and the track. :func:`raise_partition_failure` turns
  that back into an :class:`~moodtune.errors.InputError` on the driver.
* :func:`committed_output` gives the job a temporary path beside the output and renames it
  into place only when the whole job succeeded (through Hadoop's ``FileSystem``, so the same
  code commits on a local disk, HDFS or an object store): a failed job leaves nothing behind.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from moodtune.errors import InputError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = [
    "FAILURE_MARKER",
    "PartitionFailure",
    "committed_output",
    "guarded",
    "hadoop_filesystem",
    "locate_failure",
    "raise_partition_failure",
    "write_text",
]

FAILURE_MARKER = "moodtune-partition-failure:"
#: A failing batch is re-run row by row over at most this many rows to find the culprit.
MAX_ROWS_SEARCHED = 100_000

BatchFunction = Callable[[pd.DataFrame], pd.DataFrame]


@dataclass(frozen=True)
class PartitionFailure:
    """Where a batch function failed: partition, input file and 0-based row, track, error."""

    partition: int
    file: str | None
    row: int | None
    track_id: str | None
    error: str

    def to_json(self) -> str:
        return json.dumps(self.__dict__)

    def as_input_error(self) -> InputError:
        where = f"partition {self.partition}"
        if self.track_id is not None:
            where += f", track {self.track_id!r}"
        return InputError(
            f"{where}: {self.error}",
            file=self.file,
            row=None if self.row is None else self.row + 1,
        )


def locate_failure(
    function: BatchFunction, batch: pd.DataFrame, *, partition: int, error: BaseException
) -> PartitionFailure:
    """The first row of ``batch`` on which ``function`` alone fails (or the batch's error)."""
    for position in range(min(len(batch), MAX_ROWS_SEARCHED)):
        one = batch.iloc[[position]]
        try:
            function(one)
        except Exception as exc:
            return PartitionFailure(
                partition=partition,
                file=_cell(one, "source_file"),
                row=None if _cell(one, "source_row") is None else int(one["source_row"].iloc[0]),
                track_id=_cell(one, "track_id"),
                error=f"{type(exc).__name__}: {exc}",
            )
    return PartitionFailure(
        partition=partition,
        file=None,
        row=None,
        track_id=None,
        error=f"{type(error).__name__}: {error}",
    )


def _cell(frame: pd.DataFrame, column: str) -> str | None:
    if column not in frame.columns:
        return None
    value = frame[column].iloc[0]
    return None if value is None or (isinstance(value, float) and value != value) else str(value)


def guarded(function: BatchFunction) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    """``function`` over ``mapInPandas`` batches; a failure names its partition and row."""

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        from pyspark import TaskContext

        context = TaskContext.get()
        partition = context.partitionId() if context is not None else -1
        for batch in batches:
            try:
                result = function(batch)
            except Exception as exc:
                failure = locate_failure(function, batch, partition=partition, error=exc)
                raise RuntimeError(FAILURE_MARKER + failure.to_json()) from exc
            yield result

    return run


def raise_partition_failure(exc: BaseException) -> None:
    """Re-raise a job's failure as the ``InputError`` a :func:`guarded` task reported, if any."""
    text = str(exc)
    start = text.find(FAILURE_MARKER)
    if start < 0:
        return
    payload = text[start + len(FAILURE_MARKER) :]
    try:
        data, _ = json.JSONDecoder().raw_decode(payload)
    except ValueError:
        return
    raise PartitionFailure(**data).as_input_error() from None


def hadoop_filesystem(spark: SparkSession, path: str) -> tuple[Any, Any]:
    """Hadoop's ``FileSystem`` for ``path`` (local, HDFS, S3...) and the path as a Hadoop Path."""
    jvm: Any = spark.sparkContext._jvm
    hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    return hadoop_path.getFileSystem(conf), hadoop_path


def write_text(spark: SparkSession, path: str, text: str) -> None:
    """Write a small UTF-8 file (a job's metadata) on whatever filesystem ``path`` is on."""
    fs, hadoop_path = hadoop_filesystem(spark, path)
    stream = fs.create(hadoop_path, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()


@contextmanager
def committed_output(spark: SparkSession, out: str, *, replace: bool = False) -> Iterator[str]:
    """A temporary path to write ``out`` into, renamed to ``out`` when the block succeeds.

    An existing ``out`` is refused unless ``replace``; then it is swapped out only after the
    new output is complete. On any failure the temporary path is deleted.
    """
    fs, target = hadoop_filesystem(spark, out)
    if fs.exists(target) and not replace:
        raise InputError(
            f"{out} already exists", field="replace", value=out, allowed="a new path, or replace"
        )
    parent = target.getParent()
    token = uuid.uuid4().hex[:12]
    jvm: Any = spark.sparkContext._jvm
    temporary = jvm.org.apache.hadoop.fs.Path(parent, f".{target.getName()}.tmp-{token}")
    try:
        yield str(temporary.toString())
    except BaseException:
        fs.delete(temporary, True)
        raise
    if fs.exists(target):
        old = jvm.org.apache.hadoop.fs.Path(parent, f".{target.getName()}.old-{token}")
        if not fs.rename(target, old):
            fs.delete(temporary, True)
            raise InputError(f"could not move the old {out} aside", field="out", value=out)
        fs.rename(temporary, target)
        fs.delete(old, True)
    elif not fs.rename(temporary, target):
        fs.delete(temporary, True)
        raise InputError(f"could not commit the output to {out}", field="out", value=out)
