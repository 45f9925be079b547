"""``moodtune bench scale``: the catalog annotation and ALS, Spark ``local[2]`` against in-process.

Measured in one run, each measurement in its own child process (so its peak memory is its
own; for Spark, the peak of the child's whole process tree: driver, JVM and Python workers,
sampled every 0.2 s):

* annotating synthetic catalogs of each size (the real catalog's usable rows resampled, every
  numeric feature jittered by N(0, 0.05 sd) and clipped to its observed range, ids
  ``synthetic-<n>``, ``synthetic=True`` — the recipe of :func:`moodtune.bench.tracks.
  make_scaled_catalog`), with :func:`moodtune.spark.batches.annotate_in_process` (the baseline)
  and with ``moodtune spark annotate``: wall time, rows/s, peak memory; where Spark overtakes
  the in-process path, and how wall time grows with size (the exponent of a log-log fit: 1 is
  linear);
* ALS on synthetic plays (listeners and tracks with power-law popularity), ``implicit`` in
  process against MLlib: wall time of the fit;
* a serving index over the largest Spark-annotated catalog (``moodtune spark index``): build
  time; then, in a fresh process that maps it, similar-track lookup p50/p99 (wall and the
  thread's CPU time: on a loaded machine the tail of the wall time is mostly waiting for a
  core), recall@20 against an exact scan on held-out queries, resident memory and the index's
  size on disk.

The figures depend on the machine and its load (2 cores shared here). Results are appended to
a JSON lines file as they come, so an interrupted run keeps what it measured.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "crossover",
    "growth_exponent",
    "linear_fit",
    "make_synthetic_catalog",
    "make_synthetic_plays",
    "run_scale_bench",
]

_JITTER = (
    "danceability",
    "energy",
    "loudness",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
    "popularity",
    "duration_ms",
)
_PART_ROWS = 500_000


def make_synthetic_catalog(
    real: pd.DataFrame, rows: int, folder: Path, *, random_state: int = 0
) -> Path:
    """Write ``rows`` synthetic tracks (catalog layout, ``synthetic=True``) as Parquet parts.

    Drawn from the real catalog's usable rows (bootstrap, then jitter as in the module doc);
    the real validation columns are dropped, so the job validates the rows itself.
    """
    from moodtune.catalog.schema import BASE_COLUMNS

    folder.mkdir(parents=True, exist_ok=True)
    usable = real[real["usable"].to_numpy(dtype=bool)].reset_index(drop=True)
    stats = {
        c: (np.nanmin(v), np.nanmax(v), np.nanstd(v))
        for c in _JITTER
        for v in [usable[c].to_numpy(dtype=float)]
    }
    columns = [c for c in BASE_COLUMNS if c not in ("usable", "exclusion_reason")]
    rng = np.random.default_rng(random_state)
    for part, start in enumerate(range(0, rows, _PART_ROWS)):
        n = min(_PART_ROWS, rows - start)
        fake = usable.iloc[rng.integers(0, len(usable), n)].reset_index(drop=True)[columns]
        for column, (low, high, sd) in stats.items():
            values = fake[column].to_numpy(dtype=float) + rng.normal(0, 0.05 * sd, n)
            values = np.clip(values, low, high)
            fake[column] = np.round(values) if column in ("popularity", "duration_ms") else values
        numbers = np.arange(start + 1, start + n + 1)
        fake["track_id"] = [f"synthetic-{i:08d}" for i in numbers]
        fake["name"] = [f"Synthetic {i}" for i in numbers]
        fake["synthetic"] = True
        fake.to_parquet(folder / f"part-{part:05d}.parquet", index=False)
    return folder


def make_synthetic_plays(
    plays: int,
    path: Path,
    *,
    listeners: int,
    tracks: int,
    sessions: int = 20,
    random_state: int = 0,
) -> Path:
    """``plays`` synthetic plays (``PLAYS_COLUMNS``): Zipf-like track popularity, uniform
    listeners and sessions, 60 % played through, 10 % rated (half of them thumbs up)."""
    rng = np.random.default_rng(random_state)
    weights = 1.0 / np.arange(1, tracks + 1) ** 0.8
    weights /= weights.sum()
    frame = pd.DataFrame(
        {
            "listener": rng.integers(0, listeners, plays),
            "track": rng.choice(tracks, size=plays, p=weights),
            "session": rng.integers(1, sessions + 1, plays),
            "accepted": rng.random(plays) < 0.6,
            "thumbs": pd.array(
                np.where(rng.random(plays) < 0.1, rng.choice([-1, 1], plays), 0), dtype="Int64"
            ),
        }
    )
    frame.loc[frame["thumbs"] == 0, "thumbs"] = pd.NA
    frame.to_parquet(path, index=False)
    return path


# ----------------------------------------------------------------------------- child side


def _child(task: dict[str, Any]) -> dict[str, Any]:
    kind = task["kind"]
    if kind == "annotate-in-process":
        from moodtune.spark.batches import annotate_in_process

        started = time.perf_counter()
        tracks = pd.read_parquet(task["input"])
        annotated, _ = annotate_in_process(tracks)
        annotated.to_parquet(task["out"], index=False)
        return {"rows": len(annotated), "seconds": time.perf_counter() - started}
    if kind == "annotate-spark":
        from moodtune.spark.annotate import annotate_catalog
        from moodtune.spark.session import spark_session

        with spark_session(master="local[2]", config=_spark_memory()) as spark:
            started = time.perf_counter()
            job = annotate_catalog(spark, task["input"], task["out"], replace=True)
            return {
                "rows": job.rows,
                "seconds": time.perf_counter() - started,
                "steps": job.seconds,
            }
    if kind == "als-in-process":
        from scipy import sparse

        from moodtune.evaluation.splits import temporal_split
        from moodtune.recommend.collaborative import ImplicitMF

        plays = pd.read_parquet(task["input"])
        started = time.perf_counter()
        # The window train-cf fits on: train + validation sessions of the temporal split.
        fit = temporal_split(int(plays["session"].max())).fit
        plays = plays[plays["session"].between(*fit)]
        thumbs = pd.to_numeric(plays["thumbs"], errors="coerce").fillna(0).to_numpy()
        value = plays["accepted"].to_numpy(dtype=float) + (thumbs > 0)
        keep = value > 0
        matrix = sparse.coo_matrix(
            (value[keep], (plays["listener"].to_numpy()[keep], plays["track"].to_numpy()[keep]))
        ).tocsr()
        ImplicitMF(iterations=task["iterations"], threads=2).fit(matrix)
        return {
            "fit_window_plays": len(plays),
            "nnz": int(matrix.nnz),
            "seconds": time.perf_counter() - started,
        }
    if kind == "als-spark":
        from moodtune.spark.cf import AlsParams, train_cf
        from moodtune.spark.session import spark_session

        with spark_session(master="local[2]", config=_spark_memory()) as spark:
            started = time.perf_counter()
            result = train_cf(
                spark,
                task["input"],
                task["out"],
                params=AlsParams(iterations=task["iterations"]),
                max_eval_listeners=200,
                replace=True,
            )
            return {
                "plays": task["plays"],
                "nnz": result.interactions,
                "seconds": time.perf_counter() - started,
                "steps": result.seconds,
            }
    if kind == "index":
        return _build_index(task)
    if kind == "query":
        return _query(task)
    raise ValueError(f"unknown task {kind!r}")


def _spark_memory() -> dict[str, str]:
    return {"spark.driver.memory": "6g", "spark.sql.shuffle.partitions": "8"}


def _build_index(task: dict[str, Any]) -> dict[str, Any]:
    from moodtune.spark.index import build_index
    from moodtune.spark.session import spark_session

    with spark_session(master="local[2]", config=_spark_memory()) as spark:
        report = build_index(spark, task["input"], task["out"], replace=True)
    return {
        "vectors": report.vectors,
        "nlist": report.nlist,
        "nprobe": report.nprobe,
        "train_rows": report.train_rows,
        "recall_by_nprobe": report.recall_by_nprobe,
    }


def _query(task: dict[str, Any]) -> dict[str, Any]:
    """A fresh serving process: map the index, time similar lookups, check recall, RSS."""
    import psutil

    from moodtune.recommend.serving_index import ServingIndex, exact_top_k

    process = psutil.Process()
    before = process.memory_info().rss
    started = time.perf_counter()
    index = ServingIndex.load(task["out"])
    load_s = time.perf_counter() - started
    rng = np.random.default_rng(1)
    rows = rng.choice(len(index), size=task.get("queries", 5000) + 200, replace=False)
    for row in rows[:200]:  # warm-up, untimed
        index.similar_rows(int(row), 20)
    wall, cpu = [], []
    for row in rows[200:]:
        t, c = time.perf_counter(), time.thread_time()
        index.similar_rows(int(row), 20)
        wall.append(time.perf_counter() - t)
        cpu.append(time.thread_time() - c)
    held_out = np.sort(rng.choice(len(index), size=200, replace=False))
    truth = exact_top_k(index.vectors, np.asarray(index.vectors[held_out]), 21)
    hits = []
    for row, exact in zip(held_out, truth, strict=True):
        found, _ = index.similar_rows(int(row), 20)
        expected = [r for r in exact.tolist() if r != row][:20]
        hits.append(len(set(found.tolist()) & set(expected)) / 20)
    wall_ms, cpu_ms = np.asarray(wall) * 1000, np.asarray(cpu) * 1000
    return {
        "vectors": len(index),
        "nprobe": int(index.meta["nprobe"]),
        "load_seconds": load_s,
        "queries": len(wall),
        "p50_ms": float(np.percentile(wall_ms, 50)),
        "p99_ms": float(np.percentile(wall_ms, 99)),
        "cpu_p50_ms": float(np.percentile(cpu_ms, 50)),
        "cpu_p99_ms": float(np.percentile(cpu_ms, 99)),
        "recall_at_20": float(np.mean(hits)),
        "rss_mb_before_load": before / 2**20,
        "rss_mb_after_queries": process.memory_info().rss / 2**20,
        "index_files_mb": index.resident_bytes() / 2**20,
    }


def _child_main(raw: str) -> None:
    print(json.dumps(_child(json.loads(raw)), default=float), flush=True)


# ----------------------------------------------------------------------------- parent side


def _tree_sample(pid: int, cpu: dict[int, float]) -> float:
    """Resident MB of ``pid`` and its descendants now; records each one's CPU seconds in ``cpu``."""
    import psutil

    try:
        parent = psutil.Process(pid)
        procs = [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0
    for proc in procs:
        try:
            with proc.oneshot():
                total += proc.memory_info().rss
                times = proc.cpu_times()
                cpu[proc.pid] = times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total / 2**20


def _measure(task: dict[str, Any]) -> dict[str, Any]:
    """Run ``task`` in a child process; its answer plus wall time and peak tree RSS (MB)."""
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from moodtune.bench.scale import _child_main; "
            f"_child_main({json.dumps(json.dumps(task))})",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    peak = 0.0
    cpu: dict[int, float] = {}
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, _tree_sample(child.pid, cpu))
            stop.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = child.communicate()
    stop.set()
    sampler.join()
    wall = time.perf_counter() - started
    machine = {
        # CPU seconds of the child's process tree (driver, JVM, Python workers) as last sampled:
        # less sensitive than wall time to other jobs on the machine (up to 0.2 s per process
        # short).
        "cpu_seconds": sum(cpu.values()),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg()[0],
    }
    if child.returncode != 0:
        return {
            **task,
            "error": err.strip().splitlines()[-1] if err.strip() else "failed",
            "wall_seconds": wall,
            **machine,
        }
    answer = json.loads(out.strip().splitlines()[-1])
    return {**task, **answer, "wall_seconds": wall, "peak_rss_mb": peak, **machine}


def growth_exponent(sizes: list[int], seconds: list[float]) -> float | None:
    """Slope of log(seconds) on log(size): 1 is linear growth, 2 quadratic."""
    if len(sizes) < 2:
        return None
    return float(np.polyfit(np.log(sizes), np.log(seconds), 1)[0])


def linear_fit(sizes: list[int], seconds: list[float]) -> dict[str, float] | None:
    """Least-squares ``seconds = fixed + per_row * size``: the fixed cost (process and Spark
    start, the cluster fit) and the marginal cost, in microseconds per row."""
    if len(sizes) < 2:
        return None
    slope, intercept = np.polyfit(np.asarray(sizes, dtype=float), np.asarray(seconds), 1)
    return {"fixed_seconds": float(intercept), "us_per_row": float(slope * 1e6)}


def crossover(sizes: list[int], local: list[float], spark: list[float]) -> dict[str, Any]:
    """The first measured size where Spark is faster, and a log-log interpolation of where."""
    for i, (size, a, b) in enumerate(zip(sizes, local, spark, strict=True)):
        if b < a:
            if i == 0:
                return {"first_faster_at": size, "estimate_rows": None}
            ratio0 = np.log(spark[i - 1] / local[i - 1])
            ratio1 = np.log(b / a)
            share = ratio0 / (ratio0 - ratio1)
            estimate = float(
                np.exp(np.log(sizes[i - 1]) + share * (np.log(size) - np.log(sizes[i - 1])))
            )
            return {"first_faster_at": size, "estimate_rows": estimate}
    return {"first_faster_at": None, "estimate_rows": None}


def run_scale_bench(
    *,
    sizes: list[int],
    in_process_max: int,
    plays: list[int],
    als_iterations: int,
    work_dir: Path,
    log: Path,
    serve: bool = True,
    progress: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """Run every measurement (see the module doc); returns them and appends each to ``log``."""
    from moodtune.catalog import load_catalog

    real = load_catalog().tracks
    results: list[dict[str, Any]] = []

    def record(entry: dict[str, Any]) -> None:
        results.append(entry)
        with log.open("a") as sink:
            sink.write(json.dumps(entry, default=float) + "\n")
        if progress is not None:
            progress(json.dumps(entry, default=float))

    work_dir.mkdir(parents=True, exist_ok=True)
    largest_spark: str | None = None
    for size in sizes:
        folder = work_dir / f"catalog-{size}"
        if not folder.exists():
            make_synthetic_catalog(real, size, folder)
        if size <= in_process_max:
            record(
                _measure(
                    {
                        "kind": "annotate-in-process",
                        "size": size,
                        "input": str(folder),
                        "out": str(work_dir / f"local-{size}.parquet"),
                    }
                )
            )
        spark_out = str(work_dir / f"spark-{size}")
        entry = _measure(
            {"kind": "annotate-spark", "size": size, "input": str(folder), "out": spark_out}
        )
        record(entry)
        if "error" not in entry:
            largest_spark = spark_out
    if serve and largest_spark is not None:
        index_dir = str(work_dir / "index")
        record(_measure({"kind": "index", "input": largest_spark, "out": index_dir}))
        record(_measure({"kind": "query", "out": index_dir}))
    for n in plays:
        path = work_dir / f"plays-{n}.parquet"
        if not path.exists():
            make_synthetic_plays(n, path, listeners=max(1000, n // 100), tracks=max(2000, n // 50))
        common = {"plays": n, "input": str(path), "iterations": als_iterations}
        record(_measure({"kind": "als-in-process", **common}))
        record(_measure({"kind": "als-spark", **common, "out": str(work_dir / f"cf-{n}")}))
    return results
