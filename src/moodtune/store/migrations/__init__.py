"""Alembic migrations: the only way moodtune's database schema is created or changed."""
