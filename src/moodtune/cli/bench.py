"""`moodtune bench` commands."""

from __future__ import annotations

import typer

app = typer.Typer(help="bench commands", no_args_is_help=True)


def register_top_level(root: typer.Typer) -> None:
    """Add this group's top-level commands (if any) to the root app."""


# --- learning (owned by the "learning" area; the bench itself is moodtune.bench.learning) ---


@app.command("learning")
def learning(
    listeners: int = typer.Option(100, "--listeners", help="Simulated listeners per seed."),
    sessions: int = typer.Option(20, "--sessions", help="Sessions per listener."),
    seeds: int = typer.Option(3, "--seeds", help="Independent populations (seeds 0..K-1)."),
    out: str = typer.Option("bench-out/learning", "--out", help="Directory for PNG/HTML/JSON."),
    quick: bool = typer.Option(False, "--quick", help="30 listeners, 12 sessions, 1 seed."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Simulated listeners: learning vs no learning; matrix factorisation vs popularity."""
    from moodtune.bench.learning import run_learning_command

    run_learning_command(
        listeners=listeners,
        sessions=sessions,
        seeds=seeds,
        out=out,
        quick=quick,
        as_json=as_json,
    )
