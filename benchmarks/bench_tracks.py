"""Track-query and journey benchmark; same as ``moodtune bench tracks`` (pass its options)."""

from __future__ import annotations

import sys

from moodtune.cli import main

if __name__ == "__main__":
    sys.argv = ["moodtune", "bench", "tracks", *sys.argv[1:]]
    main()
