"""Catalogs without track ids: ids from artist + title (+ duration), merged, linked."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from moodtune.catalog.identity import (
    LOCAL_ID_PREFIX,
    match_key,
    normalise_artist,
    normalise_title,
    stable_track_id,
)
from moodtune.catalog.importers import normalise_tracks, read_track_file

# A chart export: artist, title, year and audio features, no id. Row 3 repeats row 2 in
# other spelling; instrumentalness is in scientific notation; explicit is TRUE/FALSE.
FEATURE_HEADER = (
    "danceability,energy,key,loudness,mode,speechiness,acousticness,instrumentalness,"
    "liveness,valence,tempo"
)
CHART_CSV = "\n".join(
    [
        f"Artist,Title,Year,Duration,Explicit,Genre,{FEATURE_HEADER}",
        'Bon Jovi,Livin\' On A Prayer,1986,249293,FALSE,"rock, pop",'
        "0.532,0.887,0,-3.757,1,0.0335,0.0778,1.2E-05,0.294,0.795,122.5",
        "The Weeknd,Blinding Lights (feat. Nobody),2019,200040,TRUE,pop,"
        "0.514,0.73,1,-5.934,1,0.0598,0.00146,9.54e-05,0.0897,0.334,171.005",
        "the weeknd,Blinding Lights,2019,200400,true,synthwave,"
        "0.514,0.73,1,-5.934,1,0.0598,0.00146,9.54e-05,0.0897,0.334,171.005",
        "My Band,Song For A Spreadsheet,2024,180000,FALSE,indie,"
        "0.4,0.3,5,-12.0,0,0.04,0.8,2.5e-1,0.1,0.2,90",
        "",
    ]
)

REFERENCE = pd.DataFrame(
    {
        "track_id": ["37ZJ0p5Jm13JPevGcx4SkF", "0VjIjW4GlUZAMYd2vXMi3b", "x1", "x2"],
        "artists": ["Bon Jovi", "The Weeknd", "Daft Punk", "Daft Punk"],
        "name": [
            "Livin' On A Prayer - 2004 Remaster",
            "Blinding Lights",
            "One More Time",
            "One More Time",
        ],
        "duration_ms": [249000, 200040, 320000, 321000],
    }
)


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Livin' On A Prayer - 2004 Remaster", "livin on a prayer"),
        ("X Bitch (feat. Future)", "x bitch"),
        ("Faded - Radio Edit", "faded"),
        ("Faded - Tiësto's Northern Lights Remix", "faded tiestos northern lights remix"),
        ("Señorita [ft. Someone]", "senorita"),
        ("Rock & Roll (Remastered 2011)", "rock and roll"),
        ("Love Story - Live", "love story live"),
    ],
)
def test_titles_are_normalised_so_releases_match_and_remixes_do_not(
    title: str, expected: str
) -> None:
    assert normalise_title(title) == expected


def test_artists_keep_the_first_credit_without_the() -> None:
    assert normalise_artist("The Weeknd, Daft Punk") == "weeknd"
    assert normalise_artist("Calvin Harris feat. Rihanna") == "calvin harris"
    assert normalise_artist("Simon & Garfunkel") == "simon"
    assert match_key("BEYONCÉ", "Halo") == "beyonce|halo"


def test_stable_ids_depend_on_who_what_and_how_long_only() -> None:
    one = stable_track_id("The Weeknd", "Blinding Lights", 200_040)
    assert one.startswith(LOCAL_ID_PREFIX) and len(one) == len(LOCAL_ID_PREFIX) + 22
    assert one == stable_track_id("weeknd", "Blinding Lights (feat. X)", 200_400)
    assert one != stable_track_id("The Weeknd", "Blinding Lights", 230_000)
    assert stable_track_id("A", "B") == stable_track_id("a", "b", float("nan"))


def _chart(tmp_path: Path) -> tuple[pd.DataFrame, int, str]:
    path = tmp_path / "chart.csv"
    path.write_text(CHART_CSV)
    raw, first_row = read_track_file(path)
    return raw, first_row, str(path)


def test_an_id_less_chart_export_gets_stable_ids_and_merges_duplicates(tmp_path: Path) -> None:
    raw, first_row, file = _chart(tmp_path)
    result = normalise_tracks(raw, file=file, first_row=first_row)
    tracks = result.tracks
    assert result.report.derived_ids
    assert result.report.duplicate_rows_merged == 1  # the two Blinding Lights rows
    assert len(tracks) == 3 and tracks["usable"].all()
    assert all(t.startswith(LOCAL_ID_PREFIX) for t in tracks["track_id"])
    reordered = normalise_tracks(raw.iloc[::-1], file=file, first_row=first_row).tracks
    assert set(reordered["track_id"]) == set(tracks["track_id"])
    prayer = tracks.set_index("name").loc["Livin' On A Prayer"]
    assert prayer["instrumentalness"] == pytest.approx(1.2e-05)
    assert list(prayer["genres"]) == ["rock", "pop"]
    assert prayer["release_year"] == 1986
    assert not prayer["explicit"]
    lights = tracks.set_index("name").loc["Blinding Lights (feat. Nobody)"]
    assert bool(lights["explicit"]) and list(lights["genres"]) == ["pop", "synthwave"]


def test_id_less_tracks_that_match_the_default_catalog_take_its_id(tmp_path: Path) -> None:
    raw, first_row, file = _chart(tmp_path)
    result = normalise_tracks(raw, file=file, first_row=first_row, reference=lambda: REFERENCE)
    ids = dict(zip(result.tracks["name"], result.tracks["track_id"], strict=True))
    assert ids["Livin' On A Prayer"] == "37ZJ0p5Jm13JPevGcx4SkF"  # remaster, 293 ms apart
    assert ids["Blinding Lights (feat. Nobody)"] == "0VjIjW4GlUZAMYd2vXMi3b"
    assert ids["Song For A Spreadsheet"].startswith(LOCAL_ID_PREFIX)
    assert result.report.linked_to_default == 3  # both Blinding Lights rows, then merged
    assert result.report.duplicate_rows_merged == 1


def test_several_default_candidates_are_counted_not_guessed(tmp_path: Path) -> None:
    path = tmp_path / "daft.csv"
    header, row = CHART_CSV.splitlines()[0], CHART_CSV.splitlines()[4]
    path.write_text(
        f"{header}\n"
        + row.replace("My Band,Song For A Spreadsheet", "Daft Punk,One More Time").replace(
            "180000", ""
        )
        + "\n"
    )
    raw, first_row = read_track_file(path)
    result = normalise_tracks(raw, file=str(path), first_row=first_row, reference=lambda: REFERENCE)
    assert result.report.ambiguous_links == 1 and result.report.linked_to_default == 0
    assert str(result.tracks.loc[0, "track_id"]).startswith(LOCAL_ID_PREFIX)
