"""Human valence–arousal ratings (PMEmo) and their join to catalog tracks by artist + title.

PMEmo (Zhang et al., ICMR 2018) gives, for 767 chorus excerpts of chart pop, the mean and
standard deviation of at least ten listeners' ratings on a 9-point scale; ``(x - 5) / 4`` maps
them onto the mood plane's [-1, 1]. It has no audio features and no Spotify ids, so a song is
joined to catalog tracks by :func:`moodtune.catalog.identity.match_key` (normalised first
artist + title). The join is never a guess:

* A song whose key no catalog track has is **unmatched**.
* A song whose key several catalog tracks share is **matched** when those tracks agree (the
  same recording on a single and an album: valence and energy within ``FEATURE_TOLERANCE``,
  tempo within ``TEMPO_TOLERANCE_BPM``); its features are then their per-feature median, its
  genre the most frequent one, its release year the earliest. When they disagree (a remaster
  analysed differently, a tempo read at double time) the song is **ambiguous**: reported with
  its candidates, and left out.
* Several PMEmo songs with one key (the same song rated twice) are **duplicates**: their
  ratings are averaged into one row, and counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from moodtune.catalog.identity import match_key
from moodtune.catalog.schema import AUDIO_FEATURES
from moodtune.config import Settings

__all__ = [
    "FEATURE_TOLERANCE",
    "MATCH_FEATURES",
    "TEMPO_TOLERANCE_BPM",
    "RatingsJoin",
    "load_pmemo_ratings",
    "match_ratings",
    "rated_default_tracks",
]

FEATURE_TOLERANCE = 0.1
TEMPO_TOLERANCE_BPM = 3.0
MATCH_FEATURES: tuple[str, ...] = (*AUDIO_FEATURES, "duration_ms")
"""The catalog's audio features and the duration: what a matched PMEmo song is described by."""


def load_pmemo_ratings(*, settings: Settings | None = None) -> pd.DataFrame:
    """PMEmo's rated songs with their metadata, ratings mapped onto [-1, 1].

    Returns one row per rated song: ``song_id, artist, title, duration_s, valence, arousal,
    valence_sd, arousal_sd`` (the standard deviations on the same [-1, 1] scale).
    """
    from moodtune.data.registry import load_table

    meta = load_table("pmemo_metadata", settings=settings)
    static = load_table("pmemo_static", settings=settings)
    joined = static.merge(meta, left_on="song_id", right_on="musicId", how="inner")
    return pd.DataFrame(
        {
            "song_id": joined["song_id"].astype(int),
            "artist": joined["artist"].astype(str),
            "title": joined["title"].astype(str),
            "duration_s": pd.to_numeric(joined["duration"], errors="coerce"),
            "valence": (joined["valence_mean"].astype(float) - 5.0) / 4.0,
            "arousal": (joined["arousal_mean"].astype(float) - 5.0) / 4.0,
            "valence_sd": joined["valence_std"].astype(float) / 4.0,
            "arousal_sd": joined["arousal_std"].astype(float) / 4.0,
        }
    )


@dataclass
class RatingsJoin:
    """The outcome of :func:`match_ratings`.

    ``matched`` has one row per matched ``match_key``: the mean ratings (``rated_valence,
    rated_arousal``), the catalog features (``MATCH_FEATURES``), ``genre``, ``release_year``,
    ``track_ids`` (the catalog tracks it stands for) and ``song_ids`` (the PMEmo songs).
    """

    matched: pd.DataFrame
    songs: int
    unmatched: list[dict[str, Any]] = field(default_factory=list)
    ambiguous: list[dict[str, Any]] = field(default_factory=list)
    duplicate_songs: int = 0

    @property
    def matched_songs(self) -> int:
        """How many rated songs the matched rows stand for (duplicates included)."""
        return int(sum(len(ids) for ids in self.matched["song_ids"]))

    @property
    def matched_tracks(self) -> int:
        """How many catalog tracks the matched rows stand for."""
        return int(sum(len(ids) for ids in self.matched["track_ids"]))

    def summary(self) -> dict[str, Any]:
        """Counts, and every ambiguous song with its candidates (JSON-ready)."""
        return {
            "rated_songs": self.songs,
            "matched_songs": self.matched_songs,
            "matched_rows": len(self.matched),
            "matched_catalog_tracks": self.matched_tracks,
            "duplicate_songs_merged": self.duplicate_songs,
            "ambiguous_songs": len(self.ambiguous),
            "unmatched_songs": len(self.unmatched),
            "ambiguous": self.ambiguous,
        }


def _agree(candidates: pd.DataFrame) -> bool:
    spread = candidates[["valence", "energy"]].max() - candidates[["valence", "energy"]].min()
    tempo = float(candidates["tempo"].max() - candidates["tempo"].min())
    return bool((spread <= FEATURE_TOLERANCE).all() and tempo <= TEMPO_TOLERANCE_BPM)


def match_ratings(ratings: pd.DataFrame, tracks: pd.DataFrame) -> RatingsJoin:
    """Join rated songs to catalog tracks by normalised artist + title (module docstring).

    Parameters
    ----------
    ratings : DataFrame with ``song_id, artist, title, valence, arousal`` (one row per song).
    tracks : a catalog track table (``track_id, name, artists, genres, release_year`` and the
        audio features); only its usable rows are candidates.
    """
    usable = tracks[tracks["usable"].to_numpy(dtype=bool)] if "usable" in tracks else tracks
    keys = pd.Series(
        [match_key(a, t) for a, t in zip(usable["artists"], usable["name"], strict=True)],
        index=usable.index,
    )
    by_key = {k: usable.loc[idx] for k, idx in keys.groupby(keys).groups.items()}
    rating_keys = [
        match_key(a, t) for a, t in zip(ratings["artist"], ratings["title"], strict=True)
    ]
    grouped = ratings.assign(key=rating_keys).groupby("key", sort=True)
    rows: list[dict[str, Any]] = []
    unmatched: list[dict[str, Any]] = []
    ambiguous: list[dict[str, Any]] = []
    duplicates = 0
    for key, songs in grouped:
        duplicates += len(songs) - 1
        described = {
            "match_key": key,
            "song_ids": songs["song_id"].astype(int).tolist(),
            "artist": str(songs["artist"].iloc[0]),
            "title": str(songs["title"].iloc[0]),
        }
        candidates = by_key.get(str(key))
        if candidates is None:
            unmatched.append(described)
            continue
        if len(candidates) > 1 and not _agree(candidates):
            ambiguous.append(
                {
                    **described,
                    "candidates": [
                        {"track_id": str(t), "name": str(n), "valence": v, "energy": e, "tempo": b}
                        for t, n, v, e, b in zip(
                            candidates["track_id"],
                            candidates["name"],
                            candidates["valence"].astype(float).tolist(),
                            candidates["energy"].astype(float).tolist(),
                            candidates["tempo"].astype(float).tolist(),
                            strict=True,
                        )
                    ],
                }
            )
            continue
        genres = pd.Series([g for gs in candidates["genres"] for g in gs], dtype=object)
        years = pd.to_numeric(candidates["release_year"], errors="coerce")
        features = candidates[list(MATCH_FEATURES)].apply(pd.to_numeric, errors="coerce")
        rows.append(
            {
                "match_key": key,
                "artist": described["artist"],
                "title": described["title"],
                "rated_valence": float(songs["valence"].mean()),
                "rated_arousal": float(songs["arousal"].mean()),
                **{f: float(features[f].median()) for f in MATCH_FEATURES},
                "genre": str(genres.value_counts().index[0]) if len(genres) else None,
                "release_year": float(years.min()) if years.notna().any() else np.nan,
                "track_ids": sorted(str(t) for t in candidates["track_id"]),
                "song_ids": described["song_ids"],
            }
        )
    columns = [
        "match_key",
        "artist",
        "title",
        "rated_valence",
        "rated_arousal",
        *MATCH_FEATURES,
        "genre",
        "release_year",
        "track_ids",
        "song_ids",
    ]
    matched = pd.DataFrame(rows, columns=columns)
    # mode is 0/1 and key an integer: a median of two copies that disagree lands between
    matched[["mode", "key"]] = matched[["mode", "key"]].round()
    return RatingsJoin(
        matched=matched.reset_index(drop=True),
        songs=len(ratings),
        unmatched=unmatched,
        ambiguous=ambiguous,
        duplicate_songs=duplicates,
    )


def rated_default_tracks(*, settings: Settings | None = None) -> RatingsJoin:
    """PMEmo's ratings joined to the default catalog's tracks (the data the model is fitted on)."""
    from moodtune.catalog.loader import load_default_tracks

    return match_ratings(load_pmemo_ratings(settings=settings), load_default_tracks(settings))
