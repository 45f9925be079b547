"""The valence–arousal plane: points, quadrants and named feelings placed from a circumplex.

Named feelings come from Russell's circumplex model of affect:

    Russell, J. A. (1980). A circumplex model of affect. *Journal of Personality and Social
    Psychology*, 39(6), 1161–1178. https://doi.org/10.1037/h0077714

Russell scaled 28 affect words onto a circle whose angle is measured counter-clockwise from
pleasure (0°): excitement 45°, arousal 90°, distress 135°, displeasure 180°, depression 225°,
sleepiness 270°, relaxation 315°. A word at angle θ is placed at

    valence = r · cos θ,   arousal = r · sin θ,   with r = ``FEELING_RADIUS`` (0.7),

so every feeling lies inside [-1, 1]². The circular scaling fixes a word's *direction*, not
its intensity; the common radius 0.7 is moodtune's choice (it keeps named feelings inside the
region that real tracks occupy). The angles below are those of Russell's direct circular
scaling as usually reproduced; secondary sources quote some of them a few degrees differently
(e.g. angry 99° or 105°), which changes no quadrant. Words Russell did not scale (anxious,
stressed, focused, hopeful, energetic, ...) take the angle of the Russell word named as their
``anchor`` (or a stated angle), marked ``source="moodtune"``: those are our mapping, not his.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

from moodtune.errors import InputError

__all__ = [
    "FEELINGS",
    "FEELING_RADIUS",
    "FEELING_SOURCES",
    "QUADRANTS",
    "FeelingSource",
    "MoodPoint",
    "describe_point",
    "nearest_feeling",
    "parse_mood",
    "quadrant",
]

QUADRANTS: tuple[str, ...] = ("happy/energetic", "tense/angry", "sad/low", "calm/relaxed")
FEELING_RADIUS = 0.7


@dataclass(frozen=True)
class MoodPoint:
    """A point of the valence–arousal plane; both coordinates in [-1, 1], (0, 0) neutral."""

    valence: float
    arousal: float

    def __post_init__(self) -> None:
        for axis in ("valence", "arousal"):
            value = getattr(self, axis)
            if not isinstance(value, int | float) or not math.isfinite(value):
                raise InputError(
                    f"{axis} must be a finite number", field=axis, value=value, allowed="[-1, 1]"
                )
            if not -1.0 <= value <= 1.0:
                raise InputError(
                    f"{axis} {value} is outside the mood plane",
                    field=axis,
                    value=value,
                    allowed="[-1, 1]",
                )
            object.__setattr__(self, axis, float(value))

    @property
    def quadrant(self) -> str:
        """Which of the four quadrants this point lies in."""
        return quadrant(self.valence, self.arousal)

    def distance(self, other: MoodPoint) -> float:
        """Euclidean distance in the plane (0 to 2·√2)."""
        return math.hypot(self.valence - other.valence, self.arousal - other.arousal)

    def as_tuple(self) -> tuple[float, float]:
        return (self.valence, self.arousal)


def quadrant(valence: float, arousal: float) -> str:
    """The quadrant of ``(valence, arousal)``: zero counts as positive on both axes."""
    if valence >= 0:
        return "happy/energetic" if arousal >= 0 else "calm/relaxed"
    return "tense/angry" if arousal >= 0 else "sad/low"


@dataclass(frozen=True)
class FeelingSource:
    """Where a named feeling's position comes from: its circumplex angle and the source."""

    angle_degrees: float
    source: str  # "Russell 1980" or "moodtune"
    anchor: str | None = None  # the Russell word whose angle a moodtune word borrows
    note: str = ""


_RUSSELL_ANGLES: dict[str, float] = {
    "happy": 7.8,
    "delighted": 24.9,
    "excited": 48.6,
    "astonished": 69.8,
    "aroused": 73.8,
    "tense": 92.8,
    "alarmed": 96.5,
    "angry": 99.1,
    "afraid": 116.6,
    "annoyed": 123.0,
    "distressed": 137.6,
    "frustrated": 141.5,
    "miserable": 188.7,
    "sad": 207.5,
    "gloomy": 209.2,
    "depressed": 211.1,
    "bored": 241.7,
    "droopy": 256.7,
    "tired": 267.7,
    "sleepy": 271.9,
    "calm": 316.2,
    "relaxed": 318.0,
    "satisfied": 319.2,
    "at ease": 321.0,
    "content": 323.7,
    "serene": 328.6,
    "glad": 333.7,
    "pleased": 353.2,
}

_MOODTUNE_WORDS: dict[str, FeelingSource] = {
    "anxious": FeelingSource(
        _RUSSELL_ANGLES["afraid"], "moodtune", "afraid", "worry as anticipatory fear"
    ),
    "nervous": FeelingSource(_RUSSELL_ANGLES["afraid"], "moodtune", "afraid"),
    "stressed": FeelingSource(_RUSSELL_ANGLES["distressed"], "moodtune", "distressed"),
    "overwhelmed": FeelingSource(_RUSSELL_ANGLES["distressed"], "moodtune", "distressed"),
    "irritated": FeelingSource(_RUSSELL_ANGLES["annoyed"], "moodtune", "annoyed"),
    "lonely": FeelingSource(_RUSSELL_ANGLES["gloomy"], "moodtune", "gloomy"),
    "down": FeelingSource(_RUSSELL_ANGLES["sad"], "moodtune", "sad"),
    "exhausted": FeelingSource(_RUSSELL_ANGLES["tired"], "moodtune", "tired"),
    "energetic": FeelingSource(_RUSSELL_ANGLES["excited"], "moodtune", "excited"),
    "joyful": FeelingSource(_RUSSELL_ANGLES["delighted"], "moodtune", "delighted"),
    "peaceful": FeelingSource(_RUSSELL_ANGLES["serene"], "moodtune", "serene"),
    "hopeful": FeelingSource(
        _RUSSELL_ANGLES["pleased"],
        "moodtune",
        "pleased",
        "mildly pleasant, near-neutral arousal; not scaled by Russell",
    ),
    "focused": FeelingSource(
        30.0,
        "moodtune",
        None,
        "attentive and mildly pleasant: between 'delighted' (24.9°) and 'excited' (48.6°) "
        "in direction, chosen by moodtune; not an affect word Russell scaled",
    ),
    "neutral": FeelingSource(0.0, "moodtune", None, "the origin of the plane"),
}

FEELING_SOURCES: dict[str, FeelingSource] = {
    **{w: FeelingSource(a, "Russell 1980") for w, a in _RUSSELL_ANGLES.items()},
    **_MOODTUNE_WORDS,
}


def _place(word: str, source: FeelingSource) -> MoodPoint:
    if word == "neutral":
        return MoodPoint(0.0, 0.0)
    theta = math.radians(source.angle_degrees)
    return MoodPoint(
        round(FEELING_RADIUS * math.cos(theta), 4), round(FEELING_RADIUS * math.sin(theta), 4)
    )


FEELINGS: dict[str, MoodPoint] = {w: _place(w, s) for w, s in sorted(FEELING_SOURCES.items())}

_COORDS = re.compile(r"^\s*\(?\s*([^\s,;()]+)\s*[,;\s]\s*([^\s,;()]+)\s*\)?\s*$")


def _coordinate(token: str) -> float | None:
    """A coordinate token as a float (``nan``/``inf`` included), or None if it is no number."""
    try:
        return float(token)
    except ValueError:
        return None


def parse_mood(text_or_coords: str) -> MoodPoint:
    """A mood from a named feeling (``"sad"``, ``"at ease"``) or ``"valence,arousal"``.

    Raises ``InputError`` listing the known words, or the valid range of the coordinates. Every
    bad coordinate (out of range, ``nan``, ``inf``, too large to read) gets the same message.
    """
    if not isinstance(text_or_coords, str) or not text_or_coords.strip():
        raise InputError(
            "a mood is needed",
            field="mood",
            value=text_or_coords,
            allowed="a feeling word or 'valence,arousal' with both in [-1, 1]",
        )
    text = text_or_coords.strip()
    match = _COORDS.match(text)
    numbers = None if match is None else [_coordinate(match.group(i)) for i in (1, 2)]
    if match is not None and numbers is not None and all(n is not None for n in numbers):
        for axis, token, value in zip(("valence", "arousal"), match.groups(), numbers, strict=True):
            assert value is not None
            if not (math.isfinite(value) and -1.0 <= value <= 1.0):
                raise InputError(
                    f"{axis} {token} is outside the mood plane",
                    field="mood",
                    value=text,
                    allowed="'valence,arousal', both finite numbers in [-1, 1], e.g. '-0.5,0.3'",
                )
        assert numbers[0] is not None and numbers[1] is not None
        return MoodPoint(numbers[0], numbers[1])
    word = re.sub(r"[\s_-]+", " ", text.lower())
    if word in FEELINGS:
        return FEELINGS[word]
    if any(ch.isdigit() for ch in text):
        raise InputError(
            "could not read coordinates",
            field="mood",
            value=text,
            allowed="'valence,arousal' with both in [-1, 1], e.g. '-0.5,0.3'",
        )
    raise InputError(
        f"unknown feeling {text!r}",
        field="mood",
        value=text,
        allowed=", ".join(FEELINGS) + "; or 'valence,arousal' coordinates in [-1, 1]",
    )


def nearest_feeling(point: MoodPoint) -> str:
    """The named feeling closest to ``point`` (ties: alphabetical)."""
    return _nearest_feeling(float(point.valence), float(point.arousal))


#: FEELINGS as (name, valence, arousal), alphabetical: the order that breaks ties.
_FEELING_ROWS = tuple((w, p.valence, p.arousal) for w, p in sorted(FEELINGS.items()))


@functools.lru_cache(maxsize=65536)
def _nearest_feeling(valence: float, arousal: float) -> str:
    # A plain loop over squared distances: history pages name the feeling of hundreds of
    # check-ins, and min() over MoodPoint.distance cost 50 us a point.
    best, best_d = "", math.inf
    for name, v, a in _FEELING_ROWS:
        d = (valence - v) ** 2 + (arousal - a) ** 2
        if d < best_d:
            best, best_d = name, d
    return best


def describe_point(point: MoodPoint) -> str:
    """A readable description, e.g. ``"v=-0.62, a=-0.32 (sad/low, near 'sad')"``."""
    return (
        f"v={point.valence:+.2f}, a={point.arousal:+.2f} "
        f"({point.quadrant}, near {nearest_feeling(point)!r})"
    )
