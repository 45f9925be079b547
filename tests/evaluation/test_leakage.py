"""The leaky demonstration really leaks, and the leak-free protocol does not."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd

from moodtune.evaluation import leakage
from moodtune.evaluation.leakage import (
    compare_protocols,
    leak_free_protocol,
    leaky_protocol,
    oversample_with_noise,
)
from tests.survey.test_effect import planted_survey


def no_signal(rng: np.random.Generator, n: int = 200) -> tuple[pd.DataFrame, np.ndarray]:
    frame = planted_survey(rng, n=n, signal=False)
    return frame, frame["music_effects"].to_numpy(dtype=object)


def test_no_signal_leak_free_is_at_chance_but_leaky_is_not(rng: np.random.Generator) -> None:
    frame, y = no_signal(rng)
    result = compare_protocols(frame, y, n_repeats=3, random_state=0)
    # Three classes, no signal: balanced accuracy of an honest protocol is about 1/3.
    assert abs(result["leak_free"]["balanced_accuracy"]["mean"] - 1 / 3) < 0.1
    assert result["leaky"]["balanced_accuracy"]["mean"] > 0.6
    assert result["leaky"]["macro_f1"]["min"] > result["leak_free"]["macro_f1"]["max"] + 0.2
    assert result["overstatement"]["macro_f1"] > 0.2
    assert "NOT TO DO" in result["warning"]


def test_leaky_test_rows_have_copies_in_training(rng: np.random.Generator) -> None:
    frame, y = no_signal(rng)
    leaky = leaky_protocol(frame, y, random_state=1)
    honest = leak_free_protocol(frame, y, random_state=1)
    assert leaky["test_rows_with_copy_in_training"] > 0.5
    assert honest["test_rows_with_copy_in_training"] == 0.0


def test_oversampling_balances_and_tracks_sources(rng: np.random.Generator) -> None:
    X = rng.normal(size=(10, 2))
    y = np.array(["a"] * 8 + ["b"] * 2, dtype=object)
    X_res, y_res, source = oversample_with_noise(X, y, random_state=0)
    assert (y_res == "a").sum() == (y_res == "b").sum() == 8
    assert set(source[y_res == "b"]) <= {8, 9}
    # Noisy copies: near, but not identical to, their source row.
    copies = X_res[10:]
    assert not np.allclose(copies, X[source[10:]])


def test_the_leak_is_in_the_code_structure() -> None:
    leaky_src = inspect.getsource(leakage.leaky_protocol)
    honest_src = inspect.getsource(leakage.leak_free_protocol)
    # Leaky: oversample the full data, then split. Leak-free: split, then a pipeline step.
    assert leaky_src.index("oversample_with_noise(") < leaky_src.index("train_test_split(")
    assert honest_src.index("train_test_split(") < honest_src.index('("oversample"')
    assert "oversample_with_noise" not in honest_src
