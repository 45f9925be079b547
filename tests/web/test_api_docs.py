"""The API reference page: built from the app's own OpenAPI schema, no CDN, no script."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from moodtune.web.api_docs import api_reference, type_words

# fmt: off
TINY = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/a/{id}": {
            "get": {
                "tags": ["things"],
                "summary": "Get A",
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"name": "limit", "in": "query",
                     "schema": {"anyOf": [{"type": "integer"}, {"type": "null"}]}},
                ],
                "responses": {
                    "404": {"description": "Not found"},
                    "200": {"description": "OK", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/Thing"}}}},
                },
            },
            "delete": {"tags": ["things"], "responses": {"204": {"description": "Gone"}}},
        },
        "/b": {"post": {"requestBody": {"content": {"application/json": {
            "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}}}}},
            "responses": {}}},
    },
    "components": {"schemas": {"Thing": {
        "properties": {"goal": {"enum": ["calm", "lift"]}, "n": {"type": "integer"}},
        "required": ["goal"]}}},
}
# fmt: on


def test_type_words() -> None:
    assert type_words({"type": "string"}) == "string"
    assert type_words({"anyOf": [{"type": "integer"}, {"type": "null"}]}) == "integer or null"
    assert type_words({"type": "array", "items": {"$ref": "#/x/Y"}}) == "list of Y"
    assert type_words({"enum": ["calm", "lift"]}) == "one of: calm, lift"
    assert type_words({"type": "string", "format": "date-time"}) == "string (date-time)"
    assert type_words(None) == "any"


def test_reference_groups_operations_by_resource_in_order() -> None:
    ref = api_reference(TINY)
    assert [tag for tag, _ in ref.resources] == ["things", "other"]
    things = dict(ref.resources)["things"]
    assert [(op.method, op.path) for op in things] == [("GET", "/a/{id}"), ("DELETE", "/a/{id}")]
    get = things[0]
    assert [(p.name, p.where, p.type, p.required) for p in get.parameters] == [
        ("id", "path", "string", True), ("limit", "query", "integer or null", False)
    ]  # fmt: skip
    assert get.answers == (("200", "OK", "Thing (application/json)"), ("404", "Not found", ""))
    assert dict(ref.resources)["other"][0].body == "list of Thing (application/json)"
    assert ref.operations == 3
    assert ref.openapi == "3.1.0"
    (thing,) = ref.schemas
    assert [(f.name, f.type, f.required) for f in thing.fields] == [
        ("goal", "one of: calm, lift", True), ("n", "integer", False)
    ]  # fmt: skip


def test_the_page_lists_every_operation_and_loads_nothing_from_elsewhere(client: Any) -> None:
    answer = client.get("/api/v1/docs")
    assert answer.status_code == 200
    html = answer.text
    schema = client.get("/api/v1/openapi.json").json()
    for path, item in schema["paths"].items():
        for method in item:
            assert f"<code>{method.upper()} {path}</code>" in html, (method, path)
    for name in schema["components"]["schemas"]:
        assert f'id="schema-{name}"' in html
    # every script, style sheet and image comes from this server; no inline script
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert url.startswith(("/", "#")), url
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert "not a medical device" in html.lower()  # the app's own frame, footer and all


def test_the_page_is_public_in_multi_user_mode(multi_app: Any) -> None:
    answer = TestClient(multi_app).get("/api/v1/docs", follow_redirects=False)
    assert answer.status_code == 200 and "Bearer" in answer.text


def test_no_operation_answers_a_bare_list(client: Any) -> None:
    """Pagination on every list: a list is a ``Page`` (items, total, offset, limit)."""
    schema = client.get("/api/v1/openapi.json").json()
    bare = [
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method, op in item.items()
        for answer in op["responses"].values()
        for body in answer.get("content", {}).values()
        if body.get("schema", {}).get("type") == "array"
    ]
    assert bare == []


def test_one_router_per_resource(client: Any) -> None:
    """Each API operation belongs to one resource (its one tag), and each resource is served
    by one router module: a new route lands where its resource lives."""
    from fastapi.routing import APIRoute, iter_route_contexts

    modules: dict[str, set[str]] = {}
    for context in iter_route_contexts(client.app.routes):
        route = context.route
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        if not str(context.path).startswith("/api/v1"):
            continue
        assert len(route.tags) == 1, (context.path, route.tags)
        modules.setdefault(str(route.tags[0]), set()).add(route.endpoint.__module__)
    assert len(modules) >= 10
    shared = {tag: found for tag, found in modules.items() if len(found) > 1}
    assert shared == {}
    assert len({next(iter(found)) for found in modules.values()}) == len(modules)
