from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from moodtune.config import Settings
from moodtune.errors import InputError, ValidationReport
from moodtune.survey.schema import (
    FREQ_COLUMNS,
    GENRES,
    Profile,
    canonical_genre,
    load_survey,
    profile_from_mapping,
    profiles_to_frame,
)


@pytest.fixture(scope="module")
def survey_csv(mirror_dir: Path) -> pd.DataFrame:
    return pd.read_csv(mirror_dir / "mxmh_survey_results.csv", dtype=str, keep_default_na=False)


def test_real_survey_loads_with_documented_cleaning(real_settings: Settings) -> None:
    survey = load_survey(settings=real_settings)
    frame = survey.frame
    assert len(frame) == 736
    assert len(survey.labelled) == 728
    assert frame["bpm"].max() <= 250
    assert (570, 999999999.0) in survey.report.bpm_implausible  # the famous outlier, by row
    values = frame[list(FREQ_COLUMNS)].to_numpy(dtype=float)
    assert set(np.unique(values[~np.isnan(values)])) <= {0.0, 1.0, 2.0, 3.0}
    assert frame["fav_genre"].dropna().isin(GENRES).all()
    assert survey.report.missing["age"] == 1


def test_bad_rows_are_reported_with_file_row_column_value(tmp_path: Path, survey_csv) -> None:
    bad = survey_csv.head(5).copy()
    bad.loc[1, "Anxiety"] = "eleven"
    bad.loc[3, "Frequency [Rock]"] = "Often"
    bad.loc[4, "Age"] = "-3"
    path = tmp_path / "export.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(ValidationReport) as info:
        load_survey(path)
    problems = {(p.row, p.field): p for p in info.value.problems}
    assert set(problems) == {(3, "Anxiety"), (5, "Frequency [Rock]"), (6, "Age")}
    assert "Very frequently" in str(problems[(5, "Frequency [Rock]")])
    assert str(path) in str(info.value)
    assert "'Often'" in str(info.value)


def test_user_export_with_other_spellings_loads(tmp_path: Path, survey_csv) -> None:
    data = survey_csv.head(3).copy()
    data.loc[0, "Fav genre"] = "hip-hop"
    data.loc[1, "Frequency [Pop]"] = "very FREQUENTLY"
    data.loc[2, "While working"] = "yes"
    path = tmp_path / "mine.csv"
    data.to_csv(path, index=False)
    survey = load_survey(path)
    assert survey.frame.loc[0, "fav_genre"] == "Hip hop"
    assert survey.frame.loc[1, "freq_pop"] == 3.0
    assert survey.report.genre_respellings == {"hip-hop": "Hip hop"}


def test_missing_column_is_named(tmp_path: Path, survey_csv) -> None:
    path = tmp_path / "short.csv"
    survey_csv.drop(columns=["OCD"]).head(2).to_csv(path, index=False)
    with pytest.raises(InputError, match=r"missing column\(s\) \['OCD'\]"):
        load_survey(path)


def test_profile_refuses_out_of_range_and_unknown_values() -> None:
    with pytest.raises(InputError, match="anxiety"):
        profile_from_mapping({"anxiety": 11, "depression": 1, "insomnia": 1, "ocd": 1})
    with pytest.raises(InputError, match="unknown genre"):
        profile_from_mapping(
            {"anxiety": 1, "depression": 1, "insomnia": 1, "ocd": 1, "fav_genre": "Polka"}
        )
    with pytest.raises(InputError, match="genre_frequencies"):
        profile_from_mapping(
            {
                "anxiety": 1,
                "depression": 1,
                "insomnia": 1,
                "ocd": 1,
                "genre_frequencies": {"Rock": "Often"},
            }
        )
    with pytest.raises(InputError, match="depression"):
        profile_from_mapping({"anxiety": 1, "insomnia": 1, "ocd": 1})


def test_profile_minimal_is_cold_start_and_frames() -> None:
    minimal = Profile(anxiety=3, depression=2, insomnia=1, ocd=0)
    assert not minimal.has_genre_answers
    assert np.isnan(minimal.frequency_vector()).all()
    full = profile_from_mapping(
        {
            "anxiety": 3,
            "depression": 2,
            "insomnia": 1,
            "ocd": 0,
            "fav_genre": "k-pop",
            "genre_frequencies": {"kpop": "very frequently", "Rock": 0},
        }
    )
    assert full.fav_genre == "K pop"
    vec = full.frequency_vector()
    assert vec[GENRES.index("K pop")] == 3
    assert vec[GENRES.index("Rock")] == 0
    frame = profiles_to_frame([minimal, full])
    assert frame.shape[0] == 2
    assert frame.loc[1, "freq_k_pop"] == 3


def test_canonical_genre_variants() -> None:
    assert canonical_genre("R and B") == "R&B"
    assert canonical_genre("video game music") == "Video game music"
    assert canonical_genre("LO-FI") == "Lofi"


def test_every_bad_profile_field_is_reported_with_its_value() -> None:
    with pytest.raises(ValidationReport) as info:
        profile_from_mapping(
            {"age": -5, "hours_per_day": 30, "anxiety": 1, "depression": 1, "insomnia": 1,
             "ocd": 1},
            source="me.json",
        )  # fmt: skip
    problems = {p.field: str(p) for p in info.value.problems}
    assert set(problems) == {"age", "hours_per_day"}
    assert "-5" in problems["age"]
    assert "30" in problems["hours_per_day"]
    assert "me.json" in str(info.value)
    with pytest.raises(InputError, match="finite"):
        profile_from_mapping({"anxiety": float("nan"), "depression": 1, "insomnia": 1, "ocd": 1})
    with pytest.raises(InputError, match="'Polka'"):
        profile_from_mapping(
            {"anxiety": 1, "depression": 1, "insomnia": 1, "ocd": 1, "fav_genre": "Polka"}
        )


def test_profile_files_are_checked_before_parsing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from moodtune.survey.schema import MAX_PROFILE_FILE_BYTES, read_profile_file

    good = tmp_path / "me.json"
    good.write_text(json.dumps({"anxiety": 3, "depression": 2, "insomnia": 1, "ocd": 0}))
    assert read_profile_file(good).anxiety == 3
    huge = tmp_path / "huge.json"
    huge.write_text(json.dumps({"anxiety": 3, "note": "x" * (50 * 2**20)}))
    read = []
    real_read_bytes = Path.read_bytes

    def reading(self: Path) -> bytes:
        read.append(self)
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", reading)
    with pytest.raises(InputError, match="over the 64 KiB limit") as caught:
        read_profile_file(huge)
    assert read == [] and str(huge) in str(caught.value)  # refused by its size, never read
    monkeypatch.undo()
    near = tmp_path / "near.json"
    near.write_text(json.dumps({"anxiety": "9" * (MAX_PROFILE_FILE_BYTES - 100)}))
    with pytest.raises(InputError) as caught:
        read_profile_file(near)
    (anxiety,) = [line for line in str(caught.value).splitlines() if "'anxiety'" in line]
    assert len(anxiety) < 300 and "characters cut" in anxiety
    utf16 = tmp_path / "utf16.json"
    utf16.write_text('{"anxiety": 3}', encoding="utf-16")
    with pytest.raises(InputError, match="not UTF-8 text") as caught:
        read_profile_file(utf16)
    assert str(utf16) in str(caught.value)
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(InputError, match="must be a JSON object"):
        read_profile_file(tmp_path / "list.json")
    with pytest.raises(InputError, match="not found"):
        read_profile_file(tmp_path / "absent.json")
