"""`moodtune bench audio`: how fast local files are analysed, against librosa's usual way.

Measured in one run, on a folder of generated files (drums and chords at varied tempos and
keys, 60 s each, written as FLAC, MP3, Ogg Vorbis, Opus and WAV):

* **analysis per core**: one process limited to one thread, each file's 30-s window decoded,
  resampled, analysed and placed on the mood plane (``analyse_file``: hashing and tag
  reading included), after a warm-up file that pays the imports and first calls; the figure
  is analysed audio seconds per CPU second of that process (a multiple of real time per
  core: what one core does when it has the core to itself). The same per wall second is
  shown beside it - on a shared machine it is lower by however much the core was shared.
* **baseline** (CPU time too), the usual librosa recipe in the same process:
  ``librosa.load`` of the whole file at 22,050 Hz, ``beat_track``, ``chroma_cqt``, ``rms``
  and ``spectral_centroid``, its real-time multiple counted over the same 30 s of audio per
  file (what it learns about the rest of the file is not asked for), after one warm-up call
  that compiles the beat tracker.
* **beat tracker alone** (CPU time) on each decoded window: the issue's context (~600x).
* **scan throughput**: ``run_scan`` over the whole folder with every core and with one
  worker (new state each time), files per second and real-time multiple.

Renders nothing: the CLI prints the tables. The machine is shared, so the load average is
recorded before and after.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "AIM_REALTIME_PER_CORE",
    "TARGET_REALTIME_PER_CORE",
    "AudioBenchmark",
    "make_bench_folder",
    "run_audio_benchmark",
]

TARGET_REALTIME_PER_CORE = 50.0
AIM_REALTIME_PER_CORE = 300.0
_SUFFIXES = (".flac", ".mp3", ".ogg", ".opus", ".wav")


@dataclass
class AudioBenchmark:
    """Every figure of one run (seconds, real-time multiples, files per second)."""

    files: int
    file_seconds: float
    window_seconds: float
    cores: int
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    generate_seconds: float
    warmup_seconds: float
    per_file_ms: list[float]
    per_file_cpu_ms: list[float]
    per_core_realtime: float
    wall_realtime: float
    baseline_files: int
    baseline_per_file_ms: list[float]
    baseline_realtime: float
    beat_track_realtime: float
    scan_workers: int
    scan_seconds: float
    scan_files_per_second: float
    scan_realtime: float
    scan_single_seconds: float
    scan_single_files_per_second: float
    by_format_ms: dict[str, float] = field(default_factory=dict)

    def targets(self) -> list[dict[str, Any]]:
        return [
            {
                "target": "analysis per core (x real time)",
                "goal": f">= {TARGET_REALTIME_PER_CORE:.0f}",
                "measured": self.per_core_realtime,
                "pass": self.per_core_realtime >= TARGET_REALTIME_PER_CORE,
            },
            {
                "target": "analysis per core, the aim (x real time)",
                "goal": f">= {AIM_REALTIME_PER_CORE:.0f}",
                "measured": self.per_core_realtime,
                "pass": self.per_core_realtime >= AIM_REALTIME_PER_CORE,
            },
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "speedup_over_baseline": self.per_core_realtime / self.baseline_realtime,
            "scan_speedup_over_one_worker": self.scan_single_seconds / self.scan_seconds,
            "targets": self.targets(),
        }


def make_bench_folder(folder: Path, *, files: int, seconds: float, random_state: int = 0) -> None:
    """Write ``files`` generated tracks of ``seconds`` each into ``folder``, formats rotating."""
    import numpy as np

    from moodtune.audio.synthetic import chord_progression, drum_pattern, write_audio

    rng = np.random.default_rng(random_state)
    sr = 22_050
    for index in range(files):
        bpm = float(rng.uniform(70, 170))
        root = int(rng.integers(0, 12))
        roots = tuple((root + step) % 12 for step in (0, 5, 7, 0))
        mix = drum_pattern(
            bpm, seconds=seconds, sr=sr, amplitude=float(rng.uniform(0.1, 0.7)),
            random_state=index,
        ) + chord_progression(
            roots, minor=bool(index % 2), seconds=seconds, sr=sr, chord_seconds=120.0 / bpm
        )  # fmt: skip
        write_audio(folder / f"track-{index:03d}{_SUFFIXES[index % len(_SUFFIXES)]}", mix, sr=sr)


def _baseline(path: Path) -> None:
    from moodtune.audio._librosa import RECIPE_MODULES, import_librosa

    librosa = import_librosa(RECIPE_MODULES)

    y, sr = librosa.load(path, sr=22_050)
    librosa.beat.beat_track(y=y, sr=sr)
    librosa.feature.chroma_cqt(y=y, sr=sr)
    librosa.feature.rms(y=y)
    librosa.feature.spectral_centroid(y=y, sr=sr)


def run_audio_benchmark(
    *,
    files: int = 30,
    seconds: float = 60.0,
    baseline_files: int = 5,
    workers: int | None = None,
) -> AudioBenchmark:
    """Generate the folder, then measure (module docstring); temporary files are removed."""
    from threadpoolctl import threadpool_limits

    from moodtune.audio._librosa import RECIPE_MODULES, import_librosa
    from moodtune.audio.decode import WINDOW_SECONDS, read_window
    from moodtune.audio.scan import LibraryStore, analyse_file, run_scan, start_workers

    cores = os.cpu_count() or 1
    workers = workers or cores
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="moodtune-bench-audio-") as scratch:
        folder = Path(scratch, "music")
        folder.mkdir()
        started = time.perf_counter()
        make_bench_folder(folder, files=files, seconds=seconds)
        generated = time.perf_counter() - started
        paths = sorted(folder.iterdir())
        librosa = import_librosa(RECIPE_MODULES)
        window = min(WINDOW_SECONDS, seconds)

        with threadpool_limits(1):
            started = time.perf_counter()
            analyse_file(str(paths[0]))  # imports, the mood model, first calls
            warmup = time.perf_counter() - started
            per_file: list[float] = []
            per_file_cpu: list[float] = []
            by_format: dict[str, list[float]] = {}
            for path in paths:
                started, cpu = time.perf_counter(), time.process_time()
                result = analyse_file(str(path))
                elapsed = time.perf_counter() - started
                per_file_cpu.append(time.process_time() - cpu)
                if not result.ok:
                    raise RuntimeError(f"bench file failed: {result.reason}")
                per_file.append(elapsed)
                by_format.setdefault(path.suffix, []).append(per_file_cpu[-1])

            librosa.beat.beat_track(y=read_window(paths[0]).samples, sr=22_050)  # compiles
            beat_seconds = 0.0
            for path in paths:
                decoded = read_window(path)
                cpu = time.process_time()
                librosa.beat.beat_track(y=decoded.samples, sr=decoded.sr)
                beat_seconds += time.process_time() - cpu

            _baseline(paths[0])  # warm-up: compiles and caches like ours
            baseline = []
            for path in paths[:baseline_files]:
                cpu = time.process_time()
                _baseline(path)
                baseline.append(time.process_time() - cpu)

        start_workers()  # the fork server's imports are a one-off, like the warm-up file
        scans = {}
        for count in (workers, 1):
            store = LibraryStore(Path(scratch, f"state-{count}", "scan.sqlite3"))
            outcome = run_scan(folder, store, workers=count)
            if outcome.analysed != len(paths):
                raise RuntimeError(f"the bench scan analysed {outcome.analysed}/{len(paths)}")
            scans[count] = outcome.wall_seconds
    load_after = os.getloadavg()
    return AudioBenchmark(
        files=len(paths),
        file_seconds=seconds,
        window_seconds=window,
        cores=cores,
        load_before=load_before,
        load_after=load_after,
        generate_seconds=generated,
        warmup_seconds=warmup,
        per_file_ms=[s * 1000 for s in per_file],
        per_file_cpu_ms=[s * 1000 for s in per_file_cpu],
        per_core_realtime=window * len(per_file) / sum(per_file_cpu),
        wall_realtime=window * len(per_file) / sum(per_file),
        baseline_files=len(baseline),
        baseline_per_file_ms=[s * 1000 for s in baseline],
        baseline_realtime=window * len(baseline) / sum(baseline),
        beat_track_realtime=window * len(paths) / beat_seconds,
        scan_workers=workers,
        scan_seconds=scans[workers],
        scan_files_per_second=len(paths) / scans[workers],
        scan_realtime=window * len(paths) / scans[workers],
        scan_single_seconds=scans[1],
        scan_single_files_per_second=len(paths) / scans[1],
        by_format_ms={k: statistics.median(v) * 1000 for k, v in sorted(by_format.items())},
    )
