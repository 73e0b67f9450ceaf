"""The OpenAPI document: security, the problem responses each route can give, and documented headers."""

from __future__ import annotations

from typing import Annotated

from litestar.datastructures import ResponseHeader
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, Example, OpenAPIFormat, SecurityScheme, Tag
from litestar.params import HeaderParameter, PathParameter

from leadstore import __version__
from leadstore.http.errors import PROBLEM_JSON, ProblemOut
from leadstore.http.writes import IF_MATCH_PATTERN

DESCRIPTION = """\
Event-sourced sales leads. Every change to a lead is an immutable event: `GET /v1/leads/{id}/events` is its
audit log and `GET /v1/events` the account's feed.

* Authenticate with `Authorization: Bearer <api_key>`; `X-Account-Id`, when sent, must name the key's account.
  `GET /v1/signing-key` needs no key: it serves the public key that verifies the events published to NATS.
* Errors are RFC 9457 problem details (`application/problem+json`) with a stable `code`, the `request_id`
  and `errors` listing every bad field. Malformed JSON is 400; a body that breaks a rule is 422, and so is
  one that names a member twice in the same object (code `duplicate_key`: parsers differ on which one wins).
* Every response carries `X-Request-Id` (the client's, when it sent a sane one: 1-200 visible ASCII characters).
* Writes accept `If-Match: "<version>"` and `Idempotency-Key`, and answer with `ETag` and `Leadstore-Position`;
  pass that position as `min_position` to a list to read your own write.
* Each API key has a request budget (by default 100 requests/s, bursts of 200) and each client address a
  budget of failed authentications (by default 20 a minute); beyond either, 429 `rate_limited` with
  `Retry-After` (whole seconds).
"""

PROBLEMS: dict[int, str] = {
    400: "The body is not JSON, or not valid UTF-8 JSON (code `validation_failed`, field `body`).",
    401: "`unauthorized`: no API key, or an unknown or revoked one, or its user is deactivated.",
    403: "`forbidden`: `X-Account-Id` names another account, or the route is for admins only.",
    404: "`not_found`: no such resource in this account (a member gets this for leads not theirs).",
    409: "`duplicate_email`, `invalid_transition` (closed, archived or won-by-status), `already_converted`, "
    "`lead_merged` (the lead, or one named, is merged into another: closed to writes), `already_unmerged`, "
    "`lead_erased` (the lead, or one named, was erased: it takes no more writes) or, erasing a lead whose "
    "events predate encryption at rest, `erasure_unavailable`.",
    412: "`version_conflict`: the lead is no longer at the version `If-Match` names.",
    413: "`payload_too_large`: the body is larger than the server accepts.",
    415: "`unsupported_media_type`: the body is not of a type this route reads (`application/json`; imports "
    "also read `text/csv` and `application/x-ndjson`).",
    422: "`validation_failed` (every bad field is in `errors`, an unknown or repeated query parameter too), "
    "`team_required`, `source_required` or `idempotency_conflict` (the key was used with another body).",
    429: "`rate_limited`: the API key is over its request budget, or its client address made too many failed "
    "authentications; `Retry-After` gives the seconds to wait.",
    503: "`projection_lagging` (min_position not reached in time; `Retry-After` says when to retry) or "
    "`unavailable` (database unreachable or restarting, or, creating a webhook or rotating its secret, no "
    "LEADSTORE_SECRETS_KEY configured; `Retry-After` too). A write may have committed before "
    "its 503: retry writes with the same `Idempotency-Key` only.",
}
# The code and detail each status's example shows (the descriptions above name every code a status can carry).
EXAMPLES: dict[int, tuple[str, str]] = {
    400: ("validation_failed", "the request body is not a JSON object: malformed JSON"),
    401: ("unauthorized", "a valid API key is required: Authorization: Bearer <api_key>"),
    403: ("forbidden", "this route is for admins only"),
    404: ("not_found", "no such resource in this account"),
    409: ("invalid_transition", "the lead is closed: reopen it first"),
    412: ("version_conflict", "the lead is at version 4, not 3"),
    413: ("payload_too_large", "the request body is larger than the server accepts"),
    415: ("unsupported_media_type", "send the body as JSON, with Content-Type: application/json"),
    422: ("validation_failed", "the request is invalid"),
    429: ("rate_limited", "too many requests: retry after 1 s"),
    503: ("unavailable", "the database is unavailable; retry later"),
}
BODY_PROBLEMS = (400, 413, 415, 422)  # of every route that reads a JSON body
WRITE_PROBLEMS = (*BODY_PROBLEMS, 404, 409, 412)


def id_in_path(what: str) -> PathParameter:
    """A path parameter documented as a UUID (anything else names nothing: 404)."""
    return PathParameter(description=f"The {what}'s id (a UUID); anything else is 404.", format=OpenAPIFormat.UUID)


LeadId = Annotated[str, id_in_path("lead")]
TeamId = Annotated[str, id_in_path("team")]
UserId = Annotated[str, id_in_path("user")]
KeyId = Annotated[str, id_in_path("API key")]
WebhookId = Annotated[str, id_in_path("webhook")]

ETAG = ResponseHeader(name="ETag", description='The lead\'s version, quoted: `"3"`.', documentation_only=True)
POSITION = ResponseHeader(
    name="Leadstore-Position",
    description="Opaque token of the last event this write wrote (of the lead's latest event when it changed "
    "nothing). Pass it as `min_position` to GET /v1/leads to read your own write.",
    documentation_only=True,
)
LOCATION = ResponseHeader(name="Location", description="/v1/leads/{id} of the new lead.", documentation_only=True)
REPLAYED = ResponseHeader(
    name="Idempotent-Replayed",
    description="`true` when this is the stored response of an earlier request with the same Idempotency-Key.",
    documentation_only=True,
)
WRITE_HEADERS = [ETAG, POSITION, REPLAYED]
REQUEST_ID = ResponseHeader(
    name="X-Request-Id", description="The client's X-Request-Id when sane, else a new id.", documentation_only=True
)

ACCOUNT_HEADER = HeaderParameter(
    name="X-Account-Id",
    annotation=str | None,
    required=False,
    description="Optional; must be the API key's account id.",
)
WRITE_PARAMETERS = {
    "if_match": HeaderParameter(
        name="If-Match",
        annotation=str | None,
        required=False,
        description='The version the lead must be at, as sent in ETag (`"3"`); 412 otherwise. Ignored on create.',
        schema_extra={"pattern": IF_MATCH_PATTERN},  # checked by the write itself, which names the header
    ),
    "idempotency_key": HeaderParameter(
        name="Idempotency-Key",
        annotation=str | None,
        required=False,
        max_length=255,
        description="Within 24 h, the same key with the same body returns the first response "
        "(`Idempotent-Replayed: true`) and writes nothing; with another body it is 422 `idempotency_conflict`.",
    ),
}


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """The problem responses of a /v1 route: 401, 403, 422 (every route refuses unknown query parameters), 429
    and 503 always, plus `statuses`; each documented as `ProblemOut` under application/problem+json."""
    return {
        status: ResponseSpec(
            data_container=ProblemOut,
            description=PROBLEMS[status],
            media_type=PROBLEM_JSON,
            generate_examples=False,
            examples=[problem_example(status)],
        )
        for status in sorted({401, 403, 422, 429, 503, *statuses})
    }


def problem_example(status: int) -> Example:
    """An example problem document of the status."""
    code, detail = EXAMPLES[status]
    errors = [{"field": "email", "code": "invalid", "message": "is not a valid email address"}] if status == 422 else []
    value = {
        "type": f"urn:leadstore:problem:{code}",
        "title": code.replace("_", " ").capitalize(),
        "status": status,
        "detail": detail,
        "code": code,
        "request_id": "req_01JD5X2Y3Z",
        "errors": errors,
    }
    return Example(summary=code, value=value)


def public_problems(*statuses: int) -> dict[int, ResponseSpec]:
    """The problem responses of a route that needs no API key: 503, plus `statuses`."""
    return {status: spec for status, spec in problems(*statuses).items() if status not in (401, 403, 429)}


# The groups of operations (generated clients make a module of each). Configuration is read by every role and
# changed by admins; the feed, webhooks, users' details and API keys are for admins.
TAGS = {
    "Leads": "Commands that append events to a lead, and reads of leads.",
    "Events": "A lead's audit log, the account's event feed, and the key that verifies published events.",
    "Statuses": "The account's pipeline of statuses.",
    "Sources": "Where leads come from.",
    "Teams": "Teams, their members and their rotation.",
    "Custom fields": "The account's own lead fields.",
    "Rotation": "The account's default rotation, for leads of no team.",
    "Users": "The account's users and their roles.",
    "API keys": "Keys that authenticate the account's users.",
    "Imports": "Bulk imports of leads from CSV and NDJSON files, run by the workers.",
    "Duplicates": "Candidate duplicate leads, scored and explained.",
    "Webhooks": "Endpoints that receive the account's events, signed, and their deliveries.",
    "Operations": "Health, readiness and metrics, for operators (no API key; not part of the API clients).",
}


def openapi_config() -> OpenAPIConfig:
    """Served at /schema (Scalar), /schema/swagger and /schema/openapi.json."""
    return OpenAPIConfig(
        title="leadstore",
        version=__version__,
        description=DESCRIPTION,
        path="/schema",
        render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin()],
        components=Components(security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}),
        security=[{"bearer": []}],
        tags=[Tag(name=name, description=description) for name, description in TAGS.items()],
    )
