"""`moodtune listener` commands, and the top-level `checkin`, `session` and `history`.

Thin glue: parse options, call ``moodtune.app`` (the functions the web calls), render.
Everything stays on this machine (the database in the data directory, or the PostgreSQL
server ``MOODTUNE_DATABASE_URL`` names).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from moodtune.cli._common import console, option_names, print_json, show_support
from moodtune.cli._profile import (
    Age,
    Anxiety,
    Depression,
    Exploratory,
    FavGenre,
    Freq,
    Hours,
    Insomnia,
    Ocd,
    ProfileFile,
    build_profile,
)
from moodtune.errors import InputError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from moodtune.app import Services
    from moodtune.sessions import JourneyCatalog, OfferedTrack
    from moodtune.store.records import ListenerRecord

app = typer.Typer(
    help="Listeners: create, show, export or delete everything stored.", no_args_is_help=True
)
session_app = typer.Typer(
    help="Listening sessions: start, give feedback, finish.", no_args_is_help=True
)

ListenerArg = Annotated[str, typer.Argument(help="Listener id (or a unique display name).")]
SessionArg = Annotated[str, typer.Argument(help="Session id printed by 'moodtune session start'.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
Mood = Annotated[
    str,
    typer.Option(
        "--mood",
        help="How you feel: a word ('calm'), several ('tired, anxious') or 'valence,arousal'.",
    ),
]
Note = Annotated[
    str | None,
    typer.Option(
        "--note",
        help="A private note: screened for risk language, stored only if you chose --keep-notes.",
    ),
]


def register_top_level(root: typer.Typer) -> None:
    """Add ``checkin``, ``session`` and ``history`` to the root app."""
    root.command("checkin", help="Record how you feel right now.")(checkin)
    root.command("history", help="How you have been: check-ins, sessions, what helped.")(history)
    root.add_typer(session_app, name="session")


def _engine() -> Engine:
    from moodtune.store import open_database

    return open_database()


def _services() -> Services:
    """The application layer over this machine's database; the catalog loads when needed."""
    from moodtune.app import Services

    return Services(engine=_engine(), catalog_loader=lambda: _journey_catalog())


def _disclaimer() -> None:
    from moodtune.safety import NOT_A_MEDICAL_DEVICE

    console.print(f"[dim]{NOT_A_MEDICAL_DEVICE}[/]", highlight=False)


def _journey_catalog() -> JourneyCatalog:
    """The active catalog and its track index (the first run builds them, about 30 s)."""
    from moodtune.sessions import load_journey_catalog

    return load_journey_catalog()


def _fmt_point(valence: float | None, arousal: float | None) -> str:
    if valence is None or arousal is None:
        return "-"
    return f"v={valence:+.2f} a={arousal:+.2f}"


# -- listener ----------------------------------------------------------------------------------


@app.command("create")
def create(
    name: Annotated[str | None, typer.Option("--name", help="A display name.")] = None,
    goal: Annotated[
        list[str] | None, typer.Option("--goal", help="A goal you are interested in (repeat).")
    ] = None,
    country: Annotated[
        str | None,
        typer.Option(
            "--country",
            help="Two-letter ISO 3166-1 country code for crisis resources (e.g. US, GB), "
            "or 'international'.",
        ),
    ] = None,
    keep_notes: Annotated[
        bool,
        typer.Option(
            "--keep-notes/--no-notes",
            help="Store the text of your --note answers (off unless you ask; notes are always "
            "screened for risk language, then dropped).",
        ),
    ] = False,
    learning: Annotated[
        bool,
        typer.Option(
            "--learning/--no-learning",
            help="Let your feedback and finished sessions personalise suggestions (on by default).",
        ),
    ] = True,
    profile_file: ProfileFile = None,
    anxiety: Anxiety = None,
    depression: Depression = None,
    insomnia: Insomnia = None,
    ocd: Ocd = None,
    age: Age = None,
    hours: Hours = None,
    fav_genre: FavGenre = None,
    exploratory: Exploratory = None,
    freq: Freq = None,
    as_json: Json = False,
) -> None:
    """Create a listener (optionally with survey answers) and print their id."""
    from moodtune.app import onboard_details
    from moodtune.store.records import as_json_dict

    answers = (anxiety, depression, insomnia, ocd, age, hours, fav_genre, exploratory, freq)
    profile = None
    if profile_file is not None or any(a is not None for a in answers):
        profile = build_profile(
            profile_file=profile_file,
            anxiety=anxiety,
            depression=depression,
            insomnia=insomnia,
            ocd=ocd,
            age=age,
            hours=hours,
            fav_genre=fav_genre,
            exploratory=exploratory,
            freq=freq,
        )
    made = onboard_details(
        _services(),
        profile=profile,
        goals=goal or (),
        display_name=name,
        country=country,
        keep_notes=keep_notes,
        learning=learning,
    )
    record, risk = made.record, made.view.support
    assert risk is not None  # the survey's risk screen always runs
    if as_json:
        print_json({"listener": as_json_dict(record), "safety": risk.to_dict()})
        return
    console.print(f"Created listener [bold]{record.id}[/]" + (f" ({name})" if name else ""))
    _show_stored(record)
    show_support(risk)
    _disclaimer()


def _show_stored(record: ListenerRecord) -> None:
    """What moodtune keeps about this listener, and the command that changes it."""
    notes = (
        "kept (--keep-notes)"
        if record.consent_notes
        else "not kept: screened for risk language, then dropped"
    )
    learning = (
        "on: your feedback and finished sessions personalise suggestions"
        if record.consent_learning
        else "off: suggestions are not personalised"
    )
    lines = [
        "Stored on this machine: "
        + ", ".join(
            x
            for x in (
                "name" if record.display_name else "",
                "survey answers" if record.profile else "",
                "goals" if record.goals else "",
                "country" if record.country else "",
                "mood check-ins, sessions and feedback",
            )
            if x
        )
        + ".",
        f"  notes: {notes}",
        f"  learning: {learning}",
        "Change it: moodtune listener consent LISTENER [--keep-notes|--no-notes] "
        "[--learning|--no-learning]",
        "See all of it: moodtune listener export LISTENER --out FILE; "
        "remove all of it: moodtune listener delete LISTENER",
    ]
    console.print("\n".join(lines), highlight=False)


@app.command("consent")
def consent(
    listener: ListenerArg,
    keep_notes: Annotated[
        bool | None,
        typer.Option(
            "--keep-notes/--no-notes",
            help="Keep note text from now on, or stop keeping it (--no-notes also erases the "
            "notes already stored).",
        ),
    ] = None,
    learning: Annotated[
        bool | None,
        typer.Option("--learning/--no-learning", help="Let feedback personalise suggestions."),
    ] = None,
) -> None:
    """Change what moodtune keeps and learns about a listener."""
    from moodtune.app import listener_details, set_consent

    services = _services()
    view, erased = set_consent(services, listener, keep_notes=keep_notes, learning=learning)
    record = listener_details(services, view.id).record
    console.print(f"Updated listener [bold]{record.id}[/].")
    _show_stored(record)
    if erased:
        console.print(f"Erased the text of {_plural(erased, 'stored note')}.")


def _show_learned(summary: dict[str, Any], consent: bool) -> None:
    if not consent:
        console.print("  learning: off (journeys are not personalised)")
        return
    if not summary.get("personalised"):
        console.print("  learning: on; nothing learned yet (no feedback or finished sessions)")
        return
    console.print(
        f"  learned from {summary['n_feedback']} feedback answer(s) and "
        f"{summary['n_sessions']} finished session(s):"
    )
    genres = summary["genres"]
    preferred = ", ".join(
        f"{g} ({genres[g]['weight']:+.2f} ± {genres[g]['sd']:.2f})"
        for g in summary["preferred_genres"]
    )
    console.print(f"    preferred genres: {preferred or 'none stands out yet'}", highlight=False)
    if summary["pace_learned"]:
        pace = (
            f"{summary['recommended_pace']:.2f} mood-plane distance per track "
            f"(evidence from about {summary['pace_evidence']:.1f} session(s))"
        )
    else:
        pace = "the journey's own spacing (no finished session with a known pace yet)"
    console.print(f"    journey pace: {pace}", highlight=False)
    for goal, stats in sorted(summary["goal_effectiveness"].items()):
        console.print(
            f"    goal {goal}: mean change toward target {stats['mean_gain']:+.2f} "
            f"(n={stats['count']:.0f})",
            highlight=False,
        )
    if summary["skipped_feedback"]:
        console.print(
            f"    ({summary['skipped_feedback']} answer(s) about tracks outside this catalog "
            "were not used)"
        )


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def _profile_lines(profile: dict[str, Any]) -> list[str]:
    """A stored survey profile as short readable lines (only the answers given)."""
    scores = [
        f"{name} {_number(profile[key])}"
        for key, name in (
            ("anxiety", "anxiety"),
            ("depression", "depression"),
            ("insomnia", "insomnia"),
            ("ocd", "OCD"),
        )
        if profile.get(key) is not None
    ]
    lines = [f"scores (0-10): {', '.join(scores)}"] if scores else []
    about = []
    if profile.get("age") is not None:
        about.append(f"age {_number(profile['age'])}")
    if profile.get("hours_per_day") is not None:
        about.append(f"{_number(profile['hours_per_day'])} h of music a day")
    if profile.get("fav_genre"):
        about.append(f"favourite genre {profile['fav_genre']}")
    if profile.get("bpm") is not None:
        about.append(f"preferred tempo {_number(profile['bpm'])} BPM")
    if about:
        lines.append(", ".join(about))
    answers = [
        f"{label}: {'yes' if profile[key] else 'no'}"
        for key, label in (
            ("while_working", "listens while working"),
            ("instrumentalist", "plays an instrument"),
            ("composer", "composes"),
            ("exploratory", "explores new music"),
            ("foreign_languages", "listens in other languages"),
        )
        if profile.get(key) is not None
    ]
    if answers:
        lines.append("; ".join(answers))
    frequencies = profile.get("genre_frequencies") or {}
    if frequencies:
        lines.append(
            "how often: " + ", ".join(f"{g} {level.lower()}" for g, level in frequencies.items())
        )
    return lines


@app.command("show")
def show(listener: ListenerArg, as_json: Json = False) -> None:
    """Show a listener's stored profile, goals, consent and what moodtune learned."""
    from moodtune.app import listener_details
    from moodtune.store.records import as_json_dict

    details = listener_details(_services(), listener, learned=True)
    record, summary = details.record, details.learned or {}
    if as_json:
        print_json({**as_json_dict(record), "learned": summary})
        return
    console.print(f"[bold]{record.id}[/] {record.display_name or ''}")
    console.print(f"  goals: {', '.join(record.goals) or '-'}   country: {record.country or '-'}")
    console.print(
        f"  consent: storage={record.consent_storage} notes={record.consent_notes} "
        f"learning={record.consent_learning}"
    )
    console.print(f"  created: {record.created_at:%Y-%m-%d %H:%M} UTC")
    if record.profile:
        console.print("  survey answers:")
        for line in _profile_lines(record.profile):
            console.print(f"    {line}", highlight=False)
    _show_learned(summary, record.consent_learning)


@app.command("export")
def export(
    listener: ListenerArg,
    out: Annotated[
        Path, typer.Option("--out", help="Where to write the JSON file ('-': standard output).")
    ],
) -> None:
    """Write everything stored about a listener to a JSON file (readable only by you)."""
    from moodtune.app import export_everything

    if str(out) == "-":
        print_json(export_everything(_services(), listener))
        return
    folder = out.parent
    if not folder.is_dir():
        raise InputError(
            "the folder to write into does not exist"
            if not folder.exists()
            else "the folder to write into is not a folder",
            file=str(out),
            field="--out",
            value=str(folder),
            allowed="a file in an existing folder (moodtune does not create folders)",
        )
    if out.is_dir():
        raise InputError(
            "--out is a folder", file=str(out), field="--out", allowed="a file name to write"
        )
    payload = export_everything(_services(), listener)
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # also when the file existed: an export is private
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
    rows = sum(len(v) for v in payload["tables"].values())
    console.print(f"Wrote {rows} rows about {payload['listener_id']} to {out}")


@app.command("delete")
def delete(
    listener: ListenerArg,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete everything stored about a listener. This cannot be undone."""
    from moodtune.app import delete_everything, get_listener_view

    services = _services()
    record = get_listener_view(services, listener)
    if not yes and not typer.confirm(
        f"Delete listener {record.id} and all their check-ins, sessions and feedback?",
        default=False,
    ):
        console.print(f"Listener {record.id} not deleted.")
        raise typer.Exit(1)
    counts = delete_everything(services, record.id)
    total = sum(counts.values())
    console.print(f"Deleted listener {record.id}: {total} rows removed.")


# -- check-ins ---------------------------------------------------------------------------------


def checkin(listener: ListenerArg, mood: Mood, note: Note = None, as_json: Json = False) -> None:
    """Record how you feel right now."""
    from moodtune.app import check_in_details
    from moodtune.sessions import MoodReport
    from moodtune.store.records import as_json_dict

    with option_names(mood="--mood", note="--note", words="--mood"):
        result = check_in_details(_services(), listener, MoodReport.parse(mood, note=note))
    c, support = result.record, result.view.support
    described = None if result.view.mood is None else result.view.mood.description
    if as_json:
        print_json(
            {
                "checkin": as_json_dict(c),
                "description": described,
                "safety": support.to_dict(),
            }
        )
        return
    where = described or ", ".join(c.words)
    console.print(f"Checked in: {where}", highlight=False)
    show_support(support)
    _disclaimer()


# -- sessions ----------------------------------------------------------------------------------


def _tracks_from_file(path: Path) -> list[OfferedTrack]:
    from moodtune.jsonfile import read_json_file
    from moodtune.sessions import OfferedTrack

    raw = read_json_file(path, what="track list", max_bytes=1024 * 1024)
    items = raw.get("tracks") if isinstance(raw, dict) else raw
    if not isinstance(items, list):
        raise InputError("expected a list of tracks (or {'tracks': [...]})", file=str(path))
    fields = set(OfferedTrack.__dataclass_fields__)
    tracks = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict) or "track_id" not in item:
            raise InputError("each track needs a track_id", file=str(path), row=number)
        unknown = set(item) - fields
        if unknown:
            raise InputError(
                f"unknown field(s) {sorted(unknown)}",
                file=str(path),
                row=number,
                allowed=", ".join(sorted(fields)),
            )
        tracks.append(OfferedTrack(**{"reason": "chosen by you", **item}))
    return tracks


@session_app.command("start")
def session_start(
    listener: ListenerArg,
    goal: Annotated[
        str,
        typer.Option("--goal", help="calm_down, lift_mood, focus, sleep, energise or stay."),
    ],
    mood: Mood,
    note: Note = None,
    tracks: Annotated[int, typer.Option("--tracks", help="How many tracks (2-200).")] = 8,
    from_file: Annotated[
        Path | None,
        typer.Option(
            "--from-file",
            help="Record a session for these tracks (JSON list of {track_id, reason, ...}) "
            "instead of building a journey.",
        ),
    ] = None,
    as_json: Json = False,
) -> None:
    """Start a session: check in, get a journey of tracks toward your goal, and record it."""
    from moodtune.app import record_offered, start_journey
    from moodtune.safety import NOT_A_MEDICAL_DEVICE
    from moodtune.sessions import MoodReport

    before = MoodReport.parse(mood, note=note)
    services = _services()
    with option_names(goal="--goal", tracks="--tracks", mood="--mood", note="--note"):
        if from_file is not None:
            view = record_offered(
                services,
                listener,
                goal=goal,
                mood=before,
                tracks=_tracks_from_file(from_file),
                model_version=f"listener-supplied ({from_file.name})",
            )
        else:
            view = start_journey(services, listener, goal=goal, mood=before, tracks=tracks)
    assert view.support is not None
    if as_json:
        print_json(
            {
                "session_id": view.id,
                "goal": view.goal,
                "target": None
                if view.target is None
                else [view.target.valence, view.target.arousal],
                "model_version": view.model_version,
                "pace": view.pace,
                "learning": asdict(view.learning),
                # "number" is what the text table shows and --position takes; "position"
                # is the stored 0-based index
                "tracks": [
                    {
                        "number": t.number,
                        "position": t.number - 1,
                        "track_id": t.track_id,
                        "reason": t.reason,
                        "title": t.title,
                        "name": t.track.name if t.track else None,
                        "artists": t.track.artists if t.track else None,
                        "genre": t.track.genres[0] if t.track and t.track.genres else None,
                        "mood": t.track.mood.quadrant if t.track else None,
                        "planned_valence": None if t.planned is None else t.planned.valence,
                        "planned_arousal": None if t.planned is None else t.planned.arousal,
                    }
                    for t in view.tracks
                ],
                "safety": view.support.to_dict(),
                "disclaimer": NOT_A_MEDICAL_DEVICE,
            }
        )
        return
    show_support(view.support)
    from rich.table import Table

    table = Table(title=f"Session {view.id} - goal {view.goal}")
    for column in ("#", "track", "why"):
        table.add_column(column)
    for t in view.tracks:
        table.add_row(str(t.number), f"{t.title}\n[dim]{t.track_id}[/]", t.reason)
    console.print(table)
    learning = view.learning
    if learning.personalised:
        pace_text = f"; pace {view.pace:.2f} per track" if view.pace is not None else ""
        console.print(
            f"Shaped by your feedback ({learning.n_feedback} answer(s), "
            f"{learning.n_sessions} finished session(s)): "
            f"{learning.tracks_shaped} track(s) chosen for you, "
            f"{learning.tracks_explored} of them to learn more{pace_text}.",
            highlight=False,
        )
    elif learning.consent is False:
        console.print("Learning is off for you: this journey is not personalised.")
    console.print(
        f"Give feedback: moodtune session feedback {view.id} TRACK_ID --thumbs up|down; "
        f"finish with: moodtune session finish {view.id} --mood WORD"
    )
    _disclaimer()


@session_app.command("feedback")
def session_feedback(
    session: SessionArg,
    track_id: Annotated[str, typer.Argument(help="A track offered in that session.")],
    position: Annotated[
        int | None,
        typer.Option(
            "--position",
            help="The track's number as shown by 'session start' (needed only if it came twice).",
        ),
    ] = None,
    played: Annotated[
        bool | None, typer.Option("--played/--not-played", help="Whether you played it.")
    ] = None,
    skipped_after: Annotated[
        float | None, typer.Option("--skipped-after", help="Seconds listened before skipping.")
    ] = None,
    thumbs: Annotated[str | None, typer.Option("--thumbs", help="up or down.")] = None,
    helped: Annotated[
        bool | None, typer.Option("--helped/--did-not-help", help="Did this track help?")
    ] = None,
    as_json: Json = False,
) -> None:
    """Tell moodtune how a track went, before finishing the session (answers add up)."""
    from moodtune.app import track_feedback
    from moodtune.store.records import as_json_dict

    thumbs_value = None
    if thumbs is not None:
        mapping = {"up": 1, "+1": 1, "1": 1, "down": -1, "-1": -1}
        if thumbs.strip().lower() not in mapping:
            raise InputError(
                "thumbs must be up or down", field="--thumbs", value=thumbs, allowed="up, down"
            )
        thumbs_value = mapping[thumbs.strip().lower()]
    with option_names(position="--position", thumbs="--thumbs", skipped_after_s="--skipped-after"):
        record = track_feedback(
            _services(),
            session,
            track_id,
            position=position,
            played=played,
            skipped_after_s=skipped_after,
            thumbs=thumbs_value,
            helped=helped,
        )
    if as_json:
        print_json(as_json_dict(record))
        return
    console.print(f"Noted feedback on track #{record.position + 1} ({record.track_id}).")


@session_app.command("finish")
def session_finish(
    session: SessionArg, mood: Mood, note: Note = None, as_json: Json = False
) -> None:
    """Check in after listening and close the session."""
    from moodtune.app import finish_journey, session_owner
    from moodtune.safety import NOT_A_MEDICAL_DEVICE
    from moodtune.sessions import MoodReport

    report = MoodReport.parse(mood, note=note)
    services = _services()
    with option_names(mood="--mood", note="--note", words="--mood"):
        done = finish_journey(services, session_owner(services, session), session, report)
    before, after, change, support = done.before, done.after, done.change, done.support
    assert after is not None and support is not None
    if as_json:
        print_json(
            {
                "session_id": done.id,
                "before": None if before is None else [before.valence, before.arousal],
                "after": [after.valence, after.arousal],
                "change": {
                    "valence": None if change is None else change.delta_valence,
                    "arousal": None if change is None else change.delta_arousal,
                    "progress": None if change is None else change.progress,
                },
                "safety": support.to_dict(),
                "disclaimer": NOT_A_MEDICAL_DEVICE,
            }
        )
        return
    console.print(
        f"Session finished. Before: "
        f"{_fmt_point(before.valence if before else None, before.arousal if before else None)}"
        f"  after: {_fmt_point(after.valence, after.arousal)}",
        highlight=False,
    )
    if change is not None:
        console.print(f"Moved {change.progress:+.2f} toward the goal's target mood.")
    show_support(support)
    _disclaimer()


# -- history -----------------------------------------------------------------------------------


def history(
    listener: ListenerArg,
    min_sessions: Annotated[
        int, typer.Option("--min-sessions", help="Fewer sessions than this are flagged.")
    ] = 5,
    as_json: Json = False,
) -> None:
    """Show check-ins over time, change per session, what helped most and streaks."""
    from moodtune.app import history_report
    from moodtune.safety import NOT_A_MEDICAL_DEVICE

    with option_names(min_sessions="--min-sessions"):
        report = history_report(_services(), listener, min_sessions=min_sessions)
    result, person = report.history, report.listener
    if as_json:
        print_json({**result.to_dict(), "disclaimer": NOT_A_MEDICAL_DEVICE})
        return
    from rich.table import Table

    s = result.streaks
    console.print(
        f"[bold]{person.display_name or 'Listener ' + person.id[:8]}[/]: "
        f"{_plural(result.checkins_total, 'check-in')}, "
        f"{_plural(len(result.sessions), 'session')}; streak {_plural(s.current, 'day')}, "
        f"longest {_plural(s.longest, 'day')}."
    )
    recent = Table(title="Recent check-ins")
    for column in ("when (UTC)", "kind", "mood", "words"):
        recent.add_column(column)
    for c in result.checkins[-10:]:
        recent.add_row(
            f"{c.created_at:%Y-%m-%d %H:%M}",
            c.kind,
            _fmt_point(c.valence, c.arousal),
            ", ".join(c.words),
        )
    console.print(recent)
    sessions = Table(title="Sessions: before -> after")
    for column in ("started (UTC)", "goal", "before", "after", "toward target"):
        sessions.add_column(column)
    for ch in result.sessions[-10:]:
        sessions.add_row(
            f"{ch.started_at:%Y-%m-%d %H:%M}",
            ch.goal,
            _fmt_point(*(ch.before or (None, None))),
            _fmt_point(*(ch.after or (None, None))) if ch.finished else "(not finished)",
            "-" if ch.progress is None else f"{ch.progress:+.2f}",
        )
    console.print(sessions)
    for title, groups in (
        ("goal", result.by_goal),
        ("genre", result.by_genre),
        ("music mood", result.by_mood),
    ):
        if not groups:
            continue
        table = Table(title=f"What helped, by {title}")
        for column in ("name", "sessions n", "mean change toward target", "tracks helped", "note"):
            table.add_column(column)
        for g in groups:
            table.add_row(
                g.name,
                str(g.n),
                "-" if g.mean_progress is None else f"{g.mean_progress:+.2f}",
                f"{g.helped}/{g.rated}",
                f"too few sessions (n<{result.min_sessions}): not a pattern yet"
                if g.too_few
                else "",
            )
        console.print(table)
    _disclaimer()
