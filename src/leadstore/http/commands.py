"""From request bodies to lead commands, and the plans that order several commands on one lead."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from uuid_utils.compat import uuid7

from leadstore.domain import field_checks
from leadstore.domain.commands import (
    Actor,
    ArchiveLead,
    AssignLead,
    ChangeStatus,
    Command,
    ConvertLead,
    CreateLead,
    RestoreLead,
    Rules,
    UpdateLead,
)
from leadstore.domain.errors import FieldError, ValidationFailed
from leadstore.domain.lead import Lead
from leadstore.domain.lead_rules import status_kind
from leadstore.domain.validation import validate_fields
from leadstore.handler import ByRotation, Plan, RulesSource
from leadstore.http.schemas import AssignInput, ConvertInput, ReasonInput
from leadstore.store.db import Conn

PLACEHOLDER_RULES = Rules(statuses=[])  # the handler loads the account's rules inside the transaction
_ABSENT: Any = object()


def now() -> datetime:
    return datetime.now(UTC)


def create_lead(account_id: UUID, actor: Actor, body: dict[str, Any], skip_team_requirement: bool) -> CreateLead:
    return CreateLead(
        lead_id=uuid7(),
        account_id=account_id,
        actor=actor,
        now=now(),
        rules=PLACEHOLDER_RULES,
        fields=body,
        skip_team_requirement=skip_team_requirement,
    )


def single(command: Command | ByRotation) -> Plan:
    """A plan of one command."""

    async def plan(conn: Conn, lead: Lead, rules: RulesSource) -> list[Command | ByRotation]:
        return [command]

    return plan


def convert(lead_id: UUID, actor: Actor, body: ConvertInput) -> Plan:
    return single(
        ConvertLead(lead_id=lead_id, actor=actor, now=now(), rules=PLACEHOLDER_RULES, customer_id=body.customer_id)
    )


def archive(lead_id: UUID, actor: Actor, body: ReasonInput, *, restore: bool = False) -> Plan:
    command = RestoreLead if restore else ArchiveLead
    return single(command(lead_id=lead_id, actor=actor, now=now(), reason=body.reason))


def assign(lead_id: UUID, actor: Actor, body: AssignInput, sent: dict[str, Any]) -> Plan:
    """`{"assigned_to": id or null}`, or `{"rotation": true}`: the next member of the lead's team."""
    if body.rotation == ("assigned_to" in sent):
        message = 'send either "assigned_to" or "rotation": true'
        raise ValidationFailed([FieldError("assigned_to", "required", message)])
    if not body.rotation:
        return single(_assign(lead_id, actor, body.assigned_to))

    return single(ByRotation(lead_id=lead_id, actor=actor, now=now(), rules=PLACEHOLDER_RULES))


def patch(lead_id: UUID, actor: Actor, body: dict[str, Any]) -> Plan:
    """A merge patch as up to three commands: fields (UpdateLead), assignee (AssignLead), status (ChangeStatus).

    A status change that reopens a closed lead goes first, so the same patch can then edit it; any other
    goes last, so fields can be edited and the lead closed in one request.
    """
    changes = dict(body)
    status, assignee = changes.pop("status", _ABSENT), changes.pop("assigned_to", _ABSENT)
    problems = _command_field_problems(status, assignee)

    async def plan(conn: Conn, lead: Lead, account_rules: RulesSource) -> list[Command | ByRotation]:
        rules = await account_rules()
        if problems:
            raise ValidationFailed(problems + _field_problems(changes, rules, lead))
        at = now()
        fields = [UpdateLead(lead_id=lead_id, actor=actor, now=at, rules=rules, changes=changes)] if changes else []
        assigned = [] if assignee is _ABSENT else [_assign(lead_id, actor, _user_id(assignee))]
        moved = (
            []
            if status is _ABSENT
            else [ChangeStatus(lead_id=lead_id, actor=actor, now=at, rules=rules, status=status)]
        )
        if status_kind(rules, lead.status) != "open":
            return [*moved, *fields, *assigned]
        return [*fields, *assigned, *moved]

    return plan


def _assign(lead_id: UUID, actor: Actor, user_id: UUID | None, *, by_rotation: bool = False) -> AssignLead:
    return AssignLead(
        lead_id=lead_id, actor=actor, now=now(), rules=PLACEHOLDER_RULES, assigned_to=user_id, by_rotation=by_rotation
    )


def _user_id(value: Any) -> UUID | None:
    return None if value is None else field_checks.uuid(value)


def _command_field_problems(status: Any, assignee: Any) -> list[FieldError]:
    problems: list[FieldError] = []
    if status is not _ABSENT and not isinstance(status, str):
        problems.append(FieldError("status", "invalid_type", "must be the key of one of the account's statuses"))
    if assignee is not _ABSENT:
        try:
            _user_id(assignee)
        except field_checks.InvalidValueError as exc:
            problems.append(FieldError("assigned_to", exc.code, exc.message))
    return problems


def _field_problems(changes: dict[str, Any], rules: Rules, lead: Lead) -> list[FieldError]:
    try:
        validate_fields(changes, rules, partial=True, current=lead)
    except ValidationFailed as exc:
        return list(exc.errors)
    return []
