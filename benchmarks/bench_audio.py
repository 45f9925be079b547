"""Local-audio benchmark; same as ``moodtune bench audio`` (pass its options)."""

from __future__ import annotations

import sys

from moodtune.cli import main

if __name__ == "__main__":
    sys.argv = ["moodtune", "bench", "audio", *sys.argv[1:]]
    main()
