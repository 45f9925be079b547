"""The API's ``…Public`` schemas: made from the result dataclasses, field for field, and the
only shapes the API answers with."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError

from moodtune.app import connectors
from moodtune.app.views import SessionView, mood_view, support_view
from moodtune.safety import help_resources
from moodtune.web import public
from moodtune.web.public import (
    PUBLIC_SUFFIX,
    ImportReportPublic,
    SessionPublic,
    public_model,
    public_name,
    to_public,
)


def _published() -> list[tuple[str, type[BaseModel]]]:
    """The named public models made from result dataclasses (the export is not one)."""
    made = set(public._MODELS.values())
    return [(n, getattr(public, n)) for n in public.__all__ if getattr(public, n) in made]


@pytest.mark.parametrize(("name", "model"), _published(), ids=lambda v: str(v)[:40])
def test_each_public_model_has_the_fields_of_its_dataclass(
    name: str, model: type[BaseModel]
) -> None:
    view = next(v for v, m in public._MODELS.items() if m is model)
    assert public_name(view) == name == model.__name__
    fields = [f.name for f in dataclasses.fields(view)]
    extra = {"match_rate", "summary"} if view is connectors.ImportReport else set()
    assert list(model.model_fields) == fields + [f for f in model.model_fields if f in extra]
    assert set(model.model_fields) - set(fields) == extra


def test_nested_results_become_their_own_public_models() -> None:
    tracks = SessionPublic.model_fields["tracks"].annotation
    assert "JourneyTrackPublic" in str(tracks)
    schema = SessionPublic.model_json_schema()
    assert {"MoodPublic", "JourneyTrackPublic", "TrackPublic", "SupportPublic"} <= set(
        schema["$defs"]
    )
    assert not [name for name in schema["$defs"] if not name.endswith(PUBLIC_SUFFIX)]


def _session(**changes: Any) -> SessionView:
    now = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    base = SessionView(
        id="s1", goal="calm", goal_label="Calm down", started_at=now, finished_at=None,
        before=mood_view(-0.4, 0.6), after=None, target=mood_view(0.4, -0.4), tracks=(),
        change=None, notes=(), personalised=False, model_version="m1",
        support=support_view(help_resources()),
    )  # fmt: skip
    return dataclasses.replace(base, **changes)


def test_a_result_is_validated_at_the_border() -> None:
    """What leaves is the declared fields of the declared types: an attribute set on the side
    is not published, and a wrong type is an error here, not a surprise for a client."""
    session = _session()
    object.__setattr__(session, "internal_secret", "do not publish")
    body = to_public(SessionPublic, session).model_dump(mode="json")
    assert "internal_secret" not in body
    assert body["before"]["near"] == session.before.near  # type: ignore[union-attr]
    assert body["started_at"] == "2026-12-02T09:00:00Z"
    with pytest.raises(ValidationError, match="started_at"):
        to_public(SessionPublic, _session(started_at="yesterday"))


def test_an_import_report_publishes_its_match_rate_and_summary() -> None:
    report = connectors.ImportReport(
        listener_id="l1", files=(), considered=4, matched=3, matched_by={"spotify_id": 3},
        unmatched={"not in the catalog": 1},
        unmatched_examples=(connectors.UnmatchedExample("A – B", 1),), plays=4, skips=0,
        likes=0, added=3, already_stored=0,
    )  # fmt: skip
    body = to_public(ImportReportPublic, report).model_dump(mode="json")
    assert body["match_rate"] == 0.75
    assert body["summary"].startswith("3 of 4 matched the catalog (75%)")
    assert body["unmatched_examples"] == [{"track": "A – B", "count": 1}]


def test_two_results_cannot_share_a_public_name() -> None:
    @dataclasses.dataclass(frozen=True)
    class MoodView:  # the same name as views.MoodView, another class
        x: float

    with pytest.raises(ValueError, match="both be published as MoodPublic"):
        public_model(MoodView)
    with pytest.raises(TypeError, match="not a result dataclass"):
        public_model(dict)

    @dataclasses.dataclass(frozen=True)
    class GaugeView:
        x: float

        def doubled(self) -> float:
            return 2 * self.x

    with pytest.raises(TypeError, match="GaugeView.doubled is not a property"):
        public_model(GaugeView, computed={"doubled": float})


def test_every_answer_of_the_api_is_a_public_model(client: TestClient) -> None:
    """No operation answers with a dataclass's own schema or an untyped object: each JSON
    answer is a ``…Public`` model or a page of them, but for two plain counts."""
    schema = client.get("/api/v1/openapi.json").json()
    names = set(schema["components"]["schemas"])
    answers: dict[str, str] = {}
    for path, item in schema["paths"].items():
        for method, op in item.items():
            for status, answer in op["responses"].items():
                body = answer.get("content", {}).get("application/json")
                if body is None or not status.startswith("2"):
                    continue
                ref = body["schema"].get("$ref", "").rsplit("/", 1)[-1]
                title = body["schema"].get("title", "")  # an inline schema (the export)
                answers[f"{method.upper()} {path} {status}"] = ref or (
                    title if title.endswith(PUBLIC_SUFFIX) else str(body["schema"])
                )
    odd = {
        op: name
        for op, name in answers.items()
        if not (name.endswith(PUBLIC_SUFFIX) or name.endswith(PUBLIC_SUFFIX + "_"))
    }
    # the two deletes answer counts ({"table": rows}, {"ended": n}): typed as integer maps
    assert all("additionalProperties" in name and "integer" in name for name in odd.values()), odd
    assert len(odd) == 2, odd
    view_names = {v.__name__ for v in public._MODELS}
    assert not names & view_names, "a dataclass's own schema is published"
