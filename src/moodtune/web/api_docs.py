"""The API reference page, rendered on the server from the app's own OpenAPI schema.

FastAPI's Swagger UI page loads its scripts from a CDN (jsDelivr), which breaks "nothing leaves
the machine" and which the app's content security policy (``script-src 'self'``) blocks, so it
showed a blank page. This page needs no JavaScript: one section per resource (OpenAPI tag),
each operation with its parameters, body and answers, and every schema with its fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ApiOperation", "ApiReference", "ApiSchema", "api_reference"]

METHOD_ORDER = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class ApiField:
    """A parameter or a schema property: its name, where it goes, its type in words."""

    name: str
    where: str
    type: str
    required: bool
    description: str


@dataclass(frozen=True)
class ApiOperation:
    """One method on one path."""

    method: str
    path: str
    anchor: str
    summary: str
    description: str
    parameters: tuple[ApiField, ...]
    body: str | None
    answers: tuple[tuple[str, str, str], ...]
    """(status, description, schema) for each documented answer."""


@dataclass(frozen=True)
class ApiSchema:
    """A named request or answer shape (``components.schemas``)."""

    name: str
    description: str
    fields: tuple[ApiField, ...]


@dataclass(frozen=True)
class ApiReference:
    """The whole API as the page shows it: resources in schema order, then schemas."""

    title: str
    version: str
    openapi: str
    """The OpenAPI version of the document (``3.1.0``)."""
    description: str
    resources: tuple[tuple[str, tuple[ApiOperation, ...]], ...]
    schemas: tuple[ApiSchema, ...]

    @property
    def operations(self) -> int:
        return sum(len(ops) for _, ops in self.resources)


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_words(schema: Mapping[str, Any] | None) -> str:
    """A JSON schema's type as a short phrase: ``string``, ``list of CheckInView``,
    ``integer or null``, ``one of: calm, lift`` (enums)."""
    if not schema:
        return "any"
    if "$ref" in schema:
        return _ref_name(str(schema["$ref"]))
    if "enum" in schema:
        return "one of: " + ", ".join(str(v) for v in schema["enum"])
    if "const" in schema:
        return repr(schema["const"])
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            parts = [type_words(part) for part in schema[key]]
            unique = list(dict.fromkeys(parts))
            return " or ".join(unique)
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        return " or ".join(str(k) for k in kind)
    if kind == "array":
        return "list of " + type_words(schema.get("items"))
    if kind == "object" and isinstance(schema.get("additionalProperties"), Mapping):
        return "map of " + type_words(schema["additionalProperties"])
    if "format" in schema:
        return f"{kind} ({schema['format']})"
    return str(kind)


def _content_schema(content: Mapping[str, Any] | None) -> str | None:
    if not content:
        return None
    parts = []
    for media, body in content.items():
        parts.append(f"{type_words(body.get('schema'))} ({media})")
    return "; ".join(dict.fromkeys(parts))


def _anchor(method: str, path: str) -> str:
    cleaned = "".join(c if c.isalnum() else "-" for c in path.strip("/"))
    return f"op-{method}-{cleaned}".strip("-")


def _operation(method: str, path: str, op: Mapping[str, Any]) -> ApiOperation:
    parameters = tuple(
        ApiField(
            name=str(p.get("name", "")),
            where=str(p.get("in", "")),
            type=type_words(p.get("schema")),
            required=bool(p.get("required", False)),
            description=str(p.get("description", "")),
        )
        for p in op.get("parameters", [])
    )
    body = _content_schema(op.get("requestBody", {}).get("content"))
    answers = tuple(
        (str(code), str(ans.get("description", "")), _content_schema(ans.get("content")) or "")
        for code, ans in sorted(op.get("responses", {}).items())
    )
    return ApiOperation(
        method=method.upper(),
        path=path,
        anchor=_anchor(method, path),
        summary=str(op.get("summary", "")),
        description=str(op.get("description", "")),
        parameters=parameters,
        body=body,
        answers=answers,
    )


def _schema(name: str, schema: Mapping[str, Any]) -> ApiSchema:
    required = set(schema.get("required", []))
    fields = tuple(
        ApiField(
            name=str(field),
            where="body",
            type=type_words(spec),
            required=field in required,
            description=str(spec.get("description", "")),
        )
        for field, spec in schema.get("properties", {}).items()
    )
    return ApiSchema(name=name, description=str(schema.get("description", "")), fields=fields)


def api_reference(schema: Mapping[str, Any]) -> ApiReference:
    """The reference of an OpenAPI document: operations grouped by their first tag (a resource,
    one router each), in the order the schema lists them."""
    groups: dict[str, list[ApiOperation]] = {}
    for path, item in schema.get("paths", {}).items():
        for method in METHOD_ORDER:
            op = item.get(method)
            if op is None:
                continue
            tag = (op.get("tags") or ["other"])[0]
            groups.setdefault(str(tag), []).append(_operation(method, path, op))
    info = schema.get("info", {})
    return ApiReference(
        title=str(info.get("title", "API")),
        version=str(info.get("version", "")),
        openapi=str(schema.get("openapi", "")),
        description=str(info.get("description", "")),
        resources=tuple((tag, tuple(ops)) for tag, ops in groups.items()),
        schemas=tuple(
            _schema(name, spec)
            for name, spec in sorted(schema.get("components", {}).get("schemas", {}).items())
        ),
    )
