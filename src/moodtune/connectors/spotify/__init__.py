"""The Spotify Web API connector (optional extra: ``pip install "moodtune[spotify]"``).

* ``client``: ``SpotifyClient`` over spotipy, with moodtune's own retry, wait and refresh
  rules, configured only by base URLs; the error classes.
* ``auth``: PKCE login with a loopback redirect; the owner-only token file.
* ``models``: typed records of the JSON bodies; ``cache``: the look-up cache with expiry.

Importing this package imports nothing from spotipy; ``client`` and ``auth`` need it.
"""

from __future__ import annotations
