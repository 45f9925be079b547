"""moodtune.evaluation."""
