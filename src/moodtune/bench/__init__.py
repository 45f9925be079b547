"""moodtune.bench."""
