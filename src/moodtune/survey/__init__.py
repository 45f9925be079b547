"""moodtune.survey."""
