"""An example of every request and response body, for the OpenAPI document.

Keyed by the body's Struct: `openapi.LeadstoreOperation` puts each one in the document next to the schema it
illustrates (the media type's `examples`, which the docs pages and mock servers show), and a test converts
each one to its Struct, so an example cannot drift from the shape it shows. A route whose body has no example
here fails the OpenAPI conventions test: add one.
"""

from __future__ import annotations

from typing import Any

import msgspec

from leadstore.http.config_schemas import (
    ApiKeyCreated,
    ApiKeyInput,
    ApiKeyList,
    ApiKeyOut,
    CustomFieldInput,
    CustomFieldList,
    CustomFieldOut,
    CustomFieldPatch,
    RotationInput,
    RotationOut,
    SourceInput,
    SourceList,
    SourceOut,
    SourcePatch,
    StatusInput,
    StatusList,
    StatusOrder,
    StatusOut,
    StatusPatch,
    TeamInput,
    TeamList,
    TeamOut,
    TeamPatch,
    UserInput,
    UserList,
    UserOut,
)
from leadstore.http.erasure_docs import REQUEST as ERASE_REQUEST
from leadstore.http.errors import ProblemOut
from leadstore.http.merge_schemas import DUPLICATE, MergeInput, UnmergeInput
from leadstore.http.schemas import (
    AssignInput,
    ConvertInput,
    EraseInput,
    EventPage,
    LeadInput,
    LeadOut,
    LeadPage,
    LeadPatch,
    ReasonInput,
)
from leadstore.http.signing_key import SigningKeyOut
from leadstore.http.webhook_schemas import (
    DeliveryPage,
    ReplayInput,
    ReplayOut,
    WebhookInput,
    WebhookList,
    WebhookOut,
    WebhookPatch,
    WebhookWithSecret,
)
from leadstore.webhooks.ping import PingResult

ACCOUNT = "0192f5a0-7c00-7000-8000-000000000001"
ADMIN = "0192f5a0-7c00-7000-8000-0000000000a1"
MEMBER = "0192f5a0-7c00-7000-8000-0000000000b2"
TEAM = "0192f5a0-7c00-7000-8000-0000000000c3"
LEAD = "0192f5a1-2b3c-7d4e-8f50-617283940a1b"
KEY_ID = "0192f5a0-7c00-7000-8000-0000000000d4"
WEBHOOK = "0192f5a0-7c00-7000-8000-0000000000e5"
EVENT = "0192f5a1-2b3c-7d4e-8f50-617283940b2c"
WHEN = "2026-11-21T10:30:00.123Z"

LEAD_INPUT: dict[str, Any] = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.com",
    "phone": "+44 20 7946 0958",
    "company": "Analytical Engines Ltd",
    "source": "website",
    "score": 40,
    "team_id": TEAM,
    "custom": {"budget": 25000},
}
LEAD_OUT: dict[str, Any] = {
    "id": LEAD,
    "object": "lead",
    "account_id": ACCOUNT,
    "first_name": "Ada",
    "last_name": "Lovelace",
    "full_name": "Ada Lovelace",
    "email": "ada@example.com",
    "phone": "+442079460958",
    "title": None,
    "department": None,
    "company": "Analytical Engines Ltd",
    "company_id": None,
    "source": "website",
    "status": "new",
    "score": 40,
    "description": None,
    "notes": None,
    "message": None,
    "preferred_contact": None,
    "source_page_url": None,
    "marketing_attribution": [],
    "mailing_address": None,
    "country": "GB",
    "do_not_call": False,
    "email_opt_out": False,
    "custom": {"budget": 25000},
    "team_id": TEAM,
    "assigned_to": MEMBER,
    "is_converted": False,
    "converted_at": None,
    "customer_id": None,
    "archived": False,
    "created_by": ADMIN,
    "version": 2,
    "created_at": WHEN,
    "updated_at": WHEN,
}
EVENT_OUT: dict[str, Any] = {
    "id": EVENT,
    "type": "LeadCreated",
    "lead_id": LEAD,
    "account_id": ACCOUNT,
    "version": 1,
    "position": "1234.5",
    "occurred_at": WHEN,
    "data": {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "status": "new"},
    "actor": {"user_id": ADMIN, "email": "admin@example.com", "api_key_id": KEY_ID},
    "request": {
        "id": "req_01JD5X2Y3Z",
        "method": "POST",
        "path": "/v1/leads",
        "ip": "203.0.113.7",
        "user_agent": "leadstore-client/0.1",
        "headers": {"authorization": "***", "content-type": "application/json"},
    },
}
STATUS: dict[str, Any] = {"key": "qualified", "label": "Qualified", "kind": "open", "position": 2, "color": "#2e7d32"}
SOURCE: dict[str, Any] = {"key": "webinar", "label": "Webinar", "team_id": None}
TEAM_OUT: dict[str, Any] = {"id": TEAM, "name": "EMEA sales", "members": [MEMBER, ADMIN], "rotation": True}
FIELD: dict[str, Any] = {"key": "budget", "label": "Budget", "type": "number", "choices": [], "required": False}
USER: dict[str, Any] = {"id": MEMBER, "name": "Grace Hopper", "role": "member", "email": "grace@example.com"}
USER |= {"active": True, "created_at": WHEN}
API_KEY: dict[str, Any] = {"id": KEY_ID, "user_id": MEMBER, "name": "CRM sync", "prefix": "lsk_3f9a"}
API_KEY |= {"created_at": WHEN, "revoked_at": None, "last_used_at": None}
WEBHOOK_OUT: dict[str, Any] = {
    "id": WEBHOOK,
    "object": "webhook",
    "url": "https://crm.example.com/hooks/leadstore",
    "event_types": ["LeadCreated", "LeadConverted"],
    "active": True,
    "description": "CRM sync",
    "created_at": WHEN,
    "disabled_reason": None,
    "disabled_at": None,
}
DELIVERY: dict[str, Any] = {
    "event_id": EVENT,
    "lead_id": LEAD,
    "version": 1,
    "position": "1234.5",
    "state": "delivered",
    "attempts": 1,
    "last_status": 200,
    "last_error": None,
    "next_attempt_at": None,
    "delivered_at": WHEN,
    "created_at": WHEN,
}
PROBLEM: dict[str, Any] = {
    "type": "urn:leadstore:problem:validation_failed",
    "title": "Validation failed",
    "status": 422,
    "detail": "the request is invalid",
    "code": "validation_failed",
    "request_id": "req_01JD5X2Y3Z",
    "errors": [{"field": "email", "code": "invalid", "message": "is not a valid email address"}],
}

EXAMPLES: dict[type[msgspec.Struct], dict[str, Any]] = {
    LeadInput: LEAD_INPUT,
    LeadPatch: {"score": 75, "status": "contacted", "notes": "Called; wants a demo next week."},
    AssignInput: {"assigned_to": MEMBER},
    ConvertInput: {"customer_id": "cus_4711"},
    ReasonInput: {"reason": "Duplicate of an older lead"},
    EraseInput: ERASE_REQUEST,
    LeadOut: LEAD_OUT,
    LeadPage: {"object": "list", "data": [LEAD_OUT], "has_more": True, "next_cursor": "eyJrIjoiLWNyZWF0ZWRfYXQifQ"},
    EventPage: {"object": "list", "data": [EVENT_OUT], "has_more": False, "next_cursor": "1234.5"},
    SigningKeyOut: {"algorithm": "ed25519", "public_key": "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="},
    StatusInput: {"key": "demo_booked", "label": "Demo booked", "kind": "open", "color": "#1565c0"},
    StatusPatch: {"label": "Sales qualified"},
    StatusOrder: {"keys": ["new", "contacted", "qualified", "converted", "lost"]},
    StatusOut: STATUS,
    StatusList: {"object": "list", "data": [STATUS]},
    SourceInput: {"key": "webinar", "label": "Webinar"},
    SourcePatch: {"label": "Webinars", "team_id": TEAM},
    SourceOut: SOURCE,
    SourceList: {"object": "list", "data": [SOURCE]},
    TeamInput: {"name": "EMEA sales", "members": [MEMBER, ADMIN], "rotation": True},
    TeamPatch: {"rotation": False},
    TeamOut: TEAM_OUT,
    TeamList: {"object": "list", "data": [TEAM_OUT]},
    RotationInput: {"enabled": True, "members": [MEMBER, ADMIN]},
    RotationOut: {"enabled": True, "members": [MEMBER, ADMIN]},
    CustomFieldInput: {"key": "budget", "label": "Budget", "type": "number"},
    CustomFieldPatch: {"label": "Budget (EUR)", "required": True},
    CustomFieldOut: FIELD,
    CustomFieldList: {"object": "list", "data": [FIELD]},
    UserInput: {"email": "grace@example.com", "name": "Grace Hopper", "role": "member"},
    UserOut: USER,
    UserList: {"object": "list", "data": [USER]},
    ApiKeyInput: {"user_id": MEMBER, "name": "CRM sync"},
    ApiKeyOut: API_KEY,
    ApiKeyCreated: API_KEY | {"key": "lsk_3f9a8c1e0b7d4a2f9e6c5b4a3d2e1f0a"},
    ApiKeyList: {"object": "list", "data": [API_KEY]},
    WebhookInput: {"url": "https://crm.example.com/hooks/leadstore", "event_types": ["LeadCreated", "LeadConverted"]},
    WebhookPatch: {"active": True},
    WebhookOut: WEBHOOK_OUT,
    WebhookWithSecret: WEBHOOK_OUT
    | {"secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "previous_secret_expires_at": None},
    WebhookList: {"object": "list", "data": [WEBHOOK_OUT]},
    DeliveryPage: {"object": "list", "data": [DELIVERY], "has_more": False, "next_cursor": "1234.5"},
    ReplayInput: {"after": "1234.5"},
    ReplayOut: {"object": "webhook_replay", "webhook_id": WEBHOOK, "after": "1234.5"},
    PingResult: {"delivered": True, "status": 200, "error": None, "duration_ms": 87},
    MergeInput: {"from": [DUPLICATE], "fields": {"phone": DUPLICATE, "title": DUPLICATE}},
    UnmergeInput: {"merge_event_id": "0192f7a5-0000-7000-8000-000000000001"},
    ProblemOut: PROBLEM,
}


def schema_key(cls: type[Any]) -> str:
    """The name Litestar gives a class's schema while it builds the document (module and name, joined by `_`;
    it shortens the names when it writes the components)."""
    return "_".join([*cls.__module__.split("."), cls.__qualname__])


BY_SCHEMA_KEY: dict[str, tuple[str, dict[str, Any]]] = {
    schema_key(cls): (cls.__name__, value) for cls, value in EXAMPLES.items()
}


def register(cls: type[msgspec.Struct], value: dict[str, Any]) -> None:
    """An example of a body whose Struct lives in a module this one can not import (it would import itself)."""
    EXAMPLES[cls] = value
    BY_SCHEMA_KEY[schema_key(cls)] = (cls.__name__, value)
