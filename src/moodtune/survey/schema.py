"""The survey schema: one listener ``Profile`` and a validating loader for survey exports.

Column meanings follow the Music & Mental Health (MxMH) survey. Known dirt in the public file is
handled on purpose (see ``CLEANING_RULES`` and docs/survey.md); anything else that does not fit
the schema is an error naming the file, row, column, bad value and what is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from moodtune.config import Settings
from moodtune.errors import InputError, ValidationReport

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "BPM_RANGE",
    "CLEANING_RULES",
    "EFFECTS",
    "FREQUENCY_LEVELS",
    "FREQ_COLUMNS",
    "GENRES",
    "MAX_PROFILE_FILE_BYTES",
    "SCORES",
    "CleaningReport",
    "Profile",
    "SurveyData",
    "canonical_genre",
    "freq_column",
    "load_survey",
    "profile_from_mapping",
    "profiles_to_frame",
    "read_profile_answers",
    "read_profile_file",
    "survey_checksum",
]

GENRES: tuple[str, ...] = (
    "Classical",
    "Country",
    "EDM",
    "Folk",
    "Gospel",
    "Hip hop",
    "Jazz",
    "K pop",
    "Latin",
    "Lofi",
    "Metal",
    "Pop",
    "R&B",
    "Rap",
    "Rock",
    "Video game music",
)
FREQUENCY_LEVELS: tuple[str, ...] = ("Never", "Rarely", "Sometimes", "Very frequently")
EFFECTS: tuple[str, ...] = ("Improve", "No effect", "Worsen")
SCORES: tuple[str, ...] = ("anxiety", "depression", "insomnia", "ocd")
BOOL_FIELDS: tuple[str, ...] = (
    "while_working",
    "instrumentalist",
    "composer",
    "exploratory",
    "foreign_languages",
)
AGE_RANGE = (10.0, 100.0)
HOURS_RANGE = (0.0, 24.0)
#: Tempo a person can plausibly name as their favourite; outside it the answer is treated as
#: missing (the public file has 0, 4, 8, 20, 624 and 999,999,999).
BPM_RANGE = (40.0, 250.0)

CLEANING_RULES: dict[str, str] = {
    "BPM": f"values outside {BPM_RANGE[0]:g}-{BPM_RANGE[1]:g} are implausible and become missing",
    "genre spellings": "case, spaces, hyphens and '&'/'and' are normalised to the 16 survey genres",
    "frequencies": "Never/Rarely/Sometimes/Very frequently (any case) become 0/1/2/3",
    "yes/no": "Yes/No (any case, also true/false, 1/0) become booleans; blank stays missing",
    "missing": "blank answers stay missing (NaN); only the four 0-10 scores are required",
    "Music effects": "blank means unlabelled: the row is kept for personas, not for effect models",
}


def _slug(genre: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", genre.lower().replace("&", "n")).strip("_")


def freq_column(genre: str) -> str:
    """The clean column name for a genre's listening frequency, e.g. ``freq_hip_hop``."""
    return f"freq_{_slug(canonical_genre(genre))}"


_GENRE_KEYS: dict[str, str] = {}
for _g in GENRES:
    _GENRE_KEYS[re.sub(r"[^a-z0-9]", "", _g.lower().replace("&", "and"))] = _g
_GENRE_KEYS.update(
    {
        "hiphop": "Hip hop",
        "kpop": "K pop",
        "lofi": "Lofi",
        "randb": "R&B",
        "rnb": "R&B",
        "videogame": "Video game music",
        "vgm": "Video game music",
        "electronicdancemusic": "EDM",
    }
)


def canonical_genre(value: str) -> str:
    """Map a genre spelling (``"hip-hop"``, ``"K-Pop"``, ``"R and B"``) to its survey name."""
    key = re.sub(r"[^a-z0-9]", "", str(value).lower().replace("&", "and"))
    try:
        return _GENRE_KEYS[key]
    except KeyError:
        raise InputError(
            f"unknown genre {value!r}", field="genre", value=value, allowed=", ".join(GENRES)
        ) from None


FREQ_COLUMNS: tuple[str, ...] = tuple(f"freq_{_slug(g)}" for g in GENRES)

FrequencyLevel = Literal["Never", "Rarely", "Sometimes", "Very frequently"]
Effect = Literal["Improve", "No effect", "Worsen"]


class Profile(BaseModel):
    """One listener's survey answers.

    Every field except the four 0-10 scores may be missing (``None``). ``genre_frequencies``
    maps survey genre names to ``Never``/``Rarely``/``Sometimes``/``Very frequently``; genres
    not mentioned are unknown, not "Never".
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    age: float | None = Field(default=None, ge=AGE_RANGE[0], le=AGE_RANGE[1])
    hours_per_day: float | None = Field(default=None, ge=HOURS_RANGE[0], le=HOURS_RANGE[1])
    while_working: bool | None = None
    instrumentalist: bool | None = None
    composer: bool | None = None
    exploratory: bool | None = None
    foreign_languages: bool | None = None
    fav_genre: str | None = None
    genre_frequencies: dict[str, FrequencyLevel] = Field(default_factory=dict)
    bpm: float | None = Field(default=None, ge=BPM_RANGE[0], le=BPM_RANGE[1])
    anxiety: float = Field(ge=0, le=10)
    depression: float = Field(ge=0, le=10)
    insomnia: float = Field(ge=0, le=10)
    ocd: float = Field(ge=0, le=10)

    @field_validator("age", "hours_per_day", "bpm", *SCORES, mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, value: Any) -> Any:
        # JSON true/false would otherwise be read as 1.0/0.0 (an anxiety score of "true").
        if isinstance(value, bool):
            raise ValueError("a number is needed here, not true/false")
        return value

    @field_validator("fav_genre")
    @classmethod
    def _known_fav_genre(cls, value: str | None) -> str | None:
        return None if value is None else canonical_genre(value)

    @field_validator("genre_frequencies", mode="before")
    @classmethod
    def _known_genres(cls, value: Any) -> Any:
        if not isinstance(value, Mapping):
            return value
        out: dict[str, Any] = {}
        for genre, level in value.items():
            name = canonical_genre(genre)
            if isinstance(level, str):
                match = [lv for lv in FREQUENCY_LEVELS if lv.lower() == level.strip().lower()]
                level = match[0] if match else level
            elif (
                isinstance(level, int | float)
                and not isinstance(level, bool)
                and level in (0, 1, 2, 3)
            ):
                level = FREQUENCY_LEVELS[int(level)]
            out[name] = level
        return out

    @property
    def has_genre_answers(self) -> bool:
        """Whether the person said anything about their genre habits (else: cold start)."""
        return bool(self.genre_frequencies) or self.fav_genre is not None

    def frequency_vector(self) -> np.ndarray:
        """Genre frequencies as 0-3 in ``GENRES`` order, NaN where unknown; shape (16,)."""
        return np.array(
            [
                FREQUENCY_LEVELS.index(self.genre_frequencies[g])
                if g in self.genre_frequencies
                else np.nan
                for g in GENRES
            ],
            dtype=float,
        )

    def to_record(self) -> dict[str, Any]:
        """This profile as one row of the clean survey frame (same columns as ``load_survey``)."""
        record: dict[str, Any] = {
            "age": self.age,
            "hours_per_day": self.hours_per_day,
            **{name: getattr(self, name) for name in BOOL_FIELDS},
            "fav_genre": self.fav_genre,
            "bpm": self.bpm,
            **dict(zip(FREQ_COLUMNS, self.frequency_vector(), strict=True)),
            **{name: getattr(self, name) for name in SCORES},
        }
        return record


#: A profile is a few dozen short answers; larger files are refused before they are parsed.
MAX_PROFILE_FILE_BYTES = 64 * 1024


def read_profile_file(path: str | Path) -> Profile:
    """A ``Profile`` from a JSON file (fields as in ``Profile``), checked before it is parsed.

    Refuses a missing file, one over ``MAX_PROFILE_FILE_BYTES``, text that is not UTF-8 JSON,
    and JSON that is not an object, each with the file's name.
    """
    return profile_from_mapping(read_profile_answers(path), source=str(path))


def read_profile_answers(path: str | Path) -> dict[str, Any]:
    """The raw answers of a profile JSON file (checked as ``read_profile_file`` checks it), for
    callers that add answers of their own before validating."""
    from moodtune.jsonfile import read_json_file

    source = str(path)
    loaded = read_json_file(
        path,
        what="profile file",
        max_bytes=MAX_PROFILE_FILE_BYTES,
        why_small=" (a profile is a few dozen answers)",
    )
    if not isinstance(loaded, dict):
        raise InputError("a profile must be a JSON object", file=source)
    return loaded


def profile_from_mapping(data: Mapping[str, Any], *, source: str | None = None) -> Profile:
    """Build a ``Profile``; every invalid field is reported with its value and what is allowed.

    ``source`` names where the answers came from (a file path, ``"command-line options"``).
    One problem raises an ``InputError``; several raise a ``ValidationReport`` listing all.
    """
    try:
        return Profile.model_validate(dict(data))
    except ValidationError as exc:
        problems = [_profile_problem(error, source) for error in exc.errors()]
    except InputError as exc:
        problems = [
            InputError(exc.message, file=source, field=exc.field, value=exc.value,
                       allowed=exc.allowed)
        ]  # fmt: skip
    if len(problems) == 1:
        raise problems[0] from None
    raise ValidationReport(problems, file=source) from None


def _profile_problem(error: Any, source: str | None) -> InputError:
    field_name = ".".join(str(p) for p in error["loc"]) or None
    value = error.get("input")
    message = str(error["msg"]).removeprefix("Value error, ")
    context = error.get("ctx") or {}
    original = context.get("error")
    if isinstance(original, InputError):
        return InputError(original.message, file=source, field=field_name, value=original.value,
                          allowed=original.allowed)  # fmt: skip
    if error["type"] == "missing":
        return InputError("required answer is missing", file=source, field=field_name)
    return InputError(f"{message}: {value!r}", file=source, field=field_name, value=value)


def survey_checksum(survey: SurveyData | pd.DataFrame) -> str:
    """SHA-256 of a survey's model-relevant answers: the cache key of every model fitted on it."""
    import hashlib

    import pandas as pd

    frame = survey.frame if isinstance(survey, SurveyData) else survey
    wanted = ("age", "hours_per_day", *SCORES, *BOOL_FIELDS, *FREQ_COLUMNS, "fav_genre", "bpm")
    columns = [c for c in (*wanted, "music_effects") if c in frame.columns]
    hashed = pd.util.hash_pandas_object(frame[columns].astype(object), index=False)
    digest = hashlib.sha256(hashed.to_numpy().tobytes())
    digest.update(",".join(columns).encode())
    return digest.hexdigest()


def profiles_to_frame(profiles: list[Profile]) -> pd.DataFrame:
    """Profiles as rows of the clean survey frame, ready for the survey models."""
    import pandas as pd

    columns = [
        "age",
        "hours_per_day",
        *BOOL_FIELDS,
        "fav_genre",
        "bpm",
        *FREQ_COLUMNS,
        *SCORES,
    ]
    frame = pd.DataFrame([p.to_record() for p in profiles], columns=columns)
    for name in BOOL_FIELDS:
        frame[name] = frame[name].astype("boolean")
    return frame


# --- loading a survey export ---------------------------------------------------------------

_RAW_TO_CLEAN: dict[str, str] = {
    "Timestamp": "timestamp",
    "Age": "age",
    "Primary streaming service": "streaming_service",
    "Hours per day": "hours_per_day",
    "While working": "while_working",
    "Instrumentalist": "instrumentalist",
    "Composer": "composer",
    "Fav genre": "fav_genre",
    "Exploratory": "exploratory",
    "Foreign languages": "foreign_languages",
    "BPM": "bpm",
    **{f"Frequency [{g}]": f"freq_{_slug(g)}" for g in GENRES},
    "Anxiety": "anxiety",
    "Depression": "depression",
    "Insomnia": "insomnia",
    "OCD": "ocd",
    "Music effects": "music_effects",
    "Permissions": "permissions",
}
REQUIRED_RAW = tuple(c for c in _RAW_TO_CLEAN if c not in ("Timestamp", "Permissions"))
_TRUE = {"yes", "true", "1", "y"}
_FALSE = {"no", "false", "0", "n"}


@dataclass
class CleaningReport:
    """What the loader changed on purpose, with counts, so nothing is cleaned silently."""

    rows: int = 0
    missing: dict[str, int] = field(default_factory=dict)
    bpm_implausible: list[tuple[int, float]] = field(default_factory=list)
    genre_respellings: dict[str, str] = field(default_factory=dict)
    unlabelled_effect_rows: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly summary."""
        return {
            "rows": self.rows,
            "missing_by_column": {k: v for k, v in self.missing.items() if v},
            "bpm_set_missing": [{"row": r, "value": v} for r, v in self.bpm_implausible],
            "genre_respellings": self.genre_respellings,
            "rows_without_music_effects": self.unlabelled_effect_rows,
            "rules": CLEANING_RULES,
        }


@dataclass
class SurveyData:
    """A validated survey: the clean frame (snake_case columns) and what cleaning did."""

    frame: pd.DataFrame
    report: CleaningReport
    source: str

    @property
    def labelled(self) -> pd.DataFrame:
        """Rows that answered "Music effects" (the effect model's training data)."""
        return self.frame[self.frame["music_effects"].notna()].reset_index(drop=True)


def _blank(value: Any) -> bool:
    return (
        value is None or (isinstance(value, float) and np.isnan(value)) or str(value).strip() == ""
    )


class _RowChecker:
    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[InputError] = []

    def fail(self, row: int, column: str, value: Any, message: str, allowed: str) -> None:
        self.problems.append(
            InputError(
                f"{message}: {value!r}",
                file=self.source,
                row=row,
                field=column,
                value=value,
                allowed=allowed,
            )
        )


def _number(
    check: _RowChecker, row: int, column: str, value: Any, lo: float, hi: float, *, required: bool
) -> float:
    if _blank(value):
        if required:
            check.fail(row, column, value, "required value is missing", f"a number {lo:g}-{hi:g}")
        return np.nan
    try:
        number = float(str(value).strip())
    except ValueError:
        check.fail(row, column, value, "not a number", f"a number {lo:g}-{hi:g}")
        return np.nan
    if not (lo <= number <= hi) or not np.isfinite(number):
        check.fail(row, column, value, "out of range", f"a number {lo:g}-{hi:g}")
        return np.nan
    return number


def load_survey(
    path: str | Path | None = None,
    *,
    settings: Settings | None = None,
    frame: pd.DataFrame | None = None,
) -> SurveyData:
    """Load and validate a survey export (default: the public MxMH survey from the registry).

    Every row is checked against the schema; all problems are collected and raised together as
    a ``ValidationReport`` naming file, row (as a spreadsheet numbers it), column and value.
    """
    import pandas as pd

    if frame is not None:
        source, raw = "<frame>", frame.astype(object)
    elif path is None:
        from moodtune.data.registry import load_table

        source, raw = "mxmh_survey_results.csv", load_table("mxmh_survey", settings=settings)
    else:
        source = str(path)
        try:
            raw = pd.read_csv(path, dtype=str, keep_default_na=False)
        except FileNotFoundError:
            raise InputError("survey file not found", file=source) from None
        except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
            raise InputError(f"not a readable CSV: {exc}", file=source) from None
    missing_columns = [c for c in REQUIRED_RAW if c not in raw.columns]
    if missing_columns:
        raise InputError(
            f"missing column(s) {missing_columns}",
            file=source,
            allowed="the MxMH survey export layout (33 columns)",
        )
    return _validate(raw, source)


def _validate(raw: pd.DataFrame, source: str) -> SurveyData:
    import pandas as pd

    check = _RowChecker(source)
    report = CleaningReport(rows=len(raw))
    records: list[dict[str, Any]] = []
    levels = {lv.lower(): i for i, lv in enumerate(FREQUENCY_LEVELS)}
    for i, raw_row in enumerate(raw.to_dict(orient="records")):
        row = i + 2  # spreadsheet numbering: header is row 1
        rec: dict[str, Any] = {}
        rec["timestamp"] = raw_row.get("Timestamp")
        rec["streaming_service"] = (
            None
            if _blank(raw_row["Primary streaming service"])
            else str(raw_row["Primary streaming service"]).strip()
        )
        rec["age"] = _number(check, row, "Age", raw_row["Age"], *AGE_RANGE, required=False)
        rec["hours_per_day"] = _number(
            check, row, "Hours per day", raw_row["Hours per day"], *HOURS_RANGE, required=False
        )
        for column in (
            "While working",
            "Instrumentalist",
            "Composer",
            "Exploratory",
            "Foreign languages",
        ):
            value = raw_row[column]
            text = "" if _blank(value) else str(value).strip().lower()
            if text in _TRUE:
                rec[_RAW_TO_CLEAN[column]] = True
            elif text in _FALSE:
                rec[_RAW_TO_CLEAN[column]] = False
            else:
                if text:
                    check.fail(row, column, value, "not a yes/no answer", "Yes, No or blank")
                rec[_RAW_TO_CLEAN[column]] = None
        fav = raw_row["Fav genre"]
        rec["fav_genre"] = None
        if not _blank(fav):
            try:
                rec["fav_genre"] = canonical_genre(str(fav))
                if rec["fav_genre"] != str(fav):
                    report.genre_respellings[str(fav)] = rec["fav_genre"]
            except InputError:
                check.fail(row, "Fav genre", fav, "unknown genre", ", ".join(GENRES))
        bpm = raw_row["BPM"]
        rec["bpm"] = np.nan
        if not _blank(bpm):
            try:
                value = float(str(bpm).strip())
            except ValueError:
                check.fail(row, "BPM", bpm, "not a number", "beats per minute, or blank")
            else:
                if BPM_RANGE[0] <= value <= BPM_RANGE[1]:
                    rec["bpm"] = value
                else:
                    report.bpm_implausible.append((row, value))
        for genre in GENRES:
            column = f"Frequency [{genre}]"
            value = raw_row[column]
            if _blank(value):
                rec[_RAW_TO_CLEAN[column]] = np.nan
                continue
            level = levels.get(str(value).strip().lower())
            if level is None:
                check.fail(row, column, value, "unknown frequency", ", ".join(FREQUENCY_LEVELS))
                rec[_RAW_TO_CLEAN[column]] = np.nan
            else:
                rec[_RAW_TO_CLEAN[column]] = float(level)
        for column in ("Anxiety", "Depression", "Insomnia", "OCD"):
            rec[_RAW_TO_CLEAN[column]] = _number(
                check, row, column, raw_row[column], 0.0, 10.0, required=True
            )
        effect = raw_row["Music effects"]
        if _blank(effect):
            rec["music_effects"] = None
            report.unlabelled_effect_rows += 1
        else:
            match = [e for e in EFFECTS if e.lower() == str(effect).strip().lower()]
            if not match:
                check.fail(row, "Music effects", effect, "unknown effect", ", ".join(EFFECTS))
                rec["music_effects"] = None
            else:
                rec["music_effects"] = match[0]
        records.append(rec)
    if check.problems:
        raise ValidationReport(check.problems, file=source)
    frame = pd.DataFrame.from_records(records)
    frame["timestamp"] = pd.to_datetime(
        frame["timestamp"], format="%m/%d/%Y %H:%M:%S", errors="coerce"
    )
    for name in BOOL_FIELDS:
        frame[name] = frame[name].astype("boolean")
    for name in ("fav_genre", "streaming_service", "music_effects"):
        frame[name] = frame[name].astype(object).where(frame[name].notna(), None)
    report.missing = {c: int(frame[c].isna().sum()) for c in frame.columns}
    return SurveyData(frame=frame, report=report, source=source)
