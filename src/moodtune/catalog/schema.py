"""The catalog table: its columns, the valid range of every value, and why a row is unusable.

One row per track. Rows are never dropped for bad values: they stay in the table with
``usable=False`` and an ``exclusion_reason`` so that ``moodtune catalog info`` can count them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "AUDIO_FEATURES",
    "BASE_COLUMNS",
    "FEATURE_RANGES",
    "MAX_DURATION_MS",
    "MIN_DURATION_MS",
    "MOOD_COLUMNS",
    "SCALED_FEATURES",
    "FeatureRange",
    "blank_invalid_values",
    "exclusion_reasons",
    "integer_values",
    "parse_release_dates",
    "validate_tracks",
]

AUDIO_FEATURES: tuple[str, ...] = (
    "danceability",
    "energy",
    "key",
    "loudness",
    "mode",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
)

# Features standardised into ``Catalog.scaled_features`` (key and mode are categorical).
SCALED_FEATURES: tuple[str, ...] = (
    "danceability",
    "energy",
    "loudness",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
)

BASE_COLUMNS: tuple[str, ...] = (
    "track_id",
    "name",
    "artists",
    "album",
    "album_id",
    "popularity",
    "duration_ms",
    "release_date",
    "release_precision",
    "release_year",
    "genres",
    "subgenres",
    "explicit",
    *AUDIO_FEATURES,
    "usable",
    "exclusion_reason",
    "synthetic",
)

MOOD_COLUMNS: tuple[str, ...] = (
    "mood_valence",
    "mood_arousal",
    "mood_uncertainty",
    "mood_uncertain",
    "quadrant",
    "mood_cluster",
)

MIN_DURATION_MS = 30_000
#: Longer than a day is not a track (ten-hour sleep recordings exist, so the bound is loose).
MAX_DURATION_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class FeatureRange:
    """Closed range ``[low, high]`` of a value Spotify's Web API documents (``integer``: whole)."""

    low: float
    high: float
    integer: bool = False
    low_exclusive: bool = False

    def describe(self) -> str:
        left = "(" if self.low_exclusive else "["
        kind = "integer " if self.integer else ""
        return f"{kind}{left}{self.low:g}, {self.high:g}]"

    def valid(self, values: pd.Series) -> pd.Series:
        """Boolean mask of values inside the range (NaN is not valid)."""
        arr = values.to_numpy(dtype=float, na_value=np.nan)
        low_ok = arr > self.low if self.low_exclusive else arr >= self.low
        ok = low_ok & (arr <= self.high)
        if self.integer:
            ok &= np.isfinite(arr) & (np.floor(arr) == arr)
        return pd.Series(ok, index=values.index)


# Ranges from Spotify's audio-features documentation. Loudness is documented as "typically
# -60 to 0 dB"; a few mastered tracks exceed 0 dB slightly, so up to +5 dB is accepted.
# Tempo 0 is what the API returns when it could not detect a beat: not a real tempo.
FEATURE_RANGES: dict[str, FeatureRange] = {
    "danceability": FeatureRange(0.0, 1.0),
    "energy": FeatureRange(0.0, 1.0),
    "key": FeatureRange(-1, 11, integer=True),
    "loudness": FeatureRange(-60.0, 5.0),
    "mode": FeatureRange(0, 1, integer=True),
    "speechiness": FeatureRange(0.0, 1.0),
    "acousticness": FeatureRange(0.0, 1.0),
    "instrumentalness": FeatureRange(0.0, 1.0),
    "liveness": FeatureRange(0.0, 1.0),
    "valence": FeatureRange(0.0, 1.0),
    "tempo": FeatureRange(0.0, 300.0, low_exclusive=True),
    "popularity": FeatureRange(0, 100, integer=True),
}


def _blank(values: pd.Series) -> pd.Series:
    """True where a text value is missing or only whitespace."""
    text = values.astype("string")
    return text.isna() | (text.str.strip() == "")


def exclusion_reasons(tracks: pd.DataFrame) -> pd.Series:
    """Why each row cannot be recommended: ``"; "``-joined reasons, or ``None`` when usable.

    Reasons: missing track name / artist, a missing, non-finite or out-of-range audio feature
    or popularity, tempo 0 (no beat detected), duration under 30 s or over 24 h.
    """
    joined = np.full(len(tracks), "", dtype=object)

    def add(mask: pd.Series, text: str) -> None:
        hit = mask.to_numpy(dtype=bool)
        joined[hit] = joined[hit] + "; " + text

    add(_blank(tracks["name"]), "missing track name")
    add(_blank(tracks["artists"]), "missing artist")
    duration = pd.to_numeric(tracks["duration_ms"], errors="coerce").astype(float)
    add(duration.isna(), "duration missing")
    finite = pd.Series(np.isfinite(duration.to_numpy()), index=duration.index)
    add(~finite & duration.notna(), "duration not finite")
    add(duration < MIN_DURATION_MS, "duration under 30 s")
    add(finite & (duration > MAX_DURATION_MS), "duration over 24 h")
    for column, rng in FEATURE_RANGES.items():
        values = pd.to_numeric(tracks[column], errors="coerce").astype(float)
        missing = values.isna()
        infinite = ~missing & ~pd.Series(np.isfinite(values.to_numpy()), index=values.index)
        add(infinite, f"{column} not finite")
        checked = ~missing & ~infinite
        if column == "popularity":
            add(checked & ~rng.valid(values), "popularity out of range")
            continue
        add(missing, f"{column} missing")
        if column == "tempo":
            add(values == 0, "tempo is 0")
            add(checked & (values != 0) & ~rng.valid(values), "tempo out of range")
        else:
            add(checked & ~rng.valid(values), f"{column} out of range")
    cleaned = [text[2:] if text else None for text in joined]
    return pd.Series(cleaned, index=tracks.index, dtype=object)


_DATE_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"), "day"),
    (re.compile(r"^(\d{4})-(\d{2})$"), "month"),
    (re.compile(r"^(\d{4})$"), "year"),
)


def parse_release_dates(values: pd.Series) -> pd.DataFrame:
    """Release dates as given, their precision (day/month/year) and the year.

    Returns columns ``release_date`` (the cleaned text or None), ``release_precision``
    and ``release_year`` (float, NaN when unknown) and ``release_valid`` (False where a
    non-empty value could not be parsed: it is reported by the caller, not guessed).
    """
    text = values.astype("string").str.strip()
    date: list[str | None] = []
    precision: list[str | None] = []
    year: list[float] = []
    valid: list[bool] = []
    for raw in text.tolist():
        if raw is None or raw is pd.NA or raw == "":
            date.append(None)
            precision.append(None)
            year.append(np.nan)
            valid.append(True)
            continue
        # Exportify and spreadsheets sometimes add a time part; the date is what matters.
        candidate = raw.split("T")[0].split(" ")[0]
        for pattern, level in _DATE_PATTERNS:
            match = pattern.match(candidate)
            if match and _plausible(match.groups()):
                date.append(candidate)
                precision.append(level)
                year.append(float(match.group(1)))
                valid.append(True)
                break
        else:
            date.append(None)
            precision.append(None)
            year.append(np.nan)
            valid.append(False)
    return pd.DataFrame(
        {
            "release_date": pd.Series(date, index=values.index, dtype=object),
            "release_precision": pd.Series(precision, index=values.index, dtype=object),
            "release_year": pd.Series(year, index=values.index, dtype=float),
            "release_valid": pd.Series(valid, index=values.index, dtype=bool),
        }
    )


def _plausible(parts: tuple[str, ...]) -> bool:
    year = int(parts[0])
    if not 1000 <= year <= 2100:
        return False
    if len(parts) >= 2 and not 1 <= int(parts[1]) <= 12:
        return False
    return not (len(parts) == 3 and not 1 <= int(parts[2]) <= 31)


def blank_invalid_values(tracks: pd.DataFrame) -> pd.DataFrame:
    """``tracks`` with every non-finite or out-of-range number replaced by NaN.

    Run after :func:`exclusion_reasons` has recorded why such rows are unusable, so that no
    model, scaler or index ever computes with ``1e308`` or ``inf`` (the row keeps its reason).
    """
    out = tracks.copy()
    for column, rng in FEATURE_RANGES.items():
        values = pd.to_numeric(out[column], errors="coerce").astype(float)
        out[column] = values.where(rng.valid(values))
    duration = pd.to_numeric(out["duration_ms"], errors="coerce").astype(float)
    out["duration_ms"] = duration.where(
        np.isfinite(duration) & (duration >= 0) & (duration <= MAX_DURATION_MS)
    )
    return out


def integer_values(values: pd.Series) -> pd.Series:
    """Whole numbers as ``int64``, or as nullable ``Int64`` when some are missing."""
    rounded = values.round()
    return rounded.astype("int64") if rounded.notna().all() else rounded.astype("Int64")


def validate_tracks(tracks: pd.DataFrame) -> pd.DataFrame:
    """The catalog's validation of a track table: reasons, blanked values, ``usable``.

    Records :func:`exclusion_reasons`, blanks what they name (:func:`blank_invalid_values`),
    makes popularity and duration whole numbers and sets ``usable``. A row that already carries
    an ``exclusion_reason`` keeps it: its values were blanked when the reason was recorded, and
    reading them again would turn "tempo is 0" into "tempo missing". So validating a validated
    table changes nothing, and a job may validate any table in the catalog's layout. Rows are
    independent of each other: a table validated in batches equals the table validated whole.
    """
    reasons = exclusion_reasons(tracks)
    if "exclusion_reason" in tracks.columns:
        carried = tracks["exclusion_reason"].astype(object)
        known = carried.notna().to_numpy() & (carried.astype("string").str.strip() != "").fillna(
            False
        ).to_numpy(dtype=bool)
        reasons = pd.Series(
            np.where(known, carried.to_numpy(), reasons.to_numpy()), index=tracks.index
        )
    out = blank_invalid_values(tracks)
    out["popularity"] = integer_values(out["popularity"])
    out["duration_ms"] = integer_values(out["duration_ms"])
    out["usable"] = reasons.isna().to_numpy()
    out["exclusion_reason"] = reasons.to_numpy()
    return out
