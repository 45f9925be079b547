from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from moodtune.mood.annotate import annotate_tracks
from moodtune.mood.clusters import CLUSTER_FEATURES, MoodClusters, name_clusters

PLANTED = {
    # mellow acoustic: quiet, slow, acoustic, low energy
    "mellow": dict(
        danceability=0.4,
        energy=0.15,
        loudness=-20.0,
        speechiness=0.03,
        acousticness=0.9,
        instrumentalness=0.05,
        valence=0.35,
        tempo=75.0,
    ),
    # powerful dance: loud, fast, danceable, electric
    "dance": dict(
        danceability=0.9,
        energy=0.9,
        loudness=-4.0,
        speechiness=0.05,
        acousticness=0.01,
        instrumentalness=0.05,
        valence=0.8,
        tempo=128.0,
    ),
    # spoken: lots of speech, mid everything
    "spoken": dict(
        danceability=0.6,
        energy=0.55,
        loudness=-8.0,
        speechiness=0.45,
        acousticness=0.15,
        instrumentalness=0.0,
        valence=0.45,
        tempo=95.0,
    ),
}
SPREAD = dict(
    danceability=0.04,
    energy=0.04,
    loudness=1.0,
    speechiness=0.02,
    acousticness=0.03,
    instrumentalness=0.01,
    valence=0.05,
    tempo=4.0,
)


def _planted(rng: np.random.Generator, per_cluster: int = 80) -> tuple[pd.DataFrame, np.ndarray]:
    frames, labels = [], []
    for label, (_, centre) in enumerate(PLANTED.items()):
        frame = pd.DataFrame(
            {f: rng.normal(centre[f], SPREAD[f], per_cluster) for f in CLUSTER_FEATURES}
        )
        frames.append(frame)
        labels += [label] * per_cluster
    data = pd.concat(frames, ignore_index=True)
    for f in (
        "danceability",
        "energy",
        "speechiness",
        "acousticness",
        "instrumentalness",
        "valence",
    ):
        data[f] = data[f].clip(0, 1)
    return data, np.asarray(labels)


def test_planted_clusters_are_recovered_and_named_by_rule(rng: np.random.Generator) -> None:
    data, truth = _planted(rng)
    model = MoodClusters(k_range=(2, 6), random_state=0).fit(data)
    assert model.k_ == 3
    predicted = model.predict(data)
    assert adjusted_rand_score(truth, predicted) > 0.95
    names = {k: predicted[truth == i].mode()[0] for i, k in enumerate(PLANTED)}
    assert "Acoustic" in names["mellow"] and names["mellow"].split()[0] in {
        "Mellow",
        "Soft",
        "Slow",
    }
    assert names["dance"].endswith("Dance")
    assert names["spoken"].endswith("Spoken")
    assert len(set(model.names_)) == 3
    quality = model.quality_.as_dict()
    assert quality["stability_ari_min"] > 0.95
    assert quality["silhouette"] > 0.5
    assert set(quality["bic_curve"]) == {"2", "3", "4", "5", "6"}


def test_names_do_not_depend_on_cluster_order(rng: np.random.Generator) -> None:
    data, _ = _planted(rng)
    a = MoodClusters(k=3, random_state=1).fit(data)
    b = MoodClusters(k=3, random_state=7).fit(data)
    assert sorted(a.names_) == sorted(b.names_)


def test_colliding_names_grow_until_unique() -> None:
    columns = list(CLUSTER_FEATURES)
    z = np.zeros((4, len(columns)))
    z[0, columns.index("energy")] = 1.0
    z[0, columns.index("valence")] = 0.5
    z[1, columns.index("energy")] = 1.0
    z[1, columns.index("valence")] = -0.5
    z[2, columns.index("acousticness")] = 1.0
    names = name_clusters(z)
    assert names[0] == "Powerful Upbeat Mix"
    assert names[1] == "Powerful Melancholic Mix"
    assert names[2] == "Acoustic"
    assert names[3] == "Balanced Mix"
    twins = name_clusters(np.zeros((2, len(columns))), mean_valence=np.array([0.2, 0.6]))
    assert twins == ["Balanced Mix (variant 2)", "Balanced Mix (brighter)"]


def test_too_few_tracks_is_a_clear_error() -> None:
    data = pd.DataFrame({f: [0.5, 0.5] for f in CLUSTER_FEATURES})
    with pytest.raises(Exception, match="too few complete tracks"):
        MoodClusters(k_range=(2, 4)).fit(data)


def test_annotation_adds_mood_columns_and_soft_membership(rng: np.random.Generator) -> None:
    data, _ = _planted(rng)
    data["mode"] = 1
    data["liveness"] = 0.1  # the fitted default model reads liveness too
    data.loc[5, "tempo"] = np.nan
    result = annotate_tracks(data, random_state=0)
    assert list(result.columns.columns) == [
        "mood_valence",
        "mood_arousal",
        "mood_uncertainty",
        "mood_uncertain",
        "quadrant",
        "mood_cluster",
    ]
    assert result.cluster_proba.shape == (len(data), len(result.cluster_names))
    complete = np.isfinite(result.cluster_proba).all(axis=1)
    assert not complete[5] and complete.sum() == len(data) - 1
    np.testing.assert_allclose(result.cluster_proba[complete].sum(axis=1), 1.0, atol=1e-5)
    assert result.columns["mood_cluster"].isna()[5]
    dance = result.columns.iloc[100]
    assert dance["quadrant"] == "happy/energetic"
