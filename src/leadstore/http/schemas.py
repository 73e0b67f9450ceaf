"""The request and response shapes of the lead endpoints, as msgspec Structs: the OpenAPI schema's source.

Bodies are decoded by hand (so every bad field is listed at once and the domain's rules apply), yet
documented from these Structs; responses are the domain's Lead document, which these describe field by field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, UnsetType

from leadstore.domain.validation import (
    ATTRIBUTION_MAX_LENGTH,
    MAX_ATTRIBUTION,
    MAX_LENGTH,
    SCORE_RANGE,
    PreferredContact,
)
from leadstore.store.events import TOKEN_PATTERN

# The bounds come from the domain's validation (which decodes the bodies), so the schema cannot drift.
Name = Annotated[str, Meta(max_length=MAX_LENGTH["first_name"], description="At most 255 characters.")]
LongText = Annotated[str, Meta(max_length=MAX_LENGTH["notes"], description="At most 10,000 characters.")]
CompanyId = Annotated[str, Meta(max_length=MAX_LENGTH["company_id"], description="External company reference.")]
Url = Annotated[
    str, Meta(max_length=MAX_LENGTH["source_page_url"], description="Absolute http(s) URL the lead came from.")
]
Score = Annotated[int, Meta(ge=SCORE_RANGE[0], le=SCORE_RANGE[1], description="0..100.")]
Attribution = Annotated[
    list[Annotated[str, Meta(max_length=ATTRIBUTION_MAX_LENGTH)]],
    Meta(max_length=MAX_ATTRIBUTION, description="At most 50 items."),
]
Contact = PreferredContact
PHONE = (
    "Stored in E.164 (+1-555-234-5678 becomes +15552345678); "
    "without a leading + it is read as national to the lead's country."
)
HEADERS = (
    "Request headers, lower-cased; Authorization, Cookie, X-Api-Key and any header named like "
    "token, secret, password, key, auth, session or credential are recorded as ***."
)
EVENT_DATA = (
    "By type: LeadCreated: the lead's fields; LeadUpdated: {changes: {field: {from, to}}}; "
    "LeadStatusChanged: from, to, reason; LeadAssigned: from, to, by_rotation; "
    "LeadConverted: customer_id, converted_at, status, from_status; LeadArchived, LeadRestored: reason. "
    "LeadMerged: merged (lead ids), fields ({field: lead id}), changes ({field: {from, to}}); LeadMergedInto: "
    "into, merge_event_id; LeadUnmerged: merge_event_id, changes (on the survivor: the values restored), "
    "kept (fields changed since the merge, left as they are). "
    "LeadErased: reason (the lead's personal values then read as null "
    "in every event of its stream)."
)


def _doc(text: str) -> Meta:
    return Meta(description=text)


# Litestar copies `extra_json_schema["extra"]` of a field's Meta into its OpenAPI schema.
EMAIL_FORMAT = {"extra": {"format": "email"}}


class MailingAddressIO(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A postal address. In a PATCH, members merge into the current address and a null member clears it."""

    street: Annotated[str | None, _doc("At most 255 characters.")] = None
    city: Annotated[str | None, _doc("At most 255 characters.")] = None
    state: Annotated[str | None, _doc("At most 255 characters.")] = None
    postal_code: Annotated[str | None, _doc("At most 255 characters.")] = None
    country: Annotated[str | None, _doc("ISO 3166-1 alpha-2 code, any case; stored upper-case.")] = None


class LeadInput(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A lead to create. Unknown fields are refused (422). At least one of first_name, last_name, email,
    phone, company or company_id is required, with a visible character. Text refuses control characters
    (description, notes, message, mailing_address.street and text custom fields keep tab and line breaks),
    bidi controls (U+202A-U+202E, U+2066-U+2069) and values of spaces or invisible characters only; a
    number custom field stays within +-(2**53 - 1). A custom field may also be set as a top-level
    `custom.<key>` member (Close's spelling), the same as `custom: {"<key>": ...}`. With no `assigned_to`, a
    lead of a rotating team takes the team's next member; one with no team, the account's default rotation's."""

    first_name: (
        Annotated[str, Meta(max_length=MAX_LENGTH["first_name"], description="Given name, at most 255 characters.")]
        | None
    ) = None
    last_name: (
        Annotated[str, Meta(max_length=MAX_LENGTH["last_name"], description="Family name, at most 255 characters.")]
        | None
    ) = None
    email: (
        Annotated[
            str,
            Meta(
                max_length=MAX_LENGTH["email"],
                description="A valid address, unique per account (any case).",
                extra_json_schema=EMAIL_FORMAT,
            ),
        ]
        | None
    ) = None
    phone: Annotated[
        str | None,
        _doc(PHONE),
    ] = None
    title: Annotated[str, Meta(max_length=MAX_LENGTH["title"], description="Job title.")] | None = None
    department: (
        Annotated[str, Meta(max_length=MAX_LENGTH["department"], description="Department or division.")] | None
    ) = None
    company: Annotated[str, Meta(max_length=MAX_LENGTH["company"], description="Company name.")] | None = None
    company_id: CompanyId | None = None
    source: Annotated[str | None, _doc("Key of one of the account's lead sources (GET /v1/sources).")] = None
    status: Annotated[
        str | None, _doc("Key of one of the account's open statuses; default the account's first status.")
    ] = None
    score: Score = 0
    description: (
        Annotated[str, Meta(max_length=MAX_LENGTH["description"], description="At most 10,000 characters.")] | None
    ) = None
    notes: Annotated[str, Meta(max_length=MAX_LENGTH["notes"], description="At most 10,000 characters.")] | None = None
    message: Annotated[str, Meta(max_length=MAX_LENGTH["message"], description="At most 10,000 characters.")] | None = (
        None
    )
    preferred_contact: Annotated[Contact | None, _doc("How the lead prefers to be contacted.")] = None
    source_page_url: Url | None = None
    marketing_attribution: Attribution = []
    mailing_address: MailingAddressIO | None = None
    country: Annotated[str | None, _doc("ISO 3166-1 alpha-2 code, any case; stored upper-case.")] = None
    do_not_call: bool = False
    email_opt_out: bool = False
    custom: Annotated[
        dict[str, Any], _doc("Values keyed by custom-field key, each checked against its field's type.")
    ] = {}
    team_id: Annotated[UUID | None, _doc("A team of the account; required when the account has teams.")] = None
    assigned_to: Annotated[
        UUID | None, _doc("An active user of the account; absent: the team's rotation picks one, if it rotates.")
    ] = None


# Litestar leaves a bound of 0 out of a nullable member's schema: stated again, as `extra`.
PatchScore = Annotated[
    int,
    Meta(
        ge=SCORE_RANGE[0],
        le=SCORE_RANGE[1],
        description="0..100; null resets it to 0.",
        extra_json_schema={"extra": {"minimum": SCORE_RANGE[0]}},
    ),
]


class LeadPatch(LeadInput, kw_only=True):
    """A JSON merge patch: only the fields sent change, null clears one (or resets it to its default).
    The fields are recorded as one LeadUpdated, `assigned_to` as a LeadAssigned and `status` as a
    LeadStatusChanged, or as a LeadConverted when it is a won status (with `customer_id`, if sent). All of
    them apply, or none. Moving a closed lead back to an open status (admins and managers) reopens it and is
    recorded first, undoing a conversion; any other status change is recorded last. Moving the lead to a
    rotating team without `assigned_to` takes a turn there. A required custom field cannot be cleared."""

    customer_id: (
        Annotated[str, Meta(min_length=1, max_length=255, description="With a won `status` only: the customer.")] | None
    ) = None
    # No defaults in a patch: a member left out stays as it is, so a generated client must not send one.
    # (Documentation only: handlers decode patches by hand, so widening LeadInput's types here is safe.)
    score: PatchScore | UnsetType | None = UNSET  # type: ignore[assignment]
    do_not_call: Annotated[bool | UnsetType | None, _doc("null resets it to false.")] = UNSET  # type: ignore[assignment]
    email_opt_out: Annotated[bool | UnsetType | None, _doc("null resets it to false.")] = UNSET  # type: ignore[assignment]


class AssignInput(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Send either `assigned_to` (a user id, or null to unassign) or `rotation: true` (the team's next member)."""

    assigned_to: Annotated[UUID | None, _doc("An active user of the account, or null to unassign.")] = None
    rotation: Annotated[bool, _doc("Assign the next active member of the lead's team in round-robin order.")] = False


class ConvertInput(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The body is optional."""

    customer_id: Annotated[str, Meta(min_length=1, max_length=255, description="The customer it became.")] | None = None


class ReasonInput(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The body is optional."""

    MULTI_LINE: ClassVar[frozenset[str]] = frozenset({"reason"})
    reason: (
        Annotated[str, Meta(max_length=10_000, description="Why, for the audit log; tab and line breaks allowed.")]
        | None
    ) = None


class EraseInput(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Why the person is erased (kept in the audit log, which is not erased: name the request, not the person)."""

    MULTI_LINE: ClassVar[frozenset[str]] = frozenset({"reason"})
    reason: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=1_000,
            description="Required; tab and line breaks allowed.",
            examples=["GDPR art. 17 request #2026-118"],
        ),
    ]


class LeadOut(LeadInput, kw_only=True):
    """A lead. Its `version` is also sent as `ETag: "<version>"`."""

    SENT_WHOLE: ClassVar[bool] = True  # every member in every response (openapi_conventions)

    id: UUID
    object: Literal["lead"] = "lead"
    account_id: UUID
    full_name: Annotated[str, _doc("first_name and last_name joined by a space; empty when both are null.")]
    status: Annotated[str, _doc("Key of one of the account's statuses.")]
    is_converted: bool = False
    converted_at: datetime | None = None
    customer_id: Annotated[str | None, _doc("Set by conversion.")] = None
    archived: bool = False
    merged_into: Annotated[
        UUID | None, _doc("Set while this lead is merged into that lead: it is closed to writes (409 `lead_merged`).")
    ] = None
    created_by: Annotated[UUID, _doc("The user whose API key created the lead.")]
    version: Annotated[int, _doc("The lead's stream version: the number of events it has.")]
    created_at: datetime
    updated_at: datetime
    erased: Annotated[
        bool, _doc("True once the person behind the lead was erased: its personal fields are then null.")
    ] = False


class LeadPage(msgspec.Struct, kw_only=True):
    SENT_WHOLE: ClassVar[bool] = True  # every member in every response (openapi_conventions)

    object: Literal["list"] = "list"
    data: list[LeadOut]
    has_more: bool
    next_cursor: Annotated[str | None, _doc("Pass as `cursor` for the next page; null on the last page.")]


class ActorOut(msgspec.Struct, kw_only=True):
    user_id: UUID | None
    email: str | None
    api_key_id: UUID | None


class RequestOut(msgspec.Struct, kw_only=True):
    """The request that made the event. A change made with the `leadstore` command line records only its
    method (`CLI`) and its command, as `path`."""

    id: Annotated[str | UnsetType, _doc("The request id (X-Request-Id).")] = UNSET
    method: str
    path: str
    query: Annotated[str | UnsetType, _doc("The query string, the values of secret-like parameters masked.")] = UNSET
    ip: str | UnsetType | None = UNSET
    user_agent: str | UnsetType | None = UNSET
    headers: Annotated[dict[str, str] | UnsetType, _doc(HEADERS)] = UNSET


EVENT_TYPE = (
    "A lead's events: LeadCreated, LeadUpdated, LeadStatusChanged, LeadAssigned, LeadConverted, LeadArchived, "
    "LeadRestored, LeadErased, LeadMerged, LeadMergedInto, LeadUnmerged. In the account's feed also administrative "
    "events (lead_id null) named for what changed: "
    "StatusCreated, ApiKeyRevoked, ... Types may be added: a reader skips those it does not know."
)


class EventOut(msgspec.Struct, kw_only=True):
    """One immutable event: the audit log's entry, and what subscribers receive."""

    id: UUID
    type: Annotated[str, _doc(EVENT_TYPE)]
    lead_id: Annotated[UUID | None, _doc("null for an administrative event (of the account's own stream).")]
    account_id: UUID
    version: int
    position: Annotated[
        str, Meta(pattern=TOKEN_PATTERN, description="Opaque token of the event's place in the account's feed.")
    ]
    occurred_at: datetime
    data: Annotated[
        dict[str, Any],
        _doc(EVENT_DATA),
    ]
    actor: ActorOut
    request: RequestOut


class EventPage(msgspec.Struct, kw_only=True):
    SENT_WHOLE: ClassVar[bool] = True  # every member in every response (openapi_conventions)

    object: Literal["list"] = "list"
    data: list[EventOut]
    has_more: bool
    next_cursor: Annotated[str | None, _doc("Pass as `after` to continue; the feed's end when has_more is false.")]
