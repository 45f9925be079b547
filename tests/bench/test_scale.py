"""``moodtune bench scale``: the summary's arithmetic has known answers (no Spark here)."""

from __future__ import annotations

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
