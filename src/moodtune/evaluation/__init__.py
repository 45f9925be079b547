"""Evaluation kept apart from models: metrics, splits, the leakage demonstration, offline
genre evaluation and simulated listeners."""
