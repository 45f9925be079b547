"""`moodtune admin`: accounts for whoever runs a moodtune for several people.

These run on the machine that holds the database (no web sign-in needed): create an account,
print a one-time password-reset token (no e-mail server needed), list and disable accounts.
"""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import Engine

from moodtune.cli._common import console, err_console

app = typer.Typer(help="Accounts: create, reset a password, list, disable.", no_args_is_help=True)


def _engine() -> Engine:
    from moodtune.store import open_database

    return open_database()


@app.command("create-user")
def create_user(
    username: Annotated[str, typer.Argument(help="The new account's username.")],
    password: Annotated[
        str,
        typer.Option(
            "--password", prompt=True, hide_input=True, confirmation_prompt=True,
            envvar="MOODTUNE_NEW_PASSWORD", help="Asked for when not given (never echoed).",
        ),
    ],
) -> None:  # fmt: skip
    """Create an account (and the listener it owns)."""
    from moodtune.app import accounts

    made = accounts.sign_up(_engine(), username=username, password=password)
    console.print(f"created account [bold]{made.username}[/] (listener {made.listener_id})")


@app.command("reset-password")
def reset_password(
    username: Annotated[str, typer.Argument(help="Whose password to reset.")],
    hours: Annotated[float, typer.Option("--hours", min=0.1, max=168, help="Valid for.")] = 24.0,
) -> None:
    """Print a one-time reset token; the person enters it at /reset with a new password."""
    from moodtune.app import accounts
    from moodtune.config import get_settings

    token, expires = accounts.issue_reset_token(_engine(), get_settings(), username, hours=hours)
    err_console.print(
        f"reset token for [bold]{username}[/] (works once, until {expires:%Y-%m-%d %H:%M} UTC; "
        "give it to them privately, they enter it at /reset):",
        highlight=False,
    )
    typer.echo(token)


@app.command("list-users")
def list_users() -> None:
    """Every account: username, listener id, created, disabled."""
    from rich.table import Table

    from moodtune.app import accounts

    table = Table("username", "listener", "created (UTC)", "disabled")
    for a in accounts.list_accounts(_engine()):
        table.add_row(a.username, a.listener_id, f"{a.created_at:%Y-%m-%d %H:%M}",
                      "yes" if a.disabled else "")  # fmt: skip
    console.print(table)


@app.command("disable-user")
def disable_user(
    username: Annotated[str, typer.Argument(help="The account to disable.")],
    enable: Annotated[bool, typer.Option("--enable", help="Enable it again instead.")] = False,
) -> None:
    """Disable an account: it cannot sign in, and its sessions and API tokens end now."""
    from moodtune.app import accounts

    made = accounts.disable_account(_engine(), username, disabled=not enable)
    state = "disabled (sessions and tokens ended)" if made.disabled else "enabled"
    console.print(f"account [bold]{made.username}[/] {state}")
