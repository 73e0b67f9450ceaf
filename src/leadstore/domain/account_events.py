"""Account events: every administrative change, in one stream per account (DESIGN.md decision 9).

Versioned contracts like the lead events: add fields only with defaults, never change a type. They never
carry a secret: an issued key is named by its id, never by any part of the key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, get_args
from uuid import UUID

import msgspec

from leadstore.domain.events import Change

ACCOUNT_STREAM = "account"  # the stream type of an account's events in the log


class DefaultStatus(msgspec.Struct, frozen=True):
    key: str
    label: str
    kind: str
    position: int


class DefaultSource(msgspec.Struct, frozen=True):
    key: str
    label: str


class AccountCreated(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    statuses: list[DefaultStatus]
    sources: list[DefaultSource]


class UserCreated(msgspec.Struct, frozen=True, kw_only=True):
    user_id: UUID
    email: str
    name: str | None
    role: str


class UserDeactivated(msgspec.Struct, frozen=True):
    user_id: UUID


class ApiKeyIssued(msgspec.Struct, frozen=True, kw_only=True):
    api_key_id: UUID
    user_id: UUID
    name: str | None


class ApiKeyRevoked(msgspec.Struct, frozen=True):
    api_key_id: UUID


class KeyedUpdate(msgspec.Struct, frozen=True):
    """A change of the configuration row named by `key`: `{field: {"from", "to"}}`."""

    key: str
    changes: dict[str, Change]


class StatusCreated(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    label: str
    kind: str
    position: int
    color: str | None


class StatusUpdated(KeyedUpdate, frozen=True):
    pass


class StatusesReordered(msgspec.Struct, frozen=True):
    from_: list[str] = msgspec.field(name="from")
    to: list[str] = msgspec.field(default_factory=list)


class SourceCreated(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    label: str
    team_id: UUID | None


class SourceUpdated(KeyedUpdate, frozen=True):
    pass


class TeamCreated(msgspec.Struct, frozen=True, kw_only=True):
    team_id: UUID
    name: str
    rotation: bool
    members: list[UUID]


class TeamUpdated(msgspec.Struct, frozen=True):
    team_id: UUID
    changes: dict[str, Change]


class CustomFieldCreated(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    label: str
    type: str
    choices: list[str]
    required: bool


class CustomFieldUpdated(KeyedUpdate, frozen=True):
    pass


class RotationUpdated(msgspec.Struct, frozen=True):
    changes: dict[str, Change]


class WebhookCreated(msgspec.Struct, frozen=True, kw_only=True):
    """A webhook endpoint was added; its signing secret is never part of an event."""

    webhook_id: UUID
    url: str
    event_types: list[str]
    active: bool
    description: str | None


class WebhookUpdated(msgspec.Struct, frozen=True):
    webhook_id: UUID
    changes: dict[str, Change]


class WebhookSecretRotated(msgspec.Struct, frozen=True, kw_only=True):
    """A new signing secret; the previous one still signs until `previous_expires_at`."""

    webhook_id: UUID
    previous_expires_at: datetime


class WebhookDeleted(msgspec.Struct, frozen=True):
    webhook_id: UUID


class WebhookReplayRequested(msgspec.Struct, frozen=True, kw_only=True):
    """An admin asked to redeliver the events after position token `after`."""

    webhook_id: UUID
    after: str


class WebhookDisabled(msgspec.Struct, frozen=True):
    """The deliverer gave up on an endpoint after its retry window of continuous failures."""

    webhook_id: UUID
    reason: str


AccountEvent = (
    AccountCreated
    | UserCreated
    | UserDeactivated
    | ApiKeyIssued
    | ApiKeyRevoked
    | StatusCreated
    | StatusUpdated
    | StatusesReordered
    | SourceCreated
    | SourceUpdated
    | TeamCreated
    | TeamUpdated
    | CustomFieldCreated
    | CustomFieldUpdated
    | RotationUpdated
    | WebhookCreated
    | WebhookUpdated
    | WebhookSecretRotated
    | WebhookDeleted
    | WebhookReplayRequested
    | WebhookDisabled
)
ACCOUNT_EVENT_TYPES: dict[str, type[AccountEvent]] = {cls.__name__: cls for cls in get_args(AccountEvent)}


def account_event_data(event: AccountEvent) -> dict[str, Any]:
    """The event's `data` as stored and published: its fields (the type is the class name)."""
    data: dict[str, Any] = msgspec.to_builtins(event)
    return data


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Change]:
    """`{field: {"from", "to"}}` for every field of `after` whose value differs from `before`'s."""
    return {
        name: Change(before.get(name), value)
        for name, value in after.items()
        if msgspec.to_builtins(before.get(name)) != msgspec.to_builtins(value)
    }
