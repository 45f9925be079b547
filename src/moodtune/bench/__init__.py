"""The code behind ``moodtune bench``: figures next to a naive baseline measured in one run."""
