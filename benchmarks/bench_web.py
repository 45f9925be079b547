"""Web benchmark (real server under load); same as ``moodtune bench web`` (pass its options)."""

from __future__ import annotations

import sys

from moodtune.cli import main

if __name__ == "__main__":
    sys.argv = ["moodtune", "bench", "web", *sys.argv[1:]]
    main()
