"""moodtune.recommend."""
