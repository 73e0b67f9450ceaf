"""From request bodies to lead commands: intent only, with the time and, for a create, the new id."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from uuid_utils.compat import uuid7

from leadstore.domain.commands import (
    Actor,
    ArchiveLead,
    AssignLead,
    ConvertLead,
    CreateLead,
    EraseLead,
    RestoreLead,
    UpdateLead,
)
from leadstore.domain.errors import FieldError, ValidationFailed
from leadstore.http.schemas import AssignInput, ConvertInput, EraseInput, ReasonInput


def now() -> datetime:
    return datetime.now(UTC)


def create_lead(account_id: UUID, actor: Actor, body: dict[str, Any], skip_team_requirement: bool) -> CreateLead:
    return CreateLead(
        lead_id=uuid7(),
        account_id=account_id,
        actor=actor,
        now=now(),
        fields=body,
        skip_team_requirement=skip_team_requirement,
    )


def patch(lead_id: UUID, actor: Actor, body: dict[str, Any], skip_team_requirement: bool) -> UpdateLead:
    return UpdateLead(
        lead_id=lead_id, actor=actor, now=now(), changes=body, skip_team_requirement=skip_team_requirement
    )


def assign(lead_id: UUID, actor: Actor, body: AssignInput, sent: dict[str, Any]) -> AssignLead:
    """`{"assigned_to": id or null}`, or `{"rotation": true}`: the next member of the lead's rotation."""
    if body.rotation == ("assigned_to" in sent):
        message = 'send either "assigned_to" or "rotation": true'
        raise ValidationFailed([FieldError("assigned_to", "required", message)])
    return AssignLead(lead_id=lead_id, actor=actor, now=now(), assigned_to=body.assigned_to, rotation=body.rotation)


def convert(lead_id: UUID, actor: Actor, body: ConvertInput) -> ConvertLead:
    return ConvertLead(lead_id=lead_id, actor=actor, now=now(), customer_id=body.customer_id)


def archive(lead_id: UUID, actor: Actor, body: ReasonInput, *, restore: bool = False) -> ArchiveLead | RestoreLead:
    command = RestoreLead if restore else ArchiveLead
    return command(lead_id=lead_id, actor=actor, now=now(), reason=body.reason)


def erase(lead_id: UUID, actor: Actor, body: EraseInput) -> EraseLead:
    return EraseLead(lead_id=lead_id, actor=actor, now=now(), reason=body.reason)
