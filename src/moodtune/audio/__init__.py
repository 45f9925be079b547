"""Local audio files: decoding a bounded window, features, mood placement, scans, tag write-back.

Needs the ``audio`` extra (``pip install "moodtune[audio]"``: librosa, soundfile, mutagen);
everything is imported lazily, so the rest of moodtune works without it and a missing extra
raises an error that says what to install (:func:`moodtune.audio.decode.require_audio_extra`).

* :mod:`moodtune.audio.decode` - a mono window of a file, and why a file cannot be read;
* :mod:`moodtune.audio.features` - pure functions over sample arrays (tempo, loudness, key...);
* :mod:`moodtune.audio.placement` - measured features -> the catalog's feature columns -> the
  valence-arousal plane through the project's fitted mood model, with an uncertainty;
* :mod:`moodtune.audio.scan` - an incremental, parallel, resumable scan of a folder that
  becomes a named catalog;
* :mod:`moodtune.audio.tags` - reading tags and (on request) writing mood and tempo back.
"""

from __future__ import annotations

__all__: list[str] = []
