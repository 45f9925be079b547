"""moodtune: a mood-aware music-therapy recommender.

moodtune is not a medical device. It does not diagnose, treat or prevent any condition.

The names below are the public API; they are imported on first use, so ``import moodtune``
stays cheap for the command line.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "Settings": "moodtune.config",
    "get_settings": "moodtune.config",
    "MoodtuneError": "moodtune.errors",
    "InputError": "moodtune.errors",
    "load_table": "moodtune.data.registry",
    "Profile": "moodtune.survey.schema",
    "load_survey": "moodtune.survey.schema",
    "profile_from_mapping": "moodtune.survey.schema",
    "assign_persona": "moodtune.survey.personas",
    "predict_effect": "moodtune.survey.effect",
    "load_or_fit_genre_recommender": "moodtune.recommend.genres",
    "load_catalog": "moodtune.catalog",
    "import_catalog": "moodtune.catalog",
    "MoodPoint": "moodtune.mood.space",
    "parse_mood": "moodtune.mood.space",
    "get_goal": "moodtune.mood.goals",
    "load_track_index": "moodtune.recommend.tracks",
    "plan_journey": "moodtune.recommend.journey",
    "build_journey": "moodtune.recommend.journey",
    "tracks_for_profile": "moodtune.recommend.profile_tracks",
    "assess_risk": "moodtune.safety",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'moodtune' has no attribute {name!r}")
    return getattr(import_module(module), name)
