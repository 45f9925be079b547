"""Will music help? Honest prediction of the survey's "Music effects" from a profile.

``EffectModel`` predicts Improve / No effect / Worsen with calibrated class probabilities.
``evaluate_effect_models`` measures every candidate leak-free (a fresh pipeline - imputation,
scaling, any oversampling, the classifier - is fitted inside each fold of a repeated stratified
k-fold) next to the majority-class, stratified-random and class-frequency baselines measured in
the same folds, and next to the leaky protocol of the prior art (``moodtune.evaluation.leakage``).
``predict_effect`` answers for one person with the probabilities, the honest evaluation figure
and, when the evidence is weak, a sentence that says so. No figure is written down anywhere:
everything comes from an evaluation stored beside the fitted model.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from moodtune import __version__
from moodtune.artefacts import load_or_build
from moodtune.config import Settings, get_settings
from moodtune.errors import DataIntegrityError, InputError, MoodtuneError, check_is_fitted
from moodtune.evaluation.metrics import classification_summary, spread
from moodtune.evaluation.splits import Fold, repeated_stratified_folds
from moodtune.jsonable import to_jsonable
from moodtune.survey.features import check_feature_frame, feature_columns, survey_feature_pipeline
from moodtune.survey.schema import (
    EFFECTS,
    Profile,
    SurveyData,
    load_survey,
    profile_from_mapping,
    profiles_to_frame,
    survey_checksum,
)

__all__ = [
    "BASELINES",
    "CANDIDATES",
    "EFFECT_LABELS",
    "EffectModel",
    "EffectPrediction",
    "effect_evaluation",
    "evaluate_effect_models",
    "evidence_verdict",
    "load_effect_model",
    "predict_effect",
    "save_effect_model",
    "survey_checksum",
    "train_effect_model",
]

EFFECT_LABELS: tuple[str, ...] = EFFECTS

#: The models compared by ``evaluate_effect_models``; the best by leak-free macro-F1 is used.
CANDIDATES: dict[str, str] = {
    "logistic": "multinomial logistic regression (L2, C=0.1); probabilities as fitted",
    "logistic_balanced": (
        "logistic regression with balanced class weights; decisions from the balanced scores, "
        "probabilities shifted back to the training class frequencies"
    ),
    "logistic_oversampled": (
        "random oversampling of the rarer classes inside each training fold, then logistic "
        "regression; probabilities shifted back to the training class frequencies"
    ),
    "gradient_boosting": (
        "histogram gradient boosting (shallow, 60 rounds) with sigmoid calibration (3-fold)"
    ),
    "random_forest": "random forest (100 trees, min 3 rows per leaf)",
}

#: Trivial classifiers measured in the same folds as the candidates.
BASELINES: dict[str, str] = {
    "majority": "always the most frequent class (probability 1)",
    "stratified": "a random class drawn with the training class frequencies",
    "prior": "the training class frequencies as probabilities (decision: most frequent)",
}

_FEATURE_OPTIONS: dict[str, bool] = {"include_fav_genre": True}
_SCALAR_METRICS = ("macro_f1", "balanced_accuracy", "accuracy", "log_loss", "brier", "ece")
FORMAT_VERSION = 1
_TRUSTED_MODULES = ("sklearn.", "imblearn.", "numpy.", "scipy.", "moodtune.")


# --- the model ------------------------------------------------------------------------------


def _make_estimator(candidate: str, random_state: int | None) -> tuple[Any, bool]:
    """An unfitted pipeline for ``candidate`` and whether it is trained class-balanced."""
    from imblearn.over_sampling import RandomOverSampler
    from imblearn.pipeline import Pipeline as SamplingPipeline
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    features = survey_feature_pipeline(**_FEATURE_OPTIONS)
    if candidate == "logistic":
        return Pipeline(
            [("features", features), ("model", LogisticRegression(C=0.1, max_iter=2000))]
        ), False
    if candidate == "logistic_balanced":
        model = LogisticRegression(C=0.1, max_iter=2000, class_weight="balanced")
        return Pipeline([("features", features), ("model", model)]), True
    if candidate == "logistic_oversampled":
        # The sampler is a pipeline step: it only ever sees the rows the pipeline is fitted on.
        return SamplingPipeline(
            [
                ("features", features),
                ("oversample", RandomOverSampler(random_state=random_state)),
                ("model", LogisticRegression(C=0.1, max_iter=2000)),
            ]
        ), True
    if candidate == "gradient_boosting":
        boosted = HistGradientBoostingClassifier(
            max_iter=60, learning_rate=0.05, max_depth=3, random_state=random_state
        )
        calibrated = CalibratedClassifierCV(boosted, method="sigmoid", cv=3)
        return Pipeline([("features", features), ("model", calibrated)]), False
    if candidate == "random_forest":
        forest = RandomForestClassifier(
            n_estimators=100, min_samples_leaf=3, random_state=random_state, n_jobs=1
        )
        return Pipeline([("features", features), ("model", forest)]), False
    raise InputError(
        "unknown effect-model candidate",
        field="candidate",
        value=candidate,
        allowed=", ".join(CANDIDATES),
    )


def _one_thread() -> Any:
    """Limit native thread pools to one thread: on these small data, nested OpenMP threads on a
    busy machine made gradient boosting about 40x slower; parallelism comes from ``n_jobs``."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def _labels(y: Any) -> np.ndarray:
    labels = np.asarray(pd.Series(y, dtype=object).to_numpy(), dtype=object)
    unknown = sorted({str(v) for v in labels if v not in EFFECT_LABELS})
    if unknown:
        raise InputError(
            f"unknown Music effects label(s) {unknown}",
            field="music_effects",
            value=unknown[0],
            allowed=", ".join(EFFECT_LABELS),
        )
    return labels


class EffectModel(ClassifierMixin, BaseEstimator):
    """Predicts "Music effects" (Improve / No effect / Worsen) from the clean survey frame.

    ``predict_proba`` returns probabilities in ``EFFECT_LABELS`` order, meant to be read as
    frequencies (their calibration is measured by ``evaluate_effect_models``). Candidates trained
    class-balanced decide on their balanced scores and have their probabilities shifted back to
    the training class frequencies (p(k|x) proportional to p_balanced(k|x) * prior_k).

    Parameters
    ----------
    candidate : str
        One of ``CANDIDATES``.
    random_state : int or None
        Seed for every random step.
    """

    def __init__(self, candidate: str = "logistic", random_state: int | None = 0) -> None:
        self.candidate = candidate
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y: Any) -> EffectModel:
        """Fit on survey rows ``X`` (clean frame columns) and their ``music_effects`` ``y``."""
        labels = _labels(y)
        check_feature_frame(X, feature_columns(**_FEATURE_OPTIONS))
        if len(labels) != len(X):
            raise InputError(
                f"X has {len(X)} rows but y has {len(labels)} labels", field="music_effects"
            )
        absent = [lab for lab in EFFECT_LABELS if not np.any(labels == lab)]
        if absent:
            raise InputError(
                f"training data lack the class(es) {absent}",
                field="music_effects",
                allowed=f"rows of every class: {', '.join(EFFECT_LABELS)}",
            )
        estimator, balanced = _make_estimator(self.candidate, self.random_state)
        with _one_thread():
            estimator.fit(X, labels)
        self.pipeline_ = estimator
        self.balanced_ = balanced
        self.classes_ = np.array(EFFECT_LABELS, dtype=object)
        self.priors_ = np.array([np.mean(labels == lab) for lab in EFFECT_LABELS])
        self.n_train_ = len(labels)
        return self

    def _raw_proba(self, X: pd.DataFrame) -> np.ndarray:
        check_is_fitted(self, "pipeline_")
        check_feature_frame(X, feature_columns(**_FEATURE_OPTIONS))
        with _one_thread():
            proba = np.asarray(self.pipeline_.predict_proba(X), dtype=float)
        order = [list(self.pipeline_.classes_).index(lab) for lab in EFFECT_LABELS]
        return proba[:, order]

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Class probabilities, shape (n_rows, 3), columns in ``EFFECT_LABELS`` order."""
        proba = self._raw_proba(X)
        if self.balanced_:
            # A balanced fit estimates p(k|x) / prior_k (up to a constant): undo the shift.
            proba = proba * self.priors_
            proba = proba / proba.sum(axis=1, keepdims=True)
        return proba

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """The decided class per row (balanced scores for balanced candidates)."""
        proba = self._raw_proba(X)
        return np.asarray(self.classes_[np.argmax(proba, axis=1)], dtype=object)


# --- evaluation -----------------------------------------------------------------------------


def _baseline(name: str, random_state: int) -> Any:
    from sklearn.dummy import DummyClassifier

    strategy = {"majority": "most_frequent", "stratified": "stratified", "prior": "prior"}[name]
    return DummyClassifier(strategy=strategy, random_state=random_state)


def _fold_result(
    name: str, fold: Fold, X: pd.DataFrame, y: np.ndarray, random_state: int
) -> tuple[str, Fold, np.ndarray, np.ndarray]:
    """Fit ``name`` on the fold's training rows only; predict its test rows."""
    with _one_thread():
        return _fit_and_predict(name, fold, X, y, random_state)


def _fit_and_predict(
    name: str, fold: Fold, X: pd.DataFrame, y: np.ndarray, random_state: int
) -> tuple[str, Fold, np.ndarray, np.ndarray]:
    seed = random_state + 1000 * fold.repeat + fold.fold
    X_train, y_train = X.iloc[fold.train], y[fold.train]
    X_test = X.iloc[fold.test]
    if name in BASELINES:
        dummy = _baseline(name, seed).fit(X_train, y_train)
        order = [list(dummy.classes_).index(lab) for lab in EFFECT_LABELS]
        proba = np.asarray(dummy.predict_proba(X_test), dtype=float)[:, order]
        pred = np.asarray(dummy.predict(X_test), dtype=object)
    else:
        model = EffectModel(candidate=name, random_state=seed).fit(X_train, y_train)
        proba, pred = model.predict_proba(X_test), model.predict(X_test)
    return name, fold, proba, pred


def _summarise(
    y: np.ndarray, proba_by_repeat: list[np.ndarray], pred_by_repeat: list[np.ndarray]
) -> dict[str, Any]:
    """Metrics on each repeat's out-of-fold predictions, with their spread over repeats."""
    per_repeat = [
        classification_summary(y, proba, labels=EFFECT_LABELS, y_pred=pred)
        for proba, pred in zip(proba_by_repeat, pred_by_repeat, strict=True)
    ]
    out: dict[str, Any] = {
        m: spread([r[m] for r in per_repeat], values_key="per_repeat") for m in _SCALAR_METRICS
    }
    out["per_class_recall"] = {
        lab: spread([r["per_class_recall"][lab] for r in per_repeat], values_key="per_repeat")
        for lab in EFFECT_LABELS
    }
    bins = []
    for b, first in enumerate(per_repeat[0]["calibration"]):
        counts = [r["calibration"][b]["count"] for r in per_repeat]
        observed = [
            r["calibration"][b]["observed"] for r in per_repeat if r["calibration"][b]["count"]
        ]
        predicted = [
            r["calibration"][b]["mean_predicted"]
            for r in per_repeat
            if r["calibration"][b]["count"]
        ]
        bins.append(
            {
                "lower": first["lower"],
                "upper": first["upper"],
                "count": int(sum(counts)),
                "mean_predicted": float(np.mean(predicted)) if predicted else math.nan,
                "observed": float(np.mean(observed)) if observed else math.nan,
                "observed_std": float(np.std(observed, ddof=1)) if len(observed) > 1 else math.nan,
            }
        )
    out["calibration"] = bins
    return out


def evidence_verdict(
    model: Mapping[str, Any], baselines: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """Is the model clearly better than guessing? A rule on the stored figures, not a constant.

    The model's macro-F1 is *clearly above* the stratified random guess only when its worst
    repeat beats the guess's best repeat (the two ranges over repeats do not overlap). Its
    probabilities are *informative* only when its worst repeat's Brier score and log-loss are
    both below the best repeat of the class-frequency baseline. Evidence is weak unless both
    hold.
    """
    f1 = model["macro_f1"]
    guess = baselines["stratified"]["macro_f1"]
    brier = model["brier"]
    prior = baselines["prior"]["brier"]
    beats_guess = bool(f1["min"] > guess["max"])
    loss, prior_loss = model["log_loss"], baselines["prior"]["log_loss"]
    informative = bool(brier["max"] < prior["min"] and loss["max"] < prior_loss["min"])
    weak = not (beats_guess and informative)
    parts = []
    if not beats_guess:
        parts.append(
            f"its macro-F1 ({f1['mean']:.2f} ± {f1['std']:.2f}) is not clearly above a random "
            f"guess with the survey's class frequencies ({guess['mean']:.2f} ± {guess['std']:.2f})"
        )
    if not informative:
        parts.append(
            f"its probabilities (Brier {brier['mean']:.3f}, log-loss {loss['mean']:.3f}) are "
            f"not clearly better than the plain class frequencies (Brier {prior['mean']:.3f}, "
            f"log-loss {prior_loss['mean']:.3f})"
        )
    if weak:
        sentence = (
            "The evidence is weak: in leak-free cross-validation "
            + " and ".join(parts)
            + ". Treat these probabilities as roughly what most respondents reported, "
            "not as a personal prediction."
        )
    else:
        sentence = (
            f"In leak-free cross-validation the model beat a random guess in every repeat "
            f"(macro-F1 {f1['mean']:.2f} ± {f1['std']:.2f} vs {guess['mean']:.2f}); "
            "it is still a survey-based estimate, not medical advice."
        )
    return {
        "weak": weak,
        "beats_stratified_guess": beats_guess,
        "probabilities_beat_class_frequencies": informative,
        "rule": (
            "clear only if the worst repeat's macro-F1 exceeds the stratified guess's best "
            "repeat and the worst repeat's Brier and log-loss are below the class-frequency "
            "baseline's best"
        ),
        "sentence": sentence,
    }


def _progress_reporter(
    progress: bool | Callable[[int, int], None], total: int, description: str
) -> tuple[Callable[[], None], Callable[[], None]]:
    """``advance`` and ``close`` callables: a Rich bar, a user callback, or nothing."""
    if callable(progress):
        done = [0]

        def advance() -> None:
            done[0] += 1
            progress(done[0], total)

        return advance, lambda: None
    if progress:
        from rich.progress import Progress

        bar = Progress(transient=True)
        bar.start()
        task = bar.add_task(description, total=total)
        return lambda: bar.advance(task), bar.stop
    return lambda: None, lambda: None


def _labelled_frame(survey: SurveyData | pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    frame = survey.labelled if isinstance(survey, SurveyData) else survey
    if "music_effects" not in frame.columns:
        raise InputError(
            "missing column 'music_effects'",
            field="music_effects",
            allowed="the clean survey frame from load_survey()",
        )
    frame = frame[frame["music_effects"].notna()].reset_index(drop=True)
    check_feature_frame(frame, feature_columns(**_FEATURE_OPTIONS), source="survey")
    return frame, _labels(frame["music_effects"])


def evaluate_effect_models(
    survey: SurveyData | pd.DataFrame,
    *,
    n_repeats: int = 5,
    n_splits: int = 5,
    random_state: int = 0,
    candidates: Sequence[str] | None = None,
    include_leaky: bool = True,
    n_jobs: int = 1,
    progress: bool | Callable[[int, int], None] = False,
) -> dict[str, Any]:
    """Leak-free repeated stratified k-fold evaluation of the effect models (JSON-serialisable).

    Each candidate and baseline is fitted afresh on the training rows of every fold (the
    pipeline holds imputation, scaling and any oversampling), and scored on that repeat's
    out-of-fold predictions; figures carry mean, std, min, max and the per-repeat values.
    The ``leaky_demo`` entry reproduces the prior art's leaky protocol on the same rows
    (see ``moodtune.evaluation.leakage``) to show how far it overstates the figure.

    Parameters
    ----------
    survey : SurveyData or DataFrame
        The survey (only rows with "Music effects" are used).
    n_repeats, n_splits : int
        Repeated stratified k-fold shape (default 5 x 5).
    random_state : int
        Seed of the fold shuffles and every model.
    candidates : sequence of str, optional
        Subset of ``CANDIDATES`` (default: all).
    include_leaky : bool
        Also run the leaky demonstration.
    n_jobs : int
        Folds fitted in parallel (joblib).
    progress : bool or callable(done, total)
        Show a Rich progress bar (``True``) or call back after each fit.
    """
    from joblib import Parallel, delayed

    frame, y = _labelled_frame(survey)
    names = list(candidates) if candidates is not None else list(CANDIDATES)
    for name in names:
        if name not in CANDIDATES:
            raise InputError(
                "unknown effect-model candidate",
                field="candidates",
                value=name,
                allowed=", ".join(CANDIDATES),
            )
    folds = repeated_stratified_folds(
        y, n_splits=n_splits, n_repeats=n_repeats, random_state=random_state
    )
    jobs = [(name, fold) for name in [*names, *BASELINES] for fold in folds]
    leaky_jobs = n_repeats if include_leaky else 0
    advance, close = _progress_reporter(progress, len(jobs) + leaky_jobs, "effect models")
    proba = {
        name: [np.zeros((len(y), len(EFFECT_LABELS))) for _ in range(n_repeats)]
        for name in [*names, *BASELINES]
    }
    pred = {
        name: [np.empty(len(y), dtype=object) for _ in range(n_repeats)]
        for name in [*names, *BASELINES]
    }
    try:
        results = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(_fold_result)(name, fold, frame, y, random_state) for name, fold in jobs
        )
        for name, fold, fold_proba, fold_pred in results:
            proba[name][fold.repeat][fold.test] = fold_proba
            pred[name][fold.repeat][fold.test] = fold_pred
            advance()
        models = {name: _summarise(y, proba[name], pred[name]) for name in names}
        baselines = {name: _summarise(y, proba[name], pred[name]) for name in BASELINES}
        leaky: dict[str, Any] | None = None
        if include_leaky:
            from moodtune.evaluation.leakage import compare_protocols

            with _one_thread():
                leaky = compare_protocols(
                    frame, y, n_repeats=n_repeats, random_state=random_state, on_repeat=advance
                )
    finally:
        close()
    selected = max(
        names, key=lambda n: (models[n]["macro_f1"]["mean"], -models[n]["log_loss"]["mean"])
    )
    counts = {lab: int(np.sum(y == lab)) for lab in EFFECT_LABELS}
    result = {
        "protocol": {
            "kind": "repeated stratified k-fold, every step fitted inside each training fold",
            "n_splits": n_splits,
            "n_repeats": n_repeats,
            "random_state": random_state,
            "n_rows": len(y),
            "class_counts": counts,
            "spread": "mean, std, min, max over repeats of the metric on out-of-fold predictions",
            "moodtune_version": __version__,
        },
        "candidates": {n: CANDIDATES[n] for n in names},
        "models": models,
        "baselines": baselines,
        "baseline_descriptions": BASELINES,
        "selected": selected,
        "selection_rule": "highest mean leak-free macro-F1 (ties: lower log-loss)",
        "verdict": evidence_verdict(models[selected], baselines),
        "leaky_demo": leaky,
    }
    safe: dict[str, Any] = to_jsonable(result)  # NaN (empty calibration bins) -> None
    return safe


# --- persistence and the user-facing answer -------------------------------------------------


def _meta_path(path: Path) -> Path:
    return path.with_suffix(".json")


def save_effect_model(model: EffectModel, path: str | Path) -> Path:
    """Save without pickle: the pipeline as skops, its metadata and evaluation as JSON."""
    import skops.io as sio

    check_is_fitted(model, "pipeline_")
    target = Path(path).with_suffix(".skops")
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = sio.dumps(model.pipeline_)
    meta = {
        "format": "moodtune-effect-model",
        "format_version": FORMAT_VERSION,
        "moodtune_version": __version__,
        "sklearn_version": _sklearn_version(),
        "candidate": model.candidate,
        "random_state": model.random_state,
        "balanced": bool(model.balanced_),
        "priors": [float(p) for p in model.priors_],
        "classes": list(EFFECT_LABELS),
        "n_train": int(model.n_train_),
        "pipeline_sha256": hashlib.sha256(payload).hexdigest(),
        "survey_checksum": getattr(model, "survey_checksum_", None),
        "evaluation": getattr(model, "evaluation_", None),
    }
    tmp = target.with_suffix(".skops.tmp")
    tmp.write_bytes(payload)
    _meta_path(target).write_text(json.dumps(to_jsonable(meta), indent=1))
    tmp.replace(target)
    return target


def _sklearn_version() -> str:
    import sklearn

    return str(sklearn.__version__)


def load_effect_model(path: str | Path) -> EffectModel:
    """Load a model saved by ``save_effect_model``; refuse files this version cannot trust."""
    import skops.io as sio

    target = Path(path).with_suffix(".skops")
    meta_file = _meta_path(target)
    if not target.exists() or not meta_file.exists():
        raise InputError(
            "effect model file not found (need both .skops and .json)", file=str(target)
        )
    try:
        meta = json.loads(meta_file.read_text())
    except json.JSONDecodeError as exc:
        raise InputError(f"model metadata is not valid JSON: {exc}", file=str(meta_file)) from None
    if (
        meta.get("format") != "moodtune-effect-model"
        or meta.get("format_version") != FORMAT_VERSION
    ):
        raise InputError(
            "not a compatible moodtune effect model",
            file=str(meta_file),
            field="format_version",
            value=meta.get("format_version"),
            allowed=f"format moodtune-effect-model version {FORMAT_VERSION}",
        )
    for key, current in (
        ("moodtune_version", __version__),
        ("sklearn_version", _sklearn_version()),
    ):
        if meta.get(key) != current:
            raise InputError(
                f"model was written by {key.split('_')[0]} {meta.get(key)}, this is {current}; "
                "retrain it (moodtune survey report)",
                file=str(meta_file),
                field=key,
                value=meta.get(key),
                allowed=current,
            )
    payload = target.read_bytes()
    if hashlib.sha256(payload).hexdigest() != meta.get("pipeline_sha256"):
        raise InputError(
            "model file does not match its metadata (sha256 differs); retrain it",
            file=str(target),
        )
    untrusted = sio.get_untrusted_types(data=payload)
    refused = [t for t in untrusted if not t.startswith(_TRUSTED_MODULES)]
    if refused:
        raise InputError(
            f"model file holds types moodtune does not load: {refused}",
            file=str(target),
            allowed="types from " + ", ".join(m.rstrip(".") for m in _TRUSTED_MODULES),
        )
    model = EffectModel(candidate=meta["candidate"], random_state=meta["random_state"])
    model.pipeline_ = sio.loads(payload, trusted=untrusted)
    model.balanced_ = bool(meta["balanced"])
    model.classes_ = np.array(EFFECT_LABELS, dtype=object)
    model.priors_ = np.asarray(meta["priors"], dtype=float)
    model.n_train_ = int(meta["n_train"])
    model.survey_checksum_ = meta.get("survey_checksum")
    model.evaluation_ = meta.get("evaluation")
    return model


#: The cached effect model's files: the pipeline (skops) and its metadata and evaluation.
_CACHE_FILES: tuple[str, ...] = ("effect.skops", "effect.json")


def train_effect_model(
    survey: SurveyData | None = None,
    *,
    settings: Settings | None = None,
    n_repeats: int = 5,
    n_splits: int = 5,
    random_state: int = 0,
    refresh: bool = False,
    n_jobs: int = 1,
    progress: bool | Callable[[int, int], None] = False,
) -> EffectModel:
    """Evaluate, pick the best candidate, fit it on all labelled rows, and cache it.

    The cache lives in ``settings.model_dir`` keyed by the survey checksum and the protocol, so
    a second call with the same survey loads the model and its stored evaluation; a cached
    model that fails its manifest check or was written by another version is rebuilt.
    """
    settings = settings or get_settings()
    survey = survey if survey is not None else load_survey(settings=settings)
    checksum = survey_checksum(survey)
    folder = (
        settings.model_dir / f"effect-{checksum[:16]}-{n_repeats}x{n_splits}-seed{random_state}"
    )

    def build(staged: Path) -> None:
        evaluation = evaluate_effect_models(
            survey,
            n_repeats=n_repeats,
            n_splits=n_splits,
            random_state=random_state,
            n_jobs=n_jobs,
            progress=progress,
        )
        frame, y = _labelled_frame(survey)
        model = EffectModel(candidate=evaluation["selected"], random_state=random_state)
        model.fit(frame, y)
        model.evaluation_ = evaluation
        model.survey_checksum_ = checksum
        save_effect_model(model, staged / _CACHE_FILES[0])

    return load_or_build(
        folder,
        files=_CACHE_FILES,
        build=build,
        load=lambda found: load_effect_model(found / _CACHE_FILES[0]),
        what="the effect model",
        rebuild_on=(DataIntegrityError, InputError),
        refresh=refresh,
    )


def effect_evaluation(
    survey: SurveyData | None = None,
    *,
    settings: Settings | None = None,
    n_repeats: int = 5,
    n_splits: int = 5,
    random_state: int = 0,
    refresh: bool = False,
    n_jobs: int = 1,
    progress: bool | Callable[[int, int], None] = False,
) -> dict[str, Any]:
    """The stored evaluation behind ``predict_effect`` (computed and cached on first use).

    Reports should quote this rather than call ``evaluate_effect_models`` again, so the figures
    a report prints are the ones the user-facing answer carries.
    """
    model = train_effect_model(
        survey,
        settings=settings,
        n_repeats=n_repeats,
        n_splits=n_splits,
        random_state=random_state,
        refresh=refresh,
        n_jobs=n_jobs,
        progress=progress,
    )
    evaluation: dict[str, Any] = model.evaluation_
    return evaluation


@dataclass(frozen=True)
class EffectPrediction:
    """The answer to "will music help me?", with the evidence behind it."""

    probabilities: dict[str, float]
    most_likely: str
    evidence_is_weak: bool
    message: str
    model: str
    macro_f1: dict[str, float] = field(default_factory=dict)
    baselines: dict[str, dict[str, float]] = field(default_factory=dict)
    n_train: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "probabilities": self.probabilities,
            "most_likely": self.most_likely,
            "evidence_is_weak": self.evidence_is_weak,
            "message": self.message,
            "model": self.model,
            "leak_free_macro_f1": self.macro_f1,
            "baselines_macro_f1": self.baselines,
            "n_train": self.n_train,
        }


def predict_effect(
    profile: Profile | Mapping[str, Any],
    model: EffectModel | None = None,
    *,
    settings: Settings | None = None,
) -> EffectPrediction:
    """Probabilities that music improves / does nothing / worsens things for this person.

    Without ``model`` the cached model for the default survey is used (trained and evaluated
    on first use). The answer carries the model's leak-free macro-F1 with its spread, the
    baselines, and a plain sentence when the evidence is weak.
    """
    if not isinstance(profile, Profile):
        profile = profile_from_mapping(profile)
    if model is None:
        model = train_effect_model(settings=settings)
    check_is_fitted(model, "pipeline_")
    evaluation = getattr(model, "evaluation_", None)
    if not evaluation:
        raise MoodtuneError(
            "this effect model carries no stored evaluation; train it with train_effect_model() "
            "so the answer can say how reliable it is"
        )
    proba = model.predict_proba(profiles_to_frame([profile]))[0]
    probabilities = {lab: float(p) for lab, p in zip(EFFECT_LABELS, proba, strict=True)}
    name = model.candidate
    figures = evaluation["models"][name]
    verdict = evidence_verdict(figures, evaluation["baselines"])
    keep = ("mean", "std", "min", "max")
    most_likely = max(probabilities, key=lambda k: probabilities[k])
    share = ", ".join(f"{lab} {p:.0%}" for lab, p in probabilities.items())
    return EffectPrediction(
        probabilities=probabilities,
        most_likely=most_likely,
        evidence_is_weak=verdict["weak"],
        message=f"Estimated from {model.n_train_} survey respondents: {share}. "
        + verdict["sentence"],
        model=name,
        macro_f1={k: figures["macro_f1"][k] for k in keep},
        baselines={
            b: {k: evaluation["baselines"][b]["macro_f1"][k] for k in keep}
            for b in evaluation["baselines"]
        },
        n_train=int(model.n_train_),
    )
