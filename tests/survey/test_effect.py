"""Effect prediction: planted relations are found, no-signal data stay at chance, answers are
honest about weak evidence, and models round-trip without pickle."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import moodtune.survey.effect as effect
from moodtune.config import Settings
from moodtune.errors import InputError, NotFittedError
from moodtune.survey.effect import (
    EFFECT_LABELS,
    EffectModel,
    EffectPrediction,
    evaluate_effect_models,
    evidence_verdict,
    load_effect_model,
    predict_effect,
    save_effect_model,
    survey_checksum,
    train_effect_model,
)
from moodtune.survey.schema import (
    BOOL_FIELDS,
    FREQ_COLUMNS,
    GENRES,
    CleaningReport,
    Profile,
    SurveyData,
    load_survey,
    profiles_to_frame,
)


def planted_survey(
    rng: np.random.Generator, n: int = 180, *, signal: bool = True, missing: float = 0.1
) -> pd.DataFrame:
    """A clean survey frame where (if ``signal``) the effect is set by the anxiety score:
    low -> Improve, middle -> No effect, high -> Worsen, with 5% of labels flipped."""
    frame = pd.DataFrame(
        {
            "age": rng.uniform(15, 70, n),
            "hours_per_day": rng.uniform(0, 10, n),
            "fav_genre": rng.choice(np.array(GENRES, dtype=object), n),
            "bpm": rng.uniform(60, 180, n),
            "anxiety": rng.uniform(0, 10, n).round(),
            "depression": rng.uniform(0, 10, n).round(),
            "insomnia": rng.uniform(0, 10, n).round(),
            "ocd": rng.uniform(0, 10, n).round(),
        }
    )
    for name in BOOL_FIELDS:
        frame[name] = pd.array(rng.random(n) < 0.5, dtype="boolean")
    for name in FREQ_COLUMNS:
        frame[name] = rng.integers(0, 4, n).astype(float)
    for name in ("age", "bpm", *FREQ_COLUMNS[:4]):
        frame.loc[rng.random(n) < missing, name] = np.nan
    frame.loc[rng.random(n) < missing, "while_working"] = pd.NA
    labels = np.array(EFFECT_LABELS, dtype=object)
    if signal:
        idx = np.digitize(frame["anxiety"].to_numpy(), [3.5, 6.5])
        flip = rng.random(n) < 0.05
        idx[flip] = rng.integers(0, 3, int(flip.sum()))
    else:
        idx = rng.choice(3, n, p=[0.6, 0.3, 0.1])
    frame["music_effects"] = labels[idx]
    return frame


def as_survey(frame: pd.DataFrame) -> SurveyData:
    return SurveyData(frame=frame, report=CleaningReport(rows=len(frame)), source="planted")


def test_planted_relation_is_found_leak_free_and_beats_baselines(rng: np.random.Generator) -> None:
    frame = planted_survey(rng)
    result = evaluate_effect_models(
        frame, n_repeats=2, n_splits=3, candidates=["logistic"], include_leaky=False
    )
    f1 = result["models"]["logistic"]["macro_f1"]
    guess = result["baselines"]["stratified"]["macro_f1"]
    assert f1["mean"] > 0.7
    assert f1["min"] > guess["max"] + 0.2
    # Calibrated: the probabilities beat the class frequencies on proper scores.
    model, prior = result["models"]["logistic"], result["baselines"]["prior"]
    assert model["brier"]["max"] < prior["brier"]["min"]
    assert model["log_loss"]["max"] < prior["log_loss"]["min"]
    assert result["verdict"]["weak"] is False
    assert result["selected"] == "logistic"


def test_shuffled_labels_stay_at_baseline_and_are_called_weak(rng: np.random.Generator) -> None:
    frame = planted_survey(rng, n=240)
    frame["music_effects"] = rng.permutation(frame["music_effects"].to_numpy())
    result = evaluate_effect_models(
        frame, n_repeats=3, n_splits=3, candidates=["logistic_balanced"], include_leaky=False
    )
    f1 = result["models"]["logistic_balanced"]["macro_f1"]
    guess = result["baselines"]["stratified"]["macro_f1"]
    assert abs(f1["mean"] - guess["mean"]) < 0.1
    assert result["verdict"]["weak"] is True
    assert "weak" in result["verdict"]["sentence"]


def test_result_is_json_serialisable_with_spreads_and_calibration(
    rng: np.random.Generator,
) -> None:
    result = evaluate_effect_models(
        planted_survey(rng, n=120), n_repeats=2, n_splits=3, candidates=["logistic"], n_jobs=1
    )
    json.dumps(result, allow_nan=False)  # strict JSON: empty calibration bins hold null
    fig = result["models"]["logistic"]["macro_f1"]
    assert set(fig) == {"mean", "std", "min", "max", "per_repeat"}
    assert len(fig["per_repeat"]) == 2
    recalls = result["models"]["logistic"]["per_class_recall"]
    assert set(recalls) == set(EFFECT_LABELS)
    bins = result["models"]["logistic"]["calibration"]
    # Every out-of-fold row contributes one forecast per class per repeat.
    assert sum(b["count"] for b in bins) == 120 * 3 * 2
    assert set(result["baselines"]) == {"majority", "stratified", "prior"}
    assert result["leaky_demo"]["leaky"]["macro_f1"]["mean"] > 0


def test_progress_callback_counts_every_fit(rng: np.random.Generator) -> None:
    seen: list[tuple[int, int]] = []
    evaluate_effect_models(
        planted_survey(rng, n=90),
        n_repeats=1,
        n_splits=3,
        candidates=["logistic"],
        include_leaky=False,
        progress=lambda done, total: seen.append((done, total)),
    )
    # One candidate and three baselines, three folds each.
    assert seen[-1] == (12, 12)


def test_probabilities_sum_to_one_and_follow_label_order(rng: np.random.Generator) -> None:
    frame = planted_survey(rng)
    for candidate in effect.CANDIDATES:
        model = EffectModel(candidate=candidate).fit(frame, frame["music_effects"])
        proba = model.predict_proba(frame)
        assert proba.shape == (len(frame), 3)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
        assert list(model.classes_) == list(EFFECT_LABELS)
        low = frame["anxiety"] <= 2
        high = frame["anxiety"] >= 8
        assert proba[low.to_numpy(), 0].mean() > proba[high.to_numpy(), 0].mean(), candidate


def test_balanced_candidate_shifts_probabilities_back_to_priors(rng: np.random.Generator) -> None:
    frame = planted_survey(rng, n=240, signal=False)
    model = EffectModel(candidate="logistic_balanced").fit(frame, frame["music_effects"])
    mean_proba = model.predict_proba(frame).mean(axis=0)
    # Without signal the average probability is close to the class frequencies, not to 1/3.
    np.testing.assert_allclose(mean_proba, model.priors_, atol=0.08)


def test_bad_inputs_are_named(rng: np.random.Generator) -> None:
    frame = planted_survey(rng, n=60)
    with pytest.raises(InputError, match="Maybe"):
        EffectModel().fit(frame, ["Maybe"] * 60)
    only_two = frame[frame["music_effects"] != "Worsen"]
    with pytest.raises(InputError, match="Worsen"):
        EffectModel().fit(only_two, only_two["music_effects"])
    with pytest.raises(InputError, match="anxiety"):
        EffectModel().fit(frame.drop(columns="anxiety"), frame["music_effects"])
    with pytest.raises(InputError, match="candidate"):
        EffectModel(candidate="oracle").fit(frame, frame["music_effects"])
    with pytest.raises(NotFittedError):
        EffectModel().predict_proba(frame)
    with pytest.raises(InputError, match="fewer rows than n_splits"):
        evaluate_effect_models(frame.iloc[:20], n_splits=10, include_leaky=False)


def test_evidence_verdict_rule_follows_the_figures() -> None:
    def fig(lo: float, hi: float) -> dict[str, float]:
        return {"mean": (lo + hi) / 2, "std": 0.01, "min": lo, "max": hi}

    baselines = {
        "stratified": {"macro_f1": fig(0.30, 0.38)},
        "prior": {"brier": fig(0.39, 0.40), "log_loss": fig(0.64, 0.66)},
    }
    good = {"macro_f1": fig(0.45, 0.5), "brier": fig(0.3, 0.35), "log_loss": fig(0.5, 0.6)}
    overlapping = {**good, "macro_f1": fig(0.36, 0.5)}
    uninformative = {**good, "log_loss": fig(0.6, 0.65)}
    assert evidence_verdict(good, baselines)["weak"] is False
    assert evidence_verdict(overlapping, baselines)["weak"] is True
    verdict = evidence_verdict(uninformative, baselines)
    assert verdict["weak"] is True
    assert verdict["beats_stratified_guess"] is True
    assert "class frequencies" in verdict["sentence"]


# --- persistence and the user-facing answer -------------------------------------------------


@pytest.fixture
def fitted(rng: np.random.Generator) -> tuple[EffectModel, pd.DataFrame]:
    frame = planted_survey(rng)
    model = EffectModel(candidate="logistic").fit(frame, frame["music_effects"])
    model.evaluation_ = evaluate_effect_models(
        frame, n_repeats=2, n_splits=3, candidates=["logistic"], include_leaky=False
    )
    return model, frame


def test_save_and_load_round_trip_without_pickle(
    fitted: tuple[EffectModel, pd.DataFrame], tmp_path: Path
) -> None:
    model, frame = fitted
    path = save_effect_model(model, tmp_path / "m.skops")
    loaded = load_effect_model(path)
    np.testing.assert_allclose(loaded.predict_proba(frame), model.predict_proba(frame))
    assert loaded.evaluation_ is not None
    meta = json.loads(path.with_suffix(".json").read_text())
    assert meta["moodtune_version"] == effect.__version__


def test_load_refuses_incompatible_or_tampered_files(
    fitted: tuple[EffectModel, pd.DataFrame], tmp_path: Path
) -> None:
    model, _ = fitted
    path = save_effect_model(model, tmp_path / "m.skops")
    meta_path = path.with_suffix(".json")
    meta = json.loads(meta_path.read_text())

    meta_path.write_text(json.dumps({**meta, "moodtune_version": "0.0.1"}))
    with pytest.raises(InputError, match=r"0\.0\.1"):
        load_effect_model(path)
    meta_path.write_text(json.dumps({**meta, "format_version": 99}))
    with pytest.raises(InputError, match="format_version"):
        load_effect_model(path)
    meta_path.write_text(json.dumps(meta))
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(InputError, match="sha256"):
        load_effect_model(path)
    with pytest.raises(InputError, match="not found"):
        load_effect_model(tmp_path / "absent.skops")


def _foreign(x: Any) -> Any:
    return x


def test_load_refuses_foreign_code(
    fitted: tuple[EffectModel, pd.DataFrame], tmp_path: Path
) -> None:
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    model, _ = fitted
    model.pipeline_ = Pipeline([("x", FunctionTransformer(_foreign)), ("m", model.pipeline_)])
    path = save_effect_model(model, tmp_path / "m.skops")
    with pytest.raises(InputError, match="_foreign"):
        load_effect_model(path)


def test_prediction_for_profile_with_only_the_scores(
    fitted: tuple[EffectModel, pd.DataFrame],
) -> None:
    model, _ = fitted
    answer = predict_effect(Profile(anxiety=1, depression=2, insomnia=3, ocd=0), model)
    assert isinstance(answer, EffectPrediction)
    assert sum(answer.probabilities.values()) == pytest.approx(1.0)
    assert answer.most_likely == "Improve"  # planted: low anxiety -> Improve
    assert answer.macro_f1["mean"] == model.evaluation_["models"]["logistic"]["macro_f1"]["mean"]
    assert set(answer.baselines) == {"majority", "stratified", "prior"}
    assert answer.evidence_is_weak is False
    json.dumps(answer.as_dict())


def test_prediction_says_so_when_evidence_is_weak(rng: np.random.Generator) -> None:
    frame = planted_survey(rng, n=200, signal=False)
    model = EffectModel().fit(frame, frame["music_effects"])
    model.evaluation_ = evaluate_effect_models(
        frame, n_repeats=2, n_splits=3, candidates=["logistic"], include_leaky=False
    )
    answer = predict_effect({"anxiety": 5, "depression": 5, "insomnia": 5, "ocd": 5}, model)
    assert answer.evidence_is_weak is True
    assert "evidence is weak" in answer.message


def test_prediction_needs_a_stored_evaluation(rng: np.random.Generator) -> None:
    frame = planted_survey(rng, n=60)
    model = EffectModel().fit(frame, frame["music_effects"])
    with pytest.raises(effect.MoodtuneError, match="evaluation"):
        predict_effect(Profile(anxiety=1, depression=1, insomnia=1, ocd=1), model)
    with pytest.raises(InputError, match="anxiety"):
        predict_effect({"anxiety": 11, "depression": 1, "insomnia": 1, "ocd": 1}, model)


def test_train_caches_by_survey_checksum(
    rng: np.random.Generator, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    survey = as_survey(planted_survey(rng, n=120))
    first = train_effect_model(survey, settings=settings, n_repeats=1, n_splits=3)
    cached = list(settings.model_dir.glob("effect-*/effect.skops"))
    assert len(cached) == 1
    assert survey_checksum(survey)[:16] in cached[0].parent.name

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the cached model should have been loaded")

    monkeypatch.setattr(effect, "evaluate_effect_models", boom)
    again = train_effect_model(survey, settings=settings, n_repeats=1, n_splits=3)
    assert again.candidate == first.candidate
    assert again.evaluation_ == first.evaluation_
    stored = effect.effect_evaluation(survey, settings=settings, n_repeats=1, n_splits=3)
    assert stored == first.evaluation_
    other = as_survey(planted_survey(np.random.default_rng(1), n=120))
    assert survey_checksum(other) != survey_checksum(survey)


@pytest.mark.slow
def test_real_survey_end_to_end(real_settings: Settings) -> None:
    survey = load_survey(settings=real_settings)
    result = evaluate_effect_models(survey, n_repeats=1, n_splits=3)
    assert result["protocol"]["n_rows"] == len(survey.labelled)
    for figures in [*result["models"].values(), *result["baselines"].values()]:
        assert 0.0 <= figures["macro_f1"]["mean"] <= 1.0
    leaky = result["leaky_demo"]
    assert leaky["leaky"]["macro_f1"]["mean"] > leaky["leak_free"]["macro_f1"]["mean"] + 0.2
    assert result["selected"] in result["models"]
    model = EffectModel(candidate=result["selected"]).fit(
        survey.labelled, survey.labelled["music_effects"]
    )
    model.evaluation_ = result
    frame = profiles_to_frame([Profile(anxiety=7, depression=6, insomnia=3, ocd=1)])
    assert model.predict_proba(frame).sum() == pytest.approx(1.0)
    answer = predict_effect(Profile(anxiety=7, depression=6, insomnia=3, ocd=1), model)
    assert answer.message


def test_a_damaged_cached_effect_model_is_retrained_with_a_note(
    rng: np.random.Generator, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    survey = as_survey(planted_survey(rng, n=120))
    first = train_effect_model(survey, settings=settings, n_repeats=1, n_splits=3)
    (path,) = settings.model_dir.glob("effect-*/effect.json")
    path.write_text(path.read_text()[:40])  # cut short
    with caplog.at_level(logging.WARNING, logger="moodtune.artefacts"):
        again = train_effect_model(survey, settings=settings, n_repeats=1, n_splits=3)
    assert again.candidate == first.candidate
    (note,) = [r.getMessage() for r in caplog.records]
    assert "rebuilt the effect model" in note and "effect.json" in note
