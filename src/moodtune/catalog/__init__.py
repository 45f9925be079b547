"""moodtune.catalog."""
