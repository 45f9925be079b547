"""Imported once by the scan's fork server, so that every worker forked from it starts warm.

librosa loads its submodules lazily and the mood model is read on first use: without this a
fresh worker spends about a second of CPU importing and initialising before its first file.
Importing this module does that work once, in the fork server; the workers inherit it.
"""

from __future__ import annotations

import mutagen
import soundfile
from scipy import ndimage

from moodtune.audio import features, placement, scan, tags
from moodtune.audio._librosa import import_librosa
from moodtune.mood.fitted import load_default_model

__all__: list[str] = []

librosa = import_librosa()
load_default_model()
_ = (librosa, mutagen, soundfile, ndimage, features, placement, scan, tags)
