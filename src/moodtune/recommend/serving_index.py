"""A similar-track index for catalogs larger than one process's memory, served memory-mapped.

Built by ``moodtune spark index`` from an annotated catalog's ``similarity_vector`` column (the
track index's own space: :func:`moodtune.recommend.tracks.similarity_vectors`):

* faiss ``IndexIVFFlat`` — ``nlist`` k-means cells trained on a sample, then filled batch by
  batch, so the build never holds the catalog; a query scans the ``nprobe`` nearest cells.
  HNSW answers faster but its build (84 s per million vectors on one core here) does not fit a
  10-million-track catalog on two cores;
* ``nprobe`` is chosen at build time as the smallest power of two whose recall@20 against an
  exact scan, on held-out catalog rows, reaches ``target_recall`` (0.95);
* the folder holds ``index.faiss``, ``vectors.npy`` (float32, the query side of "tracks like
  this one"), ``track_ids.arrow`` (Arrow IPC) and ``id_order.npy`` (rows sorted by id, for
  lookups by id) and ``meta.json``. :meth:`ServingIndex.load` maps every one of them
  (faiss ``IO_FLAG_MMAP_IFC``, ``numpy`` ``mmap_mode="r"``, ``pyarrow.memory_map``): web
  workers on one machine share one copy in the page cache.

Two measured latency traps (``moodtune bench scale``, docs/scale.md):

* faiss's older ``IO_FLAG_MMAP`` serves an IVF through ``OnDiskInvertedLists``, whose search
  starts a prefetch thread per query and joins the previous one: one voluntary context switch
  per lookup, so on a busy machine a lookup waits for a core to be woken again (10 M tracks:
  p99 7-24 ms against a CPU p99 under 1 ms). ``IO_FLAG_MMAP_IFC`` maps the same file as plain
  array lists, zero-copy, with no thread;
* faiss maps the file ``MADV_RANDOM`` (no read-ahead), so a lookup that touches a cell the page
  cache does not hold waits for the disk page by page. :meth:`ServingIndex.warm` (run by
  ``load`` unless ``warm=False``) reads every file through once when it fits the memory
  available: the start pays the read, once per machine, and the page cache holds the files'
  size (shared by every worker, reclaimable by the kernel).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from moodtune.errors import DataIntegrityError, InputError

__all__ = [
    "SERVING_INDEX_FILES",
    "SERVING_INDEX_FORMAT",
    "IndexBuildReport",
    "ServingIndex",
    "WarmReport",
    "build_serving_index",
    "exact_top_k",
]

SERVING_INDEX_FORMAT = 1
SERVING_INDEX_FILES: tuple[str, ...] = (
    "index.faiss",
    "vectors.npy",
    "track_ids.arrow",
    "id_order.npy",
    "meta.json",
)
NPROBE_CHOICES: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64, 128, 256)


@dataclass(frozen=True)
class IndexBuildReport:
    """What a build did: sizes, the chosen ``nprobe`` and the recall curve that chose it."""

    vectors: int
    dimensions: int
    nlist: int
    nprobe: int
    train_rows: int
    recall_by_nprobe: dict[int, float]
    tuning_queries: int


@dataclass(frozen=True)
class WarmReport:
    """What :meth:`ServingIndex.warm` did: bytes read into the page cache and how long it took.

    ``skipped`` says why nothing was read (the files are larger than the memory budget), else
    ``None``.
    """

    files: int
    bytes_read: int
    seconds: float
    skipped: str | None = None


_WARM_CHUNK = 8 * 2**20


def default_nlist(n: int) -> int:
    """About 4·sqrt(n) cells, at least 1 and at most n/39 (faiss wants 39 training rows a cell)."""
    return int(max(1, min(4 * np.sqrt(max(n, 1)), max(1, n // 39))))


def exact_top_k(
    vectors: np.ndarray, queries: np.ndarray, k: int, *, chunk: int = 250_000
) -> np.ndarray:
    """Row numbers of the ``k`` nearest ``vectors`` (L2) of each query, nearest first.

    Chunked, so a memory-mapped (n, d) matrix is scanned without being loaded whole.
    """
    queries = np.asarray(queries, dtype=np.float32)
    best_d = np.full((len(queries), 0), np.inf, dtype=np.float32)
    best_i = np.zeros((len(queries), 0), dtype=np.int64)
    q_norm = (queries**2).sum(axis=1, keepdims=True)
    for start in range(0, len(vectors), chunk):
        block = np.asarray(vectors[start : start + chunk], dtype=np.float32)
        dist = q_norm - 2.0 * queries @ block.T + (block**2).sum(axis=1)[None, :]
        take = min(k, block.shape[0])
        part = np.argpartition(dist, take - 1, axis=1)[:, :take]
        cand_d = np.concatenate([best_d, np.take_along_axis(dist, part, axis=1)], axis=1)
        cand_i = np.concatenate([best_i, part + start], axis=1)
        keep = np.argsort(cand_d, axis=1, kind="stable")[:, :k]
        best_d = np.take_along_axis(cand_d, keep, axis=1)
        best_i = np.take_along_axis(cand_i, keep, axis=1)
    return best_i


def _without_self(found: np.ndarray, rows: np.ndarray, k: int) -> list[np.ndarray]:
    return [f[(f != row) & (f >= 0)][:k] for f, row in zip(found, rows, strict=True)]


def _recall(found: list[np.ndarray], truth: list[np.ndarray]) -> float:
    hits = [
        len(set(f.tolist()) & set(t.tolist())) / len(t) for f, t in zip(found, truth, strict=True)
    ]
    return float(np.mean(hits))


def build_serving_index(
    out: str | Path,
    *,
    train_vectors: np.ndarray,
    batches: Iterable[tuple[list[str], np.ndarray]],
    total: int,
    nlist: int | None = None,
    target_recall: float = 0.95,
    k: int = 20,
    tuning_queries: int = 200,
    random_state: int = 0,
    meta: dict[str, Any] | None = None,
) -> IndexBuildReport:
    """Train on ``train_vectors``, add ``batches`` of (track ids, (m, d) vectors) — ``total``
    rows in all — and choose ``nprobe``; writes the folder ``out`` (must not exist yet)."""
    import faiss
    import pyarrow as pa

    out = Path(out)
    out.mkdir(parents=True, exist_ok=False)
    train_vectors = np.ascontiguousarray(train_vectors, dtype=np.float32)
    if train_vectors.ndim != 2 or len(train_vectors) == 0:
        raise InputError("no vectors to train the index on", field="train_vectors")
    dim = train_vectors.shape[1]
    nlist = nlist or default_nlist(total)
    index = faiss.IndexIVFFlat(faiss.IndexFlatL2(dim), dim, nlist)
    index.train(train_vectors)
    vectors = np.lib.format.open_memmap(
        out / "vectors.npy", mode="w+", dtype=np.float32, shape=(total, dim)
    )
    ids: list[pa.Array] = []
    filled = 0
    for batch_ids, batch in batches:
        batch = np.ascontiguousarray(batch, dtype=np.float32)
        if filled + len(batch) > total:
            raise InputError(f"more than the {total} vectors announced", field="total")
        index.add(batch)
        vectors[filled : filled + len(batch)] = batch
        ids.append(pa.array(batch_ids, type=pa.string()))
        filled += len(batch)
    if filled != total:
        raise InputError(f"{filled} vectors added, {total} announced", field="total")
    vectors.flush()
    id_array = pa.chunked_array(ids, type=pa.string()).combine_chunks()
    schema = pa.schema([("track_id", pa.string())])
    with (
        pa.OSFile(str(out / "track_ids.arrow"), "wb") as sink,
        pa.ipc.new_file(sink, schema) as writer,
    ):
        writer.write_table(pa.table({"track_id": id_array}))
    np.save(
        out / "id_order.npy",
        np.argsort(np.asarray(id_array.to_numpy(zero_copy_only=False)), kind="stable"),
    )
    rng = np.random.default_rng(random_state)
    rows = np.sort(rng.choice(total, size=min(tuning_queries, total), replace=False))
    queries = np.asarray(vectors[rows])
    # "Tracks like this one" leaves the track itself out, in the truth and in the answers.
    truth = _without_self(exact_top_k(vectors, queries, k + 1), rows, k)
    curve: dict[int, float] = {}
    chosen: int | None = None
    for nprobe in [p for p in NPROBE_CHOICES if p <= nlist] or [nlist]:
        index.nprobe = nprobe
        _, found = index.search(queries, k + 1)
        curve[nprobe] = _recall(_without_self(found, rows, k), truth)
        if curve[nprobe] >= target_recall:
            chosen = nprobe
            break
    if chosen is None:
        chosen = max(curve)
    index.nprobe = chosen
    faiss.write_index(index, str(out / "index.faiss"))
    report = IndexBuildReport(
        vectors=total,
        dimensions=dim,
        nlist=nlist,
        nprobe=chosen,
        train_rows=len(train_vectors),
        recall_by_nprobe=curve,
        tuning_queries=len(rows),
    )
    payload = {
        "format": SERVING_INDEX_FORMAT,
        **report.__dict__,
        "recall_by_nprobe": {str(p): r for p, r in curve.items()},
        "k": k,
        "target_recall": target_recall,
        **(meta or {}),
    }
    (out / "meta.json").write_text(json.dumps(payload, indent=1, default=str))
    return report


class ServingIndex:
    """The memory-mapped index of a ``moodtune spark index`` folder (read-only, shareable)."""

    def __init__(
        self,
        directory: Path,
        index: Any,
        vectors: np.ndarray,
        ids: Any,
        order: np.ndarray,
        meta: dict[str, Any],
    ) -> None:
        self.directory = directory
        self.index = index
        self.vectors = vectors
        self.track_ids = ids
        self.id_order = order
        self.meta = meta
        self.warm_report: WarmReport | None = None

    @classmethod
    def load(
        cls, directory: str | Path, *, nprobe: int | None = None, warm: bool = True
    ) -> ServingIndex:
        """Map the folder's files, and with ``warm`` read them into the page cache (see
        :meth:`warm`; ``warm_report`` says what it did); refuses another format or files that
        disagree in size."""
        import faiss
        import pyarrow as pa

        directory = Path(directory)
        missing = [n for n in SERVING_INDEX_FILES if not (directory / n).is_file()]
        if missing:
            raise DataIntegrityError(f"{directory}: not a serving index (missing {missing})")
        meta = json.loads((directory / "meta.json").read_text())
        if meta.get("format") != SERVING_INDEX_FORMAT:
            raise DataIntegrityError(
                f"{directory}: index format {meta.get('format')!r}, this moodtune reads "
                f"{SERVING_INDEX_FORMAT}; build it again"
            )
        # Zero-copy array lists over the mapped file; not IO_FLAG_MMAP (see the module doc).
        index: Any = faiss.read_index(
            str(directory / "index.faiss"), faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY
        )
        index.nprobe = int(nprobe or meta["nprobe"])
        faiss.omp_set_num_threads(1)  # latency, not throughput: one query, one thread
        vectors = np.load(directory / "vectors.npy", mmap_mode="r")
        ids = pa.ipc.open_file(pa.memory_map(str(directory / "track_ids.arrow"))).read_all()
        order = np.load(directory / "id_order.npy", mmap_mode="r")
        if not index.ntotal == len(vectors) == ids.num_rows == len(order):
            raise DataIntegrityError(
                f"{directory}: {index.ntotal} indexed, {len(vectors)} vectors, "
                f"{ids.num_rows} ids, {len(order)} in the id order; build it again"
            )
        loaded = cls(directory, index, vectors, ids.column("track_id"), order, meta)
        if warm:
            loaded.warm_report = loaded.warm()
        return loaded

    def warm(self, *, budget_bytes: int | None = None) -> WarmReport:
        """Read every file of the folder once, so lookups find their pages in the page cache.

        Skipped (nothing read) when the files are larger than ``budget_bytes`` — by default the
        memory available now (``psutil``): warming what cannot stay resident only evicts other
        pages. The pages stay the kernel's: shared by every process mapping the files, and
        reclaimable under memory pressure (nothing is locked).
        """
        import psutil

        paths = [self.directory / n for n in SERVING_INDEX_FILES]
        total = sum(os.path.getsize(p) for p in paths)
        budget = psutil.virtual_memory().available if budget_bytes is None else budget_bytes
        if total > budget:
            return WarmReport(
                files=len(paths),
                bytes_read=0,
                seconds=0.0,
                skipped=f"the files ({total:,} bytes) exceed the memory budget ({budget:,})",
            )
        started = time.perf_counter()
        buffer = bytearray(_WARM_CHUNK)
        read = 0
        for path in paths:
            with path.open("rb", buffering=0) as handle:
                if hasattr(os, "posix_fadvise"):
                    os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
                while chunk := handle.readinto(buffer):
                    read += chunk
        return WarmReport(files=len(paths), bytes_read=read, seconds=time.perf_counter() - started)

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def track_id(self, row: int) -> str:
        return str(self.track_ids[int(row)].as_py())

    def row_of(self, track_id: str) -> int:
        """The row of ``track_id`` (binary search over the id order), or ``NotFoundError``."""
        from moodtune.errors import NotFoundError

        low, high = 0, len(self.id_order)
        while low < high:
            mid = (low + high) // 2
            if self.track_id(self.id_order[mid]) < track_id:
                low = mid + 1
            else:
                high = mid
        if low < len(self.id_order) and self.track_id(self.id_order[low]) == track_id:
            return int(self.id_order[low])
        raise NotFoundError(f"unknown track {track_id!r}", field="track_id", value=track_id)

    def similar_rows(self, row: int, k: int = 20) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` rows nearest row ``row`` (itself left out) and their L2 distances."""
        query = np.ascontiguousarray(self.vectors[int(row)], dtype=np.float32).reshape(1, -1)
        dist, found = self.index.search(query, k + 1)
        keep = (found[0] >= 0) & (found[0] != row)
        return found[0][keep][:k], np.sqrt(np.maximum(dist[0][keep][:k], 0.0))

    def similar(self, track_id: str, k: int = 20) -> list[str]:
        """Track ids of the ``k`` tracks most like ``track_id``."""
        rows, _ = self.similar_rows(self.row_of(track_id), k)
        return [self.track_id(r) for r in rows]

    def resident_bytes(self) -> int:
        """Bytes of the folder's files: what the page cache holds when all of it is hot."""
        return sum(os.path.getsize(self.directory / n) for n in SERVING_INDEX_FILES)
