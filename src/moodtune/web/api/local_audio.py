"""``/api/v1/local-tracks``: a listener's own files, played in the browser (range requests)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import FileResponse

from moodtune.app.library import local_audio_file
from moodtune.config import Settings
from moodtune.web.deps import ListenerId


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(_settings)]
router = APIRouter(tags=["local audio"])
LocalTrackId = Annotated[str, Path(min_length=7, max_length=64, pattern=r"^local-[0-9a-f]+$")]
_AUDIO = {"audio/*": {"schema": {"type": "string", "format": "binary"}}}


@router.get(
    "/local-tracks/{track_id}/audio",
    response_class=FileResponse,
    responses={
        200: {"description": "The whole file", "content": _AUDIO},
        206: {"description": "The byte range asked for (Range: bytes=...)", "content": _AUDIO},
        416: {"description": "The range asked for is not in the file"},
    },
)
def local_track_audio(
    track_id: LocalTrackId, listener: ListenerId, settings: SettingsDep
) -> FileResponse:
    """The audio of one of your own scanned files (``moodtune audio scan --listener``)."""
    found = local_audio_file(listener, track_id, settings=settings)
    return FileResponse(
        found.path,
        media_type=found.media_type,
        headers={"Cache-Control": "private, no-store"},
        content_disposition_type="inline",
    )
