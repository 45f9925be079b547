"""``moodtune spark train-cf``: implicit-feedback ALS on Spark MLlib, judged as in process.

Input: plays in the simulation's offer layout (``PLAYS_COLUMNS``: listener, track, session —
the listener's session number, 1 = first —, accepted = played through, thumbs), from
:func:`plays_from_database` (moodtune's own store, listeners who consented to learning only) or
a history export at scale. The split is :func:`moodtune.evaluation.splits.temporal_split` and the
confidence of a (listener, track) pair is the in-process one
(:func:`moodtune.recommend.collaborative.interaction_matrix`: 1 per play through, plus
``thumbs_bonus`` for a thumbs-up, summed). MLlib fits on train + validation; the test window is
scored on the driver with :func:`moodtune.recommend.collaborative.temporal_test_metrics` (NDCG@k,
recall@k, coverage) for at most ``max_eval_listeners`` listeners, beside the popularity
baseline of the same window. Output: ``users/`` and ``items/`` factors and ``cf_meta.json``,
read by :func:`moodtune.recommend.factors.load_factors`.

MLlib and ``implicit`` regularise differently (MLlib scales ``regParam`` by each listener's and
track's number of interactions), so equal parameters do not give equal models; the parity test
checks the metric, not the factors.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from moodtune.errors import InputError
from moodtune.evaluation.splits import TemporalSplit, temporal_split
from moodtune.recommend.factors import CF_FACTORS_FORMAT, CF_META_FILE
from moodtune.spark.partitions import committed_output, hadoop_filesystem, write_text

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from moodtune.config import Settings

__all__ = [
    "PLAYS_COLUMNS",
    "AlsParams",
    "CfResult",
    "PlaysExport",
    "export_plays",
    "imported_plays",
    "plays_from_database",
    "train_cf",
]

PLAYS_COLUMNS: tuple[str, ...] = ("listener", "track", "session", "accepted", "thumbs")


@dataclass(frozen=True)
class AlsParams:
    """ALS settings; the defaults are :class:`moodtune.recommend.collaborative.ImplicitMF`'s."""

    factors: int = 32
    regularization: float = 0.05
    iterations: int = 20
    alpha: float = 10.0
    thumbs_bonus: float = 1.0
    random_state: int = 0


@dataclass(frozen=True)
class CfResult:
    """What one training wrote and how it scored on the test window."""

    out: str
    listeners: int
    tracks: int
    interactions: int
    split: TemporalSplit
    metrics: dict[str, dict[str, float]]
    evaluated_listeners: int
    params: AlsParams
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def plays_from_database(settings: Settings | None = None) -> pd.DataFrame:
    """Plays of the listeners who consented to learning, in ``PLAYS_COLUMNS`` layout.

    A listener's sessions are numbered by start time (1 = first); a play counts as accepted
    when it was played and not skipped. Their imported listening (history exports, playlists,
    Spotify: ``listening_events``) comes first, as session 1, with the moodtune sessions
    numbered on from 2: one row per track they heard, accepted unless skips outnumber plays
    and likes (:func:`imported_plays`).
    """
    import sqlalchemy as sa

    from moodtune.store import repository as repo
    from moodtune.store.engine import open_database, read_transaction
    from moodtune.store.tables import feedback, listeners, sessions

    query = (
        sa.select(
            feedback.c.listener_id.label("listener"),
            feedback.c.track_id.label("track"),
            sessions.c.started_at,
            feedback.c.session_id,
            feedback.c.played,
            feedback.c.skipped_after_s,
            feedback.c.thumbs,
        )
        .join(sessions, sessions.c.id == feedback.c.session_id)
        .join(listeners, listeners.c.id == feedback.c.listener_id)
        .where(listeners.c.consent_learning.is_(True))
    )
    with read_transaction(open_database(settings)) as conn:
        rows = pd.DataFrame(conn.execute(query).mappings().all())
        imported = imported_plays(repo.consenting_listening_rows(conn))
    if rows.empty and imported.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in PLAYS_COLUMNS})
    if rows.empty:
        return imported
    starts = rows[["listener", "session_id", "started_at"]].drop_duplicates("session_id")
    first = 1 + starts["listener"].isin(set(imported["listener"])).astype(int)
    starts["session"] = (
        starts.sort_values(["started_at", "session_id"]).groupby("listener").cumcount() + first
    )
    rows = rows.merge(starts[["session_id", "session"]], on="session_id")
    rows["accepted"] = rows["played"].fillna(False).astype(bool) & rows["skipped_after_s"].isna()
    rows["thumbs"] = pd.to_numeric(rows["thumbs"], errors="coerce").astype("Int64")
    return pd.concat([imported, rows[list(PLAYS_COLUMNS)]], ignore_index=True)


def imported_plays(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Imported listening (``listening_events`` rows with ``listener_id``) as plays of session 1.

    Each listener's tracks count once, with the outcome they mostly had: the per-listener
    learner's rule (:func:`moodtune.recommend.listening.listening_feedback`), for the same
    reason: a history export's thousands of plays would otherwise outweigh every session in
    moodtune. ``accepted`` is False when skips outnumber plays and likes; ``thumbs`` is empty.
    """
    from collections import defaultdict

    from moodtune.recommend.listening import listening_feedback

    by_listener: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_listener[str(row["listener_id"])].append(row)
    out = [
        {
            "listener": listener,
            "track": heard.track_id,
            "session": 1,
            "accepted": heard.skipped_after_s is None,
            "thumbs": pd.NA,
        }
        for listener, events in by_listener.items()
        for heard in listening_feedback(events)
    ]
    frame = pd.DataFrame(out, columns=list(PLAYS_COLUMNS))
    frame["session"] = frame["session"].astype("int64")
    frame["accepted"] = frame["accepted"].astype(bool)
    frame["thumbs"] = frame["thumbs"].astype("Int64")
    return frame


@dataclass(frozen=True)
class PlaysExport:
    """What ``export_plays`` wrote: how many plays of how many listeners, and where."""

    out: str
    plays: int
    listeners: int


def export_plays(
    out: str, *, settings: Settings | None = None, replace: bool = False
) -> PlaysExport:
    """Write :func:`plays_from_database` to the Parquet file ``out`` (train-cf's input).

    Written whole and renamed into place (``atomic_write_bytes``), so a failed export leaves
    no half-written file; an existing ``out`` is refused unless ``replace``.
    """
    from pathlib import Path

    from moodtune.artefacts import atomic_write_bytes

    target = Path(out)
    if target.exists() and not replace:
        raise InputError(
            f"{out} already exists", field="replace", value=out, allowed="a new path, or replace"
        )
    if not target.parent.is_dir():
        raise InputError(f"the folder {target.parent} does not exist", field="out", value=out)
    plays = plays_from_database(settings)
    atomic_write_bytes(target, plays.to_parquet(index=False))
    listeners = int(plays["listener"].nunique())
    return PlaysExport(out=str(target), plays=len(plays), listeners=listeners)


def _read_plays(spark: SparkSession, plays: str | DataFrame) -> DataFrame:
    from pyspark.sql import DataFrame as SparkFrame
    from pyspark.sql import functions as F

    if isinstance(plays, SparkFrame):
        frame = plays
    elif plays.endswith(".csv"):
        frame = spark.read.csv(plays, header=True, inferSchema=True)
    else:
        frame = spark.read.parquet(plays)
    missing = [c for c in PLAYS_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(
            f"not a plays table: column(s) {missing} missing",
            file=plays if isinstance(plays, str) else None,
            field=", ".join(missing),
            allowed=", ".join(PLAYS_COLUMNS),
        )
    return frame.select(
        F.col("listener").cast("string").alias("listener"),
        F.col("track").cast("string").alias("track"),
        F.col("session").cast("int").alias("session"),
        F.coalesce(F.col("accepted").cast("boolean"), F.lit(False)).alias("accepted"),
        F.col("thumbs").cast("int").alias("thumbs"),
    )


def _indexed(frame: DataFrame) -> tuple[DataFrame, DataFrame, DataFrame]:
    """Plays with integer ``u`` and ``i`` (ids in sorted order), and the two id tables."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    def ids(column: str, index: str) -> DataFrame:
        distinct = frame.select(F.col(column).alias("id")).distinct()
        return distinct.withColumn(index, F.row_number().over(Window.orderBy("id")) - 1)

    users = ids("listener", "u")
    items = ids("track", "i")
    indexed = frame.join(users.withColumnRenamed("id", "listener"), "listener").join(
        items.withColumnRenamed("id", "track"), "track"
    )
    return indexed, users, items


def _window(frame: DataFrame, sessions: tuple[int, int]) -> DataFrame:
    from pyspark.sql import functions as F

    return frame.where(F.col("session").between(sessions[0], sessions[1]))


def train_cf(
    spark: SparkSession,
    plays: str | DataFrame,
    out: str,
    *,
    params: AlsParams | None = None,
    validation_sessions: int | None = None,
    test_sessions: int | None = None,
    k: int = 10,
    max_eval_listeners: int = 2000,
    replace: bool = False,
) -> CfResult:
    """Fit ALS on the fit window of the temporal split, score the test window, write factors."""
    from pyspark.ml.recommendation import ALS
    from pyspark.sql import functions as F

    from moodtune.recommend.collaborative import temporal_test_metrics

    params = params or AlsParams()
    started = time.perf_counter()
    frame, users, items = _indexed(_read_plays(spark, plays))
    frame = frame.persist()
    last = frame.agg(F.max("session")).first()
    n_sessions = None if last is None else last[0]
    if n_sessions is None:
        raise InputError("the plays table is empty", field="plays")
    split = temporal_split(
        int(n_sessions), validation_sessions=validation_sessions, test_sessions=test_sessions
    )
    confidence = F.col("accepted").cast("double") + F.lit(params.thumbs_bonus) * (
        F.coalesce(F.col("thumbs"), F.lit(0)) > 0
    ).cast("double")
    train = (
        _window(frame, split.fit)
        .groupBy("u", "i")
        .agg(F.sum(confidence).alias("confidence"))
        .where(F.col("confidence") > 0)
        .localCheckpoint()  # ALS iterates over it: cut the joins' lineage
    )
    interactions = train.count()
    if interactions == 0:
        raise InputError("no play through in the training sessions", field="plays")
    als = ALS(
        rank=params.factors,
        maxIter=params.iterations,
        regParam=params.regularization,
        alpha=params.alpha,
        implicitPrefs=True,
        userCol="u",
        itemCol="i",
        ratingCol="confidence",
        seed=params.random_state,
        coldStartStrategy="drop",
    )
    with _checkpoint_dir(spark, out):
        model = als.fit(train)
        model.userFactors.persist().count()
        model.itemFactors.persist().count()
    fitted = time.perf_counter()

    n_items = items.count()
    item_factors = _factor_matrix(model.itemFactors, n_items, params.factors)
    popularity = np.zeros(n_items)
    counts = train.groupBy("i").count().toPandas()
    popularity[counts["i"].to_numpy(dtype=int)] = counts["count"].to_numpy(dtype=float)
    chosen = (
        _window(frame, split.test)
        .where("accepted")
        .select("u")
        .distinct()
        .orderBy("u")
        .limit(max_eval_listeners)
        .toPandas()["u"]
        .to_numpy(dtype=int)
    )
    metrics: dict[str, dict[str, float]] = {}
    if len(chosen):
        offers = (
            frame.where(F.col("u").isin([int(u) for u in chosen]))
            .select("u", "i", "session", "accepted")
            .toPandas()
        )
        position = {int(u): j for j, u in enumerate(chosen)}
        offers = pd.DataFrame(
            {
                "listener": offers["u"].map(position).to_numpy(dtype=int),
                "track": offers["i"].to_numpy(dtype=int),
                "session": offers["session"].to_numpy(dtype=int),
                "accepted": offers["accepted"].to_numpy(dtype=bool),
            }
        )
        user_rows = model.userFactors.where(F.col("id").isin([int(u) for u in chosen]))
        user_factors = np.zeros((len(chosen), params.factors), dtype=np.float32)
        for row in user_rows.toLocalIterator():
            user_factors[position[int(row["id"])]] = row["features"]
        scores = {
            "mf": (user_factors @ item_factors.T).astype(float),
            "popularity": np.array(np.broadcast_to(popularity, (len(chosen), n_items))),
        }
        metrics = temporal_test_metrics(offers, scores, split=split, k=k)
    evaluated = time.perf_counter()

    with committed_output(spark, out, replace=replace) as staged:
        _side(model.userFactors, users, "u").write.parquet(f"{staged}/users")
        _side(model.itemFactors, items, "i").write.parquet(f"{staged}/items")
        meta = {
            "format": CF_FACTORS_FORMAT,
            "params": asdict(params),
            "split": asdict(split),
            "metrics": metrics,
            "evaluated_listeners": len(chosen),
            "interactions": int(interactions),
        }
        write_text(spark, f"{staged}/{CF_META_FILE}", json.dumps(meta, indent=1))
    n_users = users.count()
    model.userFactors.unpersist()
    model.itemFactors.unpersist()
    frame.unpersist()
    finished = time.perf_counter()
    return CfResult(
        out=out,
        listeners=int(n_users),
        tracks=int(n_items),
        interactions=int(interactions),
        split=split,
        metrics=metrics,
        evaluated_listeners=len(chosen),
        params=params,
        seconds={
            "fit": round(fitted - started, 3),
            "evaluate": round(evaluated - fitted, 3),
            "write": round(finished - evaluated, 3),
            "total": round(finished - started, 3),
        },
    )


@contextmanager
def _checkpoint_dir(spark: SparkSession, out: str) -> Iterator[None]:
    """A checkpoint folder for ALS while it fits (without one, MLlib cannot cut the lineage of
    its iterations and deep plans overflow the JVM stack when tasks are serialised)."""
    context = spark.sparkContext
    if context.getCheckpointDir() is not None:
        yield
        return
    folder = f"{out.rstrip('/')}.checkpoints-{uuid.uuid4().hex[:12]}"
    context.setCheckpointDir(folder)
    try:
        yield
    finally:
        fs, path = hadoop_filesystem(spark, folder)
        fs.delete(path, True)


def _factor_matrix(factors: DataFrame, n: int, rank: int) -> np.ndarray:
    """(n, rank) float32 from MLlib's (id, features) table; rows it lacks (no play) stay 0."""
    matrix = np.zeros((n, rank), dtype=np.float32)
    table = factors.toPandas()
    if len(table):
        matrix[table["id"].to_numpy(dtype=int)] = np.stack(list(table["features"]))
    return matrix


def _side(factors: DataFrame, ids: DataFrame, index: str) -> DataFrame:
    """Factors keyed by the original id: (id, factors array<float>)."""
    from pyspark.sql import functions as F

    keyed = ids.select(F.col("id").alias("key"), F.col(index).alias("position"))
    return factors.join(keyed, factors["id"] == keyed["position"]).select(
        F.col("key").alias("id"), F.col("features").cast("array<float>").alias("factors")
    )
