"""The per-listener learner: planted preferences are recovered, state round-trips JSON."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from moodtune.errors import InputError
from moodtune.recommend.feedback import (
    FeedbackConfig,
    PreferenceLearner,
    SessionOutcome,
    TrackFeatures,
    TrackFeedback,
    feedback_from_frame,
    feedback_reward,
    mood_gain,
)


def _catalog(rng: np.random.Generator, n: int = 200) -> pd.DataFrame:
    genres = rng.choice(["rock", "jazz", "pop"], size=n)
    frame = pd.DataFrame(
        {
            "track_id": [f"t{i}" for i in range(n)],
            "genres": [[g] for g in genres],
            "danceability": rng.uniform(0, 1, n),
            "energy": rng.uniform(0, 1, n),
            "loudness": rng.uniform(-20, 0, n),
            "speechiness": rng.uniform(0, 0.3, n),
            "acousticness": rng.uniform(0, 1, n),
            "instrumentalness": rng.uniform(0, 1, n),
            "liveness": rng.uniform(0, 1, n),
            "valence": rng.uniform(0, 1, n),
            "tempo": rng.uniform(60, 180, n),
        }
    )
    frame["mood_valence"] = 2 * frame["valence"] - 1
    frame["mood_arousal"] = 2 * frame["energy"] - 1
    return frame


def test_learner_recovers_a_planted_genre_and_acoustic_preference(rng):
    tracks = _catalog(rng)
    features = TrackFeatures.from_tracks(tracks)
    # The listener likes jazz and acoustic tracks; everything else they skip or thumb down.
    liked = (tracks["genres"].str[0] == "jazz") & (tracks["acousticness"] > 0.5)
    offered = rng.choice(len(tracks), size=40, replace=False)
    feedback = []
    for i in offered:
        if liked[i]:
            feedback.append(
                TrackFeedback(tracks.track_id[i], thumbs=1 if rng.random() < 0.5 else None)
            )
        else:
            feedback.append(TrackFeedback(tracks.track_id[i], skipped_after_s=10.0))
    learner = PreferenceLearner.from_history(features, feedback=feedback)

    scores = learner.score(features.matrix)
    assert scores[liked.to_numpy()].mean() > scores[~liked.to_numpy()].mean() + 0.3
    top = np.argsort(-scores)[:20]
    assert liked.to_numpy()[top].mean() > 0.6  # base rate is about 1/6
    prefs = learner.preferences()
    assert prefs.preferred_genres[0] == "jazz"
    assert prefs.features["acousticness"] > 0
    assert prefs.n_feedback == 40

    untrained = PreferenceLearner(features.names).score(features.matrix)
    np.testing.assert_allclose(untrained, 0.0)


def test_rerank_moves_liked_candidates_up(rng):
    tracks = _catalog(rng)
    features = TrackFeatures.from_tracks(tracks)
    rock = tracks.track_id[tracks["genres"].str[0] == "rock"].tolist()
    pop = tracks.track_id[tracks["genres"].str[0] == "pop"].tolist()
    feedback = [TrackFeedback(t, thumbs=1) for t in rock[:10]]
    feedback += [TrackFeedback(t, thumbs=-1) for t in pop[:10]]
    learner = PreferenceLearner.from_history(features, feedback=feedback)
    candidates = [pop[20], rock[20], pop[21], rock[21]]
    ranked = learner.rerank(candidates, features, base_scores=np.zeros(4))
    assert {t for t, _ in ranked[:2]} == {rock[20], rock[21]}
    with pytest.raises(InputError, match="base_scores"):
        learner.rerank(candidates, features, base_scores=np.zeros(3))


def test_thompson_sampling_explores_while_uncertain(rng):
    tracks = _catalog(rng)
    features = TrackFeatures.from_tracks(tracks)
    learner = PreferenceLearner(features.names)
    # With no evidence, Thompson draws rank different tracks first (coverage floor).
    firsts = {
        int(np.argmax(learner.score(features.matrix, explore=True, random_state=seed)))
        for seed in range(30)
    }
    assert len(firsts) >= 10
    # Greedy ranking with no evidence has nothing to prefer: all scores are equal.
    assert np.ptp(learner.score(features.matrix)) == 0.0


def test_state_round_trips_through_json(rng):
    tracks = _catalog(rng)
    features = TrackFeatures.from_tracks(tracks)
    learner = PreferenceLearner.from_history(
        features,
        feedback=[TrackFeedback("t1", thumbs=1), TrackFeedback("t2", skipped_after_s=5.0)],
        sessions=[
            SessionOutcome(
                "s1",
                before=(-0.5, 0.2),
                after=(0.1, 0.0),
                goal="lift_mood",
                target=(0.6, 0.3),
                pace=0.2,
                track_ids=("t1", "t2"),
            )
        ],
    )
    copy = PreferenceLearner.from_json(learner.to_json())
    np.testing.assert_allclose(copy.mean_, learner.mean_)
    np.testing.assert_allclose(copy.covariance_, learner.covariance_)
    assert json.dumps(copy.preferences().to_dict()) == json.dumps(learner.preferences().to_dict())
    assert copy.recommended_pace() == learner.recommended_pace()

    state = learner.to_dict()
    state["version"] = 999
    with pytest.raises(InputError, match="incompatible version"):
        PreferenceLearner.from_dict(state)
    with pytest.raises(InputError, match="not valid JSON"):
        PreferenceLearner.from_json("{oops")


def test_pace_follows_what_improved_mood(rng):
    tracks = _catalog(rng)
    features = TrackFeatures.from_tracks(tracks)
    learner = PreferenceLearner(features.names)
    assert learner.recommended_pace() == learner.config.default_pace
    # Slow journeys (0.05) helped this listener; fast ones (0.3) did not.
    for i in range(6):
        for pace, after in ((0.05, (0.5, 0.2)), (0.3, (-0.4, 0.2))):
            learner.observe_session(
                SessionOutcome(
                    f"s{i}{pace}",
                    before=(-0.5, 0.2),
                    after=after,
                    goal="lift_mood",
                    target=(0.6, 0.3),
                    pace=pace,
                ),
                features,
            )
    assert learner.recommended_pace() == 0.05
    effect = learner.preferences().goal_effectiveness["lift_mood"]
    assert effect["count"] == 12


def test_feedback_signals_and_bad_input():
    config = FeedbackConfig()
    assert feedback_reward(TrackFeedback("a", thumbs=1), config) == (1.0, 1.0)
    early = feedback_reward(TrackFeedback("a", skipped_after_s=5.0), config)
    late = feedback_reward(TrackFeedback("a", skipped_after_s=120.0), config)
    assert early is not None and late is not None
    assert early[0] == late[0] == -1.0 and early[1] > late[1]
    assert feedback_reward(TrackFeedback("a", played=False), config) is None
    with pytest.raises(InputError, match="thumbs"):
        TrackFeedback("a", thumbs=2)
    with pytest.raises(InputError, match="row 2"):
        feedback_from_frame(pd.DataFrame({"track_id": ["a", "b"], "thumbs": [1, 5]}))
    with pytest.raises(InputError, match="after"):
        SessionOutcome("s", before=(0.0, 0.0), after=(2.0, 0.0))
    assert mood_gain(SessionOutcome("s", before=(0, 0), after=(0.5, 0), target=(1, 0))) == 0.5


def test_unknown_track_is_rejected(rng):
    features = TrackFeatures.from_tracks(_catalog(rng, 20))
    learner = PreferenceLearner(features.names)
    with pytest.raises(InputError, match="not in the catalogue"):
        learner.observe([TrackFeedback("nope", thumbs=1)], features)
    assert learner.n_feedback_ == 0
