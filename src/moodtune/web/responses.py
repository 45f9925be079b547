"""Typed results written straight to JSON, for the API's busiest routes.

FastAPI validates a returned dataclass against its ``response_model`` again before it
serialises it: about 1.2 ms for a journey, against 0.05 ms for pydantic's serialiser alone.
The application layer's results are already typed, so the hot routes return
:func:`json_result`; their ``response_model`` still documents the body in the OpenAPI schema,
and the schema tests check every body against it.
"""

from __future__ import annotations

from typing import Any

from fastapi import Response
from pydantic import TypeAdapter

__all__ = ["json_result"]


_ADAPTERS: dict[type, TypeAdapter[Any]] = {}


def _adapter(kind: type) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(kind)
    if adapter is None:
        adapter = _ADAPTERS[kind] = TypeAdapter(kind)
    return adapter


def json_result(value: object, *, status_code: int = 200) -> Response:
    """``value`` (a result dataclass) as an ``application/json`` response."""
    body = _adapter(type(value)).dump_json(value)
    return Response(content=body, status_code=status_code, media_type="application/json")
