"""Who a track is when no id says so: normalised artist and title, and ids derived from them.

Two sources name the same recording differently ("Livin' On A Prayer" / "Livin On A Prayer -
2004 Remaster", "X Bitch (feat. Future)" / "X Bitch"). :func:`match_key` reduces a pair of
artist and title to a key that is equal for such spellings and different for different
recordings:

* Unicode is folded to ASCII (``é`` → ``e``), text is lower-cased, apostrophes are dropped
  (``we're`` → ``were``), ``&`` reads ``and``, and every other run of punctuation is a space.
* A featured-artist credit is removed from the title: ``(feat. X)``, ``[ft. X]``,
  ``(with X)`` and a trailing ``feat. X``.
* Suffixes that name a *release* of the same recording are removed: ``- Remastered 2011``,
  ``(2004 Remaster)``, ``- Radio Edit``, ``- Single Version``, ``- Album Version``, ``- Mono``,
  ``- Stereo``, ``- Original Mix``, ``(Explicit)``, ``(Clean)``. Suffixes that name a
  different recording (``- Live``, ``- Acoustic``, ``- X Remix``) are kept.
* For the artist, a leading "The" is dropped and only the first credited artist is kept
  (``"Calvin Harris, Rihanna"`` and ``"Calvin Harris feat. Rihanna"`` → ``calvin harris``).

:func:`stable_track_id` turns that key (and the duration rounded to whole seconds, when
known) into an id that does not depend on row order or file: ``local:`` and 22 hex digits.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata

__all__ = [
    "LOCAL_ID_PREFIX",
    "match_key",
    "normalise_artist",
    "normalise_title",
    "stable_track_id",
]

LOCAL_ID_PREFIX = "local:"

_SAME_RECORDING = (
    r"(?:remaster(?:ed)?(?: version)?(?: \d{4})?|\d{4} remaster(?:ed)?(?: version)?|radio edit"
    r"|single version|album version|mono|stereo|original mix|explicit(?: version)?|clean)"
)
_FEAT_BRACKET = re.compile(r"[\(\[]\s*(?:feat\.?|ft\.?|featuring|with)\s[^\)\]]*[\)\]]")
_FEAT_TRAILING = re.compile(r"\s(?:feat\.?|ft\.?|featuring)\s.*$")
_DASH_SUFFIX = re.compile(r"\s+-\s+[^-]*\b" + _SAME_RECORDING + r"\b[^-]*$")
_BRACKET_SUFFIX = re.compile(r"[\(\[][^\)\]]*\b" + _SAME_RECORDING + r"\b[^\)\]]*[\)\]]")
_ARTIST_SPLIT = re.compile(r",|;|\s(?:feat\.?|ft\.?|featuring|with|x|vs\.?)\s|\s&\s")


def _fold(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"['’`´]", "", ascii_text.lower())


def _words(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.replace("&", " and ")).strip()


def normalise_title(title: str) -> str:
    """A track title reduced for matching (module docstring): ``"Faded - Radio Edit"`` →
    ``"faded"``; ``"Faded - Tiesto Remix"`` stays ``"faded tiesto remix"``."""
    text = _fold(str(title))
    text = _FEAT_BRACKET.sub(" ", text)
    text = _FEAT_TRAILING.sub(" ", text)
    text = _DASH_SUFFIX.sub(" ", text)
    text = _BRACKET_SUFFIX.sub(" ", text)
    return _words(text)


def normalise_artist(artist: str) -> str:
    """The first credited artist reduced for matching: ``"The Weeknd, Daft Punk"`` →
    ``"weeknd"``."""
    text = _fold(str(artist))
    first = _ARTIST_SPLIT.split(text, maxsplit=1)[0]
    words = _words(first)
    return words[4:] if words.startswith("the ") else words


def match_key(artist: str, title: str) -> str:
    """``"artist|title"`` after normalisation; equal keys are taken as the same recording."""
    return f"{normalise_artist(artist)}|{normalise_title(title)}"


def stable_track_id(artist: str, title: str, duration_ms: float | None = None) -> str:
    """An id derived from the normalised artist and title (and the duration in whole seconds,
    when known), the same for the same track in any file and any row order."""
    text = match_key(artist, title)
    if duration_ms is not None and math.isfinite(duration_ms):
        text += f"|{round(duration_ms / 1000)}"
    return LOCAL_ID_PREFIX + hashlib.sha256(text.encode()).hexdigest()[:22]
