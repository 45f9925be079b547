"""Track recommendations from a nearest-neighbour index over scaled audio and mood features.

Two searches, each with the structure that measured fastest for it (see ``docs/tracks.md``):

* **Similar tracks** search an 11-dimensional space (mood valence and arousal weighted x2, nine
  standardised audio features) with faiss ``IndexHNSWFlat`` (approximate, recall@20 against an
  exact scan is measured by ``moodtune bench tracks``), or ``IndexFlatL2`` with ``method="exact"``.
* **Tracks near a mood point** search the 2-D valence-arousal plane with an exact k-d tree
  (``scipy.spatial.cKDTree``): in two dimensions an exact tree is faster than any graph index.
  Score = mood distance + ``tie_weight`` (0.05) x the RMS distance, over standardised audio
  features, to an audio profile: a goal's (e.g. slow and instrumental for sleep) or, with no
  profile, the typical track of that region. This is a weighting, not a pure tie-break: the
  audio term can be as large as the mood gaps between close candidates, so it can reorder
  them (reasons say "also weighted towards ...").

Filters are applied by over-fetching (4k, then x4 each round) and falling back to an exact scan
over the rows that pass when the index cannot supply enough. Every recommended track carries a
``reason``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np
import pandas as pd

from moodtune.artefacts import (
    DamagedFileError,
    load_or_build,
    make_private,
    verify_folder,
    write_manifest,
)
from moodtune.catalog.scaling import FeatureScaler
from moodtune.errors import DataIntegrityError, InputError, check_is_fitted
from moodtune.recommend.filters import (
    FilterOutcome,
    TrackFilters,
    apply_filters,
    artist_keys,
    diversify,
    duplicate_keys,
    genre_mask,
    recency_weighted_popularity,
)

if TYPE_CHECKING:
    from moodtune.config import Settings
    from moodtune.mood.goals import GoalSpec

__all__ = [
    "FEATURE_WEIGHTS",
    "INDEX_FORMAT_VERSION",
    "MAX_TRACKS_PER_QUERY",
    "SIMILARITY_FEATURES",
    "TIE_BREAK_FEATURES",
    "MoodLike",
    "TrackIndex",
    "TrackRecommendations",
    "catalog_fingerprint",
    "describe_goal_constraints",
    "frame_from_columns",
    "goal_outcome",
    "goal_profile",
    "index_cache_dir",
    "indexable_rows",
    "load_track_index",
    "similarity_scaler",
    "similarity_vectors",
]

INDEX_FORMAT_VERSION = 1
#: The files of a saved index folder, listed with their sha256 in its ``manifest.json``.
INDEX_FILES: tuple[str, ...] = ("index.faiss", "meta.json")

#: Columns of the similarity space, in order. Mood first: it is what the listener asked for.
SIMILARITY_FEATURES: tuple[str, ...] = (
    "mood_valence",
    "mood_arousal",
    "danceability",
    "energy",
    "valence",
    "acousticness",
    "instrumentalness",
    "speechiness",
    "liveness",
    "loudness",
    "tempo",
)
#: Multipliers applied after standardising (mean 0, sd 1 over usable rows); others are 1.
FEATURE_WEIGHTS: dict[str, float] = {"mood_valence": 2.0, "mood_arousal": 2.0}
#: Audio features of the profile term in mood-point queries (see the module docstring).
TIE_BREAK_FEATURES: tuple[str, ...] = SIMILARITY_FEATURES[2:]
#: Where they sit in the similarity vectors: a slice keeps the rows taken C-ordered (the
#: profile term's float32 sums then run in the same order as ever) and is cheap to take.
_TIE_SPAN = slice(2, None)

_RESULT_COLUMNS = (
    "track_id",
    "name",
    "artists",
    "genres",
    "mood_valence",
    "mood_arousal",
    "mood_uncertain",
    "quadrant",
    "tempo",
    "energy",
    "instrumentalness",
    "popularity",
    "duration_ms",
    "explicit",
    "synthetic",
)


class MoodLike(Protocol):
    """Anything with a valence and an arousal in [-1, 1] (e.g. ``moodtune.mood.MoodPoint``)."""

    @property
    def valence(self) -> float: ...

    @property
    def arousal(self) -> float: ...


@dataclass
class TrackRecommendations:
    """Ranked tracks with their reasons, the query that produced them and any caveats.

    ``tracks`` is the answer table. An answer straight from the index also carries its catalog
    ``rows`` and ``short_reasons`` in rank order, and builds the table only when it is first
    read: a caller that shows tracks it already knows by row (the web app's cached track
    views) never pays for a DataFrame, which costs more than the search itself.
    """

    query: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: What every track's reason shares (the target, the ranking, the filters), said once.
    #: Each track's full ``reason`` includes them; ``short_reason`` leaves them out.
    explanations: list[str] = field(default_factory=list)
    #: Catalog rows (of ``TrackIndex.tracks_``) in rank order; None when not known.
    rows: np.ndarray | None = None
    short_reasons: tuple[str, ...] = ()
    _frame: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    _build: Callable[[], pd.DataFrame] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_frame(cls, tracks: pd.DataFrame, **fields: Any) -> TrackRecommendations:
        """An answer whose table is already built (e.g. merged from several answers)."""
        return cls(_frame=tracks, **fields)

    @property
    def tracks(self) -> pd.DataFrame:
        """The answer table: one row per track, rank order (built once, on first use)."""
        if self._frame is None:
            if self._build is None:
                raise ValueError("this answer has no table")
            self._frame, self._build = self._build(), None
        return self._frame

    @tracks.setter
    def tracks(self, frame: pd.DataFrame) -> None:
        self._frame, self._build = frame, None

    def __len__(self) -> int:
        return len(self.rows) if self.rows is not None else len(self.tracks)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form for ``--json`` and library callers."""
        records = self.tracks.astype(object).where(self.tracks.notna(), None)
        return {
            "query": self.query,
            "notes": self.notes,
            "explanations": self.explanations,
            "tracks": [
                {k: (list(v) if isinstance(v, np.ndarray | tuple) else v) for k, v in r.items()}
                for r in records.to_dict(orient="records")
            ],
        }


#: What a reason adds when a track's fitted mood is uncertain (``mood_uncertain``).
UNCERTAIN_MOOD_CLAUSE = (
    "; its mood is uncertain: its features are unlike the human-rated songs the mood model "
    "was fitted on"
)


def uncertain_clause(uncertain: bool) -> str:
    """The reason clause for a track whose mood is uncertain, else an empty string."""
    return UNCERTAIN_MOOD_CLAUSE if uncertain else ""


def index_cache_dir(settings: Settings | None = None) -> Path:
    """Where the persisted track index lives: beside the catalog cache in ``parquet_dir``."""
    from moodtune.config import get_settings

    settings = settings or get_settings()
    return Path(settings.parquet_dir) / "track_index"


def _feature_matrix(tracks: pd.DataFrame) -> np.ndarray:
    missing = [c for c in SIMILARITY_FEATURES if c not in tracks.columns]
    if missing:
        raise InputError(
            f"the catalog table lacks column(s) {missing} needed by the track index "
            "(mood columns come from the mood engine)",
            field=missing[0],
            allowed=", ".join(SIMILARITY_FEATURES),
        )
    return tracks.loc[:, list(SIMILARITY_FEATURES)].to_numpy(dtype=np.float64)


def indexable_rows(tracks: pd.DataFrame, raw: np.ndarray | None = None) -> np.ndarray:
    """Boolean mask of the rows the index holds: usable, with a known mood position.

    ``raw`` is ``tracks``' similarity-feature matrix when the caller already has it.
    """
    raw = _feature_matrix(tracks) if raw is None else raw
    return _usable(tracks) & np.isfinite(raw[:, :2]).all(axis=1)


def similarity_scaler(tracks: pd.DataFrame) -> FeatureScaler:
    """The standardisation of the similarity space, fitted on the indexable rows."""
    raw = _feature_matrix(tracks)
    return FeatureScaler.fit(raw[indexable_rows(tracks, raw)], features=SIMILARITY_FEATURES)


def similarity_vectors(values: pd.DataFrame | np.ndarray, scaler: FeatureScaler) -> np.ndarray:
    """(n, 11) float32 vectors of the similarity space: z-scores times ``FEATURE_WEIGHTS``.

    ``values`` is a track table or its (n, 11) ``SIMILARITY_FEATURES`` matrix. Row by row: the
    vectors of a table scaled in batches with one ``scaler`` equal those of the whole table.
    """
    raw = _feature_matrix(values) if isinstance(values, pd.DataFrame) else values
    weights = np.array([FEATURE_WEIGHTS.get(c, 1.0) for c in SIMILARITY_FEATURES])
    return np.ascontiguousarray(scaler.transform(raw) * weights, dtype=np.float32)


def _usable(tracks: pd.DataFrame) -> np.ndarray:
    if "usable" not in tracks.columns:
        return np.ones(len(tracks), dtype=bool)
    return tracks["usable"].fillna(False).to_numpy(dtype=bool)


def catalog_fingerprint(tracks: pd.DataFrame) -> str:
    """A hash of what the index depends on: ids, feature values and the usable flags."""
    digest = hashlib.sha256()
    digest.update(f"v{INDEX_FORMAT_VERSION}:{','.join(SIMILARITY_FEATURES)}".encode())
    digest.update("\x00".join(tracks["track_id"].astype(str)).encode())
    digest.update(np.ascontiguousarray(_feature_matrix(tracks)).tobytes())
    digest.update(_usable(tracks).tobytes())
    return digest.hexdigest()[:24]


def goal_profile(spec: GoalSpec) -> dict[str, float]:
    """The audio profile a goal prefers, weighted into mood-point scores (raw feature units).

    Middle of the goal's tempo range and energy bounds, instrumentalness 1 when instrumental
    is preferred, speechiness 0 when speech is limited.
    """
    profile: dict[str, float] = {}
    if spec.tempo_range is not None:
        profile["tempo"] = float(sum(spec.tempo_range) / 2)
    if spec.min_energy is not None or spec.max_energy is not None:
        low = spec.min_energy if spec.min_energy is not None else 0.0
        high = spec.max_energy if spec.max_energy is not None else 1.0
        profile["energy"] = float((low + high) / 2)
    if spec.prefer_instrumental:
        profile["instrumentalness"] = 1.0
    if spec.max_speechiness is not None:
        profile["speechiness"] = 0.0
    return profile


def describe_goal_constraints(spec: GoalSpec, *, explicit_known: bool = True) -> str:
    """The hard constraints of a goal in words, for reasons (never one that was not applied:
    a catalog without explicit-lyrics flags cannot apply "no explicit lyrics")."""
    parts = []
    if spec.tempo_range is not None:
        parts.append(f"tempo {spec.tempo_range[0]:g}-{spec.tempo_range[1]:g} BPM")
    if spec.min_energy is not None:
        parts.append(f"energy >= {spec.min_energy:g}")
    if spec.max_energy is not None:
        parts.append(f"energy <= {spec.max_energy:g}")
    if spec.max_speechiness is not None:
        parts.append(f"speechiness <= {spec.max_speechiness:g}")
    if not spec.allow_explicit and explicit_known:
        parts.append("no explicit lyrics")
    return f"goal {spec.goal.value}" + (f" ({', '.join(parts)})" if parts else "")


def goal_outcome(
    tracks: pd.DataFrame, filters: TrackFilters | None, spec: GoalSpec | None
) -> FilterOutcome:
    """``filters`` plus a goal's hard constraints (tempo, energy, speech, explicit) as a mask."""
    if spec is None:
        return apply_filters(tracks, filters)
    base = filters or TrackFilters()
    if not spec.allow_explicit:
        base = base.merged(TrackFilters(explicit=False))
    outcome = apply_filters(tracks, base)
    outcome.mask = outcome.mask & spec.constraint_mask(tracks)
    outcome.applied = [a for a in outcome.applied if a != "no explicit lyrics"]
    outcome.applied.append(
        describe_goal_constraints(spec, explicit_known=not outcome.explicit_unknown)
    )
    return outcome


class TrackIndex:
    """Nearest-neighbour search over a catalog's tracks (see the module docstring).

    ``__init__`` only stores parameters; :meth:`fit` builds the index (learned state ends in
    ``_``). Build with :meth:`load_or_build` to reuse the copy persisted beside the catalog.

    Parameters
    ----------
    method
        ``"hnsw"`` (faiss ``IndexHNSWFlat``) or ``"exact"`` (faiss ``IndexFlatL2``).
    hnsw_m, ef_construction, ef_search
        HNSW graph degree, build beam and query beam.
    tie_weight
        Weight of the audio-profile distance (RMS over standardised features) added to the mood
        distance in mood-point queries. Not a pure tie-break: it reorders tracks whose mood
        distances differ by less than about ``tie_weight`` x their audio-profile gap.
    build_threads
        OpenMP threads while building; queries always use one thread (latency, not throughput).
    """

    def __init__(
        self,
        *,
        method: Literal["hnsw", "exact"] = "hnsw",
        hnsw_m: int = 16,
        ef_construction: int = 64,
        ef_search: int = 48,
        tie_weight: float = 0.05,
        build_threads: int = 2,
    ) -> None:
        self.method = method
        self.hnsw_m = hnsw_m
        self.ef_construction = ef_construction
        self.ef_search = ef_search
        self.tie_weight = tie_weight
        self.build_threads = build_threads
        #: The catalog's name, for messages (set by :func:`load_track_index`).
        self.catalog_name: str | None = None

    # ------------------------------------------------------------------ building
    def _params(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "hnsw_m": self.hnsw_m,
            "ef_construction": self.ef_construction,
        }

    def _prepare(
        self, tracks: pd.DataFrame, *, scaler: tuple[np.ndarray, np.ndarray] | None
    ) -> None:
        if self.method not in ("hnsw", "exact"):
            raise InputError(
                "unknown index method", field="method", value=self.method, allowed="hnsw, exact"
            )
        if "track_id" not in tracks.columns:
            raise InputError("the catalog table lacks a track_id column", field="track_id")
        raw = _feature_matrix(tracks)
        usable = indexable_rows(tracks, raw)
        if not usable.any():
            raise InputError("the catalog has no usable tracks to index", field="usable")
        fitted = (
            FeatureScaler.fit(raw[usable], features=SIMILARITY_FEATURES)
            if scaler is None
            else FeatureScaler(
                features=SIMILARITY_FEATURES,
                mean=tuple(float(m) for m in scaler[0]),
                scale=tuple(float(s) for s in scaler[1]),
            )
        )
        weights = np.array([FEATURE_WEIGHTS.get(c, 1.0) for c in SIMILARITY_FEATURES])
        self.tracks_ = tracks
        self.feature_mean_ = np.asarray(fitted.mean)
        self.feature_scale_ = np.asarray(fitted.scale)
        self.weights_ = weights
        self.vectors_ = similarity_vectors(raw, fitted)
        self._tie_cols = np.array([SIMILARITY_FEATURES.index(c) for c in TIE_BREAK_FEATURES])
        self._tie_weights = weights[self._tie_cols].astype(np.float32)
        self.usable_rows_ = np.flatnonzero(usable).astype(np.int64)
        self.mood_ = np.ascontiguousarray(raw[:, :2])
        self.artist_codes_ = artist_keys(tracks)
        self.duplicate_codes_ = duplicate_keys(tracks)
        self.id_to_row_ = {tid: i for i, tid in enumerate(tracks["track_id"].astype(str))}
        # Tracks whose fitted mood is uncertain (features unlike the rated songs): journeys avoid
        # them where the position matters, reasons say so. A catalog without the column: none.
        self.mood_uncertain_ = (
            tracks["mood_uncertain"].fillna(False).to_numpy(dtype=bool)
            if "mood_uncertain" in tracks.columns
            else np.zeros(len(tracks), dtype=bool)
        )
        self.tempo_ = tracks["tempo"].to_numpy(dtype=float)
        self.energy_ = tracks["energy"].to_numpy(dtype=float)
        self.fingerprint_ = catalog_fingerprint(tracks)
        # Answers are assembled from these per request: for 20 rows, a frame from a dict of
        # columns took ~0.2 ms where ``iloc`` on the catalog table took ~1.6 ms before any
        # column was inserted. They share the table's memory.
        self._answer_columns = {
            c: _column_values(tracks[c]) for c in _RESULT_COLUMNS if c in tracks.columns
        }
        self._guarded_columns = {
            c for c, values in self._answer_columns.items() if _needs_guard(values)
        }
        self._names = tracks["name"].array
        self._ids = tracks["track_id"].array
        self._no_filter_outcome: FilterOutcome | None = None
        self._outcomes: dict[tuple[TrackFilters, GoalSpec | None], FilterOutcome] = {}
        self._popularity: np.ndarray | None = None
        self._popularity_statement = ""
        self._mood_tree_build()

    def _mood_tree_build(self) -> None:
        from scipy.spatial import cKDTree

        self.mood_tree_ = cKDTree(self.mood_[self.usable_rows_])

    def fit(
        self, tracks: pd.DataFrame, *, progress: Callable[[int, int], None] | None = None
    ) -> TrackIndex:
        """Build the index over the usable rows of ``tracks`` (the catalog table).

        ``progress(done, total)`` is called as vectors are added (the HNSW build of a million
        tracks takes a minute or two).
        """
        import faiss

        self._prepare(tracks, scaler=None)
        data = self.vectors_[self.usable_rows_]
        dim = data.shape[1]
        index: Any
        if self.method == "hnsw":
            index = faiss.IndexHNSWFlat(dim, self.hnsw_m)
            index.hnsw.efConstruction = self.ef_construction
        else:
            index = faiss.IndexFlatL2(dim)
        faiss.omp_set_num_threads(self.build_threads)
        try:
            chunk = max(10_000, len(data) // 50)
            for start in range(0, len(data), chunk):
                index.add(data[start : start + chunk])
                if progress is not None:
                    progress(min(start + chunk, len(data)), len(data))
        finally:
            faiss.omp_set_num_threads(1)
        self._set_index(index)
        return self

    def save(self, directory: str | Path) -> Path:
        """Write the index (faiss format, no pickle), its metadata and a manifest of both;
        returns the directory."""
        import faiss

        check_is_fitted(self, "index_")
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        meta = {
            "format_version": INDEX_FORMAT_VERSION,
            "fingerprint": self.fingerprint_,
            "params": self._params(),
            "features": list(SIMILARITY_FEATURES),
            "feature_mean": self.feature_mean_.tolist(),
            "feature_scale": self.feature_scale_.tolist(),
            "n_indexed": len(self.usable_rows_),
        }
        with tempfile.TemporaryDirectory(dir=directory) as tmp:
            faiss.write_index(self.index_, str(Path(tmp) / "index.faiss"))
            Path(tmp, "meta.json").write_text(json.dumps(meta, indent=1))
            for name in INDEX_FILES:
                make_private(Path(tmp) / name)
                os.replace(Path(tmp) / name, directory / name)
        write_manifest(directory, INDEX_FILES)
        return directory

    @classmethod
    def load(cls, directory: str | Path, tracks: pd.DataFrame, **params: Any) -> TrackIndex:
        """Load a saved index for ``tracks``; refuses one built from a different catalog."""
        import faiss

        directory = Path(directory)
        meta_path = directory / "meta.json"
        if not meta_path.is_file():
            raise DataIntegrityError(f"{meta_path}: no saved track index here")
        verify_folder(directory, INDEX_FILES)
        try:
            meta = json.loads(meta_path.read_text())
        except ValueError as exc:
            raise DamagedFileError(meta_path, f"not readable JSON ({exc})") from None
        if meta.get("format_version") != INDEX_FORMAT_VERSION:
            raise DataIntegrityError(
                f"{meta_path}: index format {meta.get('format_version')!r}, this moodtune "
                f"reads {INDEX_FORMAT_VERSION}; rebuild it"
            )
        self = cls(**{**meta["params"], **params})
        fingerprint = catalog_fingerprint(tracks)
        if meta["fingerprint"] != fingerprint:
            raise DataIntegrityError(
                f"{meta_path}: the index was built for catalog {meta['fingerprint']}, "
                f"not {fingerprint}; rebuild it"
            )
        scaler = (np.asarray(meta["feature_mean"]), np.asarray(meta["feature_scale"]))
        self._prepare(tracks, scaler=scaler)
        try:
            index = faiss.read_index(str(directory / "index.faiss"))
        except RuntimeError as exc:  # faiss reports a damaged file this way
            raise DamagedFileError(
                directory / "index.faiss", f"not a faiss index ({exc})"
            ) from None
        if index.ntotal != len(self.usable_rows_):
            raise DataIntegrityError(
                f"{directory / 'index.faiss'}: holds {index.ntotal} vectors, "
                f"expected {len(self.usable_rows_)}; rebuild it"
            )
        faiss.omp_set_num_threads(1)
        self._set_index(index)
        return self

    @classmethod
    def load_or_build(
        cls,
        tracks: pd.DataFrame,
        *,
        cache_dir: str | Path | None = None,
        settings: Settings | None = None,
        progress: Callable[[int, int], None] | None = None,
        **params: Any,
    ) -> TrackIndex:
        """The persisted index for this catalog, rebuilt (and saved) only when it changed or
        its files fail their manifest check (then with a warning, see ``moodtune.artefacts``)."""
        base = Path(cache_dir) if cache_dir is not None else index_cache_dir(settings)
        probe = cls(**params)
        key = hashlib.sha256(
            (catalog_fingerprint(tracks) + json.dumps(probe._params(), sort_keys=True)).encode()
        ).hexdigest()[:16]
        return load_or_build(
            base / key,
            files=INDEX_FILES,
            build=lambda staged: cls(**params).fit(tracks, progress=progress).save(staged),
            load=lambda folder: cls.load(folder, tracks, **params),
            what="the track index",
        )

    # ------------------------------------------------------------------ lookups
    def rows_for(self, track_ids: Sequence[str]) -> list[int]:
        """Catalog row positions of ``track_ids``; an unknown id raises a precise error."""
        check_is_fitted(self, "index_")
        if isinstance(track_ids, str):
            track_ids = [track_ids]
        if not track_ids:
            raise InputError("give at least one seed track id", field="track_ids")
        rows = []
        for tid in track_ids:
            row = self.id_to_row_.get(str(tid))
            if row is None:
                names = self.tracks_["name"].astype(str)
                hits = self.tracks_.loc[
                    names.str.lower() == str(tid).strip().lower(), ["track_id", "name", "artists"]
                ]
                hint = (
                    "; tracks with that title: "
                    + "; ".join(
                        f"{r.track_id} ({r.name} - {r.artists})" for r in hits.head(5).itertuples()
                    )
                    if len(hits)
                    else ""
                )
                which = (
                    f"the active catalog {self.catalog_name!r}"
                    if self.catalog_name
                    else "the catalog"
                )
                switch = "; `moodtune catalog list` shows the others" if self.catalog_name else ""
                raise InputError(
                    f"unknown track id {tid!r}: not in {which} "
                    f"({len(self.tracks_):,} tracks){hint}{switch}",
                    field="track_id",
                    value=tid,
                    allowed="a track_id from the catalog",
                )
            rows.append(row)
        return rows

    def filter_outcome(self, filters: TrackFilters | None) -> FilterOutcome:
        """``apply_filters`` over this catalog; the no-filter outcome is computed once.

        The returned outcome is shared when ``filters`` is empty: do not modify it.
        """
        check_is_fitted(self, "index_")
        if filters is None or filters == TrackFilters():
            if self._no_filter_outcome is None:
                self._no_filter_outcome = apply_filters(self.tracks_, None)
            return self._no_filter_outcome
        return self._cached_outcome(filters, None)

    def goal_filter_outcome(self, filters: TrackFilters | None, goal: GoalSpec) -> FilterOutcome:
        """``goal_outcome`` over this catalog, kept per (filters, goal): do not modify it."""
        check_is_fitted(self, "index_")
        return self._cached_outcome(filters or TrackFilters(), goal)

    def _cached_outcome(self, filters: TrackFilters, goal: GoalSpec | None) -> FilterOutcome:
        # Evaluating a filter scans the whole catalog table (a few ms); requests repeat a few
        # goals and filter sets, so the outcomes are kept (a bounded number of them).
        key = (filters, goal)
        found = self._outcomes.get(key)
        if found is None:
            found = (
                apply_filters(self.tracks_, filters)
                if goal is None
                else goal_outcome(self.tracks_, filters, goal)
            )
            if len(self._outcomes) >= 64:
                self._outcomes.pop(next(iter(self._outcomes)))
            self._outcomes[key] = found
        return found

    def popularity(self) -> tuple[np.ndarray, str]:
        """Recency-weighted popularity per row in [0, 1], and the statement of how."""
        check_is_fitted(self, "index_")
        if self._popularity is None:
            scores = recency_weighted_popularity(self.tracks_)
            self._popularity = scores.scores
            self._popularity_statement = scores.statement
        return self._popularity, self._popularity_statement

    # ------------------------------------------------------------------ fast searches
    def _ann(self, vector: np.ndarray, fetch: int) -> tuple[np.ndarray, np.ndarray]:
        query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1)
        fetch = min(fetch, self._ntotal)
        if self.method == "hnsw" and fetch > self.ef_search:
            # A wider beam only for large over-fetches. The SWIG parameter object is made once
            # per beam width (making one per query showed in the p99 tail); searches only
            # read it.
            params = self._search_params.get(fetch)
            if params is None:
                import faiss

                params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
                params.efSearch = fetch
                self._search_params[fetch] = params
            dist, labels = self.index_.search(query, fetch, params=params)
        else:
            dist, labels = self.index_.search(query, fetch)
        found, dist = labels[0], dist[0]
        if found[-1] < 0:  # fewer than ``fetch`` results
            keep = found >= 0
            found, dist = found[keep], dist[keep]
        return self.usable_rows_[found], np.sqrt(np.maximum(dist, 0.0))

    def _set_index(self, index: Any) -> None:
        if self.method == "hnsw":
            index.hnsw.efSearch = self.ef_search
        self.index_ = index
        self._ntotal = int(index.ntotal)
        self._search_params: dict[int, Any] = {}

    def nearest_rows(self, vector: np.ndarray, k: int = 20) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` usable rows nearest ``vector`` (similarity space); rows and distances.

        The lean path (no filters, no diversity) that the benchmark times against the naive way.
        """
        check_is_fitted(self, "index_")
        return self._ann(vector, k)

    def exact_nearest_rows(self, vector: np.ndarray, k: int = 20) -> tuple[np.ndarray, np.ndarray]:
        """Exact top-``k`` over the usable rows (reference for recall)."""
        check_is_fitted(self, "index_")
        data = self.vectors_[self.usable_rows_]
        dist = ((data - np.asarray(vector, dtype=np.float32)) ** 2).sum(axis=1)
        k = min(k, len(dist))
        top = np.argpartition(dist, k - 1)[:k]
        top = top[np.argsort(dist[top], kind="stable")]
        return self.usable_rows_[top], np.sqrt(dist[top])

    def similar_rows(self, row: int, k: int = 20) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` rows nearest catalog row ``row`` (itself left out); rows and distances."""
        rows, dist = self.nearest_rows(self.vectors_[row], k + 1)
        keep = rows != row
        return rows[keep][:k], dist[keep][:k]

    def mood_rows(
        self, valence: float, arousal: float, k: int = 20
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` usable rows nearest (valence, arousal) in the mood plane; rows, distances."""
        check_is_fitted(self, "index_")
        k = min(k, len(self.usable_rows_))
        dist, idx = self.mood_tree_.query((valence, arousal), k=k)
        idx = np.atleast_1d(idx)
        return self.usable_rows_[idx], np.atleast_1d(dist)

    # ------------------------------------------------------------------ candidate pools
    def _filtered_pool(
        self,
        fetch_fn: Callable[[int], tuple[np.ndarray, np.ndarray]],
        exact_fn: Callable[[np.ndarray], np.ndarray],
        *,
        k: int,
        outcome: FilterOutcome | None,
        rank: Callable[[np.ndarray, np.ndarray], np.ndarray],
        max_per_artist: int | None,
        exclude: Sequence[int],
        notes: list[str],
    ) -> tuple[list[int], dict[int, float]]:
        """Over-fetch and widen until ``k`` rows pass filters and diversity, else exact scan."""
        mask = outcome.mask if outcome is not None else None
        total = len(self.usable_rows_)
        fetch = _first_fetch(k)
        excluded = set(int(e) for e in exclude)
        excluded_rows = np.fromiter(excluded, dtype=np.int64, count=len(excluded))
        passing = total if outcome is None else outcome.count_among(self.usable_rows_)
        while passing > fetch:  # else scanning the passing rows is cheaper than the index
            rows, dist = fetch_fn(fetch)
            ok = np.ones(len(rows), dtype=bool) if mask is None else mask[rows]
            if excluded:
                ok &= _not_in(rows, excluded_rows)
            rows, dist = rows[ok], dist[ok]
            order = rank(rows, dist)
            kept = diversify(
                rows[order],
                artist_codes=self.artist_codes_,
                duplicate_codes=self.duplicate_codes_,
                k=k,
                max_per_artist=max_per_artist,
                already=sorted(excluded),
            )
            if len(kept) >= k or fetch >= total:
                return kept, dict(zip(rows.tolist(), dist.tolist(), strict=True))
            if fetch >= 4096:
                break
            fetch *= 4
        # The index cannot supply enough passing rows cheaply: scan the passing rows exactly.
        # (Without filters that only happens when the artist cap leaves too few tracks.)
        candidates = (
            self.usable_rows_ if mask is None else self.usable_rows_[mask[self.usable_rows_]]
        )
        if excluded:
            candidates = candidates[_not_in(candidates, excluded_rows)]
        dist = exact_fn(candidates)
        order = rank(candidates, dist)
        kept = diversify(
            candidates[order],
            artist_codes=self.artist_codes_,
            duplicate_codes=self.duplicate_codes_,
            k=k,
            max_per_artist=max_per_artist,
            already=sorted(excluded),
        )
        notes.append(
            f"{len(candidates):,} track(s) pass the filters; "
            "searched them exactly instead of the index"
        )
        return kept, dict(zip(candidates.tolist(), dist.tolist(), strict=True))

    def _profile_distance(
        self, rows: np.ndarray, profile: Mapping[str, float] | None
    ) -> np.ndarray:
        """RMS standardised distance of ``rows`` to an audio profile (default: their centre).

        ``rows`` may be 2-D, ``(pools, rows)``: each pool is then scored as if alone.
        """
        cols = self._tie_cols
        standard = self.vectors_[rows, _TIE_SPAN] / self._tie_weights
        if not profile:
            target = (
                standard.mean(axis=-2, keepdims=True) if rows.shape[-1] else np.zeros(len(cols))
            )
            return np.sqrt(((standard - target) ** 2).mean(axis=-1))
        unknown = [f for f in profile if f not in TIE_BREAK_FEATURES]
        if unknown:
            raise InputError(
                f"unknown audio feature(s) {unknown} in profile",
                field="profile",
                value=", ".join(unknown),
                allowed=", ".join(TIE_BREAK_FEATURES),
            )
        use = [TIE_BREAK_FEATURES.index(f) for f in profile]
        target_raw = np.array([profile[f] for f in profile], dtype=float)
        full = [SIMILARITY_FEATURES.index(f) for f in profile]
        target = (target_raw - self.feature_mean_[full]) / self.feature_scale_[full]
        return np.sqrt(((standard[..., use] - target) ** 2).mean(axis=-1))

    def mood_pool(
        self,
        valence: float,
        arousal: float,
        *,
        k: int,
        outcome: FilterOutcome | None = None,
        profile: Mapping[str, float] | None = None,
        max_per_artist: int | None = None,
        popularity_weight: float = 0.0,
        exclude: Sequence[int] = (),
        notes: list[str] | None = None,
    ) -> tuple[list[int], dict[int, float]]:
        """Up to ``k`` rows near (valence, arousal), best first, passing ``outcome.mask``.

        Ranked by mood distance + ``tie_weight`` x profile distance - ``popularity_weight`` x
        recency-weighted popularity. Returns the rows and their mood distances (a dict that may
        hold more rows than were kept). The lean building block of journeys.
        """
        return self._mood_pool(
            valence,
            arousal,
            k=k,
            outcome=outcome,
            profile=profile,
            max_per_artist=max_per_artist,
            popularity_weight=popularity_weight,
            exclude=exclude,
            notes=notes,
        )

    def mood_pools(
        self,
        points: np.ndarray,
        *,
        k: int,
        outcomes: Sequence[FilterOutcome | None],
        profile: Mapping[str, float] | None = None,
        max_per_artist: int | None = None,
        notes: list[str] | None = None,
    ) -> list[tuple[list[int], dict[int, float]]]:
        """:meth:`mood_pool` at each of ``points`` (shape ``(m, 2)``: valence, arousal), with
        ``outcomes[i]`` for point ``i``; the same answers, from one k-d tree query for all."""
        check_is_fitted(self, "index_")
        points = np.asarray(points, dtype=float).reshape(-1, 2)
        total = len(self.usable_rows_)
        first_fetch = _first_fetch(k)
        fetch = min(first_fetch, total)
        dist, idx = self.mood_tree_.query(points, k=fetch)
        dist = np.asarray(dist).reshape(len(points), fetch)
        rows = self.usable_rows_[np.asarray(idx).reshape(len(points), fetch)]
        pools: list[tuple[list[int], dict[int, float]] | None] = [None] * len(points)
        if max_per_artist is None:
            self._mood_pools_at_once(
                rows, dist, k=k, outcomes=outcomes, profile=profile, into=pools
            )
        for i, (v, a) in enumerate(points.tolist()):
            if pools[i] is None:
                pools[i] = self._mood_pool(
                    v,
                    a,
                    k=k,
                    outcome=outcomes[i],
                    profile=profile,
                    max_per_artist=max_per_artist,
                    notes=notes,
                    first=(rows[i], dist[i]),
                )
        return [pool for pool in pools if pool is not None]

    def _mood_pools_at_once(
        self,
        rows: np.ndarray,
        dist: np.ndarray,
        *,
        k: int,
        outcomes: Sequence[FilterOutcome | None],
        profile: Mapping[str, float] | None,
        into: list[tuple[list[int], dict[int, float]] | None],
    ) -> None:
        """The pools of :meth:`mood_pools` without an artist cap, vectorised over points.

        Only where :meth:`_filtered_pool`'s first round would already end (``k`` distinct
        songs among the fetched rows that pass), so the answers are the same; the other points
        are left as None for the one-point path. Rows that fail a filter are set aside only
        with an audio ``profile``: without one a row's tie-break distance is to the centre of
        the rows that pass, so every fetched row must pass.
        """
        total = len(self.usable_rows_)
        first_fetch = _first_fetch(k)
        ready = np.zeros(len(rows), dtype=bool)
        passing = np.ones(rows.shape, dtype=bool)
        by_outcome: dict[int, list[int]] = {}
        for i, outcome in enumerate(outcomes):
            by_outcome.setdefault(id(outcome), []).append(i)
        for points in by_outcome.values():
            outcome = outcomes[points[0]]
            if outcome is None:
                ready[points] = total > first_fetch
            elif outcome.count_among(self.usable_rows_) > first_fetch:
                passing[points] = outcome.mask[rows[points]]
                ready[points] = True if profile else passing[points].all(axis=1)
        at = np.flatnonzero(ready)
        if len(at) == 0:
            return
        score = dist[at] + self.tie_weight * self._profile_distance(rows[at], profile)
        # Failing rows rank last (a stable sort keeps the passing rows in the order a sort of
        # them alone gives) and are dropped below.
        score = np.where(passing[at], score, np.inf)
        order = np.argsort(score, axis=1, kind="stable")
        ranked = np.take_along_axis(rows[at], order, axis=1)
        ranked_passing = np.take_along_axis(passing[at], order, axis=1)
        # A song's first place among the passing rows of each ranking is kept, as diversify
        # does without an artist cap.
        songs = self.duplicate_codes_[ranked]
        earlier = np.tri(songs.shape[1], k=-1, dtype=bool)
        same = songs[:, :, None] == songs[:, None, :]
        repeat = (same & earlier & ranked_passing[:, None, :]).any(axis=2)
        for j, i in enumerate(at.tolist()):
            kept = ranked[j][ranked_passing[j] & ~repeat[j]][:k]
            if len(kept) >= k:
                ok = passing[i]
                into[i] = (
                    kept.tolist(),
                    dict(zip(rows[i][ok].tolist(), dist[i][ok].tolist(), strict=True)),
                )

    def _mood_pool(
        self,
        valence: float,
        arousal: float,
        *,
        k: int,
        outcome: FilterOutcome | None = None,
        profile: Mapping[str, float] | None = None,
        max_per_artist: int | None = None,
        popularity_weight: float = 0.0,
        exclude: Sequence[int] = (),
        notes: list[str] | None = None,
        first: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> tuple[list[int], dict[int, float]]:
        """:meth:`mood_pool`; ``first`` is the answer of the first fetch, when already known."""
        here = np.array([valence, arousal])
        pop = self.popularity()[0] if popularity_weight else None
        first_fetch = _first_fetch(k)

        def fetch(n: int) -> tuple[np.ndarray, np.ndarray]:
            if first is not None and n == first_fetch:
                return first
            return self.mood_rows(valence, arousal, n)

        def exact(candidates: np.ndarray) -> np.ndarray:
            return np.asarray(np.sqrt(((self.mood_[candidates] - here) ** 2).sum(axis=1)))

        def rank(rows: np.ndarray, dist: np.ndarray) -> np.ndarray:
            if len(rows) == 0:
                return np.zeros(0, dtype=np.int64)
            score = dist + self.tie_weight * self._profile_distance(rows, profile)
            if pop is not None:
                score = score - popularity_weight * pop[rows]
            return np.argsort(score, kind="stable")

        return self._filtered_pool(
            fetch,
            exact,
            k=k,
            outcome=outcome,
            rank=rank,
            max_per_artist=max_per_artist,
            exclude=exclude,
            notes=notes if notes is not None else [],
        )

    # ------------------------------------------------------------------ recommendations
    def similar(
        self,
        track_ids: Sequence[str],
        *,
        k: int = 20,
        filters: TrackFilters | None = None,
        max_per_artist: int | None = 2,
        popularity_weight: float = 0.0,
    ) -> TrackRecommendations:
        """Tracks similar to the seed tracks (audio + mood), filtered and artist-diverse.

        With several seeds each candidate is scored by its distance to the nearest seed, and
        its reason names that seed. Seeds themselves (and other versions of them) are left out.
        """
        _check_k(k)
        _check_popularity_weight(popularity_weight)
        seeds = self.rows_for(track_ids)
        outcome = self.filter_outcome(filters)
        notes = list(outcome.notes)
        pop, pop_statement = self.popularity()
        if popularity_weight:
            notes.append(pop_statement)
        nearest_seed: dict[int, int] = {}

        def fetch(n: int) -> tuple[np.ndarray, np.ndarray]:
            if len(seeds) == 1:
                # One seed: the index's answer already is each row's nearest-seed distance.
                rows, dist = self._ann(self.vectors_[seeds[0]], n + 1)
                nearest_seed.update(dict.fromkeys(rows.tolist(), seeds[0]))
                return rows, dist.astype(float)
            best: dict[int, tuple[float, int]] = {}
            for seed in seeds:
                rows, dist = self._ann(self.vectors_[seed], n + 1)
                for r, d in zip(rows.tolist(), dist.tolist(), strict=True):
                    if r not in best or d < best[r][0]:
                        best[r] = (d, seed)
            nearest_seed.update({r: s for r, (_, s) in best.items()})
            rows_arr = np.fromiter(best, dtype=np.int64, count=len(best))
            return rows_arr, np.array([best[r][0] for r in best], dtype=float)

        def exact(candidates: np.ndarray) -> np.ndarray:
            seed_vecs = self.vectors_[seeds]
            d = np.sqrt(((self.vectors_[candidates][:, None, :] - seed_vecs[None]) ** 2).sum(-1))
            nearest_seed.update(
                zip(candidates.tolist(), np.asarray(seeds)[d.argmin(axis=1)].tolist(), strict=True)
            )
            return np.asarray(d.min(axis=1), dtype=float)

        def rank(rows: np.ndarray, dist: np.ndarray) -> np.ndarray:
            return np.argsort(dist - popularity_weight * pop[rows], kind="stable")

        kept, dist_of = self._filtered_pool(
            fetch,
            exact,
            k=k,
            outcome=outcome,
            rank=rank,
            max_per_artist=max_per_artist,
            exclude=seeds,
            notes=notes,
        )
        names = {s: str(self._names[s]) for s in seeds}
        seed_ids = {s: str(self._ids[s]) for s in seeds}
        clause = _filter_clause(outcome, max_per_artist)
        reasons = []
        short = []
        for r in kept:
            seed = nearest_seed[r]
            reasons.append(
                f"similar to seed {names[seed]!r} ({seed_ids[seed]}), "
                f"feature distance {dist_of[r]:.2f}{clause}"
                + uncertain_clause(bool(self.mood_uncertain_[r]))
            )
            short.append(f"like {names[seed]!r}, distance {dist_of[r]:.2f}")
        explanations = ["distance: audio features and mood, standardised (0 = identical)"]
        if popularity_weight:
            explanations.append(f"score = distance - {popularity_weight:g} x popularity")
        explanations.extend(_filter_explanation(outcome, max_per_artist))
        distances = np.array([dist_of[r] for r in kept], dtype=float)
        return self._result(
            kept,
            distances=distances,
            scores=distances - popularity_weight * pop[np.asarray(kept, dtype=np.int64)],
            reasons=reasons,
            short_reasons=short,
            explanations=explanations,
            outcome=outcome,
            notes=notes,
            query={
                "kind": "similar",
                "seeds": [seed_ids[s] for s in seeds],
                "k": k,
                "max_per_artist": max_per_artist,
                "popularity_weight": popularity_weight,
            },
        )

    def near_mood(
        self,
        point: MoodLike,
        *,
        k: int = 20,
        filters: TrackFilters | None = None,
        profile: Mapping[str, float] | None = None,
        max_per_artist: int | None = 2,
        popularity_weight: float = 0.0,
        label: str | None = None,
        goal: GoalSpec | None = None,
        exclude: Sequence[int] = (),
        _outcome: FilterOutcome | None = None,
    ) -> TrackRecommendations:
        """Tracks nearest a point of the mood plane, also weighted towards an audio ``profile``.

        ``profile`` maps audio features (raw units, e.g. ``{"tempo": 70,
        "instrumentalness": 0.9}``) to preferred values. ``label`` names the point in reasons
        (e.g. "waypoint 3" or "goal sleep"). ``goal`` adds the goal's hard constraints to
        ``filters`` and, when no ``profile`` is given, uses the goal's preferred audio profile.
        """
        check_is_fitted(self, "index_")
        _check_k(k)
        _check_popularity_weight(popularity_weight)
        valence, arousal = _check_point(point)
        if _outcome is not None:
            outcome = _outcome
        elif goal is None:
            outcome = self.filter_outcome(filters)
        else:
            outcome = self.goal_filter_outcome(filters, goal)
        if goal is not None and profile is None:
            profile = goal_profile(goal) or None
        notes = list(outcome.notes)
        pop, pop_statement = self.popularity()
        if popularity_weight:
            notes.append(pop_statement)
        kept, dist_of = self.mood_pool(
            valence,
            arousal,
            k=k,
            outcome=outcome,
            profile=profile,
            max_per_artist=max_per_artist,
            popularity_weight=popularity_weight,
            exclude=exclude,
            notes=notes,
        )
        where = label or f"mood point ({valence:+.2f}, {arousal:+.2f})"
        wanted = ", ".join(f"{f}={v:g}" for f, v in profile.items()) if profile else ""
        profile_text = f"; also weighted towards {wanted}" if profile else ""
        kept_arr = np.asarray(kept, dtype=np.int64)
        tie = self._profile_distance(kept_arr, profile) if len(kept_arr) else np.zeros(0)
        clause = _filter_clause(outcome, max_per_artist)
        reasons = [
            f"nearest to {where}: mood distance {dist_of[r]:.3f}{profile_text}{clause}"
            + uncertain_clause(self.mood_uncertain_[r])
            for r in kept
        ]
        short = [
            f"Δmood {dist_of[r]:.3f}" + (f", Δaudio {t:.2f}" if profile else "")
            for r, t in zip(kept, tie.tolist(), strict=True)
        ]
        ranking = "mood distance"
        if profile:
            ranking += (
                f" + {self.tie_weight:g} x Δaudio, the distance to the audio profile {wanted} "
                "(RMS of standardised features): this term can reorder tracks, not only "
                "break ties"
            )
        if popularity_weight:
            ranking += f" - {popularity_weight:g} x popularity"
        explanations = [f"nearest to {where}", f"score = {ranking}"]
        explanations.extend(_filter_explanation(outcome, max_per_artist))
        distances = np.array([dist_of[r] for r in kept], dtype=float)
        return self._result(
            kept,
            distances=distances,
            scores=distances
            + self.tie_weight * tie.astype(float)
            - popularity_weight * pop[kept_arr],
            reasons=reasons,
            short_reasons=short,
            explanations=explanations,
            outcome=outcome,
            notes=notes,
            query={
                "kind": "mood",
                "valence": valence,
                "arousal": arousal,
                "label": where,
                "goal": goal.goal.value if goal is not None else None,
                "k": k,
                "profile": dict(profile) if profile else None,
                "max_per_artist": max_per_artist,
                "popularity_weight": popularity_weight,
            },
        )

    def for_genres(
        self,
        genres: Mapping[str, float] | Sequence[str],
        point: MoodLike,
        *,
        k: int = 20,
        filters: TrackFilters | None = None,
        profile: Mapping[str, float] | None = None,
        max_per_artist: int | None = 2,
        popularity_weight: float = 0.0,
        label: str | None = None,
        goal: GoalSpec | None = None,
    ) -> TrackRecommendations:
        """Tracks that fit a profile's genre recommendations and a goal's mood point.

        ``genres`` maps recommended genre names (e.g. from the survey recommenders) to scores,
        or lists them best first. The ``k`` slots are shared between the genres the catalog
        has, in proportion to their scores (largest remainder); genres it lacks are named in
        the notes. Each track's reason names its genre recommendation and the mood point.
        """
        check_is_fitted(self, "index_")
        _check_k(k)
        _check_popularity_weight(popularity_weight)
        scored = _genre_scores(genres)
        known = _catalog_genres(self.tracks_)
        present = {g: s for g, s in scored.items() if g.lower() in known}
        missing = [g for g in scored if g.lower() not in known]
        notes = []
        if missing:
            notes.append(
                f"the catalog has no tracks for recommended genre(s) {missing} "
                f"(it covers: {', '.join(sorted(known))})"
            )
        if not present:
            raise InputError(
                f"none of the recommended genres {list(scored)} is in the catalog",
                field="genres",
                value=", ".join(scored),
                allowed=", ".join(sorted(known)),
            )
        base = goal_outcome(self.tracks_, filters, goal)
        if goal is not None and profile is None:
            profile = goal_profile(goal) or None
        notes.extend(base.notes)
        slots = _allocate(present, k)
        explanations = [
            "slots per genre, in proportion to its recommendation score: "
            + ", ".join(f"{g} {n}" for g, n in slots.items())
        ]
        frames = []
        taken: list[int] = []
        for genre, n in slots.items():
            if n == 0:
                continue
            outcome = FilterOutcome(
                mask=base.mask & genre_mask(self.tracks_, [genre]),
                applied=[*base.applied],
                notes=[],
                explicit_unknown=base.explicit_unknown,
            )
            part = self.near_mood(
                point,
                k=n,
                profile=profile,
                max_per_artist=max_per_artist,
                popularity_weight=popularity_weight,
                label=label,
                exclude=taken,
                _outcome=outcome,
            )
            part.tracks["reason"] = (
                f"genre recommendation {genre!r} (score {present[genre]:.2f}); "
                + part.tracks["reason"]
            )
            part.tracks["short_reason"] = f"{genre}; " + part.tracks["short_reason"]
            part.tracks["genre_slot"] = genre
            taken.extend(self.rows_for(part.tracks["track_id"].tolist()))
            # Name the slot: a caveat about one genre's tracks is not about the others.
            for note in part.notes:
                named = f"genre {genre!r}: {note}"
                if note not in base.notes and named not in notes:
                    notes.append(named)
            explanations.extend(e for e in part.explanations if e not in explanations)
            frames.append(part.tracks)
        tracks = (
            pd.concat(frames, ignore_index=True)
            if frames
            else self._result([], [], [], [], [], [], base, [], {}).tracks
        )
        tracks = tracks.sort_values("score", kind="stable").reset_index(drop=True)
        tracks["rank"] = np.arange(1, len(tracks) + 1)
        valence, arousal = _check_point(point)
        return TrackRecommendations.from_frame(
            tracks,
            notes=notes,
            explanations=explanations,
            query={
                "kind": "genres",
                "genres": scored,
                "slots": slots,
                "valence": valence,
                "arousal": arousal,
                "k": k,
            },
        )

    def result_rows(self, rows: Sequence[int]) -> pd.DataFrame:
        """The catalog rows ``rows`` with the columns every track answer shows, in that order."""
        return frame_from_columns(self.result_columns(rows), len(rows))

    def result_columns(self, rows: Sequence[int] | np.ndarray) -> dict[str, Any]:
        """The answer columns at catalog rows ``rows``, keeping the catalog's dtypes; for
        :func:`frame_from_columns`, with any columns of the caller's own."""
        check_is_fitted(self, "index_")
        picked = np.asarray(rows, dtype=np.int64)
        out: dict[str, Any] = {}
        for c, values in self._answer_columns.items():
            taken = values.take(picked)
            # As a Series an object column keeps its dtype; as an array the frame
            # constructor could convert the few rows taken (e.g. all strings: "str").
            out[c] = (
                pd.Series(taken, dtype=object, copy=False) if c in self._guarded_columns else taken
            )
        return out

    def _result(
        self,
        rows: Sequence[int],
        distances: Sequence[float] | np.ndarray,
        scores: Sequence[float] | np.ndarray,
        reasons: Sequence[str],
        short_reasons: Sequence[str],
        explanations: list[str],
        outcome: FilterOutcome,
        notes: list[str],
        query: dict[str, Any],
    ) -> TrackRecommendations:
        picked = np.asarray(rows, dtype=np.int64)
        distances = np.asarray(distances, dtype=float)
        scores = np.asarray(scores, dtype=float)
        reasons, short_reasons = list(reasons), list(short_reasons)

        def table() -> pd.DataFrame:
            columns: dict[str, Any] = {"rank": np.arange(1, len(picked) + 1)}
            columns.update(self.result_columns(picked))
            columns["distance"] = distances
            columns["score"] = scores
            if outcome.explicit_unknown:
                # Keep the column where an assignment would put it; its value is set below.
                columns.setdefault("explicit", columns["distance"])
            columns["reason"] = reasons
            columns["short_reason"] = short_reasons
            frame = frame_from_columns(columns, len(picked))
            if outcome.explicit_unknown:
                frame["explicit"] = "unknown"
            return frame

        if len(picked) < query.get("k", 0):
            notes.append(
                f"only {len(picked)} track(s) satisfy the filters and artist limit "
                f"(asked for {query['k']})"
            )
        return TrackRecommendations(
            query=query,
            notes=notes,
            explanations=explanations,
            rows=picked,
            short_reasons=tuple(short_reasons),
            _build=table,
        )


def load_track_index(settings: Settings | None = None, **params: Any) -> TrackIndex:
    """The active catalog's track index, from its cache beside the catalog (built if needed)."""
    from moodtune.catalog import load_catalog

    catalog = load_catalog(settings)
    index = TrackIndex.load_or_build(catalog.tracks, settings=settings, **params)
    index.catalog_name = catalog.name
    return index


def frame_from_columns(columns: Mapping[str, Any], length: int) -> pd.DataFrame:
    """A DataFrame (index 0..length-1) from columns of ``length`` values: arrays, lists or
    Series, e.g. :meth:`TrackIndex.result_columns` plus an answer's own columns."""
    return pd.DataFrame(columns, index=pd.RangeIndex(length), copy=False)


def _needs_guard(values: np.ndarray | pd.api.extensions.ExtensionArray) -> bool:
    """Whether rows of an object column could be converted by the frame constructor: only
    columns holding lists or tuples alone (e.g. genres) are certain to stay objects."""
    if not (isinstance(values, np.ndarray) and values.dtype == object):
        return False
    return not all(isinstance(v, list | tuple) for v in values)


def _column_values(column: pd.Series) -> np.ndarray | pd.api.extensions.ExtensionArray:
    """A column's values to ``take`` rows from: a NumPy array where pandas holds one, else the
    column's own array (arrow strings, nullable booleans keep their dtype)."""
    values = column.array
    if isinstance(values, pd.arrays.NumpyExtensionArray):
        return values.to_numpy()
    return values


def _first_fetch(k: int) -> int:
    """How many candidates a filtered search fetches first for ``k`` answers (then x4)."""
    return max(4 * k, 16)


def _not_in(rows: np.ndarray, excluded: np.ndarray) -> np.ndarray:
    """``~np.isin(rows, excluded)``; a direct comparison for the usual handful of exclusions."""
    if len(excluded) > 64:
        return ~np.isin(rows, excluded)
    return ~(rows[:, None] == excluded[None, :]).any(axis=1)


def _filter_clause(outcome: FilterOutcome, max_per_artist: int | None) -> str:
    parts = list(outcome.applied)
    if max_per_artist is not None:
        parts.append(f"at most {max_per_artist} per artist")
    return ("; filters: " + ", ".join(parts)) if parts else ""


def _filter_explanation(outcome: FilterOutcome, max_per_artist: int | None) -> list[str]:
    clause = _filter_clause(outcome, max_per_artist)
    return [clause.removeprefix("; ")] if clause else []


def _check_popularity_weight(weight: float) -> None:
    if not (isinstance(weight, int | float) and np.isfinite(weight) and weight >= 0):
        raise InputError(
            f"popularity weight must be a non-negative number, got {weight!r}",
            field="popularity_weight",
            value=weight,
            allowed=">= 0 (0 = off)",
        )


#: The most tracks one query returns (a longer list is not a recommendation, and building it
#: scans the catalog several times over).
MAX_TRACKS_PER_QUERY = 500


def _check_k(k: int) -> None:
    if not isinstance(k, int | np.integer) or not 1 <= k <= MAX_TRACKS_PER_QUERY:
        raise InputError(
            f"k must be a positive whole number up to {MAX_TRACKS_PER_QUERY}, got {k!r}",
            field="k",
            value=k,
            allowed=f"1..{MAX_TRACKS_PER_QUERY}",
        )


def _check_point(point: MoodLike) -> tuple[float, float]:
    try:
        valence, arousal = float(point.valence), float(point.arousal)
    except (AttributeError, TypeError, ValueError) as exc:
        raise InputError(
            f"not a mood point: {point!r}", field="mood", value=point, allowed="MoodPoint"
        ) from exc
    for name, value in (("valence", valence), ("arousal", arousal)):
        if not -1.0 <= value <= 1.0:
            raise InputError(
                f"{name} {value!r} is outside the mood plane",
                field=name,
                value=value,
                allowed="-1 to 1",
            )
    return valence, arousal


def _genre_scores(genres: Mapping[str, float] | Sequence[str]) -> dict[str, float]:
    if isinstance(genres, str):
        genres = [genres]
    if isinstance(genres, Mapping):
        scored = {str(g): float(s) for g, s in genres.items()}
    else:
        # Listed best first: scores 1, 1/2, 1/3, ... (reciprocal rank).
        scored = {str(g): 1.0 / (i + 1) for i, g in enumerate(genres)}
    if not scored:
        raise InputError("give at least one recommended genre", field="genres")
    bad = {g: s for g, s in scored.items() if not np.isfinite(s) or s < 0}
    if bad:
        raise InputError(
            f"genre scores must be non-negative numbers: {bad}", field="genres", allowed=">= 0"
        )
    return scored


def _catalog_genres(tracks: pd.DataFrame) -> set[str]:
    from moodtune.recommend.filters import _known_genres

    return _known_genres(tracks)


def _allocate(scores: Mapping[str, float], k: int) -> dict[str, int]:
    """Split ``k`` slots in proportion to ``scores`` (largest remainder; ties by order)."""
    total = sum(scores.values())
    weights = (
        {g: s / total for g, s in scores.items()}
        if total > 0
        else {g: 1 / len(scores) for g in scores}
    )
    exact = {g: w * k for g, w in weights.items()}
    slots = {g: int(np.floor(v)) for g, v in exact.items()}
    left = k - sum(slots.values())
    for g in sorted(exact, key=lambda g: exact[g] - slots[g], reverse=True)[:left]:
        slots[g] += 1
    return slots
