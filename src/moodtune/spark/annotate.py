"""``moodtune spark annotate``: a catalog of any size validated, placed, clustered and scaled.

Two passes over the input, both ``mapInPandas`` over the functions of
:mod:`moodtune.spark.batches` (the library's own code):

1. every batch is validated and placed on the mood plane; the usable rows' features and
   positions come back to the driver, sorted into catalog order (input file, row in file);
2. the driver fits the fitted state once — mood clusters, the catalog's feature scaler, the
   track index's scaler — exactly as the in-process catalog build does, broadcasts it, and the
   second pass annotates every batch with it and writes partitioned Parquet.

The output (``ANNOTATED_COLUMNS``: the catalog's columns, its mood columns, the per-row cluster
probabilities, z-scores and similarity vector, and where each row came from) is written to a
temporary path and renamed into place when complete, with ``_moodtune_annotation.json`` (the
fitted state's description and both scalers: what ``moodtune spark index`` and the serving side
read). Beyond ``max_fit_rows`` usable rows the state is fitted on a subset chosen by a hash of
the track id — the same rows however the catalog is partitioned.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from moodtune.catalog.schema import AUDIO_FEATURES, BASE_COLUMNS
from moodtune.errors import InputError
from moodtune.spark.batches import (
    ANNOTATED_COLUMNS,
    ANNOTATED_TYPES,
    BASE_TYPES,
    FIT_COLUMNS,
    ORDER_COLUMNS,
    AnnotationState,
    annotate_batch,
    fit_annotation_state,
    place_batch,
)
from moodtune.spark.partitions import (
    committed_output,
    guarded,
    raise_partition_failure,
    write_text,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = [
    "ANNOTATION_FILE",
    "ANNOTATION_FORMAT",
    "DEFAULT_MAX_FIT_ROWS",
    "AnnotateResult",
    "annotate_catalog",
    "read_annotation_meta",
]

ANNOTATION_FILE = "_moodtune_annotation.json"
ANNOTATION_FORMAT = 1
#: Above this many input rows the fitted state is fitted on a hash-chosen subset of about
#: this many (the clusters' own fit samples 6000 of them; the scalers' means settle long before).
DEFAULT_MAX_FIT_ROWS = 2_000_000
#: Columns a job may find missing: they are what validation itself produces.
_OPTIONAL = {"usable": "boolean", "exclusion_reason": "string", "synthetic": "boolean"}

# What the input is cast to before the batches see it: numbers as double (validation makes
# popularity and duration whole), so a text column of numbers is read as the importer reads it.
_INPUT_TYPES: dict[str, str] = {**BASE_TYPES, "popularity": "double", "duration_ms": "double"}


#: What pass 1 needs: the columns validation reads, the track id and the carried reason.
PASS_ONE_COLUMNS: tuple[str, ...] = (
    "track_id",
    "name",
    "artists",
    "popularity",
    "duration_ms",
    *AUDIO_FEATURES,
    "usable",
    "exclusion_reason",
)


def _ddl(columns: tuple[str, ...], types: dict[str, str]) -> str:
    return ", ".join(f"`{c}` {types[c]}" for c in columns)


@dataclass(frozen=True)
class AnnotateResult:
    """What one run wrote: row counts, exclusions by reason, the fitted state, timings."""

    out: str
    rows: int
    usable_rows: int
    excluded_by_reason: dict[str, int]
    fit_rows: int
    cluster_names: tuple[str, ...]
    partitions: int
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "cluster_names": list(self.cluster_names)}


def _read_catalog(spark: SparkSession, catalog: str) -> DataFrame:
    """The input with canonical column types and its order columns (file, row in file)."""
    from pyspark.sql import functions as F

    frame = spark.read.parquet(catalog)
    missing = [c for c in BASE_COLUMNS if c not in frame.columns and c not in _OPTIONAL]
    if missing:
        raise InputError(
            f"not a catalog in moodtune's column layout: column(s) {missing} missing",
            file=catalog,
            field=", ".join(missing),
            allowed=", ".join(BASE_COLUMNS),
        )
    columns = []
    for column in BASE_COLUMNS:
        kind = _INPUT_TYPES[column]
        if column in frame.columns:
            value = F.col(f"`{column}`").cast(kind)
        else:
            value = F.lit(None).cast(kind)
        if column == "synthetic":
            value = F.coalesce(value, F.lit(False))
        columns.append(value.alias(column))
    columns.append(F.col("_metadata.file_path").alias("source_file"))
    columns.append(F.col("_metadata.row_index").cast("bigint").alias("source_row"))
    return frame.select(*columns)


def _fit_subset(frame: DataFrame, *, rows: int, max_fit_rows: int) -> DataFrame:
    """All rows, or about ``max_fit_rows`` of them chosen by a hash of the track id."""
    from pyspark.sql import functions as F

    if rows <= max_fit_rows:
        return frame
    buckets = 1_000_000
    keep = max(1, int(buckets * max_fit_rows / rows))
    return frame.where(F.pmod(F.xxhash64("track_id"), F.lit(buckets)) < keep)


def fit_state(
    spark: SparkSession, frame: DataFrame, *, random_state: int, max_fit_rows: int
) -> AnnotationState:
    """Pass 1: place every batch, bring the usable rows home in catalog order, fit once."""
    from moodtune.mood.fitted import load_default_model

    model = load_default_model()
    fit_columns = list(FIT_COLUMNS)

    def place(batch: pd.DataFrame) -> pd.DataFrame:
        placed = place_batch(batch, model=model)
        placed = placed.loc[placed["usable"].to_numpy(dtype=bool), fit_columns]
        return placed.reset_index(drop=True)

    # Validation and placement read only these: the text-heavy columns stay behind.
    needed = [*PASS_ONE_COLUMNS, *ORDER_COLUMNS]
    subset = _fit_subset(frame, rows=frame.count(), max_fit_rows=max_fit_rows).select(*needed)
    placed = subset.mapInPandas(guarded(place), schema=_ddl(FIT_COLUMNS, ANNOTATED_TYPES))
    try:
        rows = placed.toPandas()
    except Exception as exc:
        raise_partition_failure(exc)
        raise
    if rows.empty:
        raise InputError("the catalog has no usable tracks", field="usable")
    rows = rows.sort_values(list(ORDER_COLUMNS), kind="stable").reset_index(drop=True)
    return fit_annotation_state(rows, model=model, random_state=random_state)


def annotate_catalog(
    spark: SparkSession,
    catalog: str,
    out: str,
    *,
    replace: bool = False,
    random_state: int = 0,
    max_fit_rows: int = DEFAULT_MAX_FIT_ROWS,
) -> AnnotateResult:
    """Annotate the Parquet catalog at ``catalog`` (a file or a folder of parts) into ``out``."""
    started = time.perf_counter()
    frame = _read_catalog(spark, catalog)
    state = fit_state(spark, frame, random_state=random_state, max_fit_rows=max_fit_rows)
    fitted = time.perf_counter()
    shared = spark.sparkContext.broadcast(state)
    order = list(ORDER_COLUMNS)

    def annotate(batch: pd.DataFrame) -> pd.DataFrame:
        annotated = annotate_batch(batch, state=shared.value)
        annotated[order] = batch[order].reset_index(drop=True)
        return annotated

    annotated = frame.mapInPandas(
        guarded(annotate), schema=_ddl(ANNOTATED_COLUMNS, ANNOTATED_TYPES)
    )
    with committed_output(spark, out, replace=replace) as staged:
        try:
            annotated.write.parquet(staged)
        except Exception as exc:
            raise_partition_failure(exc)
            raise
        written = spark.read.parquet(staged)
        reasons = written.groupBy("exclusion_reason").count().toPandas()
        rows = int(reasons["count"].sum())
        usable = int(reasons.loc[reasons["exclusion_reason"].isna(), "count"].sum())
        excluded = _count_reasons(reasons)
        partitions = written.rdd.getNumPartitions()
        meta = {
            "format": ANNOTATION_FORMAT,
            "input": catalog,
            "rows": rows,
            "usable_rows": usable,
            "excluded_by_reason": excluded,
            "random_state": random_state,
            **state.describe(),
        }
        write_text(spark, f"{staged}/{ANNOTATION_FILE}", json.dumps(meta, indent=1, default=str))
    shared.unpersist()
    finished = time.perf_counter()
    return AnnotateResult(
        out=out,
        rows=rows,
        usable_rows=usable,
        excluded_by_reason=excluded,
        fit_rows=state.fit_rows,
        cluster_names=state.cluster_names,
        partitions=partitions,
        seconds={
            "fit": round(fitted - started, 3),
            "annotate_and_write": round(finished - fitted, 3),
            "total": round(finished - started, 3),
        },
    )


def _count_reasons(counts: pd.DataFrame) -> dict[str, int]:
    """Rows per single reason (a row may carry several, ``"; "``-joined), most frequent first."""
    totals: dict[str, int] = {}
    for text, n in zip(counts["exclusion_reason"], counts["count"], strict=True):
        if text is None or text != text:
            continue
        for reason in str(text).split("; "):
            totals[reason] = totals.get(reason, 0) + int(n)
    return dict(sorted(totals.items(), key=lambda item: (-item[1], item[0])))


def read_annotation_meta(path: str) -> dict[str, Any]:
    """The ``_moodtune_annotation.json`` of an annotated catalog on a local path."""
    from pathlib import Path

    meta_path = Path(path.removeprefix("file:")) / ANNOTATION_FILE
    try:
        data = json.loads(meta_path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(
            f"not an annotated catalog (no readable {ANNOTATION_FILE}: {exc})", file=str(path)
        ) from None
    if data.get("format") != ANNOTATION_FORMAT:
        raise InputError(
            f"annotation format {data.get('format')!r}, this moodtune reads {ANNOTATION_FORMAT}",
            file=str(meta_path),
        )
    return dict(data)
