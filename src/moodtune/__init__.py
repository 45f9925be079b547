"""moodtune: a mood-aware music-therapy recommender.

moodtune is not a medical device. It does not diagnose, treat or prevent any condition.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
