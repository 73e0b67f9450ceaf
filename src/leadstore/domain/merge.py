"""The merge decider: `decide_merge` and `decide_unmerge` take the states of every lead involved and return
the events of each lead's stream, or the domain error that refuses the command. Pure, like `lead.decide`.

A merge appends LeadMerged to the survivor (the leads merged, which lead each chosen field came from, and
the survivor's values that changed) and LeadMergedInto to each merged lead, which closes it to writes. An
unmerge appends LeadUnmerged to each: the merged leads open again, and the survivor gets back the values
the merge changed. A field the survivor changed again after the merge keeps its newer value (named in the
event's `kept`): an undo must not silently throw away a later edit.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec

from leadstore.domain.commands import MergeLeads, UnmergeLead
from leadstore.domain.errors import (
    AlreadyUnmerged,
    DuplicateEmail,
    FieldError,
    InvalidTransition,
    LeadIsMerged,
    LeadNotFound,
    LeadWasErased,
    ValidationFailed,
)
from leadstore.domain.events import (
    Change,
    LeadCreated,
    LeadEvent,
    LeadMerged,
    LeadMergedInto,
    LeadUnmerged,
)
from leadstore.domain.lead_rules import require_open
from leadstore.domain.rules import Rules
from leadstore.domain.state import Lead

MAX_SOURCES = 10
# The fields a merge may take from another lead: every field a lead is created with but the status (a
# pipeline move, with its own rules) and who created it and where.
MERGEABLE_FIELDS = frozenset(
    name for name in LeadCreated.__struct_fields__ if name not in ("account_id", "created_by", "status")
)


class MergeRecord(msgspec.Struct, frozen=True):
    """What the survivor's stream says of a merge: its LeadMerged, and whether a LeadUnmerged undid it."""

    event: LeadMerged
    undone: bool = False


def decide_merge(
    cmd: MergeLeads, survivor: Lead | None, sources: dict[UUID, Lead | None], rules: Rules
) -> dict[UUID, list[LeadEvent]]:
    """The events of each stream that merge `cmd.sources` into the survivor. `sources` holds the state of each
    merged lead (None when it does not exist, or is not the actor's to see)."""
    check_merge_request(cmd)
    current = _existing(cmd.lead_id, survivor)
    merged = {lead_id: _existing(lead_id, sources.get(lead_id)) for lead_id in cmd.sources}
    for lead in (current, *merged.values()):
        _require_not_erased(lead)
        _require_not_merged(lead)
    everyone = merged | {current.id: current}
    changes: dict[str, Change] = {}
    for field, origin in cmd.fields.items():
        before = msgspec.to_builtins(getattr(current, field))
        after = msgspec.to_builtins(getattr(everyone[origin], field))
        if _json(before) != _json(after):
            changes[field] = Change(from_=before, to=after)
    if changes:
        require_open(current, rules, "merge other leads' values into it")
    events: dict[UUID, list[LeadEvent]] = {
        lead_id: [LeadMergedInto(into=current.id, merge_event_id=cmd.merge_event_id)] for lead_id in cmd.sources
    }
    events[current.id] = [LeadMerged(merged=list(cmd.sources), fields=dict(cmd.fields), changes=changes)]
    return events


def check_merge_request(cmd: MergeLeads) -> None:
    """The request's own rules, every broken one listed at once (422): 1 to MAX_SOURCES distinct leads other
    than the survivor, and fields that are mergeable, each taken from the survivor or one of them."""
    errors: list[FieldError] = []
    if not cmd.sources:
        errors.append(FieldError("from", "required", "name at least one lead to merge into this one"))
    if len(cmd.sources) > MAX_SOURCES:
        errors.append(FieldError("from", "too_many", f"at most {MAX_SOURCES} leads are merged at once"))
    if len(set(cmd.sources)) != len(cmd.sources):
        errors.append(FieldError("from", "duplicate", "names a lead more than once"))
    if cmd.lead_id in cmd.sources:
        errors.append(FieldError("from", "self", "names the lead merged into: a lead is not merged into itself"))
    for field, origin in cmd.fields.items():
        if field not in MERGEABLE_FIELDS:
            errors.append(FieldError(f"fields.{field}", "not_mergeable", "is not a lead field a merge can take"))
        elif origin != cmd.lead_id and origin not in cmd.sources:
            errors.append(FieldError(f"fields.{field}", "not_in_merge", "must be this lead's id or one in `from`"))
    if errors:
        raise ValidationFailed(errors)


def decide_unmerge(
    cmd: UnmergeLead,
    survivor: Lead | None,
    record: MergeRecord | None,
    merged: dict[UUID, Lead | None],
    rules: Rules,
) -> dict[UUID, list[LeadEvent]]:
    """The events of each stream that undo the survivor's merge `record` (None when the survivor's stream has
    no LeadMerged with that id). `merged` holds the state of each lead the merge merged."""
    current = _existing(cmd.lead_id, survivor)
    _require_not_erased(current)
    _require_not_merged(current)
    if record is None:
        message = "is not the id of a LeadMerged event of this lead"
        raise ValidationFailed([FieldError("merge_event_id", "unknown_merge", message)])
    if record.undone:
        raise AlreadyUnmerged(cmd.merge_event_id)
    leads = {lead_id: _existing(lead_id, merged.get(lead_id)) for lead_id in record.event.merged}
    for lead in leads.values():
        _require_not_erased(lead)  # its values are gone: it can not be given back
        if lead.merged_into != current.id:
            raise InvalidTransition(f"lead {lead.id} is no longer merged into lead {current.id}")
    restored: dict[str, Change] = {}
    kept: list[str] = []
    for field, change in record.event.changes.items():
        now = msgspec.to_builtins(getattr(current, field)) if field in MERGEABLE_FIELDS else _ABSENT
        if now is not _ABSENT and _json(now) == _json(change.to):
            restored[field] = Change(from_=now, to=change.from_)
        else:
            kept.append(field)
    if restored:
        require_open(current, rules, "restore the values a merge changed")
    _require_distinct_emails(current, restored, leads)
    events: dict[UUID, list[LeadEvent]] = {
        lead_id: [LeadUnmerged(merge_event_id=cmd.merge_event_id)] for lead_id in record.event.merged
    }
    events[current.id] = [LeadUnmerged(merge_event_id=cmd.merge_event_id, changes=restored, kept=kept)]
    return events


def merge_record(survivor_events: list[tuple[UUID, LeadEvent]], merge_event_id: UUID) -> MergeRecord | None:
    """The merge `merge_event_id` as the survivor's events `(event id, event)` record it, if they do."""
    found: LeadMerged | None = None
    undone = False
    for event_id, event in survivor_events:
        if event_id == merge_event_id and isinstance(event, LeadMerged):
            found = event
        elif isinstance(event, LeadUnmerged) and event.merge_event_id == merge_event_id:
            undone = True
    return None if found is None else MergeRecord(found, undone)


_ABSENT: Any = object()


def _existing(lead_id: UUID, lead: Lead | None) -> Lead:
    if lead is None:
        raise LeadNotFound(lead_id)
    return lead


def _require_distinct_emails(survivor: Lead, restored: dict[str, Change], merged: dict[UUID, Lead]) -> None:
    """An unmerge never leaves two leads with one address: the survivor's (as restored) and each merged lead's
    must differ (they can meet only when the survivor took a merged lead's address again after the merge)."""
    email = restored["email"].to if "email" in restored else survivor.email
    for lead in merged.values():
        if email and lead.email and email.lower() == lead.email.lower():
            raise DuplicateEmail(lead.email)


def _require_not_erased(lead: Lead) -> None:
    """An erased lead takes part in no merge (erasure, issue 13): its values are gone, and a merge into or of
    it would write to its stream, whose data key no longer exists."""
    if lead.erased:
        raise LeadWasErased(lead.id)


def _require_not_merged(lead: Lead) -> None:
    if lead.merged_into is not None:
        raise LeadIsMerged(lead.id, lead.merged_into)


def _json(value: Any) -> bytes:
    # compared as canonical JSON, as the lead decider compares a patch's values
    return msgspec.json.encode(value, order="sorted")
