from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError as SklearnNotFittedError

from moodtune.config import Settings
from moodtune.errors import InputError
from moodtune.survey.features import (
    check_feature_frame,
    feature_columns,
    survey_feature_pipeline,
)
from moodtune.survey.schema import (
    BOOL_FIELDS,
    FREQ_COLUMNS,
    SCORES,
    Profile,
    load_survey,
    profiles_to_frame,
)


def _frame(rng: np.random.Generator, n: int = 20) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "age": rng.uniform(15, 60, n),
            "hours_per_day": rng.uniform(0, 8, n),
            "bpm": rng.uniform(60, 180, n),
            **{s: rng.integers(0, 11, n).astype(float) for s in SCORES},
            **{b: rng.integers(0, 2, n).astype(bool) for b in BOOL_FIELDS},
            **{c: rng.integers(0, 4, n).astype(float) for c in FREQ_COLUMNS},
            "fav_genre": rng.choice(["Rock", "Pop", "Jazz"], n).astype(object),
            "music_effects": "Improve",
        }
    )
    for name in BOOL_FIELDS:
        frame[name] = frame[name].astype("boolean")
    return frame


def test_feature_columns_follow_the_options() -> None:
    full = feature_columns()
    assert full[:3] == ["age", "hours_per_day", "bpm"]
    assert set(SCORES) <= set(full)
    assert set(FREQ_COLUMNS) <= set(full)
    assert "fav_genre" not in full
    lean = feature_columns(include_scores=False, include_frequencies=False, include_bpm=False)
    assert not set(SCORES) & set(lean)
    assert not set(FREQ_COLUMNS) & set(lean)
    assert "bpm" not in lean
    assert "fav_genre" in feature_columns(include_fav_genre=True)


def test_pipeline_is_unfitted_and_clonable() -> None:
    pipeline = survey_feature_pipeline()
    with pytest.raises(SklearnNotFittedError):
        pipeline.transform(pd.DataFrame())
    clone(pipeline)


def test_matrix_is_standardised_with_01_missing_indicators(rng: np.random.Generator) -> None:
    frame = _frame(rng)
    frame.loc[[2, 5], "age"] = np.nan
    frame.loc[3, "exploratory"] = pd.NA
    pipeline = survey_feature_pipeline()
    matrix = pipeline.fit_transform(frame)
    names = list(pipeline.get_feature_names_out())
    assert matrix.shape == (20, len(names))
    assert np.isfinite(matrix).all()
    age = names.index("numeric__age")
    observed = frame["age"].notna().to_numpy()
    assert abs(matrix[observed, age].mean()) < 1e-9
    assert abs(matrix[observed, age].std() - 1.0) < 1e-9
    indicator = matrix[:, names.index("numeric__missingindicator_age")]
    assert set(indicator) == {0.0, 1.0}
    assert indicator[[2, 5]].tolist() == [1.0, 1.0]
    assert matrix[3, names.index("booleans__missingindicator_exploratory")] == 1.0
    # Columns without missing values at fit get no indicator.
    assert "numeric__missingindicator_hours_per_day" not in names
    # Ignored: unrelated columns such as the target.
    assert not any("music_effects" in n for n in names)


def test_options_drop_blocks(rng: np.random.Generator) -> None:
    frame = _frame(rng)
    pipeline = survey_feature_pipeline(include_scores=False, include_frequencies=False)
    names = list(pipeline.fit(frame).get_feature_names_out())
    assert not any(n.startswith(("scores__", "frequencies__")) for n in names)
    onehot = survey_feature_pipeline(include_fav_genre=True, missing_indicators=False)
    matrix = onehot.fit_transform(frame)
    names = list(onehot.get_feature_names_out())
    rock = names.index("fav_genre__fav_genre_Rock")
    assert matrix[:, rock].tolist() == (frame["fav_genre"] == "Rock").astype(float).tolist()
    assert not any("missingindicator" in n for n in names)


def test_profile_with_every_optional_field_missing_transforms(rng: np.random.Generator) -> None:
    pipeline = survey_feature_pipeline(include_fav_genre=True).fit(_frame(rng))
    empty = profiles_to_frame([Profile(anxiety=3, depression=4, insomnia=1, ocd=0)])
    row = pipeline.transform(empty)
    assert row.shape == (1, len(pipeline.get_feature_names_out()))
    assert np.isfinite(row).all()
    names = list(pipeline.get_feature_names_out())
    assert row[0, names.index("fav_genre__fav_genre_missing")] == 1.0


def test_missing_input_column_is_named(rng: np.random.Generator) -> None:
    frame = _frame(rng).drop(columns=["hours_per_day"])
    with pytest.raises(InputError, match="hours_per_day"):
        check_feature_frame(frame, feature_columns(), source="export.csv")


def test_real_survey_gives_a_finite_matrix(real_settings: Settings) -> None:
    frame = load_survey(settings=real_settings).frame
    pipeline = survey_feature_pipeline()
    matrix = pipeline.fit_transform(frame)
    assert matrix.shape[0] == 736
    assert np.isfinite(matrix).all()
    assert "numeric__missingindicator_bpm" in pipeline.get_feature_names_out()
