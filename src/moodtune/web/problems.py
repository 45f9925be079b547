"""Errors as RFC 9457 problem details (``application/problem+json``) that name the field."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from moodtune.errors import InputError, MoodtuneError, NotFoundError, ValidationReport

__all__ = ["PROBLEM_RESPONSES", "Problem", "ProblemField", "install_problem_handlers", "problem"]

log = logging.getLogger("moodtune.web")
PROBLEM_TYPE = "about:blank"
MAX_ECHO = 120


class ProblemField(BaseModel):
    """One input problem: which field, what is wrong, the value given and what is allowed."""

    field: str | None = None
    message: str
    value: str | None = None
    allowed: str | None = None


class Problem(BaseModel):
    """RFC 9457 problem details; ``errors`` lists every field problem."""

    type: str = PROBLEM_TYPE
    title: str
    status: int
    detail: str
    instance: str | None = None
    errors: list[ProblemField] = []


_CONTENT = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "description": text, "content": _CONTENT}
    for code, text in (
        (400, "Bad request"),
        (401, "Sign in first (multi-user mode): a Bearer token or a session"),
        (403, "Refused (a request from another site)"),
        (404, "Not found (or not yours)"),
        (409, "Conflict"),
        (422, "Invalid input: `detail` and `errors` name the field"),
        (429, "Too many failed sign-ins (retry after the Retry-After seconds)"),
        (503, "Still preparing models (retry after the Retry-After seconds)"),
    )
}

_TITLES = {400: "Bad request", 401: "Sign in first", 403: "Forbidden", 404: "Not found",
           405: "Method not allowed",
           409: "Conflict", 413: "Too large", 422: "Invalid input", 500: "Internal error",
           503: "Not ready yet", 429: "Too many attempts"}  # fmt: skip


def _short(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= MAX_ECHO else text[:MAX_ECHO] + "…"


def problem(
    status: int,
    detail: str,
    *,
    request: Request | None = None,
    errors: list[ProblemField] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        title=_TITLES.get(status, "Error"),
        status=status,
        detail=detail,
        instance=None if request is None else request.url.path,
        errors=errors or [],
    )
    return JSONResponse(
        body.model_dump(),
        status_code=status,
        media_type="application/problem+json",
        headers=headers,
    )


def _field(exc: InputError) -> ProblemField:
    return ProblemField(
        field=exc.field, message=exc.message, value=_short(exc.value), allowed=exc.allowed
    )


def input_problem(exc: InputError, request: Request | None = None) -> JSONResponse:
    """The problem response for a library ``InputError`` (404 for ``NotFoundError``)."""
    status = 404 if isinstance(exc, NotFoundError) else 422
    fields = (
        [_field(p) for p in exc.problems] if isinstance(exc, ValidationReport) else [_field(exc)]
    )
    return problem(status, str(exc), request=request, errors=fields)


# Pydantic names the member of a union that failed ("valence.float", "valence.int"): a tag of
# its own, never one of our field names (which are identifiers without "-" or "[").
_UNION_TAGS = frozenset({"float", "int", "str", "bool", "none", "list", "dict", "literal"})


def _field_path(loc: tuple[Any, ...]) -> str | None:
    """The field as the client named it: ``mood.valence``, ``words.0`` (no union tags)."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    parts = [p for p in parts if p not in _UNION_TAGS and "[" not in p and "-" not in p]
    return ".".join(parts) or None


HtmlError = Callable[[Request, int, str], Response]


def install_problem_handlers(app: FastAPI, html_error: HtmlError) -> None:
    """Every error of the API, FastAPI's own included, becomes problem+json; pages get HTML."""

    def api(request: Request) -> bool:
        return request.url.path.startswith("/api/")

    @app.exception_handler(InputError)
    async def _input(request: Request, exc: InputError) -> Response:
        if not api(request):
            return html_error(request, 404 if isinstance(exc, NotFoundError) else 422, str(exc))
        return input_problem(exc, request)

    @app.exception_handler(MoodtuneError)
    async def _moodtune(request: Request, exc: MoodtuneError) -> Response:
        if not api(request):
            return html_error(request, 422, str(exc))
        return problem(422, str(exc), request=request)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields: dict[str | None, ProblemField] = {}
        for error in exc.errors():
            name = _field_path(tuple(error.get("loc", ())))
            message = str(error.get("msg", "invalid"))
            if name in fields:  # one field failing every member of a union: one problem
                if message not in fields[name].message:
                    fields[name].message += f", or {message[:1].lower()}{message[1:]}"
                continue
            fields[name] = ProblemField(
                field=name, message=message, value=_short(error.get("input"))
            )
        found = list(fields.values())
        detail = "; ".join(f"{f.field or 'request'}: {f.message}" for f in found) or "invalid"
        return problem(422, detail, request=request, errors=found)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if not api(request):
            return html_error(request, exc.status_code, str(exc.detail))
        return problem(
            exc.status_code,
            str(exc.detail),
            request=request,
            headers=dict(exc.headers) if exc.headers else None,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        if not api(request):
            return html_error(request, 500, "Something went wrong on our side; nothing changed.")
        return problem(500, "something went wrong on our side; nothing changed", request=request)
