"""The CLI is thin: it parses, calls ``moodtune.app`` (as the web does) and renders."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import moodtune.cli

CLI = Path(moodtune.cli.__file__).parent

#: What a CLI module may take from ``moodtune.sessions``: input types it parses into, and the
#: catalog loader ``Services`` is given. Every operation goes through ``moodtune.app``.
PARSING_ONLY = {"JourneyCatalog", "MoodReport", "OfferedTrack", "load_journey_catalog"}


def _imported(path: Path, package: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(package):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("module", ["listener.py", "survey.py"])
def test_cli_commands_call_the_application_layer_not_the_library_below_it(module: str) -> None:
    from_sessions = _imported(CLI / module, "moodtune.sessions")
    assert from_sessions <= PARSING_ONLY, sorted(from_sessions - PARSING_ONLY)
