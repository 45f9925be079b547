"""The fitted mood model: known answers for the shipped file, its format, its uncertainty."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from moodtune.config import Settings
from moodtune.errors import InputError, NotFittedError
from moodtune.mood.estimator import TrackMoodModel
from moodtune.mood.fitted import (
    FITTED_MODEL_FORMAT,
    RESIDUAL_TERMS,
    ResidualMoodModel,
    default_model_path,
    fit_default_model,
    load_default_model,
    load_model,
    model_json,
    same_model_json,
    save_model,
)

# An upbeat dance-pop track, a quiet minor ballad, a speechy mid-tempo track, a piano piece.
ROWS = pd.DataFrame(
    {
        "valence": [0.9, 0.1, 0.5, 0.2],
        "mode": [1, 0, 1, 1],
        "energy": [0.9, 0.2, 0.6, 0.1],
        "tempo": [128.0, 70.0, 100.0, 60.0],
        "loudness": [-4.0, -18.0, -7.0, -25.0],
        "danceability": [0.8, 0.3, 0.6, 0.2],
        "acousticness": [0.05, 0.8, 0.2, 0.95],
        "speechiness": [0.05, 0.04, 0.3, 0.04],
        "instrumentalness": [0.0, 0.0, 0.0, 0.9],
        "liveness": [0.1, 0.1, 0.2, 0.1],
    }
)


def test_the_shipped_model_maps_known_rows_to_known_positions() -> None:
    model = load_default_model()
    np.testing.assert_allclose(
        model.predict(ROWS),
        [[0.841716, 0.847174], [-0.363646, -0.803483], [0.029445, 0.004599], [-0.362896, -1.0]],
        atol=1e-5,
    )
    np.testing.assert_allclose(
        model.predict_uncertainty(ROWS), [0.331321, 0.385597, 0.330281, 0.510606], atol=1e-5
    )
    # The ballad and, far more, the piano piece lie away from the rated chart pop.
    uncertain = model.predict_uncertainty(ROWS) > model.uncertain_above_
    assert uncertain.tolist() == [False, True, False, True]
    np.testing.assert_allclose(model.alpha_, [5.623413, 31.622777], rtol=1e-5)


def test_the_shipped_file_is_json_of_the_current_format() -> None:
    data = json.loads(default_model_path().read_text())
    assert data["format"] == FITTED_MODEL_FORMAT and data["model"] == "ResidualMoodModel"
    assert data["terms"] == list(RESIDUAL_TERMS)
    assert default_model_path().read_bytes()[:1] == b"{"  # text, not a pickle


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": 1}, "not a mood model file of a supported format"),
        ({"model": "TrackMoodModel"}, "not a mood model file of a supported format"),
        ({"terms": ["valence"]}, "fitted on other inputs"),
        ({"prior": {"valence_terms": {"valence": 0.15, "mode": 0.85}}}, "other prior weights"),
    ],
)
def test_the_loader_refuses_another_format(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    data = {**json.loads(default_model_path().read_text()), **change}
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match=message):
        load_model(path)


def test_a_prior_model_file_and_garbage_are_refused(tmp_path: Path) -> None:
    prior = tmp_path / "prior.json"
    TrackMoodModel().fit(ROWS).save(prior)
    with pytest.raises(InputError, match="supported format"):
        load_model(prior)
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\x80\x04K\x01.")  # a pickle
    with pytest.raises(InputError, match="not a readable mood model file"):
        load_model(garbage)


def _rated(rng: np.random.Generator, n: int = 240) -> tuple[pd.DataFrame, np.ndarray]:
    frame = pd.DataFrame(
        {
            "valence": rng.uniform(0, 1, n),
            "mode": rng.integers(0, 2, n),
            "energy": rng.uniform(0, 1, n),
            "tempo": rng.uniform(70, 170, n),
            "loudness": rng.uniform(-20, -3, n),
            "danceability": rng.uniform(0, 1, n),
            "acousticness": rng.uniform(0, 0.5, n),
            "speechiness": rng.uniform(0, 0.2, n),
            "instrumentalness": rng.uniform(0, 0.05, n),
            "liveness": rng.uniform(0, 0.4, n),
        }
    )
    prior = TrackMoodModel().fit(frame).predict(frame)
    # Raters hear danceable tracks as happier than the prior says; arousal is the prior's.
    ratings = prior + np.column_stack([0.4 * (frame["danceability"] - 0.5), np.zeros(n)])
    return frame, np.clip(ratings + rng.normal(0, 0.05, (n, 2)), -1, 1)


def test_the_residual_learns_a_planted_correction_and_keeps_the_prior_elsewhere(
    rng: np.random.Generator,
) -> None:
    frame, ratings = _rated(rng)
    model = ResidualMoodModel(match_spread=False).fit(frame, ratings)
    dance = RESIDUAL_TERMS.index("danceability")
    assert model.coef_[0, dance] == pytest.approx(0.4 * model.scale_[dance] / 2, rel=0.2)
    assert np.abs(np.delete(model.coef_[0], dance)).max() < 0.03
    assert np.abs(model.coef_[1]).max() < 0.03  # nothing to learn on arousal: stays the prior
    assert model.alpha_[1] >= model.alpha_[0]
    error = np.abs(model.predict(frame) - ratings).mean()
    assert error < 0.06


def test_uncertainty_grows_where_features_leave_the_rated_songs(rng: np.random.Generator) -> None:
    frame, ratings = _rated(rng)
    model = ResidualMoodModel().fit(frame, ratings)
    inside = frame.iloc[[0]]
    outside = inside.assign(instrumentalness=1.0, acousticness=1.0, speechiness=0.9)
    assert model.predict_uncertainty(outside)[0] > 1.3 * model.predict_uncertainty(inside)[0]
    assert model.predict_uncertainty(outside)[0] > model.uncertain_above_


def test_save_and_load_give_the_same_model(tmp_path: Path, rng: np.random.Generator) -> None:
    frame, ratings = _rated(rng)
    model = ResidualMoodModel(random_state=3).fit(frame, ratings)
    save_model(model, tmp_path / "m.json")
    again = load_model(tmp_path / "m.json")
    np.testing.assert_array_equal(again.predict(ROWS), model.predict(ROWS))
    np.testing.assert_array_equal(again.predict_sd(ROWS), model.predict_sd(ROWS))
    assert model_json(again) == model_json(model)


def test_an_unfitted_model_says_so_and_fitting_needs_ratings() -> None:
    with pytest.raises(NotFittedError):
        ResidualMoodModel().predict(ROWS)
    with pytest.raises(InputError, match="fitted to human ratings"):
        ResidualMoodModel().fit(ROWS)
    with pytest.raises(InputError, match="shape"):
        ResidualMoodModel().fit(ROWS, np.zeros((3, 2)))


@pytest.mark.slow
def test_mood_fit_reproduces_the_shipped_model(real_settings: Settings) -> None:
    model, joined = fit_default_model(settings=real_settings)
    # equal up to the last digits numpy and BLAS builds round differently (``REFIT_RTOL``)
    assert same_model_json(model_json(model), default_model_path().read_text())
    assert joined.summary()["matched_songs"] == 260
