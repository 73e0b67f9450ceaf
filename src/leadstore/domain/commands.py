"""Lead commands. Time, ids and everything the decider must know about the account arrive on them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import msgspec

Role = Literal["admin", "manager", "member"]
StatusKind = Literal["open", "won", "lost"]


class Actor(msgspec.Struct, frozen=True):
    user_id: UUID
    role: Role
    api_key_id: UUID | None = None
    email: str | None = None


class StatusRule(msgspec.Struct, frozen=True):
    key: str
    kind: StatusKind


class SourceRule(msgspec.Struct, frozen=True):
    key: str
    team_id: UUID | None = None


class TeamRule(msgspec.Struct, frozen=True):
    id: UUID
    rotation: bool = False


class CustomFieldRule(msgspec.Struct, frozen=True):
    key: str
    type: Literal["text", "number", "boolean", "date", "datetime", "choice", "multi_choice"]
    choices: list[str] = msgspec.field(default_factory=list)
    required: bool = False


class Rules(msgspec.Struct, frozen=True):
    """The account's configuration as the decider needs it. `statuses` are in pipeline order.

    `known_users` holds those user ids referenced by the command that are active users of the account.
    """

    statuses: list[StatusRule]
    sources: list[SourceRule] = msgspec.field(default_factory=list)
    teams: list[TeamRule] = msgspec.field(default_factory=list)
    custom_fields: list[CustomFieldRule] = msgspec.field(default_factory=list)
    known_users: frozenset[UUID] = frozenset()


class CreateLead(msgspec.Struct, frozen=True, kw_only=True):
    lead_id: UUID
    account_id: UUID
    actor: Actor
    now: datetime
    rules: Rules
    fields: dict[str, Any]
    skip_team_requirement: bool = False


class UpdateLead(msgspec.Struct, frozen=True, kw_only=True):
    """A JSON merge patch of plain fields (status and assigned_to travel as their own commands)."""

    lead_id: UUID
    actor: Actor
    now: datetime
    rules: Rules
    changes: dict[str, Any]


class ChangeStatus(msgspec.Struct, frozen=True, kw_only=True):
    lead_id: UUID
    actor: Actor
    now: datetime
    rules: Rules
    status: str
    reason: str | None = None


class AssignLead(msgspec.Struct, frozen=True, kw_only=True):
    lead_id: UUID
    actor: Actor
    now: datetime
    rules: Rules
    assigned_to: UUID | None
    by_rotation: bool = False


class ConvertLead(msgspec.Struct, frozen=True, kw_only=True):
    lead_id: UUID
    actor: Actor
    now: datetime
    rules: Rules
    customer_id: str | None = None


class ArchiveLead(msgspec.Struct, frozen=True, kw_only=True):
    lead_id: UUID
    actor: Actor
    now: datetime
    reason: str | None = None


class RestoreLead(msgspec.Struct, frozen=True, kw_only=True):
    lead_id: UUID
    actor: Actor
    now: datetime
    reason: str | None = None


Command = CreateLead | UpdateLead | ChangeStatus | AssignLead | ConvertLead | ArchiveLead | RestoreLead
