from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from moodtune.catalog.importers import (
    detect_layout,
    normalise_tracks,
    parse_mapping,
    read_track_file,
)
from moodtune.catalog.schema import BASE_COLUMNS, parse_release_dates
from moodtune.errors import InputError
from tests.catalog.fixtures import EXPORTIFY_HEADER, exportify_rows, write_csv, write_exportify

FEATURES = {
    "danceability": 0.5,
    "energy": 0.5,
    "key": 1,
    "loudness": -7.0,
    "mode": 1,
    "speechiness": 0.05,
    "acousticness": 0.1,
    "instrumentalness": 0.0,
    "liveness": 0.1,
    "valence": 0.5,
    "tempo": 120.0,
}


def _tidy_row(track_id: str, genre: str, subgenre: str, **overrides: object) -> dict[str, object]:
    row: dict[str, object] = {
        "track_id": track_id,
        "track_name": f"name {track_id}",
        "track_artist": "artist",
        "track_popularity": 50,
        "track_album_id": "album-id",
        "track_album_name": "album",
        "track_album_release_date": "2019-01-02",
        "playlist_name": "p",
        "playlist_id": "pid",
        "playlist_genre": genre,
        "playlist_subgenre": subgenre,
        **FEATURES,
        "duration_ms": 200_000,
    }
    row.update(overrides)
    return row


def test_repeated_tracks_become_one_row_with_all_genres_and_subgenres() -> None:
    raw = pd.DataFrame(
        [
            _tidy_row("a", "pop", "dance pop"),
            _tidy_row("b", "rock", "hard rock"),
            _tidy_row("a", "edm", "big room"),
            _tidy_row("a", "pop", "electropop"),
        ]
    )
    result = normalise_tracks(raw, file="t.csv")
    tracks = result.tracks
    assert list(tracks.columns) == list(BASE_COLUMNS)
    assert list(tracks["track_id"]) == ["a", "b"]
    a = tracks.iloc[0]
    assert a["genres"] == ["pop", "edm"]
    assert a["subgenres"] == ["dance pop", "big room", "electropop"]
    assert result.report.layout == "tidytuesday-spotify-songs"
    assert result.report.duplicate_rows_merged == 2
    assert tracks["explicit"].isna().all()
    assert not result.report.explicit_available


def test_impossible_values_keep_the_track_but_mark_it_unusable_with_reasons() -> None:
    raw = pd.DataFrame(
        [
            _tidy_row("ok", "pop", "x"),
            _tidy_row("zero-tempo", "pop", "x", tempo=0.0),
            _tidy_row("short", "pop", "x", duration_ms=4000),
            _tidy_row("nameless", "pop", "x", track_name=None),
            _tidy_row("loud", "pop", "x", valence=1.7),
        ]
    )
    tracks = normalise_tracks(raw, file="t.csv").tracks.set_index("track_id")
    assert tracks.loc["ok", "usable"]
    assert tracks["exclusion_reason"].isna()["ok"]
    assert tracks.loc["zero-tempo", "exclusion_reason"] == "tempo is 0"
    assert tracks.loc["short", "exclusion_reason"] == "duration under 30 s"
    assert tracks.loc["nameless", "exclusion_reason"] == "missing track name"
    assert tracks.loc["loud", "exclusion_reason"] == "valence out of range"
    assert tracks["usable"].sum() == 1


def test_exportify_csv_is_recognised(tmp_path: Path, rng: np.random.Generator) -> None:
    path = write_exportify(tmp_path / "my playlist.csv", rng, n=12)
    raw, first_row = read_track_file(path)
    assert detect_layout(list(raw.columns)) is not None
    result = normalise_tracks(raw, file=str(path), first_row=first_row)
    tracks = result.tracks
    assert result.report.layout == "exportify"
    assert tracks.loc[0, "track_id"] == "T0000"  # the spotify:track: prefix is removed
    assert tracks.loc[1, "genres"] == ["indie pop", "chamber pop"]
    assert tracks.loc[0, "explicit"] is True or bool(tracks.loc[0, "explicit"]) is True
    assert not bool(tracks.loc[1, "explicit"])
    assert tracks.loc[0, "release_precision"] == "year"
    assert tracks.loc[1, "release_precision"] == "day"
    assert tracks["usable"].all()
    assert result.report.explicit_available
    assert "Added By" in result.report.unmapped_columns


def test_every_bad_cell_is_named_by_file_row_column_and_value(
    tmp_path: Path, rng: np.random.Generator
) -> None:
    rows = exportify_rows(5, rng)
    rows[1]["Tempo"] = "fast"  # spreadsheet row 3
    rows[3]["Valence"] = "1.5"  # row 5
    rows[4]["Track URI"] = ""  # row 6: cannot be identified
    rows[2]["Release Date"] = "last spring"  # row 4
    path = write_csv(tmp_path / "bad.csv", EXPORTIFY_HEADER, rows)
    raw, first_row = read_track_file(path)
    result = normalise_tracks(raw, file=str(path), first_row=first_row)
    found = {(p.row, p.field, str(p.value)): p for p in result.report.problems}
    assert (3, "Tempo", "fast") in found
    assert found[(3, "Tempo", "fast")].file == str(path)
    assert (5, "Valence", "1.5") in found
    assert found[(5, "Valence", "1.5")].allowed == "[0, 1]"
    assert (6, "Track URI", "") in found
    assert (4, "Release Date", "last spring") in found
    # The value is in the message itself, so a strict refusal shows it too.
    assert "'fast' is not a number" in str(found[(3, "Tempo", "fast")])
    assert "'1.5' is out of range" in str(found[(5, "Valence", "1.5")])
    assert "'last spring' is not a date" in str(found[(4, "Release Date", "last spring")])
    assert result.report.skipped == {"missing track id": 1}
    tracks = result.tracks.set_index("track_id")
    assert len(tracks) == 4
    assert tracks.loc["T0001", "exclusion_reason"] == "tempo missing"
    assert not tracks.loc["T0003", "usable"]
    assert tracks["release_date"].isna()["T0002"]


def test_kaggle_layout_joins_artists_and_merges_genres() -> None:
    base = {f: v for f, v in FEATURES.items()}
    raw = pd.DataFrame(
        [
            {
                "track_id": "k1",
                "artists": "A;B",
                "album_name": "x",
                "track_name": "s",
                "popularity": 3,
                "duration_ms": 200000,
                "explicit": "True",
                "track_genre": "jazz",
                **base,
            },
            {
                "track_id": "k1",
                "artists": "A;B",
                "album_name": "x",
                "track_name": "s",
                "popularity": 3,
                "duration_ms": 200000,
                "explicit": "True",
                "track_genre": "blues",
                **base,
            },
        ]
    )
    result = normalise_tracks(raw, file="k.csv")
    assert result.report.layout == "kaggle-spotify-tracks"
    row = result.tracks.iloc[0]
    assert row["artists"] == "A, B"
    assert row["genres"] == ["jazz", "blues"]
    assert bool(row["explicit"])
    assert pd.isna(row["release_date"])


def test_unknown_headers_need_a_mapping_and_the_error_says_which(tmp_path: Path) -> None:
    raw = pd.DataFrame(
        [{"Titel": "s", "Performer": "p", "ID": "1", "duration_ms": 200000, **FEATURES}]
    )
    with pytest.raises(
        InputError, match=r"required catalog field\(s\) \['name', 'artists'\]"
    ) as info:
        normalise_tracks(raw, file="odd.csv")
    assert info.value.file == "odd.csv"
    assert "mapping=" in str(info.value) and "--map" not in str(info.value)
    mapped = normalise_tracks(
        raw, file="odd.csv", mapping=parse_mapping(["Titel=name", "Performer=artists"])
    )
    assert mapped.report.layout == "mapped"
    assert mapped.tracks.loc[0, "name"] == "s"
    assert mapped.tracks.loc[0, "track_id"] == "1"


@pytest.mark.parametrize(
    ("items", "message"),
    [(["Song"], "SOURCE=FIELD"), (["Song=title"], "unknown catalog field 'title'")],
)
def test_bad_mapping_options_are_refused(items: list[str], message: str) -> None:
    with pytest.raises(InputError, match=message) as info:
        parse_mapping(items)
    assert info.value.field == "mapping"  # the parameter, not the CLI's --map


def test_mapping_a_column_the_file_lacks_lists_the_columns() -> None:
    raw = pd.DataFrame(
        [{"track_id": "1", "name": "n", "artists": "a", "duration_ms": 200000, **FEATURES}]
    )
    with pytest.raises(InputError, match="not in the file") as info:
        normalise_tracks(raw, file="f.csv", mapping={"name": "Title"})
    assert "track_id" in (info.value.allowed or "")
    assert info.value.field == "mapping"


def test_release_dates_keep_their_precision() -> None:
    parsed = parse_release_dates(pd.Series(["2019-03-04", "2019-03", "2019", "", "03/04/19"]))
    assert parsed["release_precision"].tolist() == ["day", "month", "year", None, None]
    assert parsed["release_year"].tolist()[:3] == [2019.0, 2019.0, 2019.0]
    assert parsed["release_valid"].tolist() == [True, True, True, True, False]


def test_unreadable_and_unsupported_files_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    with pytest.raises(InputError, match="file not found"):
        read_track_file(missing)
    odd = tmp_path / "tracks.xlsx"
    odd.write_bytes(b"PK")
    with pytest.raises(InputError, match="unsupported file type") as info:
        read_track_file(odd)
    assert info.value.file == str(odd)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    with pytest.raises(InputError, match="could not be read"):
        read_track_file(broken)


def test_typed_values_out_of_range_name_the_value() -> None:
    raw = pd.DataFrame([_tidy_row("a", "pop", "x"), _tidy_row("b", "pop", "x", mode=3)])
    problems = normalise_tracks(raw, file="t.parquet").report.problems
    assert [str(p) for p in problems] == [
        "file t.parquet, row 3, field 'mode': 3 is out of range (allowed: integer [0, 1])"
    ]


@pytest.mark.parametrize(
    ("column", "values", "kind"),
    [
        ("energy", [True, False], "bool"),
        ("tempo", pd.to_datetime(["2020-01-01", "2020-01-02"]), "datetime"),
        ("track_name", [True, True], "bool"),
    ],
)
def test_a_column_of_the_wrong_type_is_refused(
    tmp_path: Path, column: str, values: Any, kind: str
) -> None:
    raw = pd.DataFrame([_tidy_row("a", "pop", "x"), _tidy_row("b", "pop", "x")])
    raw[column] = values
    path = tmp_path / "typed.parquet"
    raw.to_parquet(path)
    frame, first_row = read_track_file(path)
    with pytest.raises(InputError, match=f"has type {kind}") as info:
        normalise_tracks(frame, file=str(path), first_row=first_row)
    assert info.value.file == str(path)
    assert info.value.field == column
    assert f"column {column!r}" in str(info.value)


def test_boolean_explicit_and_numeric_ids_are_accepted() -> None:
    raw = pd.DataFrame([_tidy_row("a", "pop", "x"), _tidy_row("b", "pop", "x")])
    raw["explicit"] = [True, False]
    raw["track_album_id"] = [1, 2]
    tracks = normalise_tracks(raw, file="t.parquet").tracks
    assert tracks["explicit"].tolist() == [True, False]
