"""Genre recommendations from the survey: content-based, collaborative, hybrid and popularity.

Every recommender here recommends the 16 survey genres for one ``Profile`` and explains each
recommendation with the numbers behind it (how many respondents, what share say music improves
their mood, with n). All share the survey feature pipeline (``moodtune.survey.features``): the
person's answers are standardised with the training respondents' means and scales, and answers
the person did not give are left out of every similarity rather than guessed.

* ``ContentGenreRecommender``: each genre gets a profile built from the respondents who listen
  to it often ("Sometimes" or "Very frequently"): the mean of their standardised answers (scores,
  age, hours, tempo, yes/no answers, and their other genre frequencies) and how many of them say
  music improves or worsens their mood. A person is scored against each genre profile (cosine
  over the answers they gave), plus a bonus for genres whose listeners report Improve more and
  Worsen less than average, plus a small prior for how many respondents listen to the genre.
* ``CollaborativeGenreRecommender``: the ``n_neighbors`` respondents most similar to the person
  (cosine on standardised genre frequencies and, down-weighted, profile answers); a genre scores
  by how often those neighbours listen to it, weighted by similarity.
* ``HybridGenreRecommender``: ``w * content + (1 - w) * collaborative`` on per-person
  standardised scores, ``w`` chosen on a validation split of the *training* respondents only.
* ``PopularityGenreRecommender``: the share of respondents who listen to a genre very
  frequently; the baseline every other recommender must beat.

A profile without any genre answer (cold start) cannot be matched on genres: every recommender
then falls back to what the respondents with the most similar scores and profile listen to, and
flags it (``details["was_impossible"] = True``, ``details["fallback"] = "cold_start"``).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar, Self

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from moodtune.config import Settings

from moodtune.artefacts import load_or_build
from moodtune.errors import DataIntegrityError, InputError
from moodtune.evaluation.metrics import ndcg_at_k
from moodtune.recommend.base import Recommendation, Recommender, check_n
from moodtune.survey.features import check_feature_frame, feature_columns, survey_feature_pipeline
from moodtune.survey.schema import (
    BOOL_FIELDS,
    EFFECTS,
    FREQ_COLUMNS,
    FREQUENCY_LEVELS,
    GENRES,
    Profile,
    SurveyData,
    profiles_to_frame,
)

__all__ = [
    "GENRE_RECOMMENDERS",
    "OFTEN",
    "VERY_FREQUENTLY",
    "CollaborativeGenreRecommender",
    "ContentGenreRecommender",
    "GenreRecommender",
    "HybridGenreRecommender",
    "PopularityGenreRecommender",
    "hide_genre_answers",
    "make_genre_recommender",
]

#: Frequency code (0-3) from which a respondent "listens to a genre often": Sometimes or more.
OFTEN = 2.0
#: Frequency code of "Very frequently": what the person already likes, and the evaluation target.
VERY_FREQUENTLY = 3.0

_COLUMNS: tuple[str, ...] = tuple(feature_columns())
_N_PROFILE = len(_COLUMNS) - len(FREQ_COLUMNS)
_FREQ_SLICE = slice(_N_PROFILE, len(_COLUMNS))
_IMPROVE, _NO_EFFECT, _WORSEN = range(3)

# How a standardised answer reads in a sentence, for a value above / below the average.
_PHRASES: dict[str, tuple[str, str]] = {
    "age": ("older than most", "younger than most"),
    "hours_per_day": ("more hours of music a day", "fewer hours of music a day"),
    "bpm": ("a faster favourite tempo", "a slower favourite tempo"),
    "anxiety": ("higher anxiety", "lower anxiety"),
    "depression": ("higher depression", "lower depression"),
    "insomnia": ("more insomnia", "less insomnia"),
    "ocd": ("higher OCD", "lower OCD"),
    "while_working": ("listening while working", "not listening while working"),
    "instrumentalist": ("playing an instrument", "not playing an instrument"),
    "composer": ("composing", "not composing"),
    "exploratory": ("exploring new music", "not exploring new music much"),
    "foreign_languages": ("listening in foreign languages", "not in foreign languages"),
    **{
        column: (f"listening to {genre} more than most", f"listening to {genre} less than most")
        for column, genre in zip(FREQ_COLUMNS, GENRES, strict=True)
    },
}


# --- input -------------------------------------------------------------------------------


def _as_frame(data: SurveyData | pd.DataFrame, source: str) -> pd.DataFrame:
    frame = data.frame if isinstance(data, SurveyData) else data
    if not isinstance(frame, pd.DataFrame):
        raise InputError(
            f"expected a survey, got {type(data).__name__}",
            file=source,
            allowed="SurveyData from load_survey() or its .frame",
        )
    check_feature_frame(frame, list(_COLUMNS), source=source)
    return frame


def _raw_matrix(frame: pd.DataFrame) -> np.ndarray:
    """The survey answers used by the genre models as float (yes/no as 0/1), NaN unknown."""
    out = np.empty((len(frame), len(_COLUMNS)), dtype=float)
    for j, column in enumerate(_COLUMNS):
        values = frame[column]
        if column in BOOL_FIELDS:
            out[:, j] = [np.nan if pd.isna(v) else float(bool(v)) for v in values]
        else:
            out[:, j] = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    return out


def _effect_codes(frame: pd.DataFrame) -> np.ndarray:
    if "music_effects" not in frame.columns:
        return np.full(len(frame), -1, dtype=np.int8)
    lookup = {effect: i for i, effect in enumerate(EFFECTS)}
    return np.array([lookup.get(v, -1) for v in frame["music_effects"]], dtype=np.int8)


def _fav_genre_indices(frame: pd.DataFrame) -> np.ndarray:
    """Index of each row's favourite genre in ``GENRES``, -1 when not given."""
    if "fav_genre" not in frame.columns:
        return np.full(len(frame), -1)
    return np.array([GENRES.index(v) if v in GENRES else -1 for v in frame["fav_genre"]])


def hide_genre_answers(
    frame: pd.DataFrame, *, fraction: float = 0.5, random_state: int | np.random.Generator | None
) -> tuple[pd.DataFrame, np.ndarray]:
    """Hide a random ``fraction`` of each respondent's genre answers (for offline evaluation).

    Each row keeps ``ceil((1 - fraction) * answered)`` of its answered genres; the rest become
    unknown (NaN). ``fav_genre`` is removed from every row, because a favourite genre usually
    is one of the hidden "Very frequently" answers and would give them away.

    Returns
    -------
    masked : DataFrame
        A copy of ``frame`` with the hidden answers set to NaN and ``fav_genre`` to None.
    hidden : array, shape (n_rows, 16), bool
        Which genre answers were hidden, in ``GENRES`` order.
    """
    if not 0.0 < fraction < 1.0:
        raise InputError(
            "the share of genre answers to hide must be between 0 and 1",
            field="fraction",
            value=fraction,
            allowed="0 < fraction < 1",
        )
    check_feature_frame(frame, list(FREQ_COLUMNS))
    rng = np.random.default_rng(random_state)
    freq = frame.loc[:, list(FREQ_COLUMNS)].to_numpy(dtype=float)
    hidden = np.zeros(freq.shape, dtype=bool)
    for i, row in enumerate(freq):
        answered = np.flatnonzero(~np.isnan(row))
        n_hide = answered.size - int(np.ceil((1.0 - fraction) * answered.size))
        if n_hide > 0:
            hidden[i, rng.choice(answered, size=n_hide, replace=False)] = True
    masked = frame.copy()
    masked.loc[:, list(FREQ_COLUMNS)] = np.where(hidden, np.nan, freq)
    if "fav_genre" in masked.columns:
        masked["fav_genre"] = None
    return masked, hidden


# --- shared machinery ----------------------------------------------------------------------


def _cosine_known(matrix: np.ndarray, query: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Cosine between ``query`` and every row of ``matrix`` over the query's known answers."""
    known = ~np.isnan(query)
    if not known.any():
        return np.zeros(matrix.shape[0])
    q = query[known] * weights[known]
    m = matrix[:, known] * weights[known]
    denominator = np.linalg.norm(m, axis=1) * np.linalg.norm(q)
    return np.divide(m @ q, denominator, out=np.zeros(matrix.shape[0]), where=denominator > 0)


def _top(scores: np.ndarray, allowed: np.ndarray, n: int) -> list[int]:
    order = np.argsort(-scores, kind="stable")
    return [int(i) for i in order if allowed[i]][:n]


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "n/a"


def _effect_summary(effects: np.ndarray) -> tuple[str, dict[str, int]]:
    """A sentence on what share of a group say music improves / worsens their mood, with n."""
    answered = effects[effects >= 0]
    counts = {
        "improve": int(np.sum(answered == _IMPROVE)),
        "no_effect": int(np.sum(answered == _NO_EFFECT)),
        "worsen": int(np.sum(answered == _WORSEN)),
        "answered": int(answered.size),
    }
    n = counts["answered"]
    if n == 0:
        return "none of them answered whether music affects their mood", counts
    text = (
        f"{_percent(counts['improve'], n)} of them (n={n}) say music improves their mood, "
        f"{_percent(counts['worsen'], n)} that it worsens it"
    )
    return text, counts


class GenreRecommender(Recommender[Profile]):
    """Shared fitting, cold-start fallback and recommendation logic of the genre recommenders.

    ``fit`` takes the survey (``SurveyData`` or its clean ``.frame``); ``recommend`` takes a
    ``Profile``; ``score_frame`` scores many rows of a clean frame at once, shape (n, 16).
    """

    name: ClassVar[str] = "genre"

    cold_start_neighbors: int

    # learned state
    mean_: np.ndarray
    scale_: np.ndarray
    fill_: np.ndarray
    features_: np.ndarray
    frequencies_: np.ndarray
    effects_: np.ndarray
    popularity_: np.ndarray

    def fit(self, data: SurveyData | pd.DataFrame) -> Self:
        """Learn from the survey respondents (``SurveyData`` or its clean frame); returns self."""
        frame = _as_frame(data, source=f"{type(self).__name__}.fit")
        if len(frame) < 2:
            raise InputError(
                f"cannot fit on {len(frame)} respondent(s)",
                field="survey",
                value=len(frame),
                allowed="at least 2 respondents",
            )
        self._check_params()
        self._fit_shared(frame)
        self._fit_model(frame)
        self.items_ = list(GENRES)
        return self

    def _check_params(self) -> None:
        _check_positive_int(self.cold_start_neighbors, "cold_start_neighbors")

    def _fit_shared(self, frame: pd.DataFrame) -> None:
        pipeline = survey_feature_pipeline(missing_indicators=False)
        features = np.asarray(pipeline.fit_transform(frame), dtype=float)
        mean, scale, fill = [], [], []
        for block, _, _ in pipeline.transformers_:
            if block == "remainder":
                continue
            steps = pipeline.named_transformers_[block].named_steps
            mean.append(np.nan_to_num(steps["scale"].mean_))
            scale.append(steps["scale"].scale_)
            fill.append(steps["impute"].statistics_)
        self.mean_ = np.concatenate(mean)
        self.scale_ = np.concatenate(scale)
        self.fill_ = np.nan_to_num(np.concatenate(fill))
        self.features_ = features
        self.frequencies_ = frame.loc[:, list(FREQ_COLUMNS)].to_numpy(dtype=float)
        self.effects_ = _effect_codes(frame)
        very = np.nan_to_num(self.frequencies_) >= VERY_FREQUENTLY
        often = np.nan_to_num(self.frequencies_) >= OFTEN
        # Ties in "very frequently" are broken by "often", never by column order alone.
        self.popularity_ = very.mean(axis=0) + 1e-6 * often.mean(axis=0)

    @abstractmethod
    def _fit_model(self, frame: pd.DataFrame) -> None:
        """Learn the model's own state from the frame (shared state is already set)."""

    @abstractmethod
    def _scores(self, query: np.ndarray) -> np.ndarray:
        """Scores (16,) for one standardised query row (NaN = not answered)."""

    @abstractmethod
    def _explain(self, query: np.ndarray, genre: int) -> tuple[str, dict[str, Any]]:
        """The reason and the numbers behind recommending ``genre`` to ``query``."""

    # --- queries -------------------------------------------------------------------------

    def _standardise(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Standardised answers (NaN = not given) and which rows are cold starts."""
        raw = _raw_matrix(frame)
        fav = _fav_genre_indices(frame)
        rows = np.flatnonzero(fav >= 0)
        freq = raw[:, _FREQ_SLICE]
        # A favourite genre the person gave no frequency for is taken as listened to very often.
        unknown = np.isnan(freq[rows, fav[rows]])
        freq[rows[unknown], fav[rows[unknown]]] = VERY_FREQUENTLY
        cold = np.isnan(freq).all(axis=1)
        return (raw - self.mean_) / self.scale_, cold

    def score_frame(self, frame: pd.DataFrame) -> np.ndarray:
        """Scores for every row of a clean survey frame; shape (n_rows, 16), higher is better.

        Rows without any genre answer get the cold-start fallback scores.
        """
        self._check_fitted()
        frame = _as_frame(frame, source=f"{type(self).__name__}.score_frame")
        queries, cold = self._standardise(frame)
        return np.vstack(
            [
                self._cold_start_scores(q)[0] if is_cold else self._scores(q)
                for q, is_cold in zip(queries, cold, strict=True)
            ]
        ).reshape(len(frame), len(GENRES))

    def liked_items(self, query: Profile) -> frozenset[str]:
        """Genres the person listens to "Very frequently", and their favourite genre."""
        liked = {g for g, level in query.genre_frequencies.items() if level == FREQUENCY_LEVELS[3]}
        if query.fav_genre is not None:
            liked.add(query.fav_genre)
        return frozenset(liked)

    def recommend(
        self,
        query: Profile,
        *,
        n: int = 3,
        filter_already_liked: bool = True,
        filter_items: Iterable[str] | None = None,
    ) -> list[Recommendation]:
        """The top ``n`` genres for a profile, best first, each with a readable reason."""
        self._check_fitted()
        n = check_n(n)
        if not isinstance(query, Profile):
            raise InputError(
                f"expected a Profile, got {type(query).__name__}",
                field="query",
                allowed="moodtune.survey.schema.Profile",
            )
        excluded = set(self.liked_items(query)) if filter_already_liked else set()
        for item in filter_items or ():
            if item not in GENRES:
                raise InputError(
                    f"unknown genre {item!r} in filter_items",
                    field="filter_items",
                    value=item,
                    allowed=", ".join(GENRES),
                )
            excluded.add(item)
        allowed = np.array([g not in excluded for g in GENRES])
        queries, cold = self._standardise(profiles_to_frame([query]))
        q = queries[0]
        if cold[0]:
            scores, neighbours = self._cold_start_scores(q)
            return [
                self._cold_start_recommendation(g, float(scores[g]), neighbours)
                for g in _top(scores, allowed, n)
            ]
        scores = self._scores(q)
        out = []
        for g in _top(scores, allowed, n):
            reason, details = self._explain(q, g)
            level = query.genre_frequencies.get(GENRES[g])
            if level is not None:
                reason += f" (you: {level})"
            details = {"was_impossible": False, "fallback": None, "method": self.name, **details}
            out.append(Recommendation(GENRES[g], float(scores[g]), reason, details))
        return out

    # --- cold start ----------------------------------------------------------------------

    def _cold_start_scores(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Popularity among the respondents closest in scores and profile (no genre answers)."""
        profile = query[:_N_PROFILE]
        known = ~np.isnan(profile)
        diff = self.features_[:, :_N_PROFILE][:, known] - profile[known]
        distance = np.sqrt((diff**2).sum(axis=1))
        k = min(self.cold_start_neighbors, len(distance))
        neighbours = np.argsort(distance, kind="stable")[:k]
        often = np.nan_to_num(self.frequencies_[neighbours]) >= OFTEN
        return often.mean(axis=0) + 1e-3 * self.popularity_, neighbours

    def _cold_start_recommendation(
        self, genre: int, score: float, neighbours: np.ndarray
    ) -> Recommendation:
        listeners = neighbours[np.nan_to_num(self.frequencies_[neighbours, genre]) >= OFTEN]
        effect_text, counts = _effect_summary(self.effects_[listeners])
        reason = (
            f"Fallback (you gave no genre answers): {listeners.size} of the {neighbours.size} "
            f"respondents closest to you in scores and profile listen to {GENRES[genre]} often; "
            f"{effect_text}"
        )
        details = {
            "was_impossible": True,
            "fallback": "cold_start",
            "method": f"{self.name}:cold_start_popularity",
            "neighbors": int(neighbours.size),
            "listeners": int(listeners.size),
            "effects": counts,
        }
        return Recommendation(GENRES[genre], score, reason, details)


def _check_positive_int(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InputError(f"{name} must be a positive integer", field=name, value=value)


def _check_weight(value: object, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise InputError(f"{name} must be a number >= 0", field=name, value=value)


# --- content-based -------------------------------------------------------------------------


class ContentGenreRecommender(GenreRecommender):
    """The person's answers against the answers of each genre's frequent listeners.

    Parameters
    ----------
    effect_weight
        Weight of the listeners' mood-effect bonus (shrunk share Improve minus share Worsen,
        relative to all respondents) added to the cosine similarity (range -1..1).
    effect_prior
        Pseudo-count that shrinks a genre's Improve/Worsen shares towards the survey-wide
        shares, so a genre with few listeners cannot win on a lucky few answers.
    prior_weight
        Weight of the log share of respondents who listen to the genre often: without it a
        person is matched on direction only and rare genres win as often as common ones.
    cold_start_neighbors
        Respondents used by the cold-start fallback.
    """

    name: ClassVar[str] = "content"

    centroids_: np.ndarray
    listeners_: np.ndarray
    effect_counts_: np.ndarray
    effect_bonus_: np.ndarray
    log_prior_: np.ndarray

    def __init__(
        self,
        *,
        effect_weight: float = 1.0,
        effect_prior: float = 20.0,
        prior_weight: float = 0.2,
        cold_start_neighbors: int = 40,
    ) -> None:
        self.effect_weight = effect_weight
        self.effect_prior = effect_prior
        self.prior_weight = prior_weight
        self.cold_start_neighbors = cold_start_neighbors

    def _check_params(self) -> None:
        super()._check_params()
        _check_weight(self.effect_weight, "effect_weight")
        _check_weight(self.effect_prior, "effect_prior")
        _check_weight(self.prior_weight, "prior_weight")

    def _fit_model(self, frame: pd.DataFrame) -> None:
        often = np.nan_to_num(self.frequencies_) >= OFTEN
        self.listeners_ = often.sum(axis=0)
        centroids = np.zeros((len(GENRES), self.features_.shape[1]))
        counts = np.zeros((len(GENRES), len(EFFECTS)), dtype=np.int64)
        for g in range(len(GENRES)):
            members = often[:, g]
            if members.any():
                centroids[g] = self.features_[members].mean(axis=0)
            effects = self.effects_[members]
            counts[g] = [np.sum(effects == e) for e in range(len(EFFECTS))]
        answered = self.effects_[self.effects_ >= 0]
        overall = np.array([np.mean(answered == e) if answered.size else 0.0 for e in (0, 2)])
        n = counts.sum(axis=1)
        shrunk_improve = (counts[:, _IMPROVE] + self.effect_prior * overall[0]) / (
            n + self.effect_prior
        )
        shrunk_worsen = (counts[:, _WORSEN] + self.effect_prior * overall[1]) / (
            n + self.effect_prior
        )
        self.centroids_ = centroids
        self.effect_counts_ = counts
        self.effect_bonus_ = (shrunk_improve - overall[0]) - (shrunk_worsen - overall[1])
        # Add-one smoothing keeps a genre nobody listens to finite.
        self.log_prior_ = np.log((self.listeners_ + 1) / (often.shape[0] + 1))

    def _scores(self, query: np.ndarray) -> np.ndarray:
        similarity = _cosine_known(self.centroids_, query, np.ones(query.size))
        return (
            similarity
            + self.effect_weight * self.effect_bonus_
            + self.prior_weight * self.log_prior_
        )

    def _explain(self, query: np.ndarray, genre: int) -> tuple[str, dict[str, Any]]:
        known = ~np.isnan(query)
        contribution = np.where(known, np.nan_to_num(query) * self.centroids_[genre], 0.0)
        contribution[_N_PROFILE + genre] = 0.0  # "you listen to X like X listeners" says nothing
        best = [j for j in np.argsort(-contribution, kind="stable")[:3] if contribution[j] > 0]
        shared = [_PHRASES[_COLUMNS[j]][0 if query[j] > 0 else 1] for j in best]
        counts = self.effect_counts_[genre]
        n_answered = int(counts.sum())
        listeners = int(self.listeners_[genre])
        like = (
            f"they are like you in: {', '.join(shared)}"
            if shared
            else "they are the closest match among the remaining genres"
        )
        effect = (
            f"{_percent(int(counts[_IMPROVE]), n_answered)} of them (n={n_answered}) say music "
            f"improves their mood, {_percent(int(counts[_WORSEN]), n_answered)} that it worsens it"
            if n_answered
            else "none of them answered whether music affects their mood"
        )
        reason = f"{listeners} respondents listen to {GENRES[genre]} often and {like}; {effect}"
        details = {
            "listeners": listeners,
            "similarity": float(
                _cosine_known(self.centroids_[[genre]], query, np.ones(known.size))[0]
            ),
            "effect_bonus": float(self.effect_bonus_[genre]),
            "log_prior": float(self.log_prior_[genre]),
            "shared_traits": shared,
            "effects": {
                "improve": int(counts[_IMPROVE]),
                "no_effect": int(counts[_NO_EFFECT]),
                "worsen": int(counts[_WORSEN]),
                "answered": n_answered,
            },
        }
        return reason, details


# --- collaborative -------------------------------------------------------------------------


class CollaborativeGenreRecommender(GenreRecommender):
    """Genres the person's nearest respondents listen to (user-based k nearest neighbours).

    Parameters
    ----------
    n_neighbors
        How many most similar respondents vote.
    profile_weight
        Weight of the profile answers (scores, age, hours, tempo, yes/no) relative to the genre
        frequencies (weight 1) in the cosine similarity.
    cold_start_neighbors
        Respondents used by the cold-start fallback.
    """

    name: ClassVar[str] = "collaborative"

    feature_weights_: np.ndarray

    def __init__(
        self,
        *,
        n_neighbors: int = 40,
        profile_weight: float = 0.5,
        cold_start_neighbors: int = 40,
    ) -> None:
        self.n_neighbors = n_neighbors
        self.profile_weight = profile_weight
        self.cold_start_neighbors = cold_start_neighbors

    def _check_params(self) -> None:
        super()._check_params()
        _check_positive_int(self.n_neighbors, "n_neighbors")
        _check_weight(self.profile_weight, "profile_weight")

    def _fit_model(self, frame: pd.DataFrame) -> None:
        weights = np.ones(self.features_.shape[1])
        weights[:_N_PROFILE] = self.profile_weight
        self.feature_weights_ = weights

    def _neighbours(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        similarity = _cosine_known(self.features_, query, self.feature_weights_)
        k = min(self.n_neighbors, similarity.size)
        nearest = np.argsort(-similarity, kind="stable")[:k]
        return nearest, similarity[nearest]

    def _scores(self, query: np.ndarray) -> np.ndarray:
        nearest, similarity = self._neighbours(query)
        weights = np.clip(similarity, 0.0, None)
        if weights.sum() <= 0:
            weights = np.ones_like(weights)
        frequency = np.nan_to_num(self.frequencies_[nearest]) / VERY_FREQUENTLY
        return np.asarray((weights @ frequency) / weights.sum()) + 1e-6 * self.popularity_

    def _explain(self, query: np.ndarray, genre: int) -> tuple[str, dict[str, Any]]:
        nearest, similarity = self._neighbours(query)
        listens = np.nan_to_num(self.frequencies_[nearest, genre]) >= OFTEN
        listeners = nearest[listens]
        effect_text, counts = _effect_summary(self.effects_[listeners])
        reason = (
            f"{listeners.size} of your {nearest.size} most similar respondents listen to "
            f"{GENRES[genre]} often; {effect_text}"
        )
        details = {
            "neighbors": int(nearest.size),
            "listeners": int(listeners.size),
            "mean_similarity": float(similarity.mean()),
            "effects": counts,
        }
        return reason, details


# --- popularity baseline -------------------------------------------------------------------


class PopularityGenreRecommender(GenreRecommender):
    """The genres most respondents listen to very frequently: the same list for everyone."""

    name: ClassVar[str] = "popularity"

    def __init__(self, *, cold_start_neighbors: int = 40) -> None:
        self.cold_start_neighbors = cold_start_neighbors

    def _fit_model(self, frame: pd.DataFrame) -> None:
        pass

    def _scores(self, query: np.ndarray) -> np.ndarray:
        return np.array(self.popularity_, copy=True)

    def _explain(self, query: np.ndarray, genre: int) -> tuple[str, dict[str, Any]]:
        very = np.nan_to_num(self.frequencies_[:, genre]) >= VERY_FREQUENTLY
        effect_text, counts = _effect_summary(self.effects_[very])
        total = self.frequencies_.shape[0]
        reason = (
            f"{int(very.sum())} of {total} respondents ({_percent(int(very.sum()), total)}) "
            f"listen to {GENRES[genre]} very frequently; {effect_text}"
        )
        return reason, {"listeners": int(very.sum()), "respondents": total, "effects": counts}


# --- hybrid --------------------------------------------------------------------------------


def _row_standardise(scores: np.ndarray) -> np.ndarray:
    scores = np.atleast_2d(scores)
    spread = scores.std(axis=1, keepdims=True)
    centred = scores - scores.mean(axis=1, keepdims=True)
    return np.divide(centred, spread, out=np.zeros_like(centred), where=spread > 0)


class HybridGenreRecommender(GenreRecommender):
    """``w * content + (1 - w) * collaborative`` with ``w`` chosen on validation respondents.

    ``fit`` splits the training respondents (only those) ``validation_repeats`` times into an
    inner training part and a validation part, hides ``hide_fraction`` of each validation
    respondent's genre answers, and picks the ``w`` on ``weight_grid`` with the best mean
    NDCG@``k`` for recovering their hidden "Very frequently" genres. Both components are then
    refitted on all training respondents. ``weight_``, ``weight_grid_``,
    ``validation_ndcg_`` (the curve) and ``weight_source_`` say what was chosen and how.
    """

    name: ClassVar[str] = "hybrid"

    content_: ContentGenreRecommender
    collaborative_: CollaborativeGenreRecommender
    weight_: float
    weight_source_: str
    weight_grid_: np.ndarray
    validation_ndcg_: np.ndarray
    validation_respondents_: int

    def __init__(
        self,
        *,
        weight_grid: int = 11,
        validation_fraction: float = 0.25,
        validation_repeats: int = 3,
        hide_fraction: float = 0.5,
        k: int = 3,
        n_neighbors: int = 40,
        profile_weight: float = 0.5,
        effect_weight: float = 1.0,
        effect_prior: float = 20.0,
        prior_weight: float = 0.2,
        cold_start_neighbors: int = 40,
        random_state: int | None = None,
    ) -> None:
        self.weight_grid = weight_grid
        self.validation_fraction = validation_fraction
        self.validation_repeats = validation_repeats
        self.hide_fraction = hide_fraction
        self.k = k
        self.n_neighbors = n_neighbors
        self.profile_weight = profile_weight
        self.effect_weight = effect_weight
        self.effect_prior = effect_prior
        self.prior_weight = prior_weight
        self.cold_start_neighbors = cold_start_neighbors
        self.random_state = random_state

    def _check_params(self) -> None:
        super()._check_params()
        _check_positive_int(self.weight_grid, "weight_grid")
        _check_positive_int(self.validation_repeats, "validation_repeats")
        _check_positive_int(self.k, "k")
        if not 0.0 < self.validation_fraction < 1.0:
            raise InputError(
                "validation_fraction must be between 0 and 1",
                field="validation_fraction",
                value=self.validation_fraction,
            )

    def _components(self) -> tuple[ContentGenreRecommender, CollaborativeGenreRecommender]:
        content = ContentGenreRecommender(
            effect_weight=self.effect_weight,
            effect_prior=self.effect_prior,
            prior_weight=self.prior_weight,
            cold_start_neighbors=self.cold_start_neighbors,
        )
        collaborative = CollaborativeGenreRecommender(
            n_neighbors=self.n_neighbors,
            profile_weight=self.profile_weight,
            cold_start_neighbors=self.cold_start_neighbors,
        )
        return content, collaborative

    def _fit_model(self, frame: pd.DataFrame) -> None:
        grid = (
            np.linspace(0.0, 1.0, self.weight_grid).round(10)
            if self.weight_grid > 1
            else np.ones(1)
        )
        rng = np.random.default_rng(self.random_state)
        curves, used = [], 0
        frame = frame.reset_index(drop=True)
        n_validation = round(self.validation_fraction * len(frame))
        for _ in range(self.validation_repeats):
            if n_validation < 1 or len(frame) - n_validation < 2:
                break
            order = rng.permutation(len(frame))
            inner, validation = frame.iloc[order[n_validation:]], frame.iloc[order[:n_validation]]
            masked, hidden = hide_genre_answers(
                validation, fraction=self.hide_fraction, random_state=rng
            )
            truth = validation.loc[:, list(FREQ_COLUMNS)].to_numpy(dtype=float)
            relevant = hidden & (np.nan_to_num(truth) >= VERY_FREQUENTLY)
            if not relevant.any():
                continue
            content, collaborative = self._components()
            blend_parts = (
                _row_standardise(content.fit(inner).score_frame(masked)),
                _row_standardise(collaborative.fit(inner).score_frame(masked)),
            )
            curves.append(
                [
                    ndcg_at_k(
                        relevant,
                        w * blend_parts[0] + (1 - w) * blend_parts[1],
                        k=self.k,
                        candidates=hidden,
                    )
                    for w in grid
                ]
            )
            used += int(relevant.any(axis=1).sum())
        self.weight_grid_ = grid
        self.validation_respondents_ = used
        if curves:
            self.validation_ndcg_ = np.mean(curves, axis=0)
            self.weight_ = float(grid[int(np.argmax(self.validation_ndcg_))])
            self.weight_source_ = "validation"
        else:
            self.validation_ndcg_ = np.full(grid.size, np.nan)
            self.weight_ = 0.5
            self.weight_source_ = (
                "default 0.5: too few validation respondents with a hidden 'Very frequently' genre"
            )
        content, collaborative = self._components()
        self.content_ = content.fit(frame)
        self.collaborative_ = collaborative.fit(frame)

    def _parts(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (
            _row_standardise(self.content_._scores(query))[0],
            _row_standardise(self.collaborative_._scores(query))[0],
        )

    def _scores(self, query: np.ndarray) -> np.ndarray:
        content, collaborative = self._parts(query)
        return self.weight_ * content + (1 - self.weight_) * collaborative

    def _explain(self, query: np.ndarray, genre: int) -> tuple[str, dict[str, Any]]:
        content, collaborative = self._parts(query)
        collab_reason, collab_details = self.collaborative_._explain(query, genre)
        content_reason, content_details = self.content_._explain(query, genre)
        # Lead with the part that contributed more to this genre's blended score.
        parts = [
            (self.weight_ * content[genre], content_reason),
            ((1 - self.weight_) * collaborative[genre], collab_reason),
        ]
        parts.sort(key=lambda part: -part[0])
        reason = f"{parts[0][1]}. Also: {parts[1][1]}"
        details = {
            "content_weight": self.weight_,
            "weight_source": self.weight_source_,
            "content": content_details,
            "collaborative": collab_details,
        }
        return reason, details

    def validation_curve(self) -> list[dict[str, float | None]]:
        """The validation NDCG@k for each content weight tried (JSON-friendly)."""
        self._check_fitted()
        return [
            {"content_weight": float(w), f"ndcg_at_{self.k}": None if np.isnan(v) else float(v)}
            for w, v in zip(self.weight_grid_, self.validation_ndcg_, strict=True)
        ]


GENRE_RECOMMENDERS: dict[str, type[GenreRecommender]] = {
    "content": ContentGenreRecommender,
    "collaborative": CollaborativeGenreRecommender,
    "hybrid": HybridGenreRecommender,
    "popularity": PopularityGenreRecommender,
}


def make_genre_recommender(kind: str = "hybrid", **params: Any) -> GenreRecommender:
    """An unfitted genre recommender by name: content, collaborative, hybrid or popularity."""
    try:
        cls = GENRE_RECOMMENDERS[kind]
    except KeyError:
        raise InputError(
            "unknown genre recommender",
            field="kind",
            value=kind,
            allowed=", ".join(GENRE_RECOMMENDERS),
        ) from None
    try:
        return cls(**params)
    except TypeError as exc:
        raise InputError(f"bad parameter for {kind}: {exc}", field="params") from None


def load_or_fit_genre_recommender(
    kind: str = "hybrid",
    *,
    survey: SurveyData | None = None,
    settings: Settings | None = None,
    refit: bool = False,
) -> GenreRecommender:
    """A fitted genre recommender for the survey, cached in ``settings.model_dir``.

    The cache key is the survey content and the recommender kind, so a changed survey refits.
    A cached model that fails its manifest check or was written by an incompatible version is
    refitted and replaced (with a warning, see ``moodtune.artefacts``), never used.
    """
    from moodtune.config import get_settings
    from moodtune.survey.schema import load_survey, survey_checksum

    settings = settings or get_settings()
    survey = survey if survey is not None else load_survey(settings=settings)
    params: dict[str, Any] = {"random_state": settings.random_state} if kind == "hybrid" else {}
    template = make_genre_recommender(kind, **params)
    fitted_on = survey
    return load_or_build(
        settings.model_dir / f"genres-{kind}-{survey_checksum(survey.frame)[:16]}",
        files=("genres.npz",),
        build=lambda staged: template.fit(fitted_on).save(staged / "genres.npz"),
        load=lambda folder: type(template).load(folder / "genres.npz"),
        what=f"the {kind} genre recommender",
        rebuild_on=(DataIntegrityError, InputError),
        refresh=refit,
    )
