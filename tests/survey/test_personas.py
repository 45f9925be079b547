from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from moodtune.config import Settings
from moodtune.errors import InputError, NotFittedError
from moodtune.survey.features import survey_feature_pipeline
from moodtune.survey.personas import (
    FORMAT_VERSION,
    PersonaModel,
    assign_persona,
    load_or_fit_personas,
    name_personas,
    persona_map_figure,
    persona_report,
    survey_checksum,
)
from moodtune.survey.schema import (
    BOOL_FIELDS,
    FREQ_COLUMNS,
    FREQUENCY_LEVELS,
    SCORES,
    Profile,
    freq_column,
    load_survey,
)

# Three planted listener groups. Hours, yes/no answers and the other genres are noise shared by
# all groups, so the only planted traits are age, the four scores and the listed genres.
PLANTED: dict[str, dict] = {
    "metal": {"age": (18, 22), "scores": (7, 10), "genres": {"Metal": 3, "Rock": 3}},
    "classical": {"age": (55, 70), "scores": (0, 2), "genres": {"Classical": 3, "Jazz": 2}},
    "pop": {"age": (28, 35), "scores": (3, 5), "genres": {"Pop": 3, "Hip hop": 3, "Rap": 2}},
}


def planted_survey(
    rng: np.random.Generator, per_group: int = 20
) -> tuple[pd.DataFrame, np.ndarray]:
    """A clean survey frame of ``3 * per_group`` rows and the planted group of each row."""
    rows, truth = [], []
    for group, (_, spec) in enumerate(PLANTED.items()):
        for _ in range(per_group):
            row: dict = {
                "age": float(rng.integers(*spec["age"])),
                "hours_per_day": float(rng.integers(1, 6)),
                "bpm": np.nan,
                "fav_genre": next(iter(spec["genres"])),
                "music_effects": ("Improve", "No effect")[int(rng.integers(0, 2))],
            }
            row.update(
                {s: float(rng.integers(spec["scores"][0], spec["scores"][1] + 1)) for s in SCORES}
            )
            row.update({b: bool(rng.integers(0, 2)) for b in BOOL_FIELDS})
            row.update({c: float(rng.integers(0, 2)) for c in FREQ_COLUMNS})
            row.update({freq_column(g): float(level) for g, level in spec["genres"].items()})
            rows.append(row)
            truth.append(group)
    frame = pd.DataFrame(rows)
    for name in BOOL_FIELDS:
        frame[name] = frame[name].astype("boolean")
    return frame, np.array(truth)


def planted_profile(group: str) -> Profile:
    spec = PLANTED[group]
    score = float(np.mean(spec["scores"]))
    return Profile(
        age=float(np.mean(spec["age"])),
        hours_per_day=3,
        genre_frequencies={g: FREQUENCY_LEVELS[level] for g, level in spec["genres"].items()},
        anxiety=score,
        depression=score,
        insomnia=score,
        ocd=score,
    )


@pytest.fixture(scope="module")
def planted() -> tuple[pd.DataFrame, np.ndarray]:
    return planted_survey(np.random.default_rng(7))


@pytest.fixture(scope="module")
def planted_model(planted: tuple[pd.DataFrame, np.ndarray]) -> PersonaModel:
    return PersonaModel(stability_seeds=3, random_state=0).fit(planted[0])


def _persona_of(model: PersonaModel, truth: np.ndarray, group: str) -> str:
    index = list(PLANTED).index(group)
    labels = model.labels_[truth == index]
    return model.names_[int(np.bincount(labels).argmax())]


def test_planted_clusters_are_recovered(planted, planted_model: PersonaModel) -> None:
    _, truth = planted
    assert adjusted_rand_score(truth, planted_model.labels_) == pytest.approx(1.0)
    assert len(planted_model.names_) == 3


def test_k_is_chosen_from_the_curves_on_planted_data(planted_model: PersonaModel) -> None:
    selection = planted_model.selection_
    assert selection["k_values"] == [2, 3, 4, 5, 6, 7, 8]
    assert len(selection["silhouette"]) == len(selection["gmm_bic"]) == 7
    assert selection["silhouette_k"] == 3
    assert selection["bic_k"] == 3
    assert selection["chosen_k"] == 3
    assert selection["kmeans_vs_gmm_ari"] == pytest.approx(1.0)
    assert planted_model.stability_["min_ari"] == pytest.approx(1.0)


def test_planted_personas_are_named_by_their_planted_traits(planted, planted_model) -> None:
    _, truth = planted
    metal = _persona_of(planted_model, truth, "metal")
    classical = _persona_of(planted_model, truth, "classical")
    pop = _persona_of(planted_model, truth, "pop")
    assert "high-distress" in metal.lower()
    assert "metal" in metal or "rock" in metal
    assert classical.startswith("Older")
    assert "low-distress" in classical
    assert "classical" in classical
    assert any(genre in pop for genre in ("pop", "hip-hop", "rap"))


def test_names_do_not_depend_on_cluster_order(planted, planted_model) -> None:
    frame, _ = planted
    flipped = PersonaModel(k_range=(2, 4), stability_seeds=0, random_state=5).fit(frame.iloc[::-1])
    assert sorted(flipped.names_) == sorted(planted_model.names_)


@pytest.mark.parametrize("group", list(PLANTED))
def test_planted_profiles_land_in_their_persona(planted, planted_model, group) -> None:
    _, truth = planted
    assignment = assign_persona(planted_profile(group), planted_model)
    assert assignment.persona == _persona_of(planted_model, truth, group)
    assert assignment.probabilities[assignment.persona] > 0.9
    assert sum(assignment.probabilities.values()) == pytest.approx(1.0)
    assert len(assignment.nearest) == 5
    members = planted_model.labels_ == planted_model.names_.index(assignment.persona)
    centre = planted_model.embedding_[members].mean(axis=0)
    others = planted_model.embedding_[~members].mean(axis=0)
    here = np.array([assignment.x, assignment.y])
    assert np.linalg.norm(here - centre) < np.linalg.norm(here - others)
    assert all(n.persona == assignment.persona for n in assignment.nearest)


def test_profile_with_only_the_required_scores(planted, planted_model) -> None:
    _, truth = planted
    bare = Profile(anxiety=9, depression=9, insomnia=8, ocd=9)
    assignment = planted_model.assign(bare)
    assert assignment.cold_start
    assert set(assignment.imputed_fields) >= {"age", "hours_per_day", *FREQ_COLUMNS}
    assert assignment.details["features_used"] == 4
    assert assignment.persona == _persona_of(planted_model, truth, "metal")
    assert np.isfinite([assignment.x, assignment.y]).all()
    # Less information, less certainty than the full planted profile.
    full = planted_model.assign(planted_profile("metal"))
    assert assignment.probabilities[assignment.persona] < full.probabilities[full.persona]
    json.dumps(assignment.as_dict())


def test_transform_matches_the_shared_pipeline(planted, planted_model) -> None:
    frame, _ = planted
    pipeline = survey_feature_pipeline(include_bpm=False, missing_indicators=False)
    gappy = frame.copy()
    gappy.loc[[1, 4], "age"] = np.nan
    gappy.loc[2, "exploratory"] = pd.NA
    expected = pipeline.fit(frame).transform(gappy)
    assert np.allclose(planted_model.transform(gappy), expected)


def test_report_is_json_with_sizes_profiles_and_curves(planted_model) -> None:
    report = persona_report(planted_model)
    text = json.dumps(report)
    assert "NaN" not in text
    sizes = [p["size"] for p in report["personas"]]
    assert sum(sizes) == report["n_respondents"] == 60
    assert len(report["k_selection"]["silhouette"]) == 7
    assert len(report["map"]["explained_variance_ratio"]) == 2
    for persona in report["personas"]:
        effects = persona["music_effects"]
        assert effects["labelled"] == persona["size"]
        assert effects["Improve"]["n"] + effects["No effect"]["n"] == persona["size"]
        assert len(persona["top_genres"]) == 3
    assert {p["name"] for p in report["personas"]} == set(planted_model.names_)
    by_top = {p["top_genres"][0]["genre"]: p for p in report["personas"]}
    assert {g["genre"] for g in by_top["Classical"]["over_represented_genres"]} >= {
        "Classical",
        "Jazz",
    }
    metal = by_top.get("Metal") or by_top["Rock"]
    assert {"Metal", "Rock"} <= {g["genre"] for g in metal["over_represented_genres"]}


def test_save_load_roundtrip_without_pickle(tmp_path: Path, planted, planted_model) -> None:
    frame, _ = planted
    path = planted_model.save(tmp_path / "personas.npz")
    with np.load(path, allow_pickle=False) as data:
        assert "header" in data.files
    loaded = PersonaModel.load(path)
    assert loaded.names_ == planted_model.names_
    assert np.allclose(loaded.predict_proba(frame), planted_model.predict_proba(frame))
    assert persona_report(loaded) == persona_report(planted_model)
    profile = planted_profile("classical")
    assert loaded.assign(profile) == planted_model.assign(profile)


def test_incompatible_or_broken_files_are_refused(tmp_path: Path, planted_model) -> None:
    path = planted_model.save(tmp_path / "personas.npz")
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    header = json.loads(str(arrays["header"]))
    header["format_version"] = FORMAT_VERSION + 1
    arrays["header"] = np.array(json.dumps(header))
    future = tmp_path / "future.npz"
    np.savez(future, **arrays)
    with pytest.raises(InputError, match="format version") as info:
        PersonaModel.load(future)
    assert str(future) in str(info.value)
    garbage = tmp_path / "garbage.npz"
    garbage.write_text("not a model")
    with pytest.raises(InputError, match="not a moodtune persona model"):
        PersonaModel.load(garbage)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(path.read_bytes()[:200])
    with pytest.raises(InputError, match="not a moodtune persona model"):
        PersonaModel.load(truncated)
    with pytest.raises(InputError, match="not found"):
        PersonaModel.load(tmp_path / "absent.npz")


def test_fitted_model_is_cached_by_survey_checksum(settings: Settings, planted) -> None:
    frame, _ = planted
    template = PersonaModel(stability_seeds=1)
    first = load_or_fit_personas(frame, settings=settings, model=template)
    files = list(settings.model_dir.glob("personas-*/personas.npz"))
    assert len(files) == 1
    assert survey_checksum(frame)[:16] in files[0].parent.name
    stamp = files[0].stat().st_mtime_ns
    again = load_or_fit_personas(frame, settings=settings, model=PersonaModel(stability_seeds=1))
    assert again.names_ == first.names_
    assert files[0].stat().st_mtime_ns == stamp  # loaded, not refitted
    files[0].write_bytes(b"truncated")  # an unreadable cached file is refitted and replaced
    repaired = load_or_fit_personas(frame, settings=settings, model=PersonaModel(stability_seeds=1))
    assert repaired.names_ == first.names_
    assert PersonaModel.load(files[0]).names_ == first.names_
    changed = frame.copy()
    changed.loc[0, "anxiety"] = 0.0
    assert survey_checksum(changed) != survey_checksum(frame)
    load_or_fit_personas(changed, settings=settings, model=PersonaModel(stability_seeds=1))
    assert len(list(settings.model_dir.glob("personas-*/personas.npz"))) == 2


def test_map_figure_marks_the_person(tmp_path: Path, planted_model) -> None:
    assignment = planted_model.assign(planted_profile("pop"))
    html = tmp_path / "map.html"
    figure = persona_map_figure(planted_model, assignment=assignment, html_path=html)
    assert len(figure.data) == 4
    assert figure.data[-1].x[0] == pytest.approx(assignment.x)
    assert "PC1" in figure.layout.xaxis.title.text
    assert html.stat().st_size > 0


def test_bad_use_gives_clear_errors(planted) -> None:
    frame, _ = planted
    with pytest.raises(NotFittedError):
        PersonaModel().assign(planted_profile("pop"))
    with pytest.raises(InputError, match="k_range"):
        PersonaModel(k_range=(1, 4)).fit(frame)
    with pytest.raises(InputError, match="ocd"):
        PersonaModel().fit(frame.drop(columns=["ocd"]))
    with pytest.raises(InputError, match="at least 3"):
        PersonaModel().fit(frame.head(2))


def _diffs(rows: dict[str, dict[str, float]]) -> pd.DataFrame:
    columns = [
        "age",
        "hours_per_day",
        *SCORES,
        "exploratory",
        "instrumentalist",
        "genre_breadth",
        *FREQ_COLUMNS,
    ]
    return pd.DataFrame([{c: r.get(c, 0.0) for c in columns} for r in rows.values()])


def test_naming_rule_merges_scores_and_breaks_ties_with_the_next_trait() -> None:
    diffs = _diffs(
        {
            "a": {
                "anxiety": 0.9,
                "depression": 0.8,
                "insomnia": 0.7,
                "exploratory": 0.6,
                "freq_metal": 1.2,
                "age": 0.2,
            },
            "b": {
                "anxiety": 0.9,
                "depression": 0.8,
                "insomnia": 0.7,
                "exploratory": 0.6,
                "freq_metal": 1.2,
                "age": -0.25,
            },
            "c": {},
        }
    )
    names = name_personas(diffs, threshold=0.3)
    assert names[0] == "Older high-distress exploratory metal listeners"
    assert names[1] == "Younger high-distress exploratory metal listeners"
    assert names[2] == "Typical listeners"
    assert name_personas(diffs.iloc[::-1].reset_index(drop=True)) == names[::-1]


def test_naming_rule_uses_single_scores_and_genres_only_when_over_represented() -> None:
    diffs = _diffs(
        {
            "a": {"anxiety": 1.1, "age": -0.5, "freq_lofi": 0.9, "freq_pop": -2.0},
            "b": {"hours_per_day": -0.8, "freq_classical": 0.2, "freq_gospel": -1.5},
        }
    )
    assert name_personas(diffs) == [
        "Younger high-anxiety lo-fi listeners",
        "Light-listening listeners",
    ]


@pytest.mark.slow
def test_real_survey_personas(real_settings: Settings) -> None:
    frame = load_survey(settings=real_settings).frame
    model = PersonaModel(stability_seeds=3).fit(frame)
    report = persona_report(model)
    k = report["k_selection"]["chosen_k"]
    silhouette = report["k_selection"]["silhouette"]
    assert k == report["k_selection"]["k_values"][int(np.argmax(silhouette))]
    assert len(set(model.names_)) == len(model.names_) == k
    assert not any(name[-1].isdigit() for name in model.names_)
    assert sum(p["size"] for p in report["personas"]) == len(frame) == 736
    assert 0.0 <= report["stability"]["min_ari"] <= report["stability"]["mean_ari"] <= 1.0
    assert 0 < sum(report["map"]["explained_variance_ratio"]) < 1
    json.dumps(report)
    assignment = model.assign(Profile(anxiety=2, depression=1, insomnia=0, ocd=0))
    assert assignment.persona in model.names_
    assert assignment.cold_start


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty", "delete", "manifest"])
def test_a_damaged_cached_model_is_refitted_with_a_note(
    settings: Settings, planted, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    frame, _ = planted
    first = load_or_fit_personas(frame, settings=settings, model=PersonaModel(stability_seeds=1))
    (path,) = settings.model_dir.glob("personas-*/personas.npz")
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:100])
    elif damage == "garbage":
        path.write_bytes(b"\x00garbage" * 50)
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "delete":
        path.unlink()
    else:
        (path.parent / "manifest.json").write_text("{not json")
    with caplog.at_level(logging.WARNING, logger="moodtune.artefacts"):
        again = load_or_fit_personas(
            frame, settings=settings, model=PersonaModel(stability_seeds=1)
        )
    assert again.names_ == first.names_
    (note,) = [r.getMessage() for r in caplog.records]
    assert "rebuilt the persona model" in note
