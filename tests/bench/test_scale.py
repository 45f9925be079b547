"""``moodtune bench scale``: the summary's arithmetic has known answers (no Spark here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moodtune.bench.scale import crossover, growth_exponent, linear_fit
from moodtune.bench.scale_report import parse_sizes, summarise
from moodtune.errors import InputError


def test_growth_and_linear_fit_known_answers() -> None:
    assert growth_exponent([1_000, 10_000], [2.0, 20.0]) == pytest.approx(1.0)
    assert growth_exponent([1_000, 10_000], [2.0, 200.0]) == pytest.approx(2.0)
    assert growth_exponent([1_000], [2.0]) is None
    fit = linear_fit([1_000_000, 3_000_000], [30.0, 50.0])
    assert fit == pytest.approx({"fixed_seconds": 20.0, "us_per_row": 10.0})


def test_crossover_is_the_first_size_where_spark_is_faster() -> None:
    assert crossover([1, 10, 100], [1.0, 10.0, 100.0], [5.0, 10.0, 50.0]) == {
        "first_faster_at": 100,
        "estimate_rows": pytest.approx(10.0),  # equal at 10: the log-ratio crosses 0 there
    }
    assert crossover([1, 10], [1.0, 2.0], [3.0, 4.0])["first_faster_at"] is None


def test_summary_extrapolates_where_the_lines_cross() -> None:
    def run(kind: str, size: int, wall: float) -> dict[str, object]:
        return {"kind": kind, "size": size, "wall_seconds": wall}

    results = [
        run("annotate-in-process", 1_000_000, 100.0),
        run("annotate-in-process", 2_000_000, 200.0),
        run("annotate-spark", 1_000_000, 150.0),
        run("annotate-spark", 2_000_000, 200.0),
    ]
    summary = summarise(results)
    assert summary["crossover_extrapolated_rows"] == pytest.approx(2_000_000)
    assert summary["crossover"]["first_faster_at"] is None  # equal at 2 M, not faster


def test_sizes_parse_and_bad_ones_are_named() -> None:
    assert parse_sizes("28356, 1e6,10e6") == [28_356, 1_000_000, 10_000_000]
    with pytest.raises(InputError, match="sizes"):
        parse_sizes("big")


def test_lookup_stats_say_where_the_slowest_lookups_waited() -> None:
    from moodtune.bench.scale import lookup_stats

    wall = np.arange(1, 101) / 1000  # 1..100 ms
    cpu = np.full(100, 0.0005)
    counters = np.zeros((100, 4))
    counters[:, 0] = 2  # minor faults, every lookup
    counters[99, 3] = 1  # the slowest one was preempted
    counters[0, 2] = 1  # a fast one blocked once
    stats = lookup_stats(wall, cpu, counters)
    assert stats["p50_ms"] == pytest.approx(50.5)
    assert stats["p99_ms"] == pytest.approx(99.01)
    assert stats["max_ms"] == pytest.approx(100.0)
    assert stats["cpu_p99_ms"] == pytest.approx(0.5)
    assert stats["minor_faults_per_lookup"] == 2.0
    assert stats["preempted_per_lookup"] == pytest.approx(0.01)
    assert stats["preempted_per_tail_lookup"] == 1.0
    assert stats["voluntary_switches_per_lookup"] == pytest.approx(0.01)
    assert stats["voluntary_switches_per_tail_lookup"] == 0.0


def test_summary_reads_the_target_on_the_served_variant() -> None:
    def query(variant: str | None, p99: float) -> dict[str, object]:
        entry: dict[str, object] = {"kind": "query", "p99_ms": p99, "recall_at_20": 0.96}
        if variant is not None:
            entry["variant"] = variant
        return entry

    results = [query(None, 7.8), query("on-disk-lists", 9.0), query("served", 1.5)]
    summary = summarise(results)
    assert summary["serving_targets"] == {
        "p99_ms": 1.5,
        "p99_ok": True,
        "recall_at_20": 0.96,
        "recall_ok": True,
    }
    assert summary["serving_baseline"]["p99_ms"] == 9.0
    # A log from before variants: those runs opened the index the old way, no served figure.
    assert summarise(results[:1])["serving_targets"] is None


def test_serve_only_needs_an_index_from_an_earlier_run(tmp_path: Path) -> None:
    from moodtune.bench.scale import run_scale_bench

    with pytest.raises(InputError, match="no serving index") as caught:
        run_scale_bench(
            sizes=[],
            in_process_max=0,
            plays=[],
            als_iterations=1,
            work_dir=tmp_path,
            log=tmp_path / "log.jsonl",
            serve_only=True,
        )
    assert caught.value.field == "work_dir"


def test_timed_lookups_call_every_row_in_order_back_to_back_or_paced() -> None:
    from moodtune.bench.scale import _timed_lookups

    for rate in (None, 2000.0):
        calls: list[int] = []
        stats, late = _timed_lookups(calls.append, np.array([5, 3, 9]), rate=rate, seed=0)
        assert calls == [5, 3, 9]
        assert stats["n"] == 3 and len(late) == 3 and (late >= 0).all()
        assert stats["p50_ms"] >= 0 and stats["major_faults_per_lookup"] >= 0


def test_a_vector_index_is_a_serving_index_of_jittered_real_vectors(tmp_path: Path) -> None:
    from moodtune.bench.scale import make_vector_index
    from moodtune.recommend.serving_index import ServingIndex

    base = np.random.default_rng(3).normal(size=(50, 4)).astype(np.float32)
    built = make_vector_index(base, 3000, tmp_path / "index", train_rows=2000)
    assert built["vectors"] == 3000 and built["source"] == "vectors"
    index = ServingIndex.load(tmp_path / "index", warm=False)
    assert len(index) == 3000 and index.track_id(0) == "synthetic-00000001"
    # Every vector lies within a few jitter sds of one of the base rows.
    gaps = np.sqrt(((np.asarray(index.vectors)[:, None, :] - base[None]) ** 2).sum(-1)).min(1)
    assert gaps.max() < 0.05 * 6 * 2
