"""The OpenAPI document and the docs pages are served, and describe every route, field and error."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from uuid_utils.compat import uuid7

from leadstore.bootstrap import Container
from leadstore.documents import lead_document
from leadstore.domain import validation
from leadstore.domain.state import Lead
from leadstore.http.testing import serve

WRITES_WITH_BODY = [
    ("/v1/leads", "post", "LeadInput"),
    ("/v1/leads/{lead_id}", "patch", "LeadPatch"),
    ("/v1/leads/{lead_id}/assign", "post", "AssignInput"),
    ("/v1/leads/{lead_id}/convert", "post", "ConvertInput"),
    ("/v1/leads/{lead_id}/archive", "post", "ReasonInput"),
    ("/v1/statuses", "post", "StatusInput"),
    ("/v1/teams/{team_id}", "patch", "TeamPatch"),
    ("/v1/custom-fields", "post", "CustomFieldInput"),
    ("/v1/api-keys", "post", "ApiKeyInput"),
]
LIST_FILTERS = {"status", "assigned_to", "team_id", "source", "company_id", "min_score", "max_score", "created_after"}
LIST_FILTERS |= {"created_before", "updated_after", "is_converted", "archived", "email", "q", "sort", "limit", "cursor"}
LIST_FILTERS |= {"min_position", "phone"}
PUBLIC = {("/v1/signing-key", "get")}  # the v1 routes that need no API key


@pytest.fixture(scope="module")
async def schema(container: Container) -> AsyncIterator[dict[str, Any]]:
    async with serve(container) as url, httpx.AsyncClient(base_url=url) as http:
        response = await http.get("/schema/openapi.json")
        assert response.status_code == 200
        yield response.json()


async def test_docs_pages_are_served_without_a_key(container: Container) -> None:
    async with serve(container) as url, httpx.AsyncClient(base_url=url) as http:
        scalar, swagger = await http.get("/schema"), await http.get("/schema/swagger")

    assert scalar.status_code == 200 and "text/html" in scalar.headers["content-type"]
    assert swagger.status_code == 200 and "swagger" in swagger.text.lower()


def test_every_v1_operation_documents_auth_and_problem_responses(schema: dict[str, Any]) -> None:
    operations = [(path, method, op) for path, item in schema["paths"].items() for method, op in item.items()]
    assert len(operations) >= 25
    for path, method, operation in operations:
        assert path.startswith("/v1/"), path
        assert operation.get("summary") and operation.get("tags"), (path, method)
        responses = operation["responses"]
        assert "application/problem+json" in responses["503"]["content"], (path, method)
        if (path, method) in PUBLIC:
            assert operation["security"] == [{}] and not {"401", "403"} & responses.keys(), (path, method)
            continue
        for status in ("401", "403"):
            assert "application/problem+json" in responses[status]["content"], (path, method, status)
        assert any(p["name"] == "X-Account-Id" for p in operation["parameters"]), (path, method)
    assert schema["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}


def test_write_bodies_and_write_errors_are_documented(schema: dict[str, Any]) -> None:
    for path, method, component in WRITES_WITH_BODY:
        operation = schema["paths"][path][method]
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": f"#/components/schemas/{component}"}, (path, method)
    create = schema["paths"]["/v1/leads"]["post"]
    assert {"201", "400", "404", "409", "412", "413", "422"} <= create["responses"].keys()
    assert {"ETag", "Leadstore-Position", "Location", "Idempotent-Replayed"} <= create["responses"]["201"][
        "headers"
    ].keys()
    assert {"If-Match", "Idempotency-Key"} <= {p["name"] for p in create["parameters"]}
    problem = schema["components"]["schemas"]["ProblemOut"]["properties"]
    assert {"type", "title", "status", "detail", "code", "request_id", "errors"} <= problem.keys()


def test_the_lead_schema_has_every_field_of_a_lead(schema: dict[str, Any]) -> None:
    now = datetime.now(UTC)
    lead = Lead(
        id=uuid7(), account_id=uuid7(), created_by=uuid7(), status="new", version=1, created_at=now, updated_at=now
    )
    document = lead_document(lead)
    lead_schema = schema["components"]["schemas"]["LeadOut"]["properties"]
    assert set(lead_schema) == set(document)
    input_schema = schema["components"]["schemas"]["LeadInput"]["properties"]
    server_set = {"id", "object", "account_id", "full_name", "is_converted", "converted_at", "customer_id", "archived"}
    server_set |= {"created_by", "version", "created_at", "updated_at"}
    assert set(input_schema) == set(document) - server_set


def _bounds(prop: dict[str, Any]) -> dict[str, Any]:
    """A property's bounds wherever the generator put them: on it, or on the non-null member of its
    `oneOf` / `anyOf` with null."""
    options = prop.get("oneOf") or prop.get("anyOf") or [{}]
    chosen: dict[str, Any] = next((option for option in options if option.get("type") != "null"), {})
    return {key: value for key, value in prop.items() if key not in ("oneOf", "anyOf")} | chosen


def test_the_request_schema_states_the_bounds_validation_applies(schema: dict[str, Any]) -> None:
    """The documented limits are the ones the domain enforces: a drift test of lengths, ranges and types."""
    components = schema["components"]["schemas"]
    for name in ("LeadInput", "LeadPatch"):
        properties = components[name]["properties"]
        for field, limit in validation.MAX_LENGTH.items():
            assert _bounds(properties[field]).get("maxLength") == limit, (name, field)
        score = _bounds(properties["score"])
        assert (score["type"], score["minimum"], score["maximum"]) == ("integer", *validation.SCORE_RANGE)
        attribution = properties["marketing_attribution"]
        assert attribution["maxItems"] == validation.MAX_ATTRIBUTION
        assert attribution["items"]["type"] == "string"  # Litestar's generator drops an item's own maxLength
        assert set(_bounds(properties["preferred_contact"])["enum"]) - {None} == set(validation.CONTACT_CHOICES)
        for flag in ("do_not_call", "email_opt_out"):
            assert _bounds(properties[flag])["type"] == "boolean"
        for reference in ("team_id", "assigned_to"):
            assert _bounds(properties[reference])["format"] == "uuid"


def test_the_list_documents_every_filter(schema: dict[str, Any]) -> None:
    operation = schema["paths"]["/v1/leads"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= LIST_FILTERS
    assert "`custom.<key>=<value>`" in operation["description"] and "`custom.<key>.min`" in operation["description"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("LeadPage")
