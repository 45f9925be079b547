"""``/api/v1/listener``: the local listener — set up, survey, consent, Me, export, delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Response

from moodtune import app as moodtune_app
from moodtune.app.services import Services
from moodtune.web.deps import IdentityDep, ListenerId, ServicesDep
from moodtune.web.public import ListenerExportPublic, ListenerPublic, MePublic
from moodtune.web.schemas import ConsentUpdate, ListenerCreate, SurveyIn

router = APIRouter(prefix="/listener", tags=["listener"])


@router.post("", status_code=201, response_model=ListenerPublic)
def create_listener(body: ListenerCreate, services: ServicesDep, ident: IdentityDep) -> Any:
    """Set up the local listener (the survey may be skipped and answered later)."""
    if ident.get() is not None:
        raise HTTPException(409, "a listener is already set up on this machine")
    made = moodtune_app.onboard(
        services,
        profile=None if body.survey is None else body.survey.profile(),
        display_name=body.display_name,
        keep_notes=body.keep_notes,
        learning=body.learning,
        country=body.country,
    )
    ident.set(made.id)
    return made


@router.get("", response_model=MePublic)
def get_me(listener: ListenerId, services: ServicesDep) -> Any:
    """Persona, genre recommendations, the honest "will music help" estimate, consent."""
    return moodtune_app.me_view(services, listener)


@router.put("/survey", response_model=ListenerPublic)
def put_survey(body: SurveyIn, listener: ListenerId, services: ServicesDep) -> Any:
    """Answer (or replace) the listener survey."""
    return moodtune_app.save_survey(services, listener, body.profile())


@router.patch("/consent", response_model=ListenerPublic)
def patch_consent(body: ConsentUpdate, listener: ListenerId, services: ServicesDep) -> Any:
    """Change consent; turning notes off erases the notes already stored."""
    view, _erased = moodtune_app.set_consent(
        services, listener, keep_notes=body.keep_notes, learning=body.learning
    )
    return view


@router.get(
    "/export",
    response_class=Response,
    responses={
        200: {
            "description": "A JSON file to keep (``Content-Disposition: attachment``).",
            "content": {"application/json": {"schema": ListenerExportPublic.model_json_schema()}},
        }
    },
)
def export(listener: ListenerId, services: ServicesDep) -> Response:
    """Everything stored about you, as one JSON file."""
    return export_download(services, listener, filename="moodtune-export.json")


def export_download(services: Services, listener: str, *, filename: str) -> Response:
    """The listener's export as a JSON attachment (the API and the Me page both serve it)."""
    import json

    from moodtune.jsonable import to_jsonable

    payload = to_jsonable(moodtune_app.export_everything(services, listener))
    ListenerExportPublic.model_validate(payload)  # the envelope the schema documents
    return Response(
        json.dumps(payload, indent=2),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.delete("", status_code=200)
def delete(listener: ListenerId, services: ServicesDep, ident: IdentityDep) -> dict[str, int]:
    """Delete everything stored about you; returns the rows removed per table."""
    removed = moodtune_app.delete_everything(services, listener)
    ident.clear()
    return removed
