"""Track filters, artist diversity and release-recency-weighted popularity.

All three work on the catalog's one-row-per-track table (``Catalog.tracks``) by position, with
NumPy arrays, so a track recommender can apply them to thousands of candidates in microseconds.

Recency-weighted popularity (documented formula)
------------------------------------------------
``weighted = popularity / 100 * 0.5 ** (age / half_life_years)`` where
``age = max(0, reference_year - release_year)`` in years and ``reference_year`` is the newest
release year in the catalog (not today's date, so results do not drift with the clock).
A track released ``half_life_years`` (default 10) before the newest one counts half as much as
an equally popular new release. Tracks without a release year get the factor of the catalog's
median age. When the catalog has no release dates at all, the score is plain ``popularity / 100``
and :attr:`PopularityScores.statement` says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from moodtune.errors import InputError

__all__ = [
    "INSTRUMENTAL_THRESHOLD",
    "FilterOutcome",
    "PopularityScores",
    "TrackFilters",
    "apply_filters",
    "artist_keys",
    "diversify",
    "duplicate_keys",
    "recency_weighted_popularity",
]

#: Spotify documents instrumentalness above 0.5 as "intended to represent instrumental tracks".
INSTRUMENTAL_THRESHOLD = 0.5


@dataclass(frozen=True)
class TrackFilters:
    """Which tracks may be recommended. ``None`` means "no constraint".

    Parameters
    ----------
    genres
        Keep tracks whose genres or subgenres include any of these (case-insensitive).
    explicit
        ``False`` keeps only tracks known not to be explicit; ``True`` only explicit ones.
        When the catalog does not record explicit lyrics the filter cannot be applied and the
        outcome says so in its notes (tracks are kept and marked "explicit: unknown").
    min_duration_s, max_duration_s
        Track length bounds in seconds.
    min_popularity, max_popularity
        Spotify popularity bounds, 0-100 inclusive.
    instrumental
        ``True``: instrumentalness > 0.5; ``False``: instrumentalness <= 0.5.
    exclude_artists
        Artist names to leave out (case-insensitive; matches any credited artist).
    exclude_tracks
        Track ids to leave out.
    include_unusable
        Also allow rows the catalog marks unusable (missing names, tempo 0, ...). Default no.
    """

    genres: tuple[str, ...] | None = None
    explicit: bool | None = None
    min_duration_s: float | None = None
    max_duration_s: float | None = None
    min_popularity: int | None = None
    max_popularity: int | None = None
    instrumental: bool | None = None
    exclude_artists: tuple[str, ...] = ()
    exclude_tracks: tuple[str, ...] = ()
    include_unusable: bool = False

    def __post_init__(self) -> None:
        for name in ("min_popularity", "max_popularity"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 100:
                raise InputError(
                    "popularity bound out of range", field=name, value=value, allowed="0-100"
                )
        for name in ("min_duration_s", "max_duration_s"):
            value = getattr(self, name)
            if value is not None and (not np.isfinite(value) or value < 0):
                raise InputError(
                    f"duration bound must be a non-negative number of seconds, got {value!r}",
                    field=name,
                    value=value,
                    allowed=">= 0",
                )
        _check_order(self.min_popularity, self.max_popularity, "popularity")
        _check_order(self.min_duration_s, self.max_duration_s, "duration_s")
        if self.genres is not None and not self.genres:
            raise InputError("empty genre filter: give at least one genre or none", field="genres")

    def merged(self, other: TrackFilters) -> TrackFilters:
        """The conjunction of two filter sets (``other`` wins where both set a scalar)."""

        def pick(name: str) -> object:
            value = getattr(other, name)
            return getattr(self, name) if value is None else value

        genres = self.genres
        if other.genres is not None:
            genres = (
                other.genres
                if genres is None
                else tuple(g for g in genres if g.lower() in {o.lower() for o in other.genres})
                or other.genres
            )
        return TrackFilters(
            genres=genres,
            explicit=pick("explicit"),  # type: ignore[arg-type]
            min_duration_s=_tighter(self.min_duration_s, other.min_duration_s, max),
            max_duration_s=_tighter(self.max_duration_s, other.max_duration_s, min),
            min_popularity=_tighter_int(self.min_popularity, other.min_popularity, max),
            max_popularity=_tighter_int(self.max_popularity, other.max_popularity, min),
            instrumental=pick("instrumental"),  # type: ignore[arg-type]
            exclude_artists=tuple(dict.fromkeys(self.exclude_artists + other.exclude_artists)),
            exclude_tracks=tuple(dict.fromkeys(self.exclude_tracks + other.exclude_tracks)),
            include_unusable=self.include_unusable and other.include_unusable,
        )

    @property
    def is_empty(self) -> bool:
        """True when no constraint beyond "usable rows only" is set."""
        return self == TrackFilters(include_unusable=self.include_unusable)


def _tighter(
    a: float | None, b: float | None, how: Callable[[float, float], float]
) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return how(a, b)


def _tighter_int(a: int | None, b: int | None, how: Callable[[int, int], int]) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return how(a, b)


def _check_order(low: float | None, high: float | None, name: str) -> None:
    if low is not None and high is not None and low > high:
        raise InputError(
            f"min_{name} ({low}) is greater than max_{name} ({high})",
            field=f"min_{name}",
            value=low,
            allowed=f"<= max_{name}",
        )


@dataclass
class FilterOutcome:
    """Which rows pass (``mask``), what was applied (for reasons) and what could not be."""

    mask: np.ndarray
    applied: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    explicit_unknown: bool = False
    _counts: dict[int, int] = field(default_factory=dict, repr=False, compare=False)

    @property
    def count(self) -> int:
        """How many rows pass."""
        return int(self.mask.sum())

    def count_among(self, rows: np.ndarray) -> int:
        """How many of ``rows`` pass, cached per rows array (e.g. an index's usable rows)."""
        key = id(rows)
        if key not in self._counts:
            self._counts[key] = int(self.mask[rows].sum())
        return self._counts[key]


def _split_artists(text: str) -> list[str]:
    return [part.strip().lower() for part in str(text).replace(";", ",").split(",") if part.strip()]


def apply_filters(tracks: pd.DataFrame, filters: TrackFilters | None) -> FilterOutcome:
    """Evaluate ``filters`` over the catalog table; unknown genres raise ``InputError``.

    Returns a boolean mask over rows (shape ``(len(tracks),)``) plus a human description of
    each constraint applied, used in every recommended track's reason.
    """
    filters = filters or TrackFilters()
    n = len(tracks)
    mask = np.ones(n, dtype=bool)
    applied: list[str] = []
    notes: list[str] = []
    explicit_unknown = False
    if not filters.include_unusable and "usable" in tracks.columns:
        mask &= tracks["usable"].fillna(False).to_numpy(dtype=bool)
    if filters.genres is not None:
        wanted = {g.strip().lower() for g in filters.genres}
        known = _known_genres(tracks)
        unknown = sorted(wanted - known)
        if unknown:
            raise InputError(
                f"unknown genre(s) {', '.join(map(repr, unknown))}: the catalog has no such "
                "genre or subgenre",
                field="genres",
                value=", ".join(unknown),
                allowed=", ".join(sorted(known)),
            )
        mask &= genre_mask(tracks, wanted)
        applied.append(f"genre in {sorted(wanted)}")
    if filters.explicit is not None:
        explicit = (
            tracks["explicit"]
            if "explicit" in tracks.columns
            else pd.Series(pd.NA, index=tracks.index)
        )
        known_rows = explicit.notna().to_numpy()
        if not known_rows.any():
            explicit_unknown = True
            notes.append(
                "the catalog does not record explicit lyrics, so the "
                f"{'no-explicit' if filters.explicit is False else 'explicit-only'} filter "
                "could not be applied; tracks are marked 'explicit: unknown'"
            )
        else:
            values = explicit.fillna(not filters.explicit).to_numpy(dtype=bool)
            mask &= values == filters.explicit
            if not known_rows.all():
                notes.append(
                    f"{int((~known_rows).sum())} track(s) with unknown explicit status were "
                    "left out by the explicit filter"
                )
            applied.append("explicit only" if filters.explicit else "no explicit lyrics")
    if filters.min_duration_s is not None or filters.max_duration_s is not None:
        seconds = tracks["duration_ms"].to_numpy(dtype=float) / 1000.0
        low = filters.min_duration_s if filters.min_duration_s is not None else 0.0
        high = filters.max_duration_s if filters.max_duration_s is not None else np.inf
        mask &= (seconds >= low) & (seconds <= high)
        applied.append(f"duration {low:g}-{high:g} s")
    if filters.min_popularity is not None or filters.max_popularity is not None:
        pop = tracks["popularity"].to_numpy(dtype=float)
        low_p = filters.min_popularity if filters.min_popularity is not None else 0
        high_p = filters.max_popularity if filters.max_popularity is not None else 100
        mask &= (pop >= low_p) & (pop <= high_p)
        applied.append(f"popularity {low_p}-{high_p}")
    if filters.instrumental is not None:
        instr = tracks["instrumentalness"].to_numpy(dtype=float) > INSTRUMENTAL_THRESHOLD
        mask &= instr if filters.instrumental else ~instr
        applied.append(
            f"instrumental (instrumentalness > {INSTRUMENTAL_THRESHOLD})"
            if filters.instrumental
            else f"not instrumental (instrumentalness <= {INSTRUMENTAL_THRESHOLD})"
        )
    if filters.exclude_artists:
        banned = {a.strip().lower() for a in filters.exclude_artists}
        hit = np.fromiter(
            (bool(banned.intersection(_split_artists(a))) for a in tracks["artists"]),
            dtype=bool,
            count=n,
        )
        mask &= ~hit
        applied.append(f"excluding artists {sorted(banned)}")
    if filters.exclude_tracks:
        mask &= ~tracks["track_id"].isin(list(filters.exclude_tracks)).to_numpy()
        applied.append(f"excluding {len(filters.exclude_tracks)} track id(s)")
    return FilterOutcome(mask=mask, applied=applied, notes=notes, explicit_unknown=explicit_unknown)


def _known_genres(tracks: pd.DataFrame) -> set[str]:
    known: set[str] = set()
    for column in ("genres", "subgenres"):
        if column in tracks.columns:
            for values in tracks[column]:
                known.update(str(v).lower() for v in _as_list(values))
    return known


def _as_list(values: object) -> list[object]:
    if values is None:
        return []
    if isinstance(values, str):
        return [values]
    if isinstance(values, Iterable):
        return list(values)
    return []


def genre_mask(tracks: pd.DataFrame, genres: Iterable[str]) -> np.ndarray:
    """Rows whose genres or subgenres include any of ``genres`` (case-insensitive)."""
    wanted = {g.lower() for g in genres}
    hit = np.zeros(len(tracks), dtype=bool)
    for column in ("genres", "subgenres"):
        if column in tracks.columns:
            hit |= np.fromiter(
                (any(str(v).lower() in wanted for v in _as_list(vals)) for vals in tracks[column]),
                dtype=bool,
                count=len(tracks),
            )
    return hit


def artist_keys(tracks: pd.DataFrame) -> np.ndarray:
    """An integer code per row identifying its (first credited) artist, for diversity caps."""
    first = tracks["artists"].astype(str).map(lambda a: (_split_artists(a) or [""])[0])
    codes, _ = pd.factorize(first)
    return np.asarray(codes, dtype=np.int64)


def duplicate_keys(tracks: pd.DataFrame) -> np.ndarray:
    """An integer code per row equal for the same song (same title and artists, any album)."""
    key = (
        tracks["name"].astype(str).str.strip().str.lower()
        + "\x00"
        + (tracks["artists"].astype(str).str.strip().str.lower())
    )
    codes, _ = pd.factorize(key)
    return np.asarray(codes, dtype=np.int64)


def diversify(
    candidates: Sequence[int] | np.ndarray,
    *,
    artist_codes: np.ndarray,
    duplicate_codes: np.ndarray,
    k: int,
    max_per_artist: int | None = 2,
    already: Sequence[int] = (),
) -> list[int]:
    """Walk ``candidates`` (row positions, best first) and keep at most ``k`` of them.

    A row is skipped when the same song (title + artists) was already kept, or when its artist
    already has ``max_per_artist`` rows (``None`` disables the cap). ``already`` holds rows that
    count as kept before the walk (e.g. seed tracks), so their songs are not repeated.
    """
    if max_per_artist is not None and max_per_artist < 1:
        raise InputError(
            "max_per_artist must be at least 1", field="max_per_artist", value=max_per_artist
        )
    if max_per_artist is None:
        # Only duplicates to drop: keep each song's first occurrence, vectorised.
        order = np.asarray(candidates, dtype=np.int64)
        songs = duplicate_codes[order]
        _, first = np.unique(songs, return_index=True)
        first.sort()
        keep = order[first]
        if already:
            done = duplicate_codes[np.fromiter(already, dtype=np.int64)]
            keep = keep[~np.isin(duplicate_codes[keep], done)]
        return [int(p) for p in keep[:k]]
    seen_songs = {int(duplicate_codes[p]) for p in already}
    per_artist: dict[int, int] = {}
    kept: list[int] = []
    order = np.asarray(candidates, dtype=np.int64)
    # Python ints read once: the walk below is per candidate, so NumPy scalars would dominate.
    for pos, song, artist in zip(
        order.tolist(),
        duplicate_codes[order].tolist(),
        artist_codes[order].tolist(),
        strict=True,
    ):
        if song in seen_songs:
            continue
        if per_artist.get(artist, 0) >= max_per_artist:
            continue
        seen_songs.add(song)
        per_artist[artist] = per_artist.get(artist, 0) + 1
        kept.append(pos)
        if len(kept) >= k:
            break
    return kept


@dataclass(frozen=True)
class PopularityScores:
    """Popularity in [0, 1] per row, weighted by release recency when dates are known."""

    scores: np.ndarray
    recency_known: bool
    reference_year: float | None
    half_life_years: float
    statement: str


def recency_weighted_popularity(
    tracks: pd.DataFrame, *, half_life_years: float = 10.0, reference_year: float | None = None
) -> PopularityScores:
    """``popularity / 100 * 0.5 ** (age / half_life_years)``; see the module docstring."""
    if not half_life_years > 0:
        raise InputError(
            "half_life_years must be positive", field="half_life_years", value=half_life_years
        )
    pop = np.clip(tracks["popularity"].to_numpy(dtype=float) / 100.0, 0.0, 1.0)
    pop = np.nan_to_num(pop, nan=0.0)
    years = (
        tracks["release_year"].to_numpy(dtype=float)
        if "release_year" in tracks.columns
        else np.full(len(tracks), np.nan)
    )
    dated = np.isfinite(years)
    if not dated.any():
        return PopularityScores(
            scores=pop,
            recency_known=False,
            reference_year=None,
            half_life_years=half_life_years,
            statement=(
                "the catalog has no release dates, so popularity is NOT weighted by recency "
                "(plain popularity / 100)"
            ),
        )
    ref = float(np.nanmax(years)) if reference_year is None else float(reference_year)
    age = np.maximum(0.0, ref - years)
    age[~dated] = float(np.median(age[dated]))
    scores = pop * 0.5 ** (age / half_life_years)
    missing = int((~dated).sum())
    statement = (
        f"popularity weighted by release recency: popularity/100 x 0.5^(age/{half_life_years:g}"
        f" years), age counted back from {ref:.0f}"
        + (f"; {missing} undated track(s) use the median age" if missing else "")
    )
    return PopularityScores(
        scores=scores,
        recency_known=True,
        reference_year=ref,
        half_life_years=half_life_years,
        statement=statement,
    )
