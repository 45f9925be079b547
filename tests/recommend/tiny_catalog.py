"""Tiny synthetic catalog tables (the ``Catalog.tracks`` layout) for track-recommender tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from moodtune.mood.space import quadrant

_DEFAULTS: dict[str, Any] = {
    "album": "Album",
    "album_id": "alb",
    "popularity": 50,
    "duration_ms": 200_000,
    "release_date": "2019-01-01",
    "release_precision": "day",
    "release_year": 2019.0,
    "genres": ("pop",),
    "subgenres": ("dance pop",),
    "explicit": pd.NA,
    "danceability": 0.5,
    "energy": 0.5,
    "key": 0,
    "loudness": -8.0,
    "mode": 1,
    "speechiness": 0.05,
    "acousticness": 0.3,
    "instrumentalness": 0.0,
    "liveness": 0.1,
    "valence": 0.5,
    "tempo": 120.0,
    "usable": True,
    "exclusion_reason": None,
    "synthetic": False,
    "mood_cluster": "Mellow",
}


def make_catalog(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A catalog table from partial rows; ``track_id``, ``mood_valence``, ``mood_arousal``
    are required, everything else gets a neutral default (names and artists from the id)."""
    full = []
    for i, row in enumerate(rows):
        record = {**_DEFAULTS, **row}
        record.setdefault("name", f"Song {record['track_id']}")
        record.setdefault("artists", f"Artist {i}")
        record["genres"] = list(record["genres"])
        record["subgenres"] = list(record["subgenres"])
        record["quadrant"] = quadrant(record["mood_valence"], record["mood_arousal"])
        full.append(record)
    frame = pd.DataFrame(full)
    frame["explicit"] = frame["explicit"].astype("boolean")
    return frame


def grid_catalog(step: float = 0.1, *, random_state: int = 0) -> pd.DataFrame:
    """Tracks on a regular grid over the mood plane, tempo and energy rising with arousal,
    so a smooth path through the plane can always keep small tempo/energy jumps."""
    rng = np.random.default_rng(random_state)
    coords = np.arange(-0.9, 0.9 + 1e-9, step).round(3)
    rows: list[dict[str, Any]] = []
    for v in coords:
        for a in coords:
            rows.append(
                {
                    "track_id": f"g{v:+.2f}{a:+.2f}",
                    "mood_valence": float(v),
                    "mood_arousal": float(a),
                    "valence": float((v + 1) / 2),
                    "energy": float(np.clip((a + 1) / 2 + rng.normal(0, 0.01), 0, 1)),
                    "tempo": float(120 + 50 * a + rng.normal(0, 1)),
                    "danceability": float(rng.uniform(0.3, 0.8)),
                    "artists": f"Artist {len(rows)}",
                }
            )
    return make_catalog(rows)
