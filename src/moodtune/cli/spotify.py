"""`moodtune spotify login|logout|search|import|export`: the listener's Spotify, if they wish.

Needs the optional extra (``pip install "moodtune[spotify]"``) and MOODTUNE_SPOTIFY_CLIENT_ID
(a Spotify app of your own, with MOODTUNE_SPOTIFY_REDIRECT_URI registered as its redirect).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from moodtune.cli._common import console, print_json
from moodtune.cli.history import JsonOption, ListenerOption, render_import_report, services_for_cli

app = typer.Typer(
    help="Spotify: log in, search, import your library as preferences, export journeys.",
    no_args_is_help=True,
)


@app.command("login")
def login_command(
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Print the login link instead of opening it.")
    ] = False,
) -> None:
    """Connect your Spotify account (PKCE login in your browser; no password reaches moodtune)."""
    import webbrowser

    from moodtune.app.spotify import spotify_login
    from moodtune.config import get_settings

    def show(url: str) -> None:
        console.print(
            f"Open this link to log in to Spotify:\n{url}", highlight=False, soft_wrap=True
        )
        if not no_browser:
            webbrowser.open(url)

    user = spotify_login(get_settings(), open_url=show)
    console.print(f"Connected to Spotify as {user.display_name or user.id}.", highlight=False)


@app.command("logout")
def logout_command() -> None:
    """Forget the stored Spotify login on this machine."""
    from moodtune.app.spotify import spotify_logout
    from moodtune.config import get_settings

    forgot = spotify_logout(get_settings())
    console.print("Logged out of Spotify." if forgot else "There was no Spotify login stored.")


@app.command("search")
def search_command(
    query: Annotated[str, typer.Argument(help="What to search for: title, artist, or both.")],
    offset: Annotated[
        int, typer.Option("--offset", help="Skip this many results (pages of 10).")
    ] = 0,
    as_json: JsonOption = False,
) -> None:
    """Search Spotify's tracks (10 a page) and show which moodtune knows the mood of."""
    from rich.table import Table

    from moodtune.app.spotify import lookup_client, search_spotify
    from moodtune.cli._common import option_names
    from moodtune.config import get_settings

    services = services_for_cli()
    with option_names(offset="--offset", query="QUERY"):
        hits, total = search_spotify(services, lookup_client(get_settings()), query, offset=offset)
    if as_json:
        print_json(
            {
                "total": total,
                "offset": offset,
                "tracks": [
                    {
                        **h.track.to_dict(),
                        "catalog_track_id": h.catalog_track_id,
                        "matched_by": h.matched_by,
                        "mood": None
                        if h.mood is None
                        else {
                            "valence": h.mood.valence,
                            "arousal": h.mood.arousal,
                            "near": h.mood.near,
                        },
                    }
                    for h in hits
                ],
            }
        )
        return
    table = Table(title=f"Spotify: {query!r} ({offset + 1}–{offset + len(hits)} of {total})")
    for column in ("title", "artists", "album", "released", "mood"):
        table.add_column(column)
    for hit in hits:
        t = hit.track
        mood = "unknown" if hit.mood is None else f"{hit.mood.near} ({hit.mood.quadrant})"
        table.add_row(t.name, ", ".join(t.artists), t.album or "", t.release_date or "", mood)
    console.print(table)
    console.print("[dim]Tracks of unknown mood are not in the catalog and stay out of journeys.[/]")


@app.command("track")
def track_command(
    tracks: Annotated[list[str], typer.Argument(help="Spotify track ids, URIs or links.")],
    as_json: JsonOption = False,
) -> None:
    """Look tracks up on Spotify: link, album art, release date, ISRC, and the mood if known."""
    from moodtune.app.spotify import lookup_client, resolve_tracks
    from moodtune.config import get_settings

    hits = resolve_tracks(services_for_cli(), lookup_client(get_settings()), tracks)
    if as_json:
        print_json(
            [
                {
                    **h.track.to_dict(),
                    "catalog_track_id": h.catalog_track_id,
                    "mood": None if h.mood is None else h.mood.near,
                }
                for h in hits
            ]
        )
        return
    for hit in hits:
        t = hit.track
        mood = "mood unknown" if hit.mood is None else f"mood {hit.mood.near} ({hit.mood.quadrant})"
        console.print(
            f"[bold]{t.name}[/] — {', '.join(t.artists)} · {t.album or ''} "
            f"({t.release_date or 'date unknown'}) · {mood}\n  {t.url or t.uri}"
            + (f"\n  album art: {t.album_art_url}" if t.album_art_url else ""),
            highlight=False,
        )
    if len(hits) < len(tracks):
        console.print(f"[yellow]{len(tracks) - len(hits)} not found on Spotify.[/]")


@app.command("import")
def import_command(
    listener: ListenerOption,
    saved: Annotated[bool, typer.Option("--saved/--no-saved", help="Saved tracks.")] = True,
    recent: Annotated[bool, typer.Option("--recent/--no-recent", help="Recently played.")] = True,
    playlists: Annotated[
        bool, typer.Option("--playlists/--no-playlists", help="Playlists.")
    ] = True,
    as_json: JsonOption = False,
) -> None:
    """Import your Spotify library (saved, recently played, playlists) as preferences."""
    from moodtune.app.spotify import import_spotify_library, user_client
    from moodtune.config import get_settings

    report = import_spotify_library(
        services_for_cli(),
        listener,
        user_client(get_settings()),
        saved=saved,
        recent=recent,
        playlists=playlists,
    )
    render_import_report(report, as_json=as_json)


@app.command("export")
def export_command(
    session: Annotated[str, typer.Argument(help="Session id of one of the listener's journeys.")],
    listener: ListenerOption,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Where to write the playlist file if Spotify refuses."),
    ] = None,
) -> None:
    """Save a journey as a private Spotify playlist (or, if Spotify refuses, as an M3U8 file)."""
    from moodtune.app.spotify import export_journey_to_spotify, user_client
    from moodtune.cli.playlist import write_private
    from moodtune.config import get_settings

    result = export_journey_to_spotify(
        services_for_cli(), listener, session, user_client(get_settings())
    )
    for note in result.notes:
        console.print(f"[yellow]{note}[/]", highlight=False)
    if result.fallback is not None:
        target = out if out is not None else Path(result.fallback.filename)
        write_private(target, result.fallback.content)
        console.print(f"{result.message}: {target}", highlight=False)
        return
    console.print(f"{result.message}: {result.url}", highlight=False)
