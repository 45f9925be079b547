"""Request bodies of the JSON API and the page wrapper of every list (responses are the
application layer's own typed views)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt

from moodtune.app.explore import MAX_PAGE
from moodtune.app.zones import MAX_ZONE_CHARS
from moodtune.mood.goals import Goal
from moodtune.sessions.service import MAX_NOTE_CHARS, MAX_WORDS, MoodReport
from moodtune.survey.schema import AGE_RANGE, BPM_RANGE, HOURS_RANGE

__all__ = [
    "CheckInCreate",
    "ConsentUpdate",
    "FeedbackCreate",
    "ListenerCreate",
    "MoodIn",
    "Page",
    "SessionCreate",
    "SessionFinish",
    "SongPathCreate",
    "SurveyIn",
]

T = TypeVar("T")
Axis = Annotated[StrictFloat | StrictInt, Field(ge=-1, le=1)]
Score = Annotated[StrictFloat | StrictInt, Field(ge=0, le=10)]
Word = Annotated[str, Field(min_length=1, max_length=40)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Page(BaseModel, Generic[T]):
    """One page of a list: ``items``, how many there are in all, and where this page starts."""

    items: list[T]
    total: int
    offset: int
    limit: int


Offset = Annotated[int, Query(ge=0, le=10**9, description="Items to skip.")]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description="Items on this page.")]
DEFAULT_LIMIT = 20
TimeZoneQuery = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=MAX_ZONE_CHARS,
        description="The IANA time zone whose calendar days the streaks count, such as "
        "Europe/Berlin (default: the server's).",
    ),
]


def page_of(items: Sequence[T], *, offset: int, limit: int) -> Page[T]:
    """One page of a list the application layer returns whole because it stays short (a
    person's tokens, sign-ins, therapists, suggestions, access log, a therapist's listeners)."""
    return Page(items=list(items[offset : offset + limit]), total=len(items), offset=offset,
                limit=limit)  # fmt: skip


class MoodIn(Strict):
    """How you feel: a point (valence and arousal, both in [-1, 1]) and/or feeling words."""

    valence: Axis | None = None
    arousal: Axis | None = None
    words: list[Word] = Field(default_factory=list, max_length=MAX_WORDS)
    note: str | None = Field(default=None, max_length=MAX_NOTE_CHARS)

    def report(self) -> MoodReport:
        return MoodReport(
            valence=None if self.valence is None else float(self.valence),
            arousal=None if self.arousal is None else float(self.arousal),
            words=tuple(self.words),
            note=self.note,
        )


class SurveyIn(Strict):
    """The listener survey; every answer but the four 0-10 scores may be left out."""

    age: Annotated[StrictFloat | StrictInt, Field(ge=AGE_RANGE[0], le=AGE_RANGE[1])] | None = None
    hours_per_day: (
        Annotated[StrictFloat | StrictInt, Field(ge=HOURS_RANGE[0], le=HOURS_RANGE[1])] | None
    ) = None
    while_working: StrictBool | None = None
    instrumentalist: StrictBool | None = None
    composer: StrictBool | None = None
    exploratory: StrictBool | None = None
    foreign_languages: StrictBool | None = None
    fav_genre: str | None = Field(default=None, max_length=40)
    genre_frequencies: dict[str, str] = Field(
        default_factory=dict,
        max_length=40,
        description="genre -> Never | Rarely | Sometimes | Very frequently",
    )
    bpm: Annotated[StrictFloat | StrictInt, Field(ge=BPM_RANGE[0], le=BPM_RANGE[1])] | None = None
    anxiety: Score
    depression: Score
    insomnia: Score
    ocd: Score

    def profile(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class ListenerCreate(Strict):
    """Set up the local listener: optional survey (skip it for now), consent choices."""

    display_name: str | None = Field(default=None, max_length=200)
    survey: SurveyIn | None = None
    keep_notes: StrictBool = False
    learning: StrictBool = True
    country: str | None = Field(default=None, max_length=20)


class ConsentUpdate(Strict):
    keep_notes: StrictBool | None = None
    learning: StrictBool | None = None


class CheckInCreate(MoodIn):
    pass


class SessionCreate(Strict):
    """Start a journey: your goal, how you feel, and its length (tracks or minutes)."""

    goal: Goal
    mood: MoodIn
    tracks: Annotated[StrictInt, Field(ge=2, le=200)] | None = None
    minutes: Annotated[StrictFloat | StrictInt, Field(gt=0, le=600)] | None = None


class FeedbackCreate(Strict):
    """Your answer about one track (any of these; answers add up)."""

    thumbs: Literal[-1, 1] | None = None
    helped: StrictBool | None = None
    played: StrictBool | None = None
    skipped_after_s: Annotated[StrictFloat | StrictInt, Field(ge=0, le=86400)] | None = None


class SessionFinish(MoodIn):
    pass


class SongPathCreate(Strict):
    """A path from a track you name to a mood (a word or valence,arousal) or another track."""

    from_track: str = Field(min_length=1, max_length=64)
    to_track: str | None = Field(default=None, min_length=1, max_length=64)
    to_mood: str | None = Field(default=None, min_length=1, max_length=40)
    tracks: Annotated[StrictInt, Field(ge=2, le=50)] | None = None
