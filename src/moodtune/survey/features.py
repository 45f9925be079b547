"""The shared survey feature pipeline: clean survey frame (or profiles) -> numeric matrix.

Every survey model (personas, effect prediction, genre recommenders) builds its matrix with
``survey_feature_pipeline``, so imputation and scaling are the same everywhere and, because the
pipeline is returned *unfitted*, they are learned inside whatever fit (or cross-validation fold)
uses it - never on rows the model is later tested on.

Input is the frame of ``load_survey(...).frame`` or ``profiles_to_frame([...])``; extra columns
are ignored. Output columns, in order (``get_feature_names_out`` names them):

* ``numeric``: age, hours_per_day (and bpm) - standardised, missing -> training median;
* ``scores``: anxiety, depression, insomnia, ocd (0-10) - standardised, missing -> median;
* ``booleans``: the five yes/no answers as 0/1, standardised, missing -> training share;
* ``frequencies``: the 16 genre frequencies as ordinal 0-3 (Never..Very frequently),
  standardised, missing -> median;
* ``fav_genre`` (optional): one-hot over the 16 genres plus ``missing``;

each block followed by unscaled 0/1 ``missingindicator_<column>`` columns (when
``missing_indicators``) for the columns that had missing values during fit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from moodtune.errors import InputError
from moodtune.survey.schema import BOOL_FIELDS, FREQ_COLUMNS, GENRES, SCORES

__all__ = [
    "BOOL_COLUMNS",
    "NUMERIC_COLUMNS",
    "SCORE_COLUMNS",
    "check_feature_frame",
    "feature_columns",
    "survey_feature_pipeline",
]

NUMERIC_COLUMNS: tuple[str, ...] = ("age", "hours_per_day")
SCORE_COLUMNS: tuple[str, ...] = SCORES
BOOL_COLUMNS: tuple[str, ...] = BOOL_FIELDS


def feature_columns(
    *,
    include_scores: bool = True,
    include_frequencies: bool = True,
    include_bpm: bool = True,
    include_fav_genre: bool = False,
) -> list[str]:
    """The input columns ``survey_feature_pipeline`` with the same options reads, in order."""
    columns = [*NUMERIC_COLUMNS, *(("bpm",) if include_bpm else ())]
    if include_scores:
        columns += list(SCORE_COLUMNS)
    columns += list(BOOL_COLUMNS)
    if include_frequencies:
        columns += list(FREQ_COLUMNS)
    if include_fav_genre:
        columns.append("fav_genre")
    return columns


def _as_float(values: Any) -> np.ndarray:
    """Yes/no answers (bool, pandas ``boolean`` with NA, 0/1, None) as float 0/1 with NaN."""
    frame = pd.DataFrame(values)
    out = np.empty(frame.shape, dtype=float)
    for j, name in enumerate(frame.columns):
        column = frame[name]
        mask = column.isna().to_numpy()
        filled = column.astype(object).where(~column.isna(), 0.0)
        out[:, j] = np.asarray(filled, dtype=float)
        out[mask, j] = np.nan
    return out


def _missing_as_category(values: Any) -> np.ndarray:
    """Favourite genre as strings, missing -> ``"missing"`` (its own one-hot column)."""
    frame = pd.DataFrame(values).astype(object)
    return np.asarray(frame.where(frame.notna(), "missing"), dtype=object)


def _impute(strategy: str, missing_indicators: bool) -> SimpleImputer:
    return SimpleImputer(
        strategy=strategy, add_indicator=missing_indicators, keep_empty_features=True
    )


def _numeric_block(missing_indicators: bool) -> Pipeline:
    # Scale first (StandardScaler ignores NaN), then impute, so the indicator columns stay 0/1
    # instead of being blown up by the scaler when a value is rarely missing.
    return Pipeline(
        [("scale", StandardScaler()), ("impute", _impute("median", missing_indicators))]
    )


def survey_feature_pipeline(
    *,
    include_scores: bool = True,
    include_frequencies: bool = True,
    include_bpm: bool = True,
    include_fav_genre: bool = False,
    missing_indicators: bool = True,
) -> ColumnTransformer:
    """An *unfitted* transformer from the clean survey frame to a numeric matrix.

    Parameters
    ----------
    include_scores
        Use the four 0-10 scores (anxiety, depression, insomnia, ocd). Turn off when they are
        the target or should not shape the features.
    include_frequencies
        Use the 16 genre listening frequencies (ordinal 0-3).
    include_bpm
        Use the favourite tempo (missing for about 15% of respondents).
    include_fav_genre
        One-hot encode the favourite genre (missing is its own category).
    missing_indicators
        Add a 0/1 "was missing" column for each column that had missing values during fit.

    Returns
    -------
    ColumnTransformer
        Unfitted; ``fit_transform(frame)`` gives an array of shape (n_rows, n_features) and
        ``get_feature_names_out()`` names the columns (``numeric__age``, ...).
    """
    numeric = [*NUMERIC_COLUMNS, *(("bpm",) if include_bpm else ())]
    blocks: list[tuple[str, Any, list[str]]] = [
        ("numeric", _numeric_block(missing_indicators), numeric)
    ]
    if include_scores:
        blocks.append(("scores", _numeric_block(missing_indicators), list(SCORE_COLUMNS)))
    blocks.append(
        (
            "booleans",
            Pipeline(
                [
                    ("to_float", FunctionTransformer(_as_float, feature_names_out="one-to-one")),
                    ("scale", StandardScaler()),
                    ("impute", _impute("mean", missing_indicators)),
                ]
            ),
            list(BOOL_COLUMNS),
        )
    )
    if include_frequencies:
        blocks.append(("frequencies", _numeric_block(missing_indicators), list(FREQ_COLUMNS)))
    if include_fav_genre:
        blocks.append(
            (
                "fav_genre",
                Pipeline(
                    [
                        (
                            "fill",
                            FunctionTransformer(
                                _missing_as_category, feature_names_out="one-to-one"
                            ),
                        ),
                        (
                            "onehot",
                            OneHotEncoder(
                                categories=[[*GENRES, "missing"]],
                                handle_unknown="ignore",
                                sparse_output=False,
                            ),
                        ),
                    ]
                ),
                ["fav_genre"],
            )
        )
    return ColumnTransformer(blocks, remainder="drop", verbose_feature_names_out=True)


def check_feature_frame(frame: pd.DataFrame, columns: list[str], *, source: str = "frame") -> None:
    """Raise ``InputError`` naming the first missing input column (before sklearn's own error)."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"missing column(s) {missing}",
            file=source,
            field=missing[0],
            allowed="the clean survey frame from load_survey() or profiles_to_frame()",
        )
