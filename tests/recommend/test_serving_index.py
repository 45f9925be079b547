"""The memory-mapped serving index: how it is opened and warmed (no Spark here)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

from moodtune.recommend.serving_index import (
    SERVING_INDEX_FILES,
    ServingIndex,
    build_serving_index,
    exact_top_k,
)


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2,000 random 8-d vectors in 16 cells, as ``moodtune spark index`` writes them."""
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(2000, 8)).astype(np.float32)
    out = tmp_path_factory.mktemp("serving") / "index"
    batches = [
        ([f"t-{i:05d}" for i in range(s, s + 500)], vectors[s : s + 500])
        for s in (0, 500, 1000, 1500)
    ]
    build_serving_index(out, train_vectors=vectors, batches=batches, total=2000, nlist=16)
    return out


def test_the_index_file_is_mapped_as_array_lists_not_on_disk_lists(index_dir: Path) -> None:
    import faiss

    index = ServingIndex.load(index_dir, warm=False)
    lists = faiss.downcast_InvertedLists(index.index.invlists)
    # OnDiskInvertedLists (faiss IO_FLAG_MMAP) starts a prefetch thread on every search.
    assert type(lists).__name__ == "ArrayInvertedLists"
    if sys.platform == "linux":
        maps = Path("/proc/self/maps").read_text()
        assert str(index_dir / "index.faiss") in maps  # mapped (shared), not copied


def test_every_cell_scanned_answers_like_an_exact_scan(index_dir: Path) -> None:
    index = ServingIndex.load(index_dir, nprobe=16, warm=False)
    rows = [0, 777, 1999]
    truth = exact_top_k(index.vectors, np.asarray(index.vectors[rows]), 11)
    for row, exact in zip(rows, truth, strict=True):
        found, distances = index.similar_rows(row, 10)
        assert found.tolist() == [r for r in exact.tolist() if r != row][:10]
        assert np.all(np.diff(distances) >= 0)
    assert index.similar("t-00777", 3) == [index.track_id(r) for r in index.similar_rows(777, 3)[0]]


def test_load_warms_every_file_once(index_dir: Path) -> None:
    index = ServingIndex.load(index_dir)
    report = index.warm_report
    assert report is not None and report.skipped is None
    assert report.files == len(SERVING_INDEX_FILES)
    assert report.bytes_read == sum(os.path.getsize(index_dir / n) for n in SERVING_INDEX_FILES)
    assert report.bytes_read == index.resident_bytes()


def test_warm_reads_nothing_past_the_memory_budget(index_dir: Path) -> None:
    index = ServingIndex.load(index_dir, warm=False)
    assert index.warm_report is None
    report = index.warm(budget_bytes=1000)
    assert report.bytes_read == 0 and report.skipped is not None
    assert "exceed the memory budget (1,000)" in report.skipped
