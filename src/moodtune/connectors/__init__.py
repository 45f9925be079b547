"""moodtune.connectors."""
