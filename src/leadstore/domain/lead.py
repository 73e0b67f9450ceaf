"""The lead decider: `decide(command, lead, context) -> events`, or the domain error that refuses it. Pure."""

from __future__ import annotations

from datetime import datetime
from typing import Any, assert_never
from uuid import UUID

import msgspec

from leadstore.domain import field_checks
from leadstore.domain.commands import (
    Actor,
    ArchiveLead,
    AssignLead,
    Command,
    ConvertLead,
    CreateLead,
    EraseLead,
    RestoreLead,
    UpdateLead,
)
from leadstore.domain.errors import (
    AlreadyConverted,
    FieldError,
    InvalidTransition,
    LeadIsMerged,
    LeadNotFound,
    LeadWasErased,
    ValidationFailed,
)
from leadstore.domain.events import (
    Change,
    LeadArchived,
    LeadAssigned,
    LeadConverted,
    LeadCreated,
    LeadErased,
    LeadEvent,
    LeadRestored,
    LeadStatusChanged,
    LeadUpdated,
)
from leadstore.domain.field_checks import Problems, checked
from leadstore.domain.lead_rules import (
    checked_reason,
    known_status,
    known_user,
    require_known_user,
    require_open,
    require_team_and_source,
    status_kind,
    won_status,
)
from leadstore.domain.rules import Context, Rules, StatusKind
from leadstore.domain.state import Lead
from leadstore.domain.validation import validate_fields

_ABSENT: Any = object()
NO_ROTATION = "the lead's team (or the account, for a lead with no team) has no rotation with an active member"


def decide(cmd: Command, lead: Lead | None, context: Context) -> list[LeadEvent]:
    """The events that carry out `cmd` on `lead` under the account's rules and the turn the lane took."""
    rules = context.rules
    # erasure (issue 13): an erased lead takes no command (erasing it again changes nothing)
    if lead is not None and lead.erased:
        return _on_erased(cmd, lead)
    # merges (issue 14): a lead merged into another is closed to every write until the merge is undone; its
    # person can still be erased (the merge can then not be undone: unmerge answers 409 lead_erased)
    if lead is not None and lead.merged_into is not None and not isinstance(cmd, (CreateLead, EraseLead)):
        raise LeadIsMerged(lead.id, lead.merged_into)
    match cmd:
        case CreateLead() if lead is not None:
            raise InvalidTransition(f"lead {cmd.lead_id} already exists")
        case CreateLead():
            return _create(cmd, context)
        case UpdateLead():
            return _update(cmd, _existing(cmd.lead_id, lead), context)
        case AssignLead(rotation=True):
            current = _existing(cmd.lead_id, lead)
            if context.turn is None:
                raise ValidationFailed([FieldError("rotation", "no_rotation", NO_ROTATION)])
            require_open(current, rules, "assign it")
            return _assigned(current, context.turn.member, by_rotation=True)
        case AssignLead():
            current = _existing(cmd.lead_id, lead)
            require_open(current, rules, "assign it")
            require_known_user(rules, cmd.assigned_to)
            return _assigned(current, cmd.assigned_to)
        case ConvertLead():
            return _convert(_existing(cmd.lead_id, lead), rules, cmd.customer_id, cmd.now)
        case ArchiveLead():
            archived = _existing(cmd.lead_id, lead).archived
            return [] if archived else [LeadArchived(checked_reason(cmd.reason))]
        case RestoreLead():
            archived = _existing(cmd.lead_id, lead).archived
            return [LeadRestored(checked_reason(cmd.reason))] if archived else []
        case EraseLead():
            _existing(cmd.lead_id, lead)
            return [LeadErased(reason=erase_reason(cmd.reason))]
        case _:
            assert_never(cmd)


# --- erasure (issue 13) ---
ERASE_REASON_MAX_LENGTH = 1_000


def erase_reason(reason: str) -> str:
    """An erasure's reason, which the audit trail keeps: required, at most 1,000 characters, several lines
    allowed, no control character. (It should name the request, not the person: it is not erased.)"""
    if not reason or not reason.strip():
        raise ValidationFailed([FieldError("reason", "required", "say why the lead is erased")])
    return checked("reason", lambda: field_checks.text(reason, ERASE_REASON_MAX_LENGTH, multiline=True))


def _on_erased(cmd: Command, lead: Lead) -> list[LeadEvent]:
    """An erased lead takes no command: erasing it again changes nothing (the same answer as the first time),
    anything else is refused."""
    if isinstance(cmd, EraseLead):
        erase_reason(cmd.reason)
        return []
    raise LeadWasErased(lead.id)


# --- end erasure ---


def _existing(lead_id: UUID, lead: Lead | None) -> Lead:
    if lead is None:
        raise LeadNotFound(lead_id)
    return lead


def _create(cmd: CreateLead, context: Context) -> list[LeadEvent]:
    rules = context.rules
    fields = validate_fields(cmd.fields, rules, partial=False)
    if not cmd.skip_team_requirement:
        require_team_and_source(rules, fields.get("team_id"), fields.get("source"))
    if not rules.statuses:
        raise InvalidTransition("the account has no statuses to put a new lead in")
    status = fields.pop("status", None) or rules.statuses[0].key
    created = LeadCreated(account_id=cmd.account_id, created_by=cmd.actor.user_id, status=status, **fields)
    if created.assigned_to is None and context.turn is not None:
        return [created, LeadAssigned(from_=None, to=context.turn.member, by_rotation=True)]
    return [created]


def _update(cmd: UpdateLead, lead: Lead, context: Context) -> list[LeadEvent]:
    """A merge patch as up to three events: the fields (LeadUpdated), the assignee (LeadAssigned) and the
    status (LeadStatusChanged, or LeadConverted into a won status). A reopen goes first, so the same patch
    can then edit the lead; any other status change goes last, so a patch can edit a lead and close it."""
    rules = context.rules
    changes = dict(cmd.changes)
    status, assignee = changes.pop("status", _ABSENT), changes.pop("assigned_to", _ABSENT)
    target, assignee_id, customer_id, fields = _checked_patch(cmd, lead, rules, changes, status, assignee)
    closed = status_kind(rules, lead.status) != "open"
    moved = [] if target is None else _status_change(cmd, lead, rules, target, customer_id)
    if closed and moved and isinstance(moved[0], LeadStatusChanged):
        lead = msgspec.structs.replace(lead, status=target)  # reopened: the rest applies to an open lead
        before, moved = moved, []
    else:
        before = []
    edits: list[LeadEvent] = []
    if fields or assignee is not _ABSENT or (context.turn and assignee is _ABSENT):
        require_open(lead, rules, "change it")
        edits += _field_changes(lead, fields)
        if assignee is not _ABSENT:
            edits += _assigned(lead, assignee_id)
        elif context.turn is not None:
            edits += _assigned(lead, context.turn.member, by_rotation=True)
    return [*before, *edits, *moved]


def _checked_patch(
    cmd: UpdateLead, lead: Lead, rules: Rules, changes: dict[str, Any], status: Any, assignee: Any
) -> tuple[str | None, UUID | None, str | None, dict[str, Any]]:
    """The patch's status, assignee, customer id and cleaned fields, with every bad field listed at once."""
    problems = Problems()
    target = None if status is _ABSENT else problems.run("status", known_status, status, rules)
    customer_id = changes.pop("customer_id", None)
    if customer_id is not None:
        if target is None or status_kind(rules, target) != "won":
            problems.add("customer_id", "read_only", "is set by a conversion (a won `status` in the same patch)")
        else:
            customer_id = problems.run("customer_id", field_checks.customer_id, customer_id)
    assignee_id = None if assignee is _ABSENT else problems.run("assigned_to", _known_user, assignee, rules)
    fields: dict[str, Any] = {}
    try:
        fields = validate_fields(changes, rules, partial=True, current=lead)
    except ValidationFailed as exc:
        problems.errors.extend(exc.errors)
    if problems.errors:
        raise ValidationFailed(problems.errors)
    if not cmd.skip_team_requirement and ("team_id" in fields or "source" in fields):
        team_id = fields.get("team_id", lead.team_id)
        require_team_and_source(rules, team_id, fields.get("source", lead.source))
    return target, assignee_id, customer_id, fields


def _known_user(value: Any, rules: Rules) -> UUID | None:
    return None if value is None else known_user(field_checks.uuid(value), rules)


def _status_change(cmd: UpdateLead, lead: Lead, rules: Rules, target: str, customer_id: str | None) -> list[LeadEvent]:
    kind, current = status_kind(rules, target), status_kind(rules, lead.status)
    if lead.archived:
        raise InvalidTransition(f"lead {lead.id} is archived: restore it before changing its status")
    if kind == "won":
        return _convert(lead, rules, customer_id, cmd.now, status=target)
    if current != "open":
        if kind != "open" or not _may_reopen(cmd.actor):
            raise InvalidTransition(
                f"lead {lead.id} is closed ({lead.status}): only an admin or manager can reopen it, "
                "and only into an open status"
            )
        return [LeadStatusChanged(from_=lead.status, to=target, reopened_from_won=current == "won")]
    if target == lead.status:
        return []
    return [LeadStatusChanged(from_=lead.status, to=target)]


def _may_reopen(actor: Actor) -> bool:
    return actor.role in ("admin", "manager")


def _field_changes(lead: Lead, new_values: dict[str, Any]) -> list[LeadEvent]:
    changes: dict[str, Change] = {}
    for name, value in new_values.items():
        before, after = msgspec.to_builtins(getattr(lead, name)), msgspec.to_builtins(value)
        if _json(before) != _json(after):
            changes[name] = Change(from_=before, to=after)
    return [LeadUpdated(changes)] if changes else []


def _assigned(lead: Lead, user_id: UUID | None, *, by_rotation: bool = False) -> list[LeadEvent]:
    if user_id == lead.assigned_to:
        return []
    return [LeadAssigned(from_=lead.assigned_to, to=user_id, by_rotation=by_rotation)]


def _convert(
    lead: Lead, rules: Rules, customer_id: str | None, now: datetime, status: str | None = None
) -> list[LeadEvent]:
    if lead.is_converted:
        raise AlreadyConverted(lead.id)
    kind: StatusKind = status_kind(rules, lead.status)
    if kind == "lost":
        raise InvalidTransition(f"lead {lead.id} is lost ({lead.status}): reopen it before converting it")
    if lead.archived:
        raise InvalidTransition(f"lead {lead.id} is archived: restore it before converting it")
    if customer_id is not None:
        checked("customer_id", field_checks.customer_id, customer_id)
    won = status or won_status(rules)
    return [LeadConverted(customer_id=customer_id, converted_at=now, status=won, from_status=lead.status)]


def _json(value: Any) -> bytes:
    # Compared as canonical JSON, so that key order is no change but 1 -> 1.0 or true -> 1 is one.
    return msgspec.json.encode(value, order="sorted")
