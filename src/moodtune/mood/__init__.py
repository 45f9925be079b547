"""moodtune.mood."""
