from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from moodtune.errors import InputError, NotFittedError
from moodtune.mood.estimator import TrackMoodModel, mood_terms
from moodtune.mood.space import quadrant


def _tracks(**columns: list[float]) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    base = {
        "valence": [0.5] * n,
        "mode": [1] * n,
        "energy": [0.5] * n,
        "tempo": [120.0] * n,
        "loudness": [-16.5] * n,
    }
    base.update(columns)
    return pd.DataFrame(base)


def test_obvious_tracks_land_in_the_obvious_quadrant() -> None:
    tracks = _tracks(
        valence=[0.95, 0.05, 0.05, 0.9],
        energy=[0.95, 0.95, 0.05, 0.1],
        tempo=[160.0, 170.0, 65.0, 70.0],
        loudness=[-4.0, -3.5, -25.0, -22.0],
        mode=[1, 0, 0, 1],
    )
    positions = TrackMoodModel().fit(tracks).predict(tracks)
    assert [quadrant(v, a) for v, a in positions] == [
        "happy/energetic",
        "tense/angry",
        "sad/low",
        "calm/relaxed",
    ]


def test_positions_stay_in_range_for_extreme_features(rng: np.random.Generator) -> None:
    n = 500
    tracks = _tracks(
        valence=rng.uniform(0, 1, n).tolist(),
        energy=rng.uniform(0, 1, n).tolist(),
        tempo=rng.uniform(30, 250, n).tolist(),
        loudness=rng.uniform(-60, 3, n).tolist(),
        mode=rng.integers(0, 2, n).astype(float).tolist(),
    )
    positions = TrackMoodModel().fit(tracks).predict(tracks)
    assert np.abs(positions).max() <= 1.0


def test_arousal_rises_with_tempo_and_loudness_valence_with_mode() -> None:
    tracks = _tracks(tempo=[80.0, 160.0, 120.0, 120.0], loudness=[-10.0, -10.0, -25.0, -5.0])
    arousal = TrackMoodModel().fit(tracks).predict(tracks)[:, 1]
    assert arousal[1] > arousal[0] and arousal[3] > arousal[2]
    modes = _tracks(mode=[0, 1])
    valence = TrackMoodModel().fit(modes).predict(modes)[:, 0]
    assert valence[1] > valence[0]


def test_fitting_to_ratings_recovers_planted_weights(rng: np.random.Generator) -> None:
    n = 400
    tracks = _tracks(
        valence=rng.uniform(0, 1, n).tolist(),
        energy=rng.uniform(0, 1, n).tolist(),
        tempo=rng.uniform(60, 180, n).tolist(),
        loudness=rng.uniform(-30, -3, n).tolist(),
        mode=rng.integers(0, 2, n).astype(float).tolist(),
    )
    terms = mood_terms(tracks)
    ratings = np.column_stack(
        [0.5 * terms["valence"] + 0.3 * terms["mode"], 0.2 * terms["energy"] + 0.7 * terms["tempo"]]
    )
    model = TrackMoodModel().fit(tracks, ratings)
    np.testing.assert_allclose(model.valence_coef_, [0.5, 0.3], atol=1e-6)
    np.testing.assert_allclose(model.arousal_coef_, [0.2, 0.7, 0.0], atol=1e-6)
    assert model.fitted_on_ratings_


def test_unfitted_missing_columns_and_bad_ratings_are_refused(tmp_path: Path) -> None:
    tracks = _tracks(valence=[0.5, 0.6])
    with pytest.raises(NotFittedError):
        TrackMoodModel().predict(tracks)
    with pytest.raises(InputError, match=r"\['tempo'\] missing"):
        TrackMoodModel().fit(tracks.drop(columns="tempo"))
    with pytest.raises(InputError, match="shape"):
        TrackMoodModel().fit(tracks, np.zeros((3, 2)))
    bad = tmp_path / "m.json"
    bad.write_text('{"model": "Other", "format": 9}')
    with pytest.raises(InputError, match="not a TrackMoodModel"):
        TrackMoodModel.load(bad)


def test_model_round_trips_through_json(tmp_path: Path) -> None:
    tracks = _tracks(valence=[0.1, 0.9], energy=[0.2, 0.8])
    model = TrackMoodModel().fit(tracks)
    model.save(tmp_path / "m.json")
    again = TrackMoodModel.load(tmp_path / "m.json")
    np.testing.assert_allclose(again.predict(tracks), model.predict(tracks))
