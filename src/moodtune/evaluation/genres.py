"""Offline evaluation of the genre recommenders on held-out respondents.

Protocol (repeated ``n_repeats`` times with different random splits):

1. Split the respondents at random into training (``1 - test_fraction``) and test.
2. Fit every recommender on the training respondents only. The hybrid chooses its weight on a
   validation split *inside* the training respondents, so it never sees a test row.
3. Hide ``hide_fraction`` of each test respondent's genre answers (and their favourite genre,
   which would give the hidden answers away) and score the 16 genres from what is left.
4. Rank only the hidden genres (the visible answers are known, so recommending them proves
   nothing) and measure hit-rate@k and NDCG@k for recovering the hidden genres the respondent
   listens to "Very frequently". Respondents with no such hidden genre are left out.

Baselines measured on the same splits and masks: ``popularity`` (share of training respondents
who listen to a genre very frequently) and ``random`` (uniformly random scores).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from moodtune.errors import InputError
from moodtune.evaluation.metrics import hit_rate_at_k, ndcg_at_k, spread
from moodtune.recommend.genres import (
    VERY_FREQUENTLY,
    CollaborativeGenreRecommender,
    ContentGenreRecommender,
    GenreRecommender,
    HybridGenreRecommender,
    PopularityGenreRecommender,
    hide_genre_answers,
)
from moodtune.survey.schema import FREQ_COLUMNS, GENRES, SurveyData

__all__ = ["MODELS", "evaluate_genre_recommenders", "format_genre_evaluation"]

#: Evaluated models in report order: the three recommenders, then the two baselines.
MODELS: tuple[str, ...] = ("hybrid", "collaborative", "content", "popularity", "random")


def evaluate_genre_recommenders(
    survey: SurveyData | pd.DataFrame,
    *,
    n_repeats: int = 5,
    test_fraction: float = 0.2,
    hide_fraction: float = 0.5,
    k: int = 3,
    random_state: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Hit-rate@k and NDCG@k of every genre recommender and baseline over repeated splits.

    Parameters
    ----------
    survey
        ``load_survey()`` output or its clean frame.
    n_repeats
        Number of random train/test splits (each with its own hidden answers).
    test_fraction
        Share of respondents held out per split.
    hide_fraction
        Share of each test respondent's genre answers hidden from the recommenders.
    k
        Length of the recommendation list.
    random_state
        Seed for splits, masks, the hybrid's validation split and the random baseline.
    progress
        Called as ``progress(done, total)`` after each repeat (for a progress bar).

    Returns
    -------
    dict
        JSON-serialisable: ``protocol``, ``metrics`` (per model, ``hit_rate_at_{k}`` and
        ``ndcg_at_{k}`` each with mean, std, min, max and per-repeat values), ``vs_popularity``
        (ratio of means), ``hybrid`` (chosen weight and validation curve per repeat),
        ``test_respondents`` per repeat and ``seconds``.
    """
    frame = survey.frame if isinstance(survey, SurveyData) else survey
    if not isinstance(frame, pd.DataFrame):
        raise InputError(
            f"expected a survey, got {type(survey).__name__}",
            field="survey",
            allowed="SurveyData from load_survey() or its .frame",
        )
    if isinstance(n_repeats, bool) or not isinstance(n_repeats, int) or n_repeats < 1:
        raise InputError("n_repeats must be a positive integer", field="n_repeats", value=n_repeats)
    if not 0.0 < test_fraction < 1.0:
        raise InputError(
            "test_fraction must be between 0 and 1", field="test_fraction", value=test_fraction
        )
    frame = frame.reset_index(drop=True)
    n_test = round(test_fraction * len(frame))
    if n_test < 1 or len(frame) - n_test < 10:
        raise InputError(
            f"{len(frame)} respondents are too few to evaluate on",
            field="survey",
            value=len(frame),
            allowed=f"enough for at least 1 test and 10 training respondents at {test_fraction=}",
        )
    started = time.perf_counter()
    rng = np.random.default_rng(random_state)
    metric_names = (f"hit_rate_at_{k}", f"ndcg_at_{k}")
    scores: dict[str, dict[str, list[float]]] = {
        model: {name: [] for name in metric_names} for model in MODELS
    }
    hybrid_runs: list[dict[str, Any]] = []
    test_counts: list[int] = []
    for repeat in range(n_repeats):
        order = rng.permutation(len(frame))
        train, test = frame.iloc[order[n_test:]], frame.iloc[order[:n_test]]
        masked, hidden = hide_genre_answers(test, fraction=hide_fraction, random_state=rng)
        truth = test.loc[:, list(FREQ_COLUMNS)].to_numpy(dtype=float)
        relevant = hidden & (np.nan_to_num(truth) >= VERY_FREQUENTLY)
        evaluated = relevant.any(axis=1)
        if not evaluated.any():
            raise InputError(
                "no test respondent has a hidden 'Very frequently' genre; nothing to measure",
                field="survey",
            )
        test_counts.append(int(evaluated.sum()))
        hybrid = HybridGenreRecommender(
            k=k, hide_fraction=hide_fraction, random_state=int(rng.integers(2**31))
        )
        models: dict[str, GenreRecommender] = {
            "hybrid": hybrid,
            "collaborative": CollaborativeGenreRecommender(),
            "content": ContentGenreRecommender(),
            "popularity": PopularityGenreRecommender(),
        }
        matrices = {name: model.fit(train).score_frame(masked) for name, model in models.items()}
        matrices["random"] = rng.random((len(test), len(GENRES)))
        for name, matrix in matrices.items():
            scores[name][metric_names[0]].append(
                hit_rate_at_k(relevant, matrix, k=k, candidates=hidden)
            )
            scores[name][metric_names[1]].append(
                ndcg_at_k(relevant, matrix, k=k, candidates=hidden)
            )
        hybrid_runs.append(
            {
                "content_weight": hybrid.weight_,
                "weight_source": hybrid.weight_source_,
                "validation_respondents": hybrid.validation_respondents_,
                "curve": hybrid.validation_curve(),
            }
        )
        if progress is not None:
            progress(repeat + 1, n_repeats)
    metrics = {
        model: {name: spread(values, values_key="values") for name, values in by_metric.items()}
        for model, by_metric in scores.items()
    }
    popularity = metrics["popularity"]
    return {
        "protocol": {
            "respondents": len(frame),
            "test_respondents_per_split": n_test,
            "test_fraction": test_fraction,
            "hide_fraction": hide_fraction,
            "k": k,
            "n_repeats": n_repeats,
            "random_state": random_state,
            "target": "hidden genres the respondent listens to 'Very frequently'",
            "candidates": "only the hidden genres are ranked; fav_genre is hidden too",
            "hybrid_weight": "chosen on a validation split of each training part only",
        },
        "metrics": metrics,
        "vs_popularity": {
            model: {
                name: (
                    metrics[model][name]["mean"] / popularity[name]["mean"]
                    if popularity[name]["mean"] > 0
                    else None
                )
                for name in metric_names
            }
            for model in MODELS
        },
        "hybrid": {
            "content_weight": spread(
                [run["content_weight"] for run in hybrid_runs], values_key="values"
            ),
            "runs": hybrid_runs,
        },
        "test_respondents_evaluated": test_counts,
        "seconds": round(time.perf_counter() - started, 2),
    }


def format_genre_evaluation(result: dict[str, Any]) -> str:
    """A plain-text table of ``evaluate_genre_recommenders`` output (mean ± std per model)."""
    k = result["protocol"]["k"]
    names = (f"hit_rate_at_{k}", f"ndcg_at_{k}")
    lines = [
        f"Genre recommenders: {result['protocol']['n_repeats']} random splits, "
        f"{result['protocol']['test_respondents_per_split']} test respondents each, "
        f"{round(100 * result['protocol']['hide_fraction'])}% of their genre answers hidden",
        f"{'model':<14}{'hit@' + str(k):>18}{'NDCG@' + str(k):>18}{'NDCG vs popularity':>20}",
    ]
    for model in MODELS:
        cells = [
            f"{result['metrics'][model][n]['mean']:.3f} ± {result['metrics'][model][n]['std']:.3f}"
            for n in names
        ]
        ratio = result["vs_popularity"][model][names[1]]
        ratio_text = "n/a" if ratio is None else f"{ratio:.2f}x"
        lines.append(f"{model:<14}{cells[0]:>18}{cells[1]:>18}{ratio_text:>20}")
    weight = result["hybrid"]["content_weight"]
    lines.append(
        f"hybrid content weight chosen on validation: mean {weight['mean']:.2f} "
        f"(range {weight['min']:.2f}-{weight['max']:.2f})"
    )
    return "\n".join(lines)
