"""A four-track catalog with Spotify ids, one ISRC and names that need normalising to match."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from moodtune.sessions import OfferedTrack
from moodtune.sessions.service import MoodReport, start_session
from tests.recommend.tiny_catalog import make_catalog

CALM = "4uLU6hMCjMI75M1A2tKUQC"  # ids in the Spotify alphabet, 22 characters
HAPPY = "7ouMYWpwJ422jRcDASZB7P"
SAD = "3n3Ppam7vgaVa1iaRUc9Lp"
TENSE = "0eGsygTp906u18L0Oimnem"  # Mr. Brightside, as in the real fixture bodies


def connector_catalog() -> pd.DataFrame:
    frame = make_catalog(
        [
            {"track_id": CALM, "name": "Weightless", "artists": "Marconi Union",
             "mood_valence": 0.3, "mood_arousal": -0.7, "duration_ms": 480_000},
            {"track_id": HAPPY, "name": "Walking on Sunshine", "artists": "Katrina & The Waves",
             "mood_valence": 0.9, "mood_arousal": 0.6},
            {"track_id": SAD, "name": "Hurt", "artists": "Johnny Cash",
             "mood_valence": -0.7, "mood_arousal": -0.4},
            {"track_id": TENSE, "name": "Mr. Brightside", "artists": "The Killers",
             "mood_valence": -0.2, "mood_arousal": 0.8},
        ]
    )  # fmt: skip
    frame["isrc"] = ["GBCEL1100349", None, None, None]
    return frame


def record_journey(engine: Engine, listener: str) -> str:
    """A recorded calm-down journey: three catalog tracks, then one no longer in the catalog."""
    tracks = [
        OfferedTrack(track_id=tid, reason="step", genre="pop", mood="calm")
        for tid in (TENSE, HAPPY, CALM)
    ] + [OfferedTrack(track_id="gone-from-catalog", reason="step", name="Old", artists="Band")]
    started = start_session(
        engine, listener, goal="calm_down",
        before=MoodReport(valence=-0.2, arousal=0.8), tracks=tracks, model_version="test",
    )  # fmt: skip
    return started.session.id
