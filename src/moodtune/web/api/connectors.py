"""``/api/v1``: a journey as a playlist file; history and playlist uploads as preferences."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Path, Query, Response, UploadFile
from starlette.datastructures import UploadFile as StarletteUpload

from moodtune.app.connectors import (
    PlaylistDownload,
    export_journey_playlist,
    import_history,
    import_playlist_files,
)
from moodtune.connectors.history import MAX_HISTORY_BYTES
from moodtune.errors import InputError
from moodtune.web.deps import ListenerId, ServicesDep
from moodtune.web.public import ImportReportPublic, to_public

router = APIRouter(tags=["connectors"])
SessionId = Annotated[str, Path(min_length=1, max_length=64)]
Format = Literal["m3u8", "xspf", "csv", "json"]
MAX_FILES = 50


def playlist_response(download: PlaylistDownload) -> Response:
    """The file as a download; notes (tracks left out) in ``X-Moodtune-Notes``."""
    headers = {"Content-Disposition": f'attachment; filename="{download.filename}"'}
    if download.notes:
        headers["X-Moodtune-Notes"] = " | ".join(download.notes).encode("ascii", "replace").decode()
    return Response(download.content, media_type=download.media_type, headers=headers)


@router.get("/sessions/{session_id}/playlist", response_class=Response)
def download_playlist(
    session_id: SessionId,
    listener: ListenerId,
    services: ServicesDep,
    format: Annotated[Format, Query(description="m3u8, xspf, csv or json")] = "m3u8",
    locations: Annotated[
        Literal["auto", "path", "spotify"],
        Query(description="what M3U8/XSPF point at: local files, Spotify URIs, or either"),
    ] = "auto",
) -> Response:
    """One of your journeys as a playlist file for another player."""
    download = export_journey_playlist(services, listener, session_id, format, locations=locations)
    return playlist_response(download)


async def read_uploads(files: Sequence[StarletteUpload]) -> list[tuple[str, bytes]]:
    """``(name, bytes)`` of each upload, refusing too many files or too large ones."""
    if len(files) > MAX_FILES:
        raise InputError(
            "too many files at once",
            field="files",
            value=len(files),
            allowed=f"at most {MAX_FILES}",
        )
    out = []
    for upload in files:
        name = upload.filename or "upload"
        data = await upload.read(MAX_HISTORY_BYTES + 1)
        if len(data) > MAX_HISTORY_BYTES:
            raise InputError(
                "the file is too large",
                file=name,
                field="files",
                allowed=f"at most {MAX_HISTORY_BYTES // 2**20} MiB",
            )
        out.append((name, data))
    return out


@router.post("/listening-history", status_code=201, response_model=ImportReportPublic)
async def upload_history(
    listener: ListenerId,
    services: ServicesDep,
    files: Annotated[list[UploadFile], File()],
    skip_bad: Annotated[bool, Form()] = False,
) -> Any:
    """Import listening-history exports (Spotify, Last.fm, ListenBrainz); the import report.
    ``skip_bad`` imports the good records and lists each malformed one (``bad_records``)."""
    uploads = await read_uploads(files)
    return to_public(
        ImportReportPublic, import_history(services, listener, uploads, skip_bad=skip_bad)
    )


@router.post("/playlists/import", status_code=201, response_model=ImportReportPublic)
async def upload_playlists(
    listener: ListenerId, services: ServicesDep, files: Annotated[list[UploadFile], File()]
) -> Any:
    """Import playlist files (M3U8, XSPF, CSV, JSON) as tracks you like; the import report."""
    report = import_playlist_files(services, listener, await read_uploads(files))
    return to_public(ImportReportPublic, report)
