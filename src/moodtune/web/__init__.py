"""The moodtune web app: server-rendered pages (Jinja2 + HTMX) and the JSON API (/api/v1)."""

from __future__ import annotations

from moodtune.web.app import create_app

__all__ = ["create_app"]
