"""Known answers on synthetic signals: tempo, loudness, key and mode, and the mood they read."""

from __future__ import annotations

import numpy as np
import pytest

from moodtune.audio.features import (
    analyse_window,
    estimate_key,
    estimate_tempo,
    gated_loudness,
    onset_envelope,
    power_spectrogram,
)
from moodtune.audio.placement import catalog_features, place_on_plane
from moodtune.audio.synthetic import chord_progression, click_track, drum_pattern
from moodtune.mood.fitted import load_default_model

from .conftest import SR


@pytest.mark.parametrize("bpm", [70.0, 120.0, 150.0])
def test_click_tracks_read_within_two_percent(bpm: float) -> None:
    found = analyse_window(click_track(bpm, sr=SR), sr=SR)
    assert found.tempo_bpm == pytest.approx(bpm, rel=0.02)
    assert not found.tempo_octave_ambiguous


def test_a_pulse_too_fast_to_tap_reads_at_half_time_and_says_so() -> None:
    tempo = estimate_tempo(onset_envelope(power_spectrogram(click_track(200, sr=SR)), sr=SR), sr=SR)
    assert tempo.bpm == pytest.approx(100.0, rel=0.02)
    assert tempo.octave_ambiguous


def test_eighth_notes_do_not_double_a_drum_pattern() -> None:
    found = analyse_window(drum_pattern(150, sr=SR), sr=SR)
    assert found.tempo_bpm == pytest.approx(150.0, rel=0.02)


def test_gated_loudness_of_a_sine_is_its_rms_in_dbfs() -> None:
    t = np.arange(10 * SR) / SR
    full = np.sin(2 * np.pi * 440 * t)
    assert gated_loudness(full, sr=SR) == pytest.approx(-3.01, abs=0.05)
    assert gated_loudness(full / 2, sr=SR) == pytest.approx(-3.01 - 6.02, abs=0.05)
    assert gated_loudness(np.zeros(SR), sr=SR) == float("-inf")


def test_key_profiles_find_the_tonic_and_the_mode() -> None:
    c_major = estimate_key(np.array([1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1], dtype=float))
    assert (c_major.key, c_major.mode) == (0, 1)
    # A harmonic minor scale on A: the profile of A minor, not of C major.
    a_minor = estimate_key(np.array([3, 0, 1, 0, 1, 1, 0, 0, 1, 3, 0, 0.5], dtype=float))
    assert (a_minor.key, a_minor.mode) == (9, 0)
    d_major = analyse_window(chord_progression(roots=(2, 7, 9, 2), sr=SR), sr=SR)
    assert (d_major.key, d_major.mode) == (2, 1)
    assert d_major.mode_strength > 0


def _placed(y: np.ndarray) -> tuple[float, float]:
    model = load_default_model()
    placement = place_on_plane(catalog_features(analyse_window(y, sr=SR), model=model), model=model)
    return placement.valence, placement.arousal


def test_a_major_progression_reads_higher_valence_than_the_same_in_minor() -> None:
    major = analyse_window(chord_progression(minor=False, sr=SR), sr=SR)
    minor = analyse_window(chord_progression(minor=True, sr=SR), sr=SR)
    assert (major.key, major.mode) == (0, 1)
    assert (minor.key, minor.mode) == (0, 0)
    assert (
        _placed(chord_progression(minor=False, sr=SR))[0]
        > _placed(chord_progression(minor=True, sr=SR))[0] + 0.1
    )


def test_faster_and_louder_reads_higher_arousal() -> None:
    slow_quiet = _placed(drum_pattern(75, amplitude=0.1, sr=SR))[1]
    fast_loud = _placed(drum_pattern(150, amplitude=0.8, sr=SR))[1]
    assert fast_loud > slow_quiet + 0.3


def test_every_local_position_carries_the_audio_estimates_uncertainty() -> None:
    model = load_default_model()
    columns = catalog_features(analyse_window(drum_pattern(120, sr=SR), sr=SR), model=model)
    placement = place_on_plane(columns, model=model)
    assert all(s >= m for s, m in zip(placement.sd, placement.model_sd, strict=True))
    assert placement.sd[1] > placement.model_sd[1]  # the unmeasured columns cost certainty
    assert set(columns.sigma) >= {"acousticness", "speechiness", "valence", "energy", "mode"}
    # The unmeasured columns sit at the rated songs' mean: their z-score is zero.
    import pandas as pd

    from moodtune.mood.fitted import RESIDUAL_TERMS, residual_terms

    z = (residual_terms(pd.DataFrame([columns.columns()])) - model.mean_) / model.scale_
    for name in ("acousticness", "speechiness", "instrumentalness", "liveness"):
        assert z[0, RESIDUAL_TERMS.index(name)] == pytest.approx(0.0, abs=1e-9)
