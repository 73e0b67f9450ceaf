"""Lead commands: intent only. Time and ids arrive on them; what the world says arrives as `decide`'s context."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import msgspec

Role = Literal["admin", "manager", "member"]


class Actor(msgspec.Struct, frozen=True):
    user_id: UUID
    role: Role
    api_key_id: UUID | None = None
    email: str | None = None


class CreateLead(msgspec.Struct, frozen=True, kw_only=True):
    lead_id: UUID
    account_id: UUID
    actor: Actor
    now: datetime
    fields: dict[str, Any]
    skip_team_requirement: bool = False


class UpdateLead(msgspec.Struct, frozen=True, kw_only=True):
    """A JSON merge patch: plain fields, and `status` and `assigned_to`, each recorded as its own event."""

    lead_id: UUID
    actor: Actor
    now: datetime
    changes: dict[str, Any]
    skip_team_requirement: bool = False


class AssignLead(msgspec.Struct, frozen=True, kw_only=True):
    """Assign to a user or nobody, or (`rotation`) to the next member of the lead's rotation."""

    lead_id: UUID
    actor: Actor
    now: datetime
    assigned_to: UUID | None = None
    rotation: bool = False


class ConvertLead(msgspec.Struct, frozen=True, kw_only=True):
    lead_id: UUID
    actor: Actor
    now: datetime
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


# --- erasure (issue 13) ---


class EraseLead(msgspec.Struct, frozen=True, kw_only=True):
    """Erase the person behind a lead (GDPR art. 17): its personal values go, its non-personal history stays."""

    lead_id: UUID
    actor: Actor
    now: datetime
    reason: str


# --- end erasure ---

Command = CreateLead | UpdateLead | AssignLead | ConvertLead | ArchiveLead | RestoreLead | EraseLead


# --- merges (issue 14): commands on several leads at once, decided by leadstore.domain.merge
class MergeLeads(msgspec.Struct, frozen=True, kw_only=True):
    """Merge the leads `sources` into `lead_id` (the survivor); `fields` names, per field, the lead whose value
    the survivor takes. `merge_event_id` is the id the survivor's LeadMerged will have."""

    lead_id: UUID
    actor: Actor
    now: datetime
    sources: list[UUID]
    fields: dict[str, UUID]
    merge_event_id: UUID


class UnmergeLead(msgspec.Struct, frozen=True, kw_only=True):
    """Undo the merge recorded as the survivor's LeadMerged `merge_event_id`."""

    lead_id: UUID
    actor: Actor
    now: datetime
    merge_event_id: UUID
