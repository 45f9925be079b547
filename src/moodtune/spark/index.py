"""``moodtune spark index``: the serving index of an annotated catalog, built without holding it.

Spark counts the indexable rows (usable, with a mood position) and draws the training sample
by a hash of the track id (the same rows however the catalog is partitioned); the index is
then filled part file by part file, in the annotated catalog's order (part files by name,
rows in file order), streaming each file's ``track_id`` and ``similarity_vector`` columns with
pyarrow — at most one record batch in memory. See :mod:`moodtune.recommend.serving_index` for
the index itself and how the serving side maps it. The folder is written beside ``out`` and
renamed into place when complete.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from moodtune.errors import InputError
from moodtune.recommend.serving_index import IndexBuildReport, build_serving_index

if TYPE_CHECKING:
    from pyspark.sql import Column, SparkSession

__all__ = ["DEFAULT_TRAIN_ROWS", "build_index", "part_files"]

#: faiss wants 39-256 training vectors per cell; 200 k covers 4 k cells well within that.
DEFAULT_TRAIN_ROWS = 200_000
_BATCH_ROWS = 65_536


def _indexable() -> Column:
    """Usable rows with a mood position (as :func:`moodtune.recommend.tracks.indexable_rows`)."""
    from pyspark.sql import functions as F

    return (
        F.coalesce(F.col("usable"), F.lit(False))
        & ~F.isnan(F.col("mood_valence"))
        & ~F.isnan(F.col("mood_arousal"))
        & F.col("mood_valence").isNotNull()
        & F.col("mood_arousal").isNotNull()
    )


def part_files(annotated: str | Path) -> list[Path]:
    """The Parquet part files of a local annotated catalog, by name (Spark's partition order)."""
    folder = Path(str(annotated).removeprefix("file:"))
    files = sorted(p for p in folder.glob("*.parquet") if not p.name.startswith(("_", ".")))
    if not files:
        raise InputError("no Parquet part files: not an annotated catalog", file=str(folder))
    return files


def _stream(files: list[Path]) -> Iterator[tuple[list[str], np.ndarray]]:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    columns = ["track_id", "usable", "mood_valence", "mood_arousal", "similarity_vector"]
    for path in files:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=_BATCH_ROWS, columns=columns):
            keep = pc.and_(
                pc.fill_null(batch.column("usable"), False),
                pc.and_(
                    pc.is_finite(pc.fill_null(batch.column("mood_valence"), float("nan"))),
                    pc.is_finite(pc.fill_null(batch.column("mood_arousal"), float("nan"))),
                ),
            )
            chosen = batch.filter(keep)
            if chosen.num_rows == 0:
                continue
            vectors = chosen.column("similarity_vector").flatten().to_numpy(zero_copy_only=False)
            yield (
                chosen.column("track_id").to_pylist(),
                np.asarray(vectors, dtype=np.float32).reshape(chosen.num_rows, -1),
            )


def build_index(
    spark: SparkSession,
    annotated: str,
    out: str,
    *,
    nlist: int | None = None,
    train_rows: int = DEFAULT_TRAIN_ROWS,
    target_recall: float = 0.95,
    replace: bool = False,
) -> IndexBuildReport:
    """Build the serving index of the annotated catalog at ``annotated`` into ``out``."""
    from pyspark.sql import functions as F

    from moodtune.spark.annotate import read_annotation_meta

    meta = read_annotation_meta(annotated)
    target = Path(out)
    if target.exists() and not replace:
        raise InputError(f"{out} already exists", field="replace", value=out)
    files = part_files(annotated)
    frame = spark.read.parquet(annotated).where(_indexable())
    total = frame.count()
    if total == 0:
        raise InputError("the annotated catalog has no indexable tracks", file=annotated)
    buckets = 1_000_000
    keep = max(1, int(buckets * min(1.0, train_rows / total)))
    sample = (
        frame.where(F.pmod(F.xxhash64("track_id"), F.lit(buckets)) < keep)
        .select("similarity_vector")
        .toPandas()
    )
    train = np.stack(list(sample["similarity_vector"])).astype(np.float32)
    staged = target.parent / f".{target.name}.tmp-{uuid.uuid4().hex[:12]}"
    try:
        report = build_serving_index(
            staged,
            train_vectors=train,
            batches=_stream(files),
            total=total,
            nlist=nlist,
            target_recall=target_recall,
            meta={
                "source": annotated,
                "similarity_scaler": meta["similarity_scaler"],
                "cluster_names": meta["cluster_names"],
            },
        )
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    if target.exists():
        old = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:12]}"
        target.rename(old)
        staged.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        staged.rename(target)
    return report
