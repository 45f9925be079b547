"""Connectors: playlist files, listening-history exports and Spotify.

* ``connectors.matching``: an outside track → the catalog track it is (Spotify id, ISRC,
  normalised title + artist), or why not.
* ``connectors.playlists``: M3U8 / XSPF / CSV / JSON playlist files, written and read.
* ``connectors.history``: Spotify account-data and extended history, Last.fm scrobbles and
  ListenBrainz listens, read as plays and skips.
* ``connectors.spotify``: the Spotify Web API through spotipy (optional extra ``spotify``).

Storing what is read and feeding the learner happen in ``sessions.listening`` and
``app.connectors``; this package only reads, writes and matches.
"""

from __future__ import annotations
