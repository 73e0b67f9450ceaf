"""The lead decider: its state, `evolve` (event -> state) and `decide` (command -> events). Pure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, assert_never
from uuid import UUID

import msgspec

from leadstore.domain import field_checks
from leadstore.domain.commands import (
    ArchiveLead,
    AssignLead,
    ChangeStatus,
    Command,
    ConvertLead,
    CreateLead,
    RestoreLead,
    UpdateLead,
)
from leadstore.domain.errors import AlreadyConverted, InvalidTransition, LeadNotFound
from leadstore.domain.events import (
    Change,
    LeadArchived,
    LeadAssigned,
    LeadConverted,
    LeadCreated,
    LeadEvent,
    LeadFields,
    LeadRestored,
    LeadStatusChanged,
    LeadUpdated,
)
from leadstore.domain.lead_rules import (
    checked,
    checked_reason,
    known_status_kind,
    require_known_user,
    require_open,
    require_team_and_source,
    status_kind,
    won_status,
)
from leadstore.domain.validation import validate_fields


def full_name(first: str | None, last: str | None) -> str:
    """First and last name joined with a space, skipping missing ones; "" when both are missing."""
    return " ".join(part for part in (first, last) if part)


class Lead(LeadFields, frozen=True, kw_only=True):
    """A lead as its events left it: the fields it was created with, as changed since, and its state."""

    id: UUID
    is_converted: bool = False
    converted_at: datetime | None = None
    customer_id: str | None = None
    archived: bool = False
    version: int
    created_at: datetime
    updated_at: datetime

    @property
    def full_name(self) -> str:
        return full_name(self.first_name, self.last_name)


class EventMeta(msgspec.Struct, frozen=True):
    """What the store knows of an event beyond its data."""

    lead_id: UUID
    version: int
    occurred_at: datetime


_CREATED_FIELDS = LeadCreated.__struct_fields__
# LeadUpdated carries JSON values; these are the types they are converted back to.
_PATCHABLE_TYPES = {
    field.name: field.type
    for field in msgspec.structs.fields(LeadCreated)
    if field.name not in ("account_id", "created_by", "status")
}


def evolve(lead: Lead | None, event: LeadEvent, meta: EventMeta) -> Lead:
    """The lead after `event`; every event stamps it with its version and time."""
    match event:
        case LeadCreated() if lead is None:
            return _born(event, meta)
        case LeadCreated():
            raise ValueError(f"stream {meta.lead_id} has a second LeadCreated at version {meta.version}")
        case LeadUpdated(changes=changes):
            changed = _patched_values(changes)
        case LeadStatusChanged(to=status):
            changed = {"status": status}
        case LeadAssigned(to=user_id):
            changed = {"assigned_to": user_id}
        case LeadConverted():
            changed = {"is_converted": True, "converted_at": event.converted_at}
            changed |= {"customer_id": event.customer_id, "status": event.status}
        case LeadArchived():
            changed = {"archived": True}
        case LeadRestored():
            changed = {"archived": False}
        case _:
            assert_never(event)
    if lead is None:
        raise ValueError(f"stream {meta.lead_id} does not start with LeadCreated")
    return msgspec.structs.replace(lead, **changed, version=meta.version, updated_at=meta.occurred_at)


def fold(lead_id: UUID, items: Iterable[tuple[LeadEvent, int, datetime]]) -> Lead | None:
    """The lead after its stream's events `(event, version, occurred_at)`, oldest first; None if none."""
    lead: Lead | None = None
    for event, version, occurred_at in items:
        lead = evolve(lead, event, EventMeta(lead_id, version, occurred_at))
    return lead


def _born(event: LeadCreated, meta: EventMeta) -> Lead:
    fields = {name: getattr(event, name) for name in _CREATED_FIELDS}
    stamps: dict[str, Any] = {
        "version": meta.version,
        "created_at": meta.occurred_at,
        "updated_at": meta.occurred_at,
    }
    return Lead(id=meta.lead_id, **stamps, **fields)


def _patched_values(changes: dict[str, Change]) -> dict[str, Any]:
    # A field this reader does not know (written by a newer one) is skipped rather than fatal.
    return {
        name: msgspec.convert(change.to, _PATCHABLE_TYPES[name])
        for name, change in changes.items()
        if name in _PATCHABLE_TYPES
    }


def decide(cmd: Command, lead: Lead | None) -> list[LeadEvent]:
    """The events that carry out `cmd` on `lead`, or the domain error that refuses it."""
    match cmd:
        case CreateLead() if lead is not None:
            raise InvalidTransition(f"lead {cmd.lead_id} already exists")
        case CreateLead():
            return [_create(cmd)]
        case UpdateLead():
            return _update(cmd, _existing(cmd.lead_id, lead))
        case ChangeStatus():
            return _change_status(cmd, _existing(cmd.lead_id, lead))
        case AssignLead():
            return _assign(cmd, _existing(cmd.lead_id, lead))
        case ConvertLead():
            return _convert(cmd, _existing(cmd.lead_id, lead))
        case ArchiveLead():
            archived = _existing(cmd.lead_id, lead).archived
            return [] if archived else [LeadArchived(checked_reason(cmd.reason))]
        case RestoreLead():
            archived = _existing(cmd.lead_id, lead).archived
            return [LeadRestored(checked_reason(cmd.reason))] if archived else []
        case _:
            assert_never(cmd)


def _existing(lead_id: UUID, lead: Lead | None) -> Lead:
    if lead is None:
        raise LeadNotFound(lead_id)
    return lead


def _create(cmd: CreateLead) -> LeadCreated:
    fields = validate_fields(cmd.fields, cmd.rules, partial=False)
    if not cmd.skip_team_requirement:
        require_team_and_source(cmd.rules, fields.get("team_id"), fields.get("source"))
    if not cmd.rules.statuses:
        raise InvalidTransition("the account has no statuses to put a new lead in")
    status = fields.pop("status", None) or cmd.rules.statuses[0].key
    return LeadCreated(account_id=cmd.account_id, created_by=cmd.actor.user_id, status=status, **fields)


def _update(cmd: UpdateLead, lead: Lead) -> list[LeadEvent]:
    require_open(lead, cmd.rules, "change its fields")
    new_values = validate_fields(cmd.changes, cmd.rules, partial=True, current=lead)
    changes: dict[str, Change] = {}
    for name, value in new_values.items():
        before, after = msgspec.to_builtins(getattr(lead, name)), msgspec.to_builtins(value)
        if _json(before) != _json(after):
            changes[name] = Change(from_=before, to=after)
    return [LeadUpdated(changes)] if changes else []


def _change_status(cmd: ChangeStatus, lead: Lead) -> list[LeadEvent]:
    target = known_status_kind(cmd.rules, cmd.status)
    reason = checked_reason(cmd.reason)
    if lead.archived:
        raise InvalidTransition(f"lead {lead.id} is archived: restore it before changing its status")
    if target == "won":
        raise InvalidTransition(f"{cmd.status!r} is a won status: a lead is won only by converting it")
    reopening = target == "open" and cmd.actor.role in ("admin", "manager")
    if status_kind(cmd.rules, lead.status) != "open" and not reopening:
        raise InvalidTransition(
            f"lead {lead.id} is closed ({lead.status}): only an admin or manager can reopen it, "
            "and only into an open status"
        )
    if cmd.status == lead.status:
        return []
    return [LeadStatusChanged(from_=lead.status, to=cmd.status, reason=reason)]


def _assign(cmd: AssignLead, lead: Lead) -> list[LeadEvent]:
    require_open(lead, cmd.rules, "assign it")
    require_known_user(cmd.rules, cmd.assigned_to)
    if cmd.assigned_to == lead.assigned_to:
        return []
    return [LeadAssigned(from_=lead.assigned_to, to=cmd.assigned_to, by_rotation=cmd.by_rotation)]


def _convert(cmd: ConvertLead, lead: Lead) -> list[LeadEvent]:
    if lead.is_converted:
        raise AlreadyConverted(lead.id)
    if status_kind(cmd.rules, lead.status) == "lost":
        raise InvalidTransition(f"lead {lead.id} is lost ({lead.status}): reopen it before converting it")
    if lead.archived:
        raise InvalidTransition(f"lead {lead.id} is archived: restore it before converting it")
    if cmd.customer_id is not None:
        checked("customer_id", field_checks.customer_id, cmd.customer_id)
    won = won_status(cmd.rules)
    return [LeadConverted(customer_id=cmd.customer_id, converted_at=cmd.now, status=won, from_status=lead.status)]


def _json(value: Any) -> bytes:
    # Compared as canonical JSON, so that key order is no change but 1 -> 1.0 or true -> 1 is one.
    return msgspec.json.encode(value, order="sorted")
