"""`moodtune backup FILE` / `moodtune restore FILE`: the whole database, safely."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from moodtune.cli._common import as_cli_error, console


def register_top_level(root: typer.Typer) -> None:
    root.command("backup", help="Write a consistent backup of the database (works while serving).")(
        backup
    )
    root.command("restore", help="Restore a backup (asks before replacing any data).")(restore)


def backup(file: Annotated[Path, typer.Argument(help="Where to write the backup.")]) -> None:
    """A snapshot of every listener, account and session, with its schema version."""
    from moodtune.store import open_database
    from moodtune.store.backup import backup_database

    info = backup_database(open_database(), file)
    console.print(
        f"backed up the {info.kind} database to {info.path} ({info.size_bytes:,} bytes, "
        f"schema {info.revision}); it holds health data: keep it as private as the database"
    )


def restore(
    file: Annotated[Path, typer.Argument(help="A file written by `moodtune backup`.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Replace existing data without asking.")
    ] = False,
) -> None:
    """Replace the database with the backup, then upgrade it to this moodtune's schema."""
    from moodtune.errors import InputError
    from moodtune.store import get_engine
    from moodtune.store.backup import backup_info, restore_database

    engine = get_engine()
    info = backup_info(file)
    try:
        done = restore_database(engine, file, overwrite=yes)
    except InputError as exc:
        if exc.field != "overwrite":
            raise
        if not typer.confirm(
            f"The database already holds listeners. Replace everything with {file} "
            f"(schema {info.revision})?",
            default=False,
        ):
            raise as_cli_error(exc, {"overwrite": "--yes"}) from None
        done = restore_database(engine, file, overwrite=True)
    console.print(f"restored {done.path} (schema {done.revision}, now upgraded to the newest)")
