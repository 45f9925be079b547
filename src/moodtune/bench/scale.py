"""``moodtune bench scale``: the catalog annotation and ALS, Spark ``local[2]`` against in-process.

Measured in one run, each measurement in its own child process (so its peak memory is its
own; for Spark, the peak of the child's whole process tree: driver, JVM and Python workers,
sampled every 0.2 s):

* annotating synthetic catalogs of each size (the real catalog's usable rows resampled, every
  numeric feature jittered by N(0, 0.05 sd) and clipped to its observed range, ids
  ``synthetic-<n>``, ``synthetic=True`` — the recipe of :func:`moodtune.bench.tracks.
  make_scaled_catalog`), in process with :func:`moodtune.spark.batches.
  annotate_parquet_in_process` (the baseline: the job's two passes on one core, batch by batch,
  in bounded memory) and with ``moodtune spark annotate``: wall time, rows/s, peak memory;
  where Spark overtakes the in-process path, and how wall time grows with size (the exponent
  of a log-log fit: 1 is linear);
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
    "lookup_stats",
    "make_synthetic_catalog",
    "make_synthetic_plays",
    "make_vector_index",
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


def make_vector_index(
    base: np.ndarray, rows: int, out: Path, *, train_rows: int = 200_000, random_state: int = 0
) -> dict[str, Any]:
    """A serving index of ``rows`` synthetic vectors, for the lookups without a Spark run.

    Rows of ``base`` (the real catalog's similarity vectors) drawn with replacement, each
    coordinate jittered by N(0, 0.05), ids ``synthetic-<n>``; trained on ``train_rows`` more
    drawn the same way, as ``moodtune spark index`` trains on a sample. Same index, same
    ``nprobe`` tuning; returns the build's figures.
    """
    from moodtune.recommend.serving_index import build_serving_index

    base = np.asarray(base, dtype=np.float32)
    rng = np.random.default_rng(random_state)

    def draw(n: int) -> np.ndarray:
        picked = base[rng.integers(0, len(base), n)]
        return picked + rng.normal(0, 0.05, (n, base.shape[1])).astype(np.float32)

    def batches() -> Any:
        for start in range(0, rows, 100_000):
            n = min(100_000, rows - start)
            yield [f"synthetic-{i:08d}" for i in range(start + 1, start + n + 1)], draw(n)

    started = time.perf_counter()
    report = build_serving_index(
        out,
        train_vectors=draw(min(train_rows, rows)),
        batches=batches(),
        total=rows,
        meta={"synthetic": "real similarity vectors resampled, jittered N(0, 0.05)"},
    )
    return {
        "kind": "index",
        "source": "vectors",
        "vectors": report.vectors,
        "nlist": report.nlist,
        "nprobe": report.nprobe,
        "train_rows": report.train_rows,
        "recall_by_nprobe": report.recall_by_nprobe,
        "build_seconds": time.perf_counter() - started,
    }


# ----------------------------------------------------------------------------- child side


def _child(task: dict[str, Any]) -> dict[str, Any]:
    kind = task["kind"]
    if kind == "annotate-in-process":
        from moodtune.spark.batches import annotate_parquet_in_process

        started = time.perf_counter()
        rows, _ = annotate_parquet_in_process(task["input"], task["out"])
        return {"rows": rows, "seconds": time.perf_counter() - started}
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


#: How the serving side opened the index before ``IO_FLAG_MMAP_IFC`` and the warm read: the
#: baseline every query run is measured against, in the same run.
QUERY_VARIANTS: tuple[str, ...] = ("on-disk-lists", "served")
_COUNTERS = ("ru_minflt", "ru_majflt", "ru_nvcsw", "ru_nivcsw")


def lookup_stats(wall_s: np.ndarray, cpu_s: np.ndarray, counters: np.ndarray) -> dict[str, float]:
    """p50/p99/max of wall and CPU time (ms) of a batch of lookups, and what the thread's
    ``getrusage`` counters (columns: minor faults, major faults, voluntary and involuntary
    context switches) were per lookup, over all of them and over the slowest 1 %.

    A voluntary switch is the thread blocking (a disk read, a join); an involuntary one is the
    scheduler giving the core to another process: they say where a wall-time tail comes from.
    """
    wall, cpu = np.asarray(wall_s) * 1000, np.asarray(cpu_s) * 1000
    counters = np.asarray(counters, dtype=float).reshape(len(wall), len(_COUNTERS))
    tail = counters[wall >= np.percentile(wall, 99)]
    stats = {
        "n": float(len(wall)),
        "p50_ms": float(np.percentile(wall, 50)),
        "p99_ms": float(np.percentile(wall, 99)),
        "max_ms": float(wall.max()),
        "cpu_p50_ms": float(np.percentile(cpu, 50)),
        "cpu_p99_ms": float(np.percentile(cpu, 99)),
    }
    for i, name in enumerate(("minor_faults", "major_faults", "voluntary_switches", "preempted")):
        stats[f"{name}_per_lookup"] = float(counters[:, i].mean())
        stats[f"{name}_per_tail_lookup"] = float(tail[:, i].mean())
    return stats


def _timed_lookups(
    lookup: Callable[[int], object], rows: np.ndarray, *, rate: float | None, seed: int
) -> tuple[dict[str, float], np.ndarray]:
    """Time ``lookup`` over ``rows``: back to back, or arriving at ``rate`` per second
    (exponential gaps, the thread sleeping between them); returns :func:`lookup_stats` and,
    when paced, how late each lookup started against its arrival (s)."""
    import resource

    who = resource.RUSAGE_THREAD
    wall, cpu = np.empty(len(rows)), np.empty(len(rows))
    counters = np.empty((len(rows), len(_COUNTERS)))
    late = np.zeros(len(rows))
    gaps = np.random.default_rng(seed).exponential(1.0 / rate, len(rows)) if rate else None
    due = time.perf_counter()
    for i, row in enumerate(rows):
        if gaps is not None:
            due += gaps[i]
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
        r0, t0, c0 = resource.getrusage(who), time.perf_counter(), time.thread_time()
        lookup(int(row))
        t1, c1, r1 = time.perf_counter(), time.thread_time(), resource.getrusage(who)
        wall[i], cpu[i] = t1 - t0, c1 - c0
        counters[i] = [getattr(r1, c) - getattr(r0, c) for c in _COUNTERS]
        if gaps is not None:
            late[i] = max(0.0, t0 - due)
    return lookup_stats(wall, cpu, counters), late


def _evict(directory: Path) -> None:
    """Drop the index files' pages from the page cache (``POSIX_FADV_DONTNEED``; only these
    files, and only pages no other process maps), so every variant starts equally cold."""
    from moodtune.recommend.serving_index import SERVING_INDEX_FILES

    for name in SERVING_INDEX_FILES:
        fd = os.open(directory / name, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def _query(task: dict[str, Any]) -> dict[str, Any]:
    """A fresh serving process: map the index, time similar lookups, check recall, memory.

    ``variant`` "served" is :meth:`ServingIndex.load` as served; "on-disk-lists" is the way it
    opened the index before (faiss ``IO_FLAG_MMAP``: ``OnDiskInvertedLists`` with a prefetch
    thread per search, no warm read), for comparison in the same run. The first ``cold``
    lookups after the load are timed and reported on their own (the cold start), then
    ``queries`` lookups back to back, then ``paced`` lookups arriving at ``rate`` per second.
    """
    import faiss
    import psutil

    from moodtune.recommend.serving_index import ServingIndex, exact_top_k

    variant = task.get("variant", "served")
    if variant not in QUERY_VARIANTS:
        raise ValueError(f"unknown query variant {variant!r}; one of {QUERY_VARIANTS}")
    folder = Path(task["out"])
    _evict(folder)
    process = psutil.Process()
    before = process.memory_info().rss
    started = time.perf_counter()
    index = ServingIndex.load(folder, warm=variant == "served")
    load_s = time.perf_counter() - started
    if variant == "on-disk-lists":
        index.index = faiss.read_index(str(folder / "index.faiss"), faiss.IO_FLAG_MMAP)
        index.index.nprobe = int(index.meta["nprobe"])
    rng = np.random.default_rng(1)
    n_cold, n_closed, n_paced = (
        task.get("cold", 200),
        task.get("queries", 20_000),
        task.get("paced", 5_000),
    )
    rows = rng.choice(len(index), size=n_cold + n_closed + n_paced, replace=False)

    def similar(row: int) -> object:
        return index.similar_rows(row, 20)

    load_avg = [os.getloadavg()[0]]
    cold, _ = _timed_lookups(similar, rows[:n_cold], rate=None, seed=2)
    closed, _ = _timed_lookups(similar, rows[n_cold : n_cold + n_closed], rate=None, seed=3)
    load_avg.append(os.getloadavg()[0])
    rate = float(task.get("rate", 200.0))
    paced, late = _timed_lookups(similar, rows[n_cold + n_closed :], rate=rate, seed=4)
    load_avg.append(os.getloadavg()[0])
    ids = [index.track_id(int(r)) for r in rows[: min(2000, n_closed)]]
    by_id, _ = _timed_lookups(
        lambda i: index.similar(ids[i], 20), np.arange(len(ids)), rate=None, seed=5
    )
    held_out = np.sort(rng.choice(len(index), size=200, replace=False))
    truth = exact_top_k(index.vectors, np.asarray(index.vectors[held_out]), 21)
    hits = []
    for row, exact in zip(held_out, truth, strict=True):
        found, _ = index.similar_rows(int(row), 20)
        expected = [r for r in exact.tolist() if r != row][:20]
        hits.append(len(set(found.tolist()) & set(expected)) / 20)
    memory = process.memory_info()
    mapped = sum(m.rss for m in process.memory_maps(grouped=True) if Path(m.path).parent == folder)
    warm = index.warm_report
    return {
        "variant": variant,
        "vectors": len(index),
        "nprobe": int(index.meta["nprobe"]),
        "invlists": type(faiss.downcast_InvertedLists(index.index.invlists)).__name__,
        "load_seconds": load_s,
        "warm_seconds": None if warm is None else warm.seconds,
        "warm_bytes": None if warm is None else warm.bytes_read,
        "warm_skipped": None if warm is None else warm.skipped,
        "cold": cold,
        "closed_loop": closed,
        "paced": {
            **paced,
            "rate_per_s": rate,
            "late_p99_ms": float(np.percentile(late, 99) * 1000),
        },
        "by_track_id": by_id,
        # The closed loop: the figure the target is read on (as in earlier runs).
        "queries": int(closed["n"]),
        "p50_ms": closed["p50_ms"],
        "p99_ms": closed["p99_ms"],
        "cpu_p50_ms": closed["cpu_p50_ms"],
        "cpu_p99_ms": closed["cpu_p99_ms"],
        "recall_at_20": float(np.mean(hits)),
        "load_average_during": load_avg,
        "rss_mb_before_load": before / 2**20,
        "rss_mb_after_queries": memory.rss / 2**20,
        # Resident pages of the mapped index files (shared with every process mapping them),
        # and the file-backed total (libraries included); RSS minus shared is private memory.
        "mapped_index_mb_after_queries": mapped / 2**20,
        "shared_mb_after_queries": memory.shared / 2**20,
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
    serve_only: bool = False,
    serve_repeats: int = 1,
    vector_index_rows: int | None = None,
    spark: bool = True,
    progress: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """Run every measurement (see the module doc); returns them and appends each to ``log``.

    ``serve_only`` measures only the lookups, on the index an earlier run left in
    ``work_dir/index`` — or, when there is none and ``vector_index_rows`` is given, on one
    built by :func:`make_vector_index` from the real catalog's vectors; each of
    ``serve_repeats`` rounds measures every ``QUERY_VARIANTS`` entry in its own fresh process.
    Without ``spark`` only the in-process side is measured (no Spark annotation, no index).
    """
    from moodtune.errors import InputError

    results: list[dict[str, Any]] = []

    def record(entry: dict[str, Any]) -> None:
        results.append(entry)
        with log.open("a") as sink:
            sink.write(json.dumps(entry, default=float) + "\n")
        if progress is not None:
            progress(json.dumps(entry, default=float))

    def queries(index_dir: Path) -> None:
        for _ in range(serve_repeats):
            for variant in QUERY_VARIANTS:
                record(_measure({"kind": "query", "variant": variant, "out": str(index_dir)}))

    if serve_only:
        if vector_index_rows and not (work_dir / "index").exists():
            from moodtune.catalog import load_catalog
            from moodtune.recommend.tracks import (
                indexable_rows,
                similarity_scaler,
                similarity_vectors,
            )

            tracks = load_catalog().tracks
            tracks = tracks[indexable_rows(tracks)]
            base = similarity_vectors(tracks, similarity_scaler(tracks))
            work_dir.mkdir(parents=True, exist_ok=True)
            record(make_vector_index(base, vector_index_rows, work_dir / "index"))
        if not (work_dir / "index" / "meta.json").is_file():
            raise InputError(
                f"no serving index in {work_dir / 'index'}: run the bench once without "
                "serve_only to build it",
                field="work_dir",
                value=str(work_dir),
            )
        queries(work_dir / "index")
        return results
    from moodtune.catalog import load_catalog

    real = load_catalog().tracks
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
        if not spark:
            continue
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
        queries(Path(index_dir))
    for n in plays:
        path = work_dir / f"plays-{n}.parquet"
        if not path.exists():
            make_synthetic_plays(n, path, listeners=max(1000, n // 100), tracks=max(2000, n // 50))
        common = {"plays": n, "input": str(path), "iterations": als_iterations}
        record(_measure({"kind": "als-in-process", **common}))
        if spark:
            record(_measure({"kind": "als-spark", **common, "out": str(work_dir / f"cf-{n}")}))
    return results
