"""The per-listener learner: planted preferences are recovered, state round-trips JSON."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from moodtune.errors import InputError
from moodtune.mood.space import MoodPoint
from moodtune.recommend.feedback import (
    FeedbackConfig,
    PreferenceLearner,
    SessionOutcome,
    TrackFeatures,
    TrackFeedback,
    adaptive_journey,
    feedback_from_frame,
    feedback_reward,
    mood_gain,
    plan_at_pace,
    plan_pace,
)
from moodtune.recommend.journey import build_journey, plan_journey
from moodtune.recommend.tracks import TrackIndex


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


def test_plan_at_pace_arrives_early_or_ends_short():
    start, target = MoodPoint(0.0, 0.0), MoodPoint(0.6, 0.8)  # distance 1.0
    fast = plan_at_pace(start, target, steps=10, pace=0.25)
    path = fast.path()
    assert fast.steps == 10 and fast.waypoints[0] == start
    np.testing.assert_allclose(path[4:], [[0.6, 0.8]] * 6)  # 4 moves, then stays
    assert plan_pace(fast) == pytest.approx(0.25)
    slow = plan_at_pace(start, target, steps=5, pace=0.1)
    assert slow.target == target
    assert slow.waypoints[-1].distance(start) == pytest.approx(0.4)  # ends short
    assert plan_pace(slow) == pytest.approx(0.1)
    # Exactly the requested spacing: the same plan as plan_journey.
    even = plan_at_pace(start, target, steps=5, pace=0.25)
    np.testing.assert_allclose(even.path(), plan_journey(start, target, steps=5).path())
    assert plan_pace(plan_journey(start, start, steps=3)) is None
    with pytest.raises(InputError, match="pace"):
        plan_at_pace(start, target, steps=5, pace=0.0)


def test_explain_names_what_raised_the_score(rng):
    tracks = _catalog(rng)
    features = TrackFeatures.from_tracks(tracks)
    genre = tracks["genres"].str[0]
    # Likes jazz, dislikes rock: a jazz track is explained by its genre first.
    by_genre = PreferenceLearner.from_history(
        features,
        feedback=[
            TrackFeedback(tracks.track_id[i], thumbs=1 if genre[i] == "jazz" else -1)
            for i in tracks.index[genre != "pop"][:60]
        ],
    )
    jazz, rock = tracks.index[genre == "jazz"][0], tracks.index[genre == "rock"][0]
    assert by_genre.explain(features.matrix[jazz])[0] == "jazz"
    assert "rock" not in by_genre.explain(features.matrix[rock])
    # Likes acoustic tracks whatever the genre: an acoustic track is "acoustic".
    acoustic = tracks["acousticness"] > 0.5
    by_sound = PreferenceLearner.from_history(
        features,
        feedback=[
            TrackFeedback(t, thumbs=1 if a else -1)
            for t, a in zip(tracks.track_id, acoustic, strict=True)
        ],
    )
    most = int(np.argmax(tracks["acousticness"]))
    assert "acoustic" in by_sound.explain(features.matrix[most])
    assert PreferenceLearner(features.names).explain(features.matrix[0]) == []
    with pytest.raises(InputError, match="feature row"):
        by_sound.explain(np.zeros(3))


def test_adaptive_journey_without_evidence_is_the_unpersonalised_journey(rng):
    tracks = _catalog(rng, 300)
    tracks["name"] = tracks["track_id"]
    tracks["artists"] = [f"a{i}" for i in range(len(tracks))]
    index = TrackIndex(method="exact").fit(tracks)
    features = TrackFeatures.from_tracks(index.tracks_)
    start = MoodPoint(-0.4, 0.5)
    from moodtune.mood.goals import get_goal

    plain = build_journey(
        index,
        plan_journey(start, get_goal("lift_mood").target_for(start), steps=6),
        goal=get_goal("lift_mood"),
    )
    for learner in (None, PreferenceLearner(features.names)):
        built = adaptive_journey(
            index, features, start=start, goal="lift_mood", steps=6, learner=learner
        )
        assert not built.personalised and built.pace_source == "plan"
        assert built.journey.tracks["track_id"].tolist() == plain.tracks["track_id"].tolist()
    other = TrackFeatures.from_tracks(tracks.iloc[:10])
    with pytest.raises(InputError, match="same catalogue"):
        adaptive_journey(index, other, start=start, goal="lift_mood", steps=6)
