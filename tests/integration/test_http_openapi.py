"""The OpenAPI document and the docs pages are served, and describe every route, field and error."""

from __future__ import annotations

import copy
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from uuid_utils.compat import uuid7

from leadstore.bootstrap import Container
from leadstore.documents import lead_document
from leadstore.domain import field_checks, validation
from leadstore.domain.characters import SINGLE_LINE_PATTERN
from leadstore.domain.errors import ValidationFailed
from leadstore.domain.state import Lead
from leadstore.http.testing import serve
from leadstore.http.writes import IF_MATCH_PATTERN, if_match
from leadstore.store.events import TOKEN_PATTERN, Checkpoint

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
PROBLEM = "application/problem+json"
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
    server_set |= {"merged_into"}
    server_set |= {"erased"}  # erasure (issue 13)
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


def _parameter(schema: dict[str, Any], path: str, method: str, name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(p for p in schema["paths"][path][method]["parameters"] if p["name"] == name)
    return _bounds(found["schema"])


def test_the_schema_states_the_forms_validation_enforces(schema: dict[str, Any]) -> None:
    """If-Match, ids, dates, emails and position tokens are documented in the forms their parsers accept."""
    assert _parameter(schema, "/v1/leads/{lead_id}", "patch", "If-Match")["pattern"] == IF_MATCH_PATTERN
    assert _parameter(schema, "/v1/leads/{lead_id}/archive", "post", "If-Match")["pattern"] == IF_MATCH_PATTERN
    for path, method, name in [
        ("/v1/leads/{lead_id}", "get", "lead_id"),
        ("/v1/leads/{lead_id}", "patch", "lead_id"),
        ("/v1/leads/{lead_id}/events", "get", "lead_id"),
        ("/v1/teams/{team_id}", "patch", "team_id"),
        ("/v1/users/{user_id}/deactivate", "post", "user_id"),
        ("/v1/api-keys/{key_id}/revoke", "post", "key_id"),
        ("/v1/leads", "get", "team_id"),
    ]:
        assert _parameter(schema, path, method, name)["format"] == "uuid", (path, name)
    for name in ("created_after", "created_before", "updated_after"):
        assert _parameter(schema, "/v1/leads", "get", name)["pattern"] == field_checks.INSTANT_PATTERN, name
    assert _parameter(schema, "/v1/leads/{lead_id}", "get", "as_of")["pattern"] == field_checks.INSTANT_PATTERN
    assert _parameter(schema, "/v1/leads", "get", "min_position")["pattern"] == TOKEN_PATTERN
    assert _parameter(schema, "/v1/events", "get", "after")["pattern"] == TOKEN_PATTERN
    assert _parameter(schema, "/v1/leads", "get", "min_score")["minimum"] == 0
    components = schema["components"]["schemas"]
    for name, field in [("LeadInput", "email"), ("LeadPatch", "email"), ("UserInput", "email")]:
        assert _bounds(components[name]["properties"][field])["format"] == "email", name
    for name, field in [("AssignInput", "assigned_to"), ("SourceInput", "team_id"), ("ApiKeyInput", "user_id")]:
        assert _bounds(components[name]["properties"][field])["format"] == "uuid", name
    for name in ("TeamInput", "RotationInput"):
        assert components[name]["properties"]["members"]["items"]["format"] == "uuid", name
    assert components["EventOut"]["properties"]["position"]["pattern"] == TOKEN_PATTERN
    assert components["StatusInput"]["properties"]["label"]["pattern"] == SINGLE_LINE_PATTERN


@pytest.mark.parametrize(
    ("pattern", "parse", "accepted", "refused"),
    [
        (
            IF_MATCH_PATTERN,
            if_match,
            ['"3"', 'W/"3"', "3", "*", ' "12" '],
            ['"3.0"', '"-1"', '"3", "4"', '"\uff13"', ""],
        ),
        (
            field_checks.INSTANT_PATTERN,
            field_checks.instant,
            ["2026-11-21", "2026-11-21T10:30Z", "2026-11-21 10:30:00.123456+02:00", "2026-11-21t10:30:00z"],
            ["2026-W47-6", "20261121", "2026-11-21T10", "2026-11-21T10:30:00.1234567Z", "2026-11-21\n", "1" * 30],
        ),
        (
            TOKEN_PATTERN,
            Checkpoint.parse,
            ["1.2", "0.0", "12345678901234567.1"],
            ["1", "1.2.3", " 1.2", "1_0.5", "\uff11.2"],
        ),
    ],
)
def test_a_documented_pattern_accepts_exactly_what_its_parser_accepts(
    pattern: str, parse: Callable[[str], Any], accepted: list[str], refused: list[str]
) -> None:
    for text in accepted:
        assert re.fullmatch(pattern, text), text
        parse(text)
    for text in refused:
        assert not re.fullmatch(pattern, text), text
        with pytest.raises((ValueError, ValidationFailed, field_checks.InvalidValueError)):
            parse(text)


def test_merge_and_duplicate_routes_are_documented(schema: dict[str, Any]) -> None:
    """Issue 14's routes: operation ids, tags, bodies with examples, and their problem responses."""
    paths = schema["paths"]
    operations = {
        ("/v1/leads/{lead_id}/merge", "post"): ("mergeLead", "Leads"),
        ("/v1/leads/{lead_id}/unmerge", "post"): ("unmergeLead", "Leads"),
        ("/v1/leads/{lead_id}/duplicates", "get"): ("listLeadDuplicates", "Duplicates"),
        ("/v1/duplicates", "get"): ("listDuplicates", "Duplicates"),
    }
    for (path, method), (operation_id, tag) in operations.items():
        operation = paths[path][method]
        assert operation["operationId"] == operation_id and operation["tags"] == [tag], (path, operation)
    merge = paths["/v1/leads/{lead_id}/merge"]["post"]
    assert {"404", "409", "412", "422"} <= merge["responses"].keys()
    assert "Leadstore-Merge-Event-Id" in merge["responses"]["200"]["headers"]
    body = schema["components"]["schemas"]["MergeInput"]["properties"]
    assert body["from"]["examples"] and body["fields"]["examples"] and body["from"]["maxItems"] == 10
    assert "merged_into" in schema["components"]["schemas"]["LeadOut"]["properties"]
    for path in ("/v1/leads/{lead_id}/duplicates", "/v1/duplicates"):
        answer = paths[path]["get"]["responses"]["200"]["content"]["application/json"]
        assert answer["examples"], path


def test_the_import_routes_have_their_operation_ids_body_examples_and_problems(schema: dict[str, Any]) -> None:
    create = schema["paths"]["/v1/imports"]["post"]
    follow = schema["paths"]["/v1/imports/{import_id}"]["get"]
    listing = schema["paths"]["/v1/imports"]["get"]
    assert (create["operationId"], follow["operationId"], listing["operationId"]) == (
        "createImport",
        "getImport",
        "listImports",
    )
    assert create["tags"] == follow["tags"] == ["Imports"]
    body = create["requestBody"]["content"]["text/csv"]
    assert "firstName" in body["schema"]["examples"][0]
    assert {"202", "400", "413", "415", "422"} <= create["responses"].keys()
    assert "`Location`" in create["responses"]["202"]["description"]
    assert (
        next(iter(create["responses"]["202"]["content"]["application/json"]["examples"].values()))["value"]["state"]
        == "queued"
    )
    assert {"on_duplicate", "mapping", "skip_team_requirement"} <= {p["name"] for p in create["parameters"]}
    assert "application/problem+json" in follow["responses"]["404"]["content"]


CAMEL_CASE = re.compile(r"^[a-z]+(?:[A-Z][a-z0-9]*)*$")
HOW = {
    "operation_id": "set operation_id='verbNoun' (camelCase: createLead, listLeadEvents) on the route's decorator",
    "tag": "set tags=['Resources'] (capitalised, like 'Leads' or 'API keys') on the decorator or its Controller, "
    "and describe a new tag in leadstore.http.openapi.TAGS",
    "example": "add an example of the body's Struct to leadstore.http.examples.EXAMPLES",
    "problem": "document errors with responses=problems(...) (leadstore.http.openapi): the service answers every "
    "error as a ProblemOut under application/problem+json",
}


def convention_breaches(schema: dict[str, Any]) -> list[str]:
    """What each operation lacks of the conventions generated clients rely on, each with how to fix it."""
    breaches: list[str] = []
    seen_ids: set[str] = set()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            operation_id = operation.get("operationId", "")
            if not CAMEL_CASE.match(operation_id) or operation_id in seen_ids:
                breaches.append(
                    f"{where}: operation id {operation_id!r} is not camelCase or not unique: {HOW['operation_id']}"
                )
            seen_ids.add(operation_id)
            tags = operation.get("tags") or []
            if not tags or not all(tag[:1].isupper() for tag in tags):
                breaches.append(f"{where}: tags {tags} are missing or not capitalised: {HOW['tag']}")
            bodies = [("request body", operation.get("requestBody", {}).get("content", {}))]
            bodies += [
                (f"response {status}", response.get("content") or {})
                for status, response in operation["responses"].items()
            ]
            for what, content in bodies:
                for media_type, media in content.items():
                    if "json" in media_type and not media.get("examples") and "example" not in media:
                        breaches.append(f"{where}: {what} ({media_type}) has no example: {HOW['example']}")
            for status, response in operation["responses"].items():
                problem = {"$ref": "#/components/schemas/ProblemOut"}
                content = response.get("content") or {}
                if int(status) >= 400 and (
                    set(content) != {"application/problem+json"} or content[PROBLEM]["schema"] != problem
                ):
                    breaches.append(f"{where}: response {status} is not a problem document: {HOW['problem']}")
    return breaches


def test_every_operation_follows_the_conventions_generated_clients_rely_on(schema: dict[str, Any]) -> None:
    """A camelCase operation id, a capitalised tag, an example next to each JSON body, and errors documented only
    as the problem document the service sends: routes added later fail here until they follow them too."""
    breaches = convention_breaches(schema)
    assert not breaches, "the OpenAPI document breaks its conventions:\n" + "\n".join(breaches)


def test_the_conventions_check_finds_each_breach(schema: dict[str, Any]) -> None:
    broken = copy.deepcopy(schema)
    operation = broken["paths"]["/v1/leads"]["post"]
    operation["operationId"] = "V1LeadsCreateLead"
    operation["tags"] = ["unknown"]
    operation["requestBody"]["content"]["application/json"].pop("examples")
    operation["responses"]["400"] = {"content": {"application/json": {"schema": {"type": "object"}}}}
    found = convention_breaches(broken)
    assert all(line.startswith("POST /v1/leads: ") for line in found), found
    for breach in ("operation id 'V1LeadsCreateLead'", "tags ['unknown']", "request body (application/json) has no"):
        assert any(breach in line for line in found), (breach, found)
    assert any("response 400 is not a problem document" in line for line in found), found
