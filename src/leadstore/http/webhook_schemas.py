"""Request and response shapes of the webhook endpoints (admin only), and the checks of their fields."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from leadstore.domain.account_events import ACCOUNT_EVENT_TYPES
from leadstore.domain.events import EVENT_TYPES
from leadstore.domain.field_checks import InvalidValueError
from leadstore.http.config_schemas import Strict
from leadstore.store.events import TOKEN_PATTERN
from leadstore.webhooks.addresses import AddressRefused, check_url

URL_MAX = 2048
KNOWN_TYPES = frozenset([*EVENT_TYPES, *ACCOUNT_EVENT_TYPES])

Url = Annotated[
    str,
    Meta(
        max_length=URL_MAX,
        description="http:// or https:// with a host and no credentials. Unless the deployment allows private "
        "addresses, every address its host resolves to must be public (not loopback, private, link-local or "
        "metadata): else 422 code `private_address`.",
    ),
]
EventTypes = Annotated[
    list[str],
    Meta(
        min_length=1,
        max_length=100,
        description='`["*"]` for every event, or event type names (`LeadCreated`, `StatusCreated`, ...), each once.',
    ),
]
Description = Annotated[str, Meta(max_length=1000)]
State = Literal["pending", "delivered", "failed"]


def url(value: str) -> str:
    try:
        check_url(value)
    except AddressRefused as exc:
        raise InvalidValueError("invalid", str(exc)) from None
    return value


def event_types(value: list[str]) -> list[str]:
    if value == ["*"]:
        return value
    if "*" in value:
        raise InvalidValueError("invalid", '"*" stands alone: it already means every event type')
    if len(set(value)) != len(value):
        raise InvalidValueError("invalid", "lists an event type twice")
    unknown = sorted(set(value) - KNOWN_TYPES)
    if unknown:
        raise InvalidValueError("unknown_event_type", f"not an event type: {', '.join(unknown)[:200]}")
    return value


FIELD_CHECKS: dict[str, Callable[[Any], Any]] = {"url": url, "event_types": event_types}


class WebhookInput(Strict):
    url: Url
    event_types: EventTypes
    description: Description | None = None
    active: bool = True


class WebhookPatch(Strict):
    """Change only what is sent; `active: true` turns a disabled endpoint back on where its deliveries stopped."""

    url: Url | None = None
    event_types: EventTypes | None = None
    description: Description | None = None
    active: bool | None = None


class ReplayInput(Strict):
    after: Annotated[
        str,
        Meta(
            pattern=TOKEN_PATTERN,
            description="A position token (an event's `position`, a delivery's `position`); the events after it "
            "are delivered again.",
        ),
    ]


class WebhookOut(msgspec.Struct, kw_only=True):
    SENT_WHOLE: ClassVar[bool] = True  # every member in every response (openapi_conventions)

    id: UUID
    object: Literal["webhook"] = "webhook"
    url: str
    event_types: list[str]
    active: bool
    description: str | None
    created_at: datetime
    disabled_reason: Annotated[
        str | None, Meta(description="Why deliveries turned the endpoint off (after 3 days of failures).")
    ]
    disabled_at: datetime | None


class WebhookWithSecret(WebhookOut, kw_only=True):
    secret: Annotated[
        str,
        Meta(description="`whsec_...`: the Standard Webhooks signing secret, in this response only; stored sealed."),
    ]
    previous_secret_expires_at: Annotated[
        datetime | None,
        Meta(description="After a rotation: until when deliveries are signed with the previous secret too."),
    ] = None


class WebhookList(msgspec.Struct, kw_only=True):
    SENT_WHOLE: ClassVar[bool] = True  # every member in every response (openapi_conventions)

    object: Literal["list"] = "list"
    data: list[WebhookOut]


class DeliveryOut(msgspec.Struct, kw_only=True):
    event_id: UUID
    lead_id: Annotated[UUID | None, Meta(description="null for an administrative event.")]
    version: int
    position: Annotated[str, Meta(description="The event's position token.")]
    state: State
    attempts: int
    last_status: Annotated[int | None, Meta(description="The HTTP status of the last attempt's answer.")]
    last_error: str | None
    next_attempt_at: Annotated[datetime | None, Meta(description="When a pending delivery is tried next.")]
    delivered_at: datetime | None
    created_at: datetime


class DeliveryPage(msgspec.Struct, kw_only=True):
    SENT_WHOLE: ClassVar[bool] = True  # every member in every response (openapi_conventions)

    object: Literal["list"] = "list"
    data: list[DeliveryOut]
    has_more: bool
    next_cursor: Annotated[str | None, Meta(description="Pass as `after` for the next (older) page.")]


class ReplayOut(msgspec.Struct, kw_only=True):
    SENT_WHOLE: ClassVar[bool] = True  # every member in every response (openapi_conventions)

    object: Literal["webhook_replay"] = "webhook_replay"
    webhook_id: UUID
    after: str
