"""Request and response shapes of the configuration endpoints (admin only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar, Literal
from uuid import UUID

import msgspec
from msgspec import UNSET, Meta, UnsetType

from leadstore.domain.characters import SINGLE_LINE_PATTERN
from leadstore.http.schemas import EMAIL_FORMAT

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
Key = Annotated[str, Meta(pattern=KEY_PATTERN, description="Lower-case letters, digits, _; immutable.")]
Label = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=255,
        pattern=SINGLE_LINE_PATTERN,
        description="1-255 characters on one line: no control or bidi control characters, not only invisible ones.",
    ),
]
Color = Annotated[str, Meta(pattern=r"^#[0-9a-fA-F]{6}$", description="#rrggbb.")]
Kind = Literal["open", "won", "lost"]
FieldType = Literal["text", "number", "boolean", "date", "datetime", "choice", "multi_choice"]
Role = Literal["admin", "manager", "member"]
Choices = Annotated[list[Label], Meta(max_length=200, description="The allowed values of choice and multi_choice.")]


class Strict(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Request bodies refuse unknown fields (422)."""


class StatusOut(msgspec.Struct, kw_only=True):
    key: str
    label: str
    kind: Kind
    position: Annotated[int, Meta(description="Pipeline order, from 0; new leads get the first status.")]
    color: str | None


class StatusInput(Strict):
    key: Key
    label: Label
    kind: Kind = "open"
    color: Color | None = None


class StatusPatch(Strict):
    """Rename a status (its key never changes, so no integration breaks)."""

    label: Label | None = None
    color: Color | None = None


class StatusOrder(Strict):
    keys: Annotated[list[Key], Meta(description="Every status key, in the new order; the first must be open.")]


class SourceOut(msgspec.Struct, kw_only=True):
    key: str
    label: str
    team_id: UUID | None


class SourceInput(Strict):
    key: Key
    label: Label
    team_id: Annotated[UUID | None, Meta(description="A team's own source: its leads must use one of them.")] = None


class SourcePatch(Strict):
    label: Label | None = None
    team_id: UUID | None = None


class TeamOut(msgspec.Struct, kw_only=True):
    id: UUID
    name: str
    members: Annotated[list[UUID], Meta(description="User ids, in rotation order.")]
    rotation: Annotated[bool, Meta(description="New leads without assignee go to the next active member.")]


class TeamInput(Strict):
    name: Label
    members: Annotated[list[UUID], Meta(max_length=1000, description="Active users of the account.")] = []
    rotation: bool = False


class TeamPatch(Strict):
    """Members, when sent, replace the team's members; members kept keep their place in the rotation."""

    name: Label | None = None
    members: Annotated[list[UUID], Meta(max_length=1000)] | None = None
    rotation: bool | None = None


class RotationOut(msgspec.Struct, kw_only=True):
    enabled: Annotated[bool, Meta(description="Leads written with no team and no assignee take a turn here.")]
    members: Annotated[list[UUID], Meta(description="User ids, in rotation order (inactive ones are skipped).")]


class RotationInput(Strict):
    enabled: bool
    members: Annotated[list[UUID], Meta(max_length=1000, description="Active users of the account.")] = []


class CustomFieldOut(msgspec.Struct, kw_only=True):
    key: str
    label: str
    type: FieldType
    choices: list[str]
    required: bool


class CustomFieldInput(Strict):
    key: Key
    label: Label
    type: FieldType
    choices: Choices = []
    required: Annotated[bool, Meta(description="New leads must set it.")] = False


class CustomFieldPatch(Strict):
    """The key and type never change (stored values would no longer fit)."""

    label: Label | None = None
    choices: Choices | None = None
    required: bool | None = None


class UserOut(msgspec.Struct, kw_only=True):
    """A user. Every role sees the account's active users' id, name and role (to assign leads to them);
    email, active and created_at are for admins."""

    id: UUID
    name: str | None
    role: Role
    email: str | UnsetType = UNSET
    active: bool | UnsetType = UNSET
    created_at: datetime | UnsetType = UNSET


class UserInput(Strict):
    email: Annotated[
        str, Meta(max_length=255, description="Unique in the account, any case.", extra_json_schema=EMAIL_FORMAT)
    ]
    name: Label | None = None
    role: Role = "member"


class ApiKeyOut(msgspec.Struct, kw_only=True):
    id: UUID
    user_id: UUID
    name: str | None
    prefix: Annotated[str, Meta(description="The key's first characters, to recognise it.")]
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: Annotated[datetime | None, Meta(description="When the key last authenticated (to the minute).")]


class ApiKeyCreated(ApiKeyOut, kw_only=True):
    key: Annotated[str, Meta(description="The key itself: shown this once, stored only as a hash.")]


class ApiKeyInput(Strict):
    user_id: Annotated[UUID | None, Meta(description="An active user of the account; default: yourself.")] = None
    name: Label | None = None


class StatusList(msgspec.Struct, kw_only=True):
    SENT_WHOLE: ClassVar[bool] = True  # every member in every response (openapi_conventions)

    object: Literal["list"] = "list"
    data: list[StatusOut]


class SourceList(msgspec.Struct, kw_only=True):
    SENT_WHOLE: ClassVar[bool] = True  # every member in every response (openapi_conventions)

    object: Literal["list"] = "list"
    data: list[SourceOut]


class TeamList(msgspec.Struct, kw_only=True):
    SENT_WHOLE: ClassVar[bool] = True  # every member in every response (openapi_conventions)

    object: Literal["list"] = "list"
    data: list[TeamOut]


class CustomFieldList(msgspec.Struct, kw_only=True):
    SENT_WHOLE: ClassVar[bool] = True  # every member in every response (openapi_conventions)

    object: Literal["list"] = "list"
    data: list[CustomFieldOut]


class UserList(msgspec.Struct, kw_only=True):
    SENT_WHOLE: ClassVar[bool] = True  # every member in every response (openapi_conventions)

    object: Literal["list"] = "list"
    data: list[UserOut]


class ApiKeyList(msgspec.Struct, kw_only=True):
    SENT_WHOLE: ClassVar[bool] = True  # every member in every response (openapi_conventions)

    object: Literal["list"] = "list"
    data: list[ApiKeyOut]
