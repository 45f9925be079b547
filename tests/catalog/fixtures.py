"""Small track files in the layouts moodtune recognises, written by the tests themselves."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

EXPORTIFY_HEADER = [
    "Track URI",
    "Track Name",
    "Album Name",
    "Artist Name(s)",
    "Release Date",
    "Duration (ms)",
    "Popularity",
    "Explicit",
    "Added By",
    "Added At",
    "Genres",
    "Record Label",
    "Danceability",
    "Energy",
    "Key",
    "Loudness",
    "Mode",
    "Speechiness",
    "Acousticness",
    "Instrumentalness",
    "Liveness",
    "Valence",
    "Tempo",
    "Time Signature",
]


def exportify_rows(n: int, rng: np.random.Generator) -> list[dict[str, str]]:
    rows = []
    for i in range(n):
        rows.append(
            {
                "Track URI": f"spotify:track:T{i:04d}",
                "Track Name": f"Song {i}",
                "Album Name": f"Album {i % 7}",
                "Artist Name(s)": f"Artist {i % 11},Guest {i % 3}",
                "Release Date": ("2019-05-1" + str(i % 10)) if i % 3 else "2001",
                "Duration (ms)": str(180_000 + i),
                "Popularity": str(i % 100),
                "Explicit": "true" if i % 4 == 0 else "false",
                "Added By": "",
                "Added At": "2020-01-01T00:00:00Z",
                "Genres": "indie pop,chamber pop" if i % 2 else "techno",
                "Record Label": "Label",
                "Danceability": f"{rng.uniform(0.2, 0.9):.3f}",
                "Energy": f"{rng.uniform(0.1, 0.95):.3f}",
                "Key": str(i % 12),
                "Loudness": f"{rng.uniform(-20, -3):.2f}",
                "Mode": str(i % 2),
                "Speechiness": f"{rng.uniform(0.02, 0.3):.3f}",
                "Acousticness": f"{rng.uniform(0.0, 0.9):.3f}",
                "Instrumentalness": f"{rng.uniform(0.0, 0.5):.3f}",
                "Liveness": f"{rng.uniform(0.05, 0.4):.3f}",
                "Valence": f"{rng.uniform(0.05, 0.95):.3f}",
                "Tempo": f"{rng.uniform(70, 170):.1f}",
                "Time Signature": "4",
            }
        )
    return rows


def write_csv(path: Path, header: list[str], rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_exportify(path: Path, rng: np.random.Generator, n: int = 60) -> Path:
    return write_csv(path, EXPORTIFY_HEADER, exportify_rows(n, rng))
