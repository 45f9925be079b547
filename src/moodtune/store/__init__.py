"""moodtune.store."""
