"""The JSON API's response schemas: a Pydantic ``…Public`` model for each result dataclass.

The application layer's frozen dataclasses stay the one definition of every result (the CLI
and the pages use them as they are); :func:`public_model` turns one into the Pydantic model the
API documents and answers with, field for field, nested results becoming their own ``…Public``
models. At the border the API validates a result *into* its public model (:func:`to_public`),
so only declared fields of the declared types leave the process: a field added to a
dataclass for the pages is published only when it is in the dataclass's field list, never by
an attribute set on the side, and a value of the wrong type is an error here rather than a
surprise for a client.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, create_model

from moodtune.app import accounts, connectors, therapists, views
from moodtune.sessions.service import EXPORT_FORMAT, EXPORT_FORMAT_VERSION

__all__ = [
    "PUBLIC_SUFFIX",
    "AccessPublic",
    "CheckInPublic",
    "ClientSummaryPublic",
    "HistoryPublic",
    "ImportReportPublic",
    "LinkPublic",
    "ListenerExportPublic",
    "ListenerPublic",
    "MapPublic",
    "MePublic",
    "NewApiTokenPublic",
    "NewInvitePublic",
    "PreparedJourneyPublic",
    "SessionPublic",
    "SessionSummaryPublic",
    "SignInSessionPublic",
    "SimilarTracksPublic",
    "SuggestionPublic",
    "SupportPublic",
    "TherapistCheckInPublic",
    "TokenPublic",
    "TrackPublic",
    "public_model",
    "public_name",
    "public_page",
    "to_public",
]

PUBLIC_SUFFIX = "Public"
_MODELS: dict[type, type[BaseModel]] = {}
_NAMES: dict[str, type] = {}
_CONFIG = ConfigDict(from_attributes=True, frozen=True, extra="ignore")
M = TypeVar("M", bound=BaseModel)


def public_name(view: type) -> str:
    """``SessionView`` → ``SessionPublic``; ``SessionSummary`` → ``SessionSummaryPublic``."""
    stem = view.__name__.removesuffix("View") or view.__name__
    return stem + PUBLIC_SUFFIX


def _public_type(hint: Any) -> Any:
    """A field's type with every result dataclass inside it replaced by its public model."""
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return public_model(hint)
    origin = get_origin(hint)
    if origin is None or origin is Literal:
        return hint
    args = tuple(_public_type(arg) for arg in get_args(hint))
    if origin is Union or origin is types.UnionType:
        return Union[args]  # noqa: UP007 - built from a tuple of types at run time
    if origin is typing.Annotated:
        return typing.Annotated[(args[0], *hint.__metadata__)]
    return origin[args]


def _field(item: dataclasses.Field[Any], hint: Any) -> tuple[Any, Any]:
    description = item.metadata.get("description") if item.metadata else None
    if item.default is not dataclasses.MISSING:
        return hint, Field(default=item.default, description=description)
    if item.default_factory is not dataclasses.MISSING:
        return hint, Field(default_factory=item.default_factory, description=description)
    return hint, Field(description=description)


def public_model(view: type, *, computed: Mapping[str, Any] | None = None) -> type[BaseModel]:
    """The ``…Public`` model of the result dataclass ``view`` (made once, then reused).

    ``computed`` adds read-only properties of the dataclass (name → type) that the API
    publishes beside its fields, such as an import report's match rate.
    """
    made = _MODELS.get(view)
    if made is not None:
        if computed and not set(computed) <= set(made.model_fields):
            raise ValueError(f"{view.__name__}: its public model was made without {computed}")
        return made
    if not (isinstance(view, type) and dataclasses.is_dataclass(view)):
        raise TypeError(f"{view!r} is not a result dataclass")
    name = public_name(view)
    if name in _NAMES and _NAMES[name] is not view:
        other = _NAMES[name]
        raise ValueError(
            f"two results would both be published as {name}: "
            f"{other.__module__}.{other.__qualname__} and {view.__module__}.{view.__qualname__}"
        )
    hints = get_type_hints(view, include_extras=True)
    fields: dict[str, Any] = {
        item.name: _field(item, _public_type(hints[item.name])) for item in dataclasses.fields(view)
    }
    for attr, hint in (computed or {}).items():
        if not isinstance(getattr(view, attr, None), property):
            raise TypeError(f"{view.__name__}.{attr} is not a property")
        fields[attr] = (_public_type(hint), Field())
    model = create_model(
        name,
        __config__=_CONFIG,
        __doc__=(view.__doc__ or "").strip() or None,
        __module__=__name__,
        **fields,
    )
    _MODELS[view] = model
    _NAMES[name] = view
    return typing.cast(type[BaseModel], model)


def public_page(model: type[BaseModel]) -> type[BaseModel]:
    """``Page[model]``: one page of a list of public results, for a ``response_model``."""
    from moodtune.web.schemas import Page

    return typing.cast(type[BaseModel], Page.__class_getitem__(model))


def to_public(model: type[M], value: object) -> M:
    """``value`` (a result dataclass) validated into its public ``model``."""
    return model.model_validate(value, from_attributes=True)


# --------------------------------------------------------------- the API's response schemas
CheckInPublic = public_model(views.CheckInView)
HistoryPublic = public_model(views.HistoryView)
ListenerPublic = public_model(views.ListenerView)
MapPublic = public_model(views.MapView)
MePublic = public_model(views.MeView)
PreparedJourneyPublic = public_model(views.PreparedJourney)
SessionPublic = public_model(views.SessionView)
SessionSummaryPublic = public_model(views.SessionSummary)
SimilarTracksPublic = public_model(views.SimilarTracksView)
SupportPublic = public_model(views.SupportView)
TrackPublic = public_model(views.TrackView)
ImportReportPublic = public_model(
    connectors.ImportReport, computed={"match_rate": float, "summary": str}
)
NewApiTokenPublic = public_model(accounts.NewApiToken)
SignInSessionPublic = public_model(accounts.SignInSessionView)
TokenPublic = public_model(accounts.TokenView)
AccessPublic = public_model(therapists.AccessView)
ClientSummaryPublic = public_model(therapists.ClientSummary)
LinkPublic = public_model(therapists.LinkView)
NewInvitePublic = public_model(therapists.NewInvite)
SuggestionPublic = public_model(therapists.SuggestionView)
TherapistCheckInPublic = public_model(therapists.TherapistCheckIn)


class ListenerExportPublic(BaseModel):
    """Everything stored about a listener: each table's rows of theirs, as stored (the format
    ``moodtune listener export`` writes and the Me page downloads)."""

    model_config = ConfigDict(frozen=True)

    format: Literal["moodtune-listener-export"] = EXPORT_FORMAT
    format_version: Literal[1] = EXPORT_FORMAT_VERSION
    moodtune_version: str
    exported_at: datetime
    listener_id: str
    tables: dict[str, list[dict[str, Any]]] = Field(
        description="table name → that table's rows about the listener (column → value)"
    )
