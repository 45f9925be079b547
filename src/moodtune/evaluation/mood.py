"""How well track mood models match human ratings, measured leak-free, and how they transfer.

Every figure comes from predictions for songs the model did not see:

* **Comparison** (:func:`compare_mood_models`): ``repeats`` × ``folds``-fold cross-validation
  over the rated songs. Models with hyper-parameters choose them inside each training fold
  (an inner cross-validation: ``RidgeCV``'s, ``GridSearchCV``'s, or the residual model's own),
  so the outer test fold never influences a choice. Each repeat pools its out-of-fold
  predictions and scores them; the table gives the mean and the standard deviation over
  repeats of Spearman ρ, Pearson r, R² and Lin's concordance (CCC) per axis.
* **Transfer** (:func:`transfer_mood_models`): grouped cross-validation holding out one whole
  genre, or one release period, at a time; per held-out group the shipped model is scored
  beside the baseline (Spotify's valence and energy), with the bootstrap standard error of the
  difference in ρ, so "worse than the baseline" is only said when it is beyond that noise.

Baselines, measured in the same folds: the mean rating of the training fold (R² = 0 by
construction, no ranking), Spotify's ``valence`` / ``energy`` alone, and the documented prior
(:class:`moodtune.mood.estimator.TrackMoodModel`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from moodtune.config import Settings
from moodtune.mood.estimator import TrackMoodModel
from moodtune.mood.fitted import ResidualMoodModel, residual_terms

__all__ = [
    "AXES",
    "CANDIDATES",
    "METRICS",
    "SHIPPED_CANDIDATE",
    "axis_metrics",
    "compare_mood_models",
    "concordance",
    "mood_model_evaluation",
    "release_period",
    "transfer_mood_models",
]

AXES: tuple[str, ...] = ("valence", "arousal")
METRICS: tuple[str, ...] = ("spearman", "pearson", "r2", "ccc")
SHIPPED_CANDIDATE = "residual on prior, spread matched (shipped)"
UNRANKED = frozenset({"mean rating"})
BASELINE_CANDIDATE = "Spotify valence / energy"
#: Release periods for the transfer check (PMEmo is mostly 2016–2017 chart pop).
PERIODS: tuple[tuple[str, float, float], ...] = (
    ("before 2010", -np.inf, 2009),
    ("2010–2015", 2010, 2015),
    ("2016", 2016, 2016),
    ("2017 and later", 2017, np.inf),
)

Predictor = Callable[[pd.DataFrame, np.ndarray, pd.DataFrame, int], np.ndarray]


def concordance(x: np.ndarray, y: np.ndarray) -> float:
    """Lin's concordance correlation coefficient: agreement in rank, scale and offset."""
    mx, my = x.mean(), y.mean()
    cov = ((x - mx) * (y - my)).mean()
    return float(2 * cov / (x.var() + y.var() + (mx - my) ** 2))


def axis_metrics(predicted: np.ndarray, rated: np.ndarray) -> dict[str, float]:
    """Spearman ρ, Pearson r, R² and CCC of one axis's predictions against the ratings."""
    from scipy.stats import pearsonr, spearmanr

    constant = float(np.ptp(predicted)) == 0.0
    residual = ((rated - predicted) ** 2).sum()
    total = ((rated - rated.mean()) ** 2).sum()
    return {
        "spearman": float("nan") if constant else float(spearmanr(predicted, rated)[0]),
        "pearson": float("nan") if constant else float(pearsonr(predicted, rated)[0]),
        "r2": float(1 - residual / total),
        "ccc": concordance(predicted, rated),
    }


def _design(frame: pd.DataFrame, *, context: bool, genres: list[str] | None = None) -> np.ndarray:
    terms = residual_terms(frame)
    if not context:
        return terms
    year = frame["release_year"].to_numpy(dtype=float)
    year = np.where(np.isfinite(year), year, 2015.0)
    onehot = np.column_stack([(frame["genre"] == g).to_numpy(float) for g in genres or []])
    return np.column_stack([terms, (year - 2015.0) / 10.0, onehot])


def _mean_rating(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame, seed: int) -> np.ndarray:
    return np.tile(y.mean(axis=0), (len(test), 1))


def _spotify(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame, seed: int) -> np.ndarray:
    return np.column_stack(
        [2 * test["valence"].to_numpy(float) - 1, 2 * test["energy"].to_numpy(float) - 1]
    )


def _prior(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame, seed: int) -> np.ndarray:
    return TrackMoodModel().fit(train).predict(test)


def _ridge(context: bool) -> Predictor:
    def predict(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame, seed: int) -> np.ndarray:
        from sklearn.linear_model import RidgeCV
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        genres = sorted(train["genre"].dropna().unique()) if context else None
        X, T = (
            _design(train, context=context, genres=genres),
            _design(test, context=context, genres=genres),
        )
        out = []
        for axis in range(2):
            model = make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-2, 4, 25)))
            out.append(model.fit(X, y[:, axis]).predict(T))
        return np.clip(np.column_stack(out), -1, 1)

    return predict


def _boosting(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame, seed: int) -> np.ndarray:
    from sklearn.ensemble import GradientBoostingRegressor
    from sklearn.model_selection import GridSearchCV, KFold

    X, T = residual_terms(train), residual_terms(test)
    out = []
    for axis in range(2):
        search = GridSearchCV(
            GradientBoostingRegressor(learning_rate=0.05, subsample=0.8, random_state=seed),
            {"max_depth": [1, 2], "n_estimators": [50, 150]},
            cv=KFold(3, shuffle=True, random_state=seed),
            scoring="neg_mean_squared_error",
        )
        out.append(search.fit(X, y[:, axis]).predict(T))
    return np.clip(np.column_stack(out), -1, 1)


def _residual(match_spread: bool) -> Predictor:
    def predict(train: pd.DataFrame, y: np.ndarray, test: pd.DataFrame, seed: int) -> np.ndarray:
        model = ResidualMoodModel(match_spread=match_spread, random_state=seed)
        return model.fit(train, y).predict(test)

    return predict


#: name -> (predictor, is a baseline). The order is the order of the table.
CANDIDATES: dict[str, tuple[Predictor, bool]] = {
    "mean rating": (_mean_rating, True),
    BASELINE_CANDIDATE: (_spotify, True),
    "prior (hand weights)": (_prior, True),
    "ridge, audio": (_ridge(False), False),
    "ridge, audio + genre + year": (_ridge(True), False),
    "gradient boosting, audio": (_boosting, False),
    "residual on prior, shrunk": (_residual(False), False),
    SHIPPED_CANDIDATE: (_residual(True), False),
}


def _ratings(matched: pd.DataFrame) -> np.ndarray:
    return matched[["rated_valence", "rated_arousal"]].to_numpy(dtype=float)


@dataclass
class MoodComparison:
    """Per candidate and axis, each metric's mean and standard deviation over repeats."""

    rows: list[dict[str, Any]]
    songs: int
    folds: int
    repeats: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "songs": self.songs,
            "folds": self.folds,
            "repeats": self.repeats,
            "rows": self.rows,
        }


def compare_mood_models(
    matched: pd.DataFrame,
    *,
    folds: int = 5,
    repeats: int = 5,
    candidates: dict[str, tuple[Predictor, bool]] | None = None,
    random_state: int = 0,
) -> MoodComparison:
    """Repeated k-fold comparison of ``candidates`` on rated, matched songs (module doc).

    ``matched`` is :attr:`moodtune.mood.ratings.RatingsJoin.matched`.
    """
    candidates = candidates or CANDIDATES
    y = _ratings(matched)
    scores: dict[str, list[dict[str, float]]] = {name: [] for name in candidates}
    for repeat in range(repeats):
        seed = random_state + repeat
        order = np.random.default_rng(seed).permutation(len(matched))
        fold_of = np.empty(len(matched), dtype=int)
        fold_of[order] = np.arange(len(matched)) % folds
        for name, (predictor, _) in candidates.items():
            predicted = np.empty_like(y)
            for fold in range(folds):
                test = fold_of == fold
                predicted[test] = predictor(
                    matched[~test].reset_index(drop=True),
                    y[~test],
                    matched[test].reset_index(drop=True),
                    seed,
                )
            flat: dict[str, float] = {}
            for axis, label in enumerate(AXES):
                for metric, value in axis_metrics(predicted[:, axis], y[:, axis]).items():
                    # a fold's mean ranks nothing: pooled fold means would give noise as rho
                    ranks = metric in ("spearman", "pearson") and name in UNRANKED
                    flat[f"{label}_{metric}"] = float("nan") if ranks else value
            scores[name].append(flat)
    rows = []
    for name, (_, baseline) in candidates.items():
        frame = pd.DataFrame(scores[name])
        row: dict[str, Any] = {"model": name, "baseline": baseline}
        for column in frame.columns:
            row[column] = float(frame[column].mean())
            spread = frame[column].std(ddof=1) if repeats > 1 else 0.0
            row[f"{column}_sd"] = float(spread)
        rows.append(row)
    return MoodComparison(rows=rows, songs=len(matched), folds=folds, repeats=repeats)


def release_period(year: float) -> str | None:
    """The :data:`PERIODS` label of a release year (None when unknown)."""
    if not np.isfinite(year):
        return None
    for label, low, high in PERIODS:
        if low <= year <= high:
            return label
    return None


def _bootstrap_se(
    model: np.ndarray, baseline: np.ndarray, rated: np.ndarray, *, rng: np.random.Generator
) -> float:
    from scipy.stats import spearmanr

    diffs = []
    for _ in range(200):
        take = rng.integers(0, len(rated), len(rated))
        if np.ptp(rated[take]) == 0:
            continue
        diffs.append(
            spearmanr(model[take], rated[take])[0] - spearmanr(baseline[take], rated[take])[0]
        )
    return float(np.nanstd(diffs, ddof=1))


def transfer_mood_models(
    matched: pd.DataFrame,
    *,
    model: str = SHIPPED_CANDIDATE,
    baseline: str = BASELINE_CANDIDATE,
    min_group: int = 8,
    random_state: int = 0,
) -> list[dict[str, Any]]:
    """Hold out each genre and each release period in turn; score ``model`` beside ``baseline``.

    Returns one row per held-out group with at least ``min_group`` songs: its size, per axis the
    baseline's and the model's ρ and CCC, the difference in ρ with its bootstrap standard
    error, and ``worse_beyond_noise`` (the model's ρ below the baseline's by more than two
    standard errors).
    """
    y = _ratings(matched)
    fit, _ = CANDIDATES[model]
    base, _ = CANDIDATES[baseline]
    groupings = {
        "genre": matched["genre"].astype(object).to_numpy(),
        "release period": np.array(
            [release_period(y_) for y_ in matched["release_year"].to_numpy(float)], dtype=object
        ),
    }
    rng = np.random.default_rng(random_state)
    rows = []
    for kind, labels in groupings.items():
        for group in sorted({g for g in labels if g is not None}):
            test = labels == group
            if test.sum() < min_group:
                continue
            train_frame = matched[~test].reset_index(drop=True)
            test_frame = matched[test].reset_index(drop=True)
            predicted = fit(train_frame, y[~test], test_frame, random_state)
            reference = base(train_frame, y[~test], test_frame, random_state)
            row: dict[str, Any] = {"grouping": kind, "group": str(group), "songs": int(test.sum())}
            worse = False
            for axis, label in enumerate(AXES):
                m = axis_metrics(predicted[:, axis], y[test, axis])
                b = axis_metrics(reference[:, axis], y[test, axis])
                se = _bootstrap_se(predicted[:, axis], reference[:, axis], y[test, axis], rng=rng)
                diff = m["spearman"] - b["spearman"]
                row.update(
                    {
                        f"{label}_baseline_spearman": b["spearman"],
                        f"{label}_model_spearman": m["spearman"],
                        f"{label}_baseline_ccc": b["ccc"],
                        f"{label}_model_ccc": m["ccc"],
                        f"{label}_spearman_gain": diff,
                        f"{label}_gain_se": se,
                    }
                )
                worse |= bool(diff < -2 * se)
            row["worse_beyond_noise"] = worse
            rows.append(row)
    return rows


def _out_of_fold(
    matched: pd.DataFrame, predictor: Predictor, *, folds: int, random_state: int
) -> np.ndarray:
    y = _ratings(matched)
    order = np.random.default_rng(random_state).permutation(len(matched))
    fold_of = np.empty(len(matched), dtype=int)
    fold_of[order] = np.arange(len(matched)) % folds
    predicted = np.empty_like(y)
    for fold in range(folds):
        test = fold_of == fold
        predicted[test] = predictor(
            matched[~test].reset_index(drop=True),
            y[~test],
            matched[test].reset_index(drop=True),
            random_state,
        )
    return predicted


def mood_model_evaluation(*, settings: Settings | None = None) -> dict[str, Any]:
    """The shipped mood model's held-out agreement with PMEmo, for the insights report.

    One 5-fold split (seed 0): per axis ``n``, ``pearson_r``, ``mae`` and ``baseline_mae``
    (predicting the training folds' mean rating), the (rated, predicted) ``pairs``, and a
    ``reading`` beside Spotify's valence / energy. ``moodtune mood evaluate`` has the full
    comparison with repeats and the transfer check.
    """
    from moodtune.mood.ratings import rated_default_tracks

    joined = rated_default_tracks(settings=settings)
    matched = joined.matched
    y = _ratings(matched)
    shipped = _out_of_fold(matched, CANDIDATES[SHIPPED_CANDIDATE][0], folds=5, random_state=0)
    mean = _out_of_fold(matched, _mean_rating, folds=5, random_state=0)
    spotify = _spotify(matched, y, matched, 0)
    result: dict[str, Any] = {"pairs": {}}
    readings = []
    for axis, label in enumerate(AXES):
        r = axis_metrics(shipped[:, axis], y[:, axis])["pearson"]
        base = axis_metrics(spotify[:, axis], y[:, axis])["pearson"]
        result[label] = {
            "n": len(matched),
            "pearson_r": r,
            "mae": float(np.abs(shipped[:, axis] - y[:, axis]).mean()),
            "baseline_mae": float(np.abs(mean[:, axis] - y[:, axis]).mean()),
        }
        result["pairs"][label] = [
            (float(a), float(b)) for a, b in zip(y[:, axis], shipped[:, axis], strict=True)
        ]
        readings.append(f"{label} r {r:.2f} (Spotify's {('valence', 'energy')[axis]}: {base:.2f})")
    summary = joined.summary()
    result["reading"] = (
        "On held-out rated songs the fitted model follows human ratings with "
        + "; ".join(readings)
        + "."
    )
    result["data"] = (
        f"PMEmo: {summary['matched_songs']} of {summary['rated_songs']} rated chart-pop choruses "
        "matched a catalog track by artist + title "
        f"({summary['ambiguous_songs']} ambiguous, left out)."
    )
    result["limits"] = (
        "Fitted to chart pop (mostly 2016-2017); within rap, r&b and EDM its valence ranks "
        "tracks below Spotify's own valence (moodtune mood evaluate).",
    )
    return result
