"""The catalog annotation as pure functions of (batch, fitted state): what every Spark task runs.

Nothing here imports pyspark. Each function composes the library's own rules — validation
(:func:`moodtune.catalog.schema.validate_tracks`), the shipped mood model, the mood clusters
(:func:`moodtune.mood.annotate.apply_mood_annotation`), the catalog's feature scaling
(:func:`moodtune.catalog.loader.scaled_features`) and the track index's similarity vectors
(:func:`moodtune.recommend.tracks.similarity_vectors`) — so the Spark job and the in-process
catalog cannot drift apart. Fitted state (:class:`AnnotationState`) is fitted once, on the
fit rows in catalog order, and then applied unchanged to every batch: a row's output depends
only on the row and the state, never on which partition it landed in.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from moodtune.catalog.schema import AUDIO_FEATURES, BASE_COLUMNS, MOOD_COLUMNS, validate_tracks
from moodtune.errors import InputError

if TYPE_CHECKING:
    from moodtune.catalog.scaling import FeatureScaler
    from moodtune.mood.clusters import MoodClusters
    from moodtune.mood.fitted import ResidualMoodModel

__all__ = [
    "ANNOTATED_COLUMNS",
    "ANNOTATED_TYPES",
    "ARRAY_COLUMNS",
    "BASE_TYPES",
    "FIT_COLUMNS",
    "ORDER_COLUMNS",
    "AnnotationState",
    "annotate_batch",
    "annotate_in_process",
    "annotate_parquet_in_process",
    "arrow_schema",
    "fit_annotation_state",
    "place_batch",
]

#: Where each row came from: the input file and the row's 0-based position in it. Sorting on
#: them gives the catalog order, whatever the partitioning.
ORDER_COLUMNS: tuple[str, ...] = ("source_file", "source_row")
#: Per-row arrays: cluster probabilities (k), catalog z-scores (9), similarity vector (11).
ARRAY_COLUMNS: tuple[str, ...] = ("mood_cluster_proba", "scaled_features", "similarity_vector")
ANNOTATED_COLUMNS: tuple[str, ...] = (*BASE_COLUMNS, *MOOD_COLUMNS, *ARRAY_COLUMNS, *ORDER_COLUMNS)
#: What the driver collects to fit the state: order, id, usable, features, the fitted position.
FIT_COLUMNS: tuple[str, ...] = (
    *ORDER_COLUMNS,
    "track_id",
    "usable",
    *AUDIO_FEATURES,
    "mood_valence",
    "mood_arousal",
)


#: The annotated catalog's column types (Spark SQL DDL): the Spark job's output schema, and,
#: through :func:`arrow_schema`, the in-process job's.
_TEXT_COLUMNS = (
    "track_id",
    "name",
    "artists",
    "album",
    "album_id",
    "release_date",
    "release_precision",
)
BASE_TYPES: dict[str, str] = {
    **{c: "string" for c in _TEXT_COLUMNS},
    "popularity": "bigint",
    "duration_ms": "bigint",
    "release_year": "double",
    "genres": "array<string>",
    "subgenres": "array<string>",
    "explicit": "boolean",
    **{c: "double" for c in AUDIO_FEATURES},
    "usable": "boolean",
    "exclusion_reason": "string",
    "synthetic": "boolean",
}
ANNOTATED_TYPES: dict[str, str] = {
    **BASE_TYPES,
    "mood_valence": "double",
    "mood_arousal": "double",
    "mood_uncertainty": "double",
    "mood_uncertain": "boolean",
    "quadrant": "string",
    "mood_cluster": "string",
    "mood_cluster_proba": "array<float>",
    "scaled_features": "array<float>",
    "similarity_vector": "array<float>",
    "source_file": "string",
    "source_row": "bigint",
}


def arrow_schema(columns: tuple[str, ...] | list[str]) -> Any:
    """The Arrow schema of ``columns`` typed as ``ANNOTATED_TYPES`` says (a batch whose column
    is all missing is written as that type, not as Arrow's null type)."""
    import pyarrow as pa

    types = {
        "string": pa.large_string(),
        "bigint": pa.int64(),
        "double": pa.float64(),
        "boolean": pa.bool_(),
        "array<string>": pa.list_(pa.large_string()),
        "array<float>": pa.list_(pa.float32()),
    }
    return pa.schema([(c, types[ANNOTATED_TYPES[c]]) for c in columns])


@dataclass(frozen=True)
class AnnotationState:
    """Everything fitted once and applied to every batch (broadcast to the Spark workers)."""

    model: ResidualMoodModel
    clusters: MoodClusters
    catalog_scaler: FeatureScaler
    similarity_scaler: FeatureScaler
    fit_rows: int

    @property
    def cluster_names(self) -> tuple[str, ...]:
        return tuple(self.clusters.names_)

    def describe(self) -> dict[str, Any]:
        """JSON-ready: mood description, both scalers, cluster names, how many rows fitted them."""
        from moodtune.mood.annotate import describe_annotation

        return {
            "mood": describe_annotation(self.model, self.clusters),
            "cluster_names": list(self.cluster_names),
            "catalog_scaler": self.catalog_scaler.to_dict(),
            "similarity_scaler": self.similarity_scaler.to_dict(),
            "fit_rows": self.fit_rows,
        }


def place_batch(batch: pd.DataFrame, *, model: ResidualMoodModel) -> pd.DataFrame:
    """``batch`` validated, with its fitted mood position (``mood_valence``, ``mood_arousal``).

    The first pass of the job: what the state is fitted on. Rows stay in order.
    """
    tracks = validate_tracks(batch)
    positions = model.predict(tracks)
    tracks["mood_valence"] = positions[:, 0]
    tracks["mood_arousal"] = positions[:, 1]
    return tracks


def fit_annotation_state(
    placed: pd.DataFrame, *, model: ResidualMoodModel, random_state: int = 0
) -> AnnotationState:
    """Fit the clusters and both scalers on ``placed`` (output of :func:`place_batch`, in
    catalog order), exactly as the in-process catalog build fits them on its usable rows."""
    from moodtune.catalog.loader import catalog_scaler
    from moodtune.mood.annotate import fit_mood_clusters
    from moodtune.recommend.tracks import similarity_scaler

    usable = placed["usable"].to_numpy(dtype=bool)
    fit_rows = placed.loc[usable]
    positions = fit_rows[["mood_valence", "mood_arousal"]].to_numpy(dtype=float)
    clusters = fit_mood_clusters(fit_rows, positions, random_state=random_state)
    return AnnotationState(
        model=model,
        clusters=clusters,
        catalog_scaler=catalog_scaler(placed),
        similarity_scaler=similarity_scaler(placed),
        fit_rows=int(usable.sum()),
    )


def annotate_batch(batch: pd.DataFrame, *, state: AnnotationState) -> pd.DataFrame:
    """``batch`` validated and annotated: base, mood and array columns (``ANNOTATED_COLUMNS``
    less the order columns, which the caller carries)."""
    from moodtune.catalog.loader import scaled_features
    from moodtune.mood.annotate import apply_mood_annotation
    from moodtune.recommend.tracks import similarity_vectors

    tracks = validate_tracks(batch)
    annotation = apply_mood_annotation(tracks, model=state.model, clusters=state.clusters)
    out = pd.concat(
        [
            tracks[list(BASE_COLUMNS)].reset_index(drop=True),
            annotation.columns.reset_index(drop=True),
        ],
        axis=1,
    )
    out["mood_cluster_proba"] = _rows(annotation.cluster_proba, out.index)
    out["scaled_features"] = _rows(scaled_features(tracks, state.catalog_scaler), out.index)
    out["similarity_vector"] = _rows(similarity_vectors(out, state.similarity_scaler), out.index)
    return out


def annotate_in_process(
    tracks: pd.DataFrame, *, model: ResidualMoodModel | None = None, random_state: int = 0
) -> tuple[pd.DataFrame, AnnotationState]:
    """The whole table at once in this process: the baseline ``moodtune bench scale`` times."""
    from moodtune.mood.fitted import load_default_model

    model = model or load_default_model()
    placed = place_batch(tracks, model=model)
    state = fit_annotation_state(placed, model=model, random_state=random_state)
    return annotate_batch(tracks, state=state), state


DEFAULT_BATCH_ROWS = 200_000
"""Rows per batch of :func:`annotate_parquet_in_process`: large enough that the per-batch
overhead vanishes, small enough that a batch's copies stay a few hundred MB."""


def parquet_parts(source: str | Path) -> list[Path]:
    """The Parquet files of ``source`` (a file, or a folder of parts) in catalog order: the
    order ``pandas.read_parquet`` concatenates a folder's parts in (sorted paths)."""
    source = Path(source)
    if source.is_file():
        return [source]
    parts = sorted(p for p in source.rglob("*.parquet") if p.is_file())
    if not parts:
        raise InputError(f"{source}: no .parquet files here", field="catalog", value=str(source))
    return parts


def annotate_parquet_in_process(
    source: str | Path,
    out: str | Path,
    *,
    model: ResidualMoodModel | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    random_state: int = 0,
) -> tuple[int, AnnotationState]:
    """Annotate a Parquet catalog of any size in this process, in bounded memory: the Spark
    job's two passes on one core. Pass 1 places each batch and keeps only ``FIT_COLUMNS``; the
    state is fitted on them in catalog order; pass 2 annotates batch by batch into one Parquet
    file (written beside ``out`` and renamed into place). The output equals
    :func:`annotate_in_process` on the whole table, row for row. Returns (rows, state)."""
    import os

    import pyarrow as pa
    import pyarrow.parquet as pq

    from moodtune.mood.fitted import load_default_model

    if batch_rows < 1:
        raise InputError("batch_rows must be at least 1", field="batch_rows", value=batch_rows)
    model = model or load_default_model()
    parts = parquet_parts(source)

    def batches() -> Iterator[pd.DataFrame]:
        offset = 0
        for part in parts:
            for batch in pq.ParquetFile(part).iter_batches(batch_size=batch_rows):
                frame = batch.to_pandas()
                frame.index = pd.RangeIndex(offset, offset + len(frame))
                offset += len(frame)
                yield frame

    # what the state is fitted from (the Spark driver's columns less the ids it hashes)
    fit_columns = [c for c in FIT_COLUMNS if c not in (*ORDER_COLUMNS, "track_id")]
    kept = [place_batch(batch, model=model)[fit_columns] for batch in batches()]
    state = fit_annotation_state(pd.concat(kept), model=model, random_state=random_state)
    del kept
    out = Path(out)
    staged = out.with_name(f".{out.name}.partial")
    rows = 0
    writer: pq.ParquetWriter | None = None
    try:
        for batch in batches():
            annotated = annotate_batch(batch, state=state)
            if writer is None:  # every batch has the same columns: one schema for the file
                writer = pq.ParquetWriter(staged, arrow_schema(list(annotated.columns)))
            table = pa.Table.from_pandas(annotated, schema=writer.schema, preserve_index=False)
            writer.write_table(table)
            rows += table.num_rows
        if writer is None:
            raise InputError(f"{source}: the catalog has no rows", field="catalog")
        writer.close()
        writer = None
        os.replace(staged, out)
    finally:
        if writer is not None:
            writer.close()
        staged.unlink(missing_ok=True)
    return rows, state


def _rows(matrix: np.ndarray, index: pd.Index) -> pd.Series:
    """One float32 array per row: how Arrow writes an ``array<float>`` column."""
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    return pd.Series(list(matrix), index=index, dtype=object)
