"""``moodtune bench tracks``: latency of track queries and journeys, against the naive way.

Measured in one run, on this machine:

* similar-track queries (top 20, HNSW over the similarity space) and mood-point queries
  (top 20, exact k-d tree over the mood plane): p50/p99 in-process, recall@20 against an exact
  scan of the same space;
* the naive way the prior art used — on every request, min-max scale the whole catalog and
  compute cosine similarity against every row (scikit-learn) — and the speed-up ratio;
* 20-track journeys: p50/p99, and the journey-vs-naive-baseline evaluation over random
  start/target pairs (see ``moodtune.recommend.journey.evaluate_journeys``);
* cold start: a new process to the first answer (``moodtune tracks similar``) with the cache
  warm (median of 3 runs) and with an empty cache (one run), and peak resident memory;
* the same queries on catalogs scaled x10 and x35 with synthetic rows (bootstrap-resampled real
  rows, each feature jittered by 5 % of its standard deviation, clipped to its observed range;
  flagged ``synthetic=True`` and named "Synthetic n"), each in its own process so that its
  resident memory is its own.

These are benchmarks, not tests: the figures depend on the machine and its load. Targets are
the issues' (query p99 <= 1 ms and >= 100x the naive way, warm cold start <= 2 s, x10 query
p99 <= 2 ms, x35 query p99 <= 5 ms with RSS <= 1.5 GB; from issue 9: the full similar answer
with reasons p99 <= 1 ms and the 20-track journey p99 <= 10 ms, both at x1), reported pass/fail.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from moodtune.catalog.schema import AUDIO_FEATURES

if TYPE_CHECKING:
    from moodtune.config import Settings
    from moodtune.recommend.tracks import TrackIndex

__all__ = [
    "NAIVE_FEATURES",
    "ProgressFn",
    "make_scaled_catalog",
    "measure_catalog",
    "naive_similar",
    "run_tracks_bench",
    "targets",
]

#: Features the prior art scaled and compared: all Spotify audio features, key and mode included.
NAIVE_FEATURES: tuple[str, ...] = AUDIO_FEATURES
_JITTER_FEATURES: tuple[str, ...] = (
    "danceability",
    "energy",
    "loudness",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
    "mood_valence",
    "mood_arousal",
    "popularity",
    "duration_ms",
)

#: ``progress(stage, done, total)``: called while long steps run (e.g. an index build).
ProgressFn = Callable[[str, int, int], None]


def _percentiles(seconds: Sequence[float] | np.ndarray) -> dict[str, float]:
    ms = np.asarray(seconds) * 1000.0
    if len(ms) == 0:
        return {"p50_ms": float("nan"), "p99_ms": float("nan"), "n": 0}
    return {
        "p50_ms": float(np.percentile(ms, 50)),
        "p99_ms": float(np.percentile(ms, 99)),
        "n": len(ms),
    }


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def make_scaled_catalog(tracks: pd.DataFrame, scale: int, *, random_state: int = 0) -> pd.DataFrame:
    """The catalog plus ``(scale - 1) x len(tracks)`` synthetic rows (``synthetic=True``).

    Synthetic rows resample usable real rows and jitter each numeric feature by N(0, 0.05 sd),
    clipped to the feature's observed range; ids are ``synthetic-<n>``, names
    ``Synthetic <n>``. They exist only for benchmarks and are labelled wherever they appear.
    """
    from moodtune.mood.space import quadrant

    if scale < 1:
        raise ValueError(f"scale must be >= 1, got {scale}")
    if scale == 1:
        return tracks
    rng = np.random.default_rng(random_state)
    usable = np.flatnonzero(tracks["usable"].to_numpy(dtype=bool))
    n_new = (scale - 1) * len(tracks)
    picks = rng.choice(usable, size=n_new, replace=True)
    fake = tracks.iloc[picks].reset_index(drop=True)
    source = tracks.iloc[usable]
    for column in _JITTER_FEATURES:
        if column not in fake.columns:
            continue
        values = source[column].to_numpy(dtype=float)
        low, high, sd = np.nanmin(values), np.nanmax(values), np.nanstd(values)
        jittered = fake[column].to_numpy(dtype=float) + rng.normal(0, 0.05 * sd, n_new)
        jittered = np.clip(jittered, low, high)
        if column in ("popularity", "duration_ms"):
            fake[column] = np.round(jittered).astype(np.int64)
        else:
            fake[column] = jittered
    numbers = np.arange(1, n_new + 1)
    fake["track_id"] = [f"synthetic-{i:07d}" for i in numbers]
    fake["name"] = [f"Synthetic {i}" for i in numbers]
    fake["synthetic"] = True
    if "quadrant" in fake.columns:
        v = fake["mood_valence"].to_numpy()
        a = fake["mood_arousal"].to_numpy()
        labels = np.where(
            v >= 0,
            np.where(a >= 0, quadrant(1, 1), quadrant(1, -1)),
            np.where(a >= 0, quadrant(-1, 1), quadrant(-1, -1)),
        )
        fake["quadrant"] = labels
    out = pd.concat([tracks, fake], ignore_index=True)
    out["synthetic"] = out["synthetic"].astype(bool)
    return out


def naive_similar(tracks: pd.DataFrame, row: int, k: int = 20) -> np.ndarray:
    """The prior art's way, per request: min-max scale the catalog, cosine to every row."""
    from sklearn.metrics.pairwise import cosine_similarity
    from sklearn.preprocessing import MinMaxScaler

    features = MinMaxScaler().fit_transform(tracks.loc[:, list(NAIVE_FEATURES)].fillna(0))
    sims = cosine_similarity(features[row : row + 1], features)[0]
    sims[row] = -np.inf
    top = np.argpartition(-sims, k)[:k]
    return top[np.argsort(-sims[top])]


def naive_mood(tracks: pd.DataFrame, valence: float, arousal: float, k: int = 20) -> np.ndarray:
    """The naive way for a mood point: scale mood columns per request, cosine to every row."""
    from sklearn.metrics.pairwise import cosine_similarity
    from sklearn.preprocessing import MinMaxScaler

    scaler = MinMaxScaler(feature_range=(-1, 1))
    features = scaler.fit_transform(tracks.loc[:, ["mood_valence", "mood_arousal"]].fillna(0))
    sims = cosine_similarity(np.array([[valence, arousal]]), features)[0]
    top = np.argpartition(-sims, k)[:k]
    return top[np.argsort(-sims[top])]


def measure_catalog(
    tracks: pd.DataFrame,
    *,
    index: TrackIndex | None = None,
    queries: int = 2000,
    naive_queries: int = 200,
    journeys: int = 200,
    evaluation_pairs: int = 200,
    random_state: int = 0,
    progress: ProgressFn | None = None,
    label: str = "x1",
) -> dict[str, Any]:
    """Query/journey latencies, recall@20, naive timings and memory for one catalog."""
    from moodtune.recommend.journey import evaluate_journeys
    from moodtune.recommend.tracks import TrackIndex

    rng = np.random.default_rng(random_state)
    out: dict[str, Any] = {
        "label": label,
        "tracks": len(tracks),
        "synthetic_tracks": int(tracks["synthetic"].sum()) if "synthetic" in tracks else 0,
    }
    build_start = time.perf_counter()
    if index is None:
        build = (lambda d, t: progress(f"build index {label}", d, t)) if progress else None
        index = TrackIndex().fit(tracks, progress=build)
    out["index_build_s"] = time.perf_counter() - build_start
    out["index"] = {"method": index.method, "m": index.hnsw_m, "ef_search": index.ef_search}
    rows = rng.choice(index.usable_rows_, size=queries, replace=True)
    points = rng.uniform(-0.9, 0.9, size=(queries, 2))
    # warm-up, so first-call costs stay out of the percentiles
    for r in rows[:20]:
        index.similar_rows(int(r), 20)
        index.mood_rows(float(points[0, 0]), float(points[0, 1]), 20)

    times: list[float] = []
    for i, r in enumerate(rows):
        t0 = time.perf_counter()
        index.similar_rows(int(r), 20)
        times.append(time.perf_counter() - t0)
        if progress and i % 200 == 0:
            progress(f"similar queries {label}", i, len(rows))
    out["similar"] = _percentiles(times)
    times = []
    for v, a in points:
        t0 = time.perf_counter()
        index.mood_rows(float(v), float(a), 20)
        times.append(time.perf_counter() - t0)
    out["mood"] = _percentiles(times)

    hits = []
    for r in rows[: min(200, len(rows))]:
        got, _ = index.similar_rows(int(r), 20)
        exact, _ = index.exact_nearest_rows(index.vectors_[r], 21)
        exact = exact[exact != r][:20]
        hits.append(len(set(got.tolist()) & set(exact.tolist())) / max(len(exact), 1))
    out["similar"]["recall_at_20"] = float(np.mean(hits))
    out["mood"]["recall_at_20"] = 1.0  # exact k-d tree
    out["mood"]["exact"] = True

    # The full answer (filters, diversity, reasons, rows in rank order): what the web app
    # waits for, as its track views are cached by row; and the same answer with its table
    # (a DataFrame), what a library caller reading ``.tracks`` waits for.
    from moodtune.mood.space import MoodPoint

    ids = tracks["track_id"].to_numpy()
    full, table = [], []
    for r in rows[: min(400, len(rows))]:
        t0 = time.perf_counter()
        answer = index.similar([str(ids[r])], k=20)
        t1 = time.perf_counter()
        _ = answer.tracks
        full.append(t1 - t0)
        table.append(time.perf_counter() - t0)
    out["similar_full"], out["similar_table"] = _percentiles(full), _percentiles(table)
    full, table = [], []
    for v, a in points[: min(400, len(points))]:
        t0 = time.perf_counter()
        answer = index.near_mood(MoodPoint(float(v), float(a)), k=20)
        t1 = time.perf_counter()
        _ = answer.tracks
        full.append(t1 - t0)
        table.append(time.perf_counter() - t0)
    out["mood_full"], out["mood_table"] = _percentiles(full), _percentiles(table)

    times = []
    mood_times = []
    for i, r in enumerate(rows[:naive_queries]):
        t0 = time.perf_counter()
        naive_similar(tracks, int(r))
        times.append(time.perf_counter() - t0)
        v, a = points[i]
        t0 = time.perf_counter()
        naive_mood(tracks, float(v), float(a))
        mood_times.append(time.perf_counter() - t0)
        if progress and i % 10 == 0:
            progress(f"naive queries {label}", i, naive_queries)
    out["naive_similar"] = _percentiles(times)
    out["naive_mood"] = _percentiles(mood_times)
    for kind in ("similar", "mood"):
        ours, naive = out[kind], out[f"naive_{kind}"]
        out[kind]["speedup_p50"] = naive["p50_ms"] / ours["p50_ms"]
        out[kind]["speedup_p99"] = naive["p99_ms"] / ours["p99_ms"]

    if progress:
        progress(f"journeys {label}", 0, max(journeys, evaluation_pairs))
    evaluation = evaluate_journeys(
        index, pairs=max(journeys, evaluation_pairs), steps=20, random_state=random_state
    )
    out["journey"] = _percentiles(np.asarray(evaluation.journey_ms) / 1000.0)
    out["evaluation"] = evaluation.to_dict()
    out["rss_mb"] = _rss_mb()
    return out


def _cold_start(settings: Settings, track_id: str, *, cold: bool) -> dict[str, Any]:
    """Time a new ``moodtune tracks similar`` process to its answer; peak RSS by polling."""
    import psutil

    env = dict(os.environ)
    env["MOODTUNE_DATA_DIR"] = str(settings.data_dir)
    if settings.mirror_dir is not None:
        env["MOODTUNE_MIRROR_DIR"] = str(settings.mirror_dir)
    env["MOODTUNE_OFFLINE"] = "true"
    tmp = None
    if cold:
        tmp = tempfile.TemporaryDirectory(prefix="moodtune-cold-")
        env["MOODTUNE_DATA_DIR"] = tmp.name
    cmd = [
        sys.executable,
        "-c",
        "from moodtune.cli import main; main()",
        "tracks",
        "similar",
        track_id,
        "--json",
    ]
    try:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        peak = 0.0
        handle = psutil.Process(proc.pid)
        while proc.poll() is None:
            try:
                peak = max(peak, handle.memory_info().rss / 2**20)
            except psutil.Error:
                break
            time.sleep(0.01)
        stdout, stderr = proc.communicate()
        elapsed = time.perf_counter() - start
    finally:
        if tmp is not None:
            tmp.cleanup()
    ok = proc.returncode == 0 and b'"tracks"' in stdout
    return {
        "seconds": elapsed,
        "peak_rss_mb": peak,
        "ok": ok,
        "error": None if ok else stderr.decode(errors="replace")[-500:],
    }


def _scale_in_subprocess(
    scale: int,
    settings: Settings,
    *,
    queries: int,
    naive_queries: int,
    journeys: int,
    random_state: int,
    progress: ProgressFn | None,
) -> dict[str, Any]:
    env = dict(os.environ)
    env["MOODTUNE_DATA_DIR"] = str(settings.data_dir)
    if settings.mirror_dir is not None:
        env["MOODTUNE_MIRROR_DIR"] = str(settings.mirror_dir)
    env["MOODTUNE_OFFLINE"] = "true"
    args = json.dumps(
        {
            "scale": scale,
            "queries": queries,
            "naive_queries": naive_queries,
            "journeys": journeys,
            "random_state": random_state,
        }
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "moodtune.bench.tracks", args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    result: dict[str, Any] | None = None
    for line in proc.stdout:
        message = json.loads(line)
        if message["event"] == "progress" and progress is not None:
            progress(message["stage"], message["done"], message["total"])
        elif message["event"] == "result":
            result = message["result"]
    proc.wait()
    if proc.returncode != 0 or result is None:
        err = proc.stderr.read() if proc.stderr else ""
        raise RuntimeError(f"benchmark at scale x{scale} failed:\n{err[-2000:]}")
    return result


def _child_main(raw: str) -> None:
    """Entry point of the per-scale benchmark process (JSON lines on stdout)."""
    from moodtune.catalog import load_catalog

    args = json.loads(raw)

    def emit(payload: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(payload, default=float) + "\n")
        sys.stdout.flush()

    def progress(stage: str, done: int, total: int) -> None:
        emit({"event": "progress", "stage": stage, "done": done, "total": total})

    catalog = load_catalog()
    scale = int(args["scale"])
    tracks = make_scaled_catalog(catalog.tracks, scale, random_state=args["random_state"])
    result = measure_catalog(
        tracks,
        queries=args["queries"],
        naive_queries=args["naive_queries"],
        journeys=args["journeys"],
        evaluation_pairs=args["journeys"],
        random_state=args["random_state"],
        progress=progress,
        label=f"x{scale}",
    )
    result["scale"] = scale
    emit({"event": "result", "result": result})


def targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets, each with the measured figure and pass/fail."""
    rows: list[dict[str, Any]] = []

    def add(name: str, goal: str, value: float | None, ok: bool | None) -> None:
        rows.append({"target": name, "goal": goal, "measured": value, "pass": ok})

    by_scale = {s["scale"]: s for s in report["scales"]}
    base = by_scale.get(1)
    if base is not None:
        for kind in ("similar", "mood"):
            p99 = base[kind]["p99_ms"]
            add(f"{kind} query p99 (x1)", "<= 1 ms", p99, p99 <= 1.0)
            for stat in ("p50", "p99"):
                ratio = base[kind][f"speedup_{stat}"]
                add(f"{kind} speed-up vs naive ({stat})", ">= 100x", ratio, ratio >= 100)
        recall = base["similar"]["recall_at_20"]
        add("similar recall@20 vs exact (x1)", ">= 0.95", recall, recall >= 0.95)
        full = base["similar_full"]["p99_ms"]
        add("similar full answer p99 (x1)", "<= 1 ms", full, full <= 1.0)
        jp99 = base["journey"]["p99_ms"]
        add("20-track journey p99 (x1)", "<= 10 ms", jp99, jp99 <= 10.0)
        ev = base["evaluation"]
        add(
            "journey jump-bound violations",
            "0",
            ev["journey_bound_violations"],
            ev["journey_bound_violations"] == 0 and ev["infeasible"] == 0,
        )
        add(
            "naive / journey waypoint distance",
            ">= 3x (far closer)",
            ev["distance_ratio"],
            ev["distance_ratio"] >= 3,
        )
    warm = report.get("cold_start", {}).get("warm")
    if warm:
        add(
            "cold start, cache warm", "<= 2 s", warm["seconds"], warm["ok"] and warm["seconds"] <= 2
        )
    for scale, limit in ((10, 2.0), (35, 5.0)):
        s = by_scale.get(scale)
        if s is None:
            continue
        for kind in ("similar", "mood"):
            p99 = s[kind]["p99_ms"]
            add(f"{kind} query p99 (x{scale})", f"<= {limit:g} ms", p99, p99 <= limit)
        if scale == 35:
            add("resident memory (x35)", "<= 1536 MB", s["rss_mb"], s["rss_mb"] <= 1536)
    return rows


def run_tracks_bench(
    *,
    scales: Sequence[int] = (1, 10, 35),
    quick: bool = False,
    settings: Settings | None = None,
    tracks: pd.DataFrame | None = None,
    cold_start: bool = True,
    in_process: bool = False,
    random_state: int = 0,
    progress: ProgressFn | None = None,
) -> dict[str, Any]:
    """Run the whole track benchmark; returns the report (``targets`` holds pass/fail).

    ``tracks`` replaces the default catalog (tests pass a tiny one); ``in_process`` measures
    the scaled catalogs in this process instead of one process each (RSS then includes
    everything loaded before). ``quick`` runs fewer queries and journeys.
    """
    import faiss

    from moodtune.config import get_settings
    from moodtune.recommend.tracks import TrackIndex

    settings = settings or get_settings()
    queries, naive_queries, journeys = (300, 30, 50) if quick else (2000, 200, 200)
    report: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "faiss": faiss.__version__,
            "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        },
        "settings": {"quick": quick, "scales": list(scales), "random_state": random_state},
        "scales": [],
    }
    index: TrackIndex | None = None
    if tracks is None:
        from moodtune.catalog import load_catalog

        start = time.perf_counter()
        catalog = load_catalog(settings)
        tracks = catalog.tracks
        report["catalog"] = {
            "name": catalog.name,
            "tracks": len(tracks),
            "usable": int(tracks["usable"].sum()),
            "load_s": time.perf_counter() - start,
        }
        start = time.perf_counter()
        index = TrackIndex.load_or_build(
            tracks,
            settings=settings,
            progress=(lambda d, t: progress("build index x1", d, t)) if progress else None,
        )
        report["catalog"]["index_load_or_build_s"] = time.perf_counter() - start
    else:
        report["catalog"] = {"name": "(given)", "tracks": len(tracks)}
    for scale in scales:
        if scale == 1:
            result = measure_catalog(
                tracks,
                index=index,
                queries=queries,
                naive_queries=naive_queries,
                journeys=journeys,
                evaluation_pairs=journeys,
                random_state=random_state,
                progress=progress,
                label="x1",
            )
        elif in_process:
            scaled = make_scaled_catalog(tracks, scale, random_state=random_state)
            result = measure_catalog(
                scaled,
                queries=queries,
                naive_queries=max(5, naive_queries // scale),
                journeys=journeys // 2,
                evaluation_pairs=journeys // 2,
                random_state=random_state,
                progress=progress,
                label=f"x{scale}",
            )
        else:
            result = _scale_in_subprocess(
                scale,
                settings,
                queries=queries,
                naive_queries=max(5, naive_queries // scale),
                journeys=journeys // 2,
                random_state=random_state,
                progress=progress,
            )
        result["scale"] = scale
        report["scales"].append(result)
    if cold_start:
        track_id = str(tracks.loc[tracks["usable"].to_numpy(dtype=bool), "track_id"].iat[0])
        if progress:
            progress("cold start (cache warm)", 0, 2)
        runs = [_cold_start(settings, track_id, cold=False) for _ in range(3)]
        warm = sorted(runs, key=lambda r: float(r["seconds"]))[1]  # median of 3
        warm["runs_seconds"] = [r["seconds"] for r in runs]
        if progress:
            progress("cold start (cache cold: builds the catalog and index)", 1, 2)
        cold = _cold_start(settings, track_id, cold=True)
        report["cold_start"] = {
            "warm": warm,
            "cold": cold,
            "command": "moodtune tracks similar ID --json",
        }
    report["targets"] = targets(report)
    return report


if __name__ == "__main__":
    _child_main(sys.argv[1])
