"""A lead's state: what its events made of it (`evolve`, `fold`). Pure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, assert_never
from uuid import UUID

import msgspec

from leadstore.domain.events import (
    Change,
    LeadArchived,
    LeadAssigned,
    LeadConverted,
    LeadCreated,
    LeadErased,
    LeadEvent,
    LeadFields,
    LeadMerged,
    LeadMergedInto,
    LeadRestored,
    LeadStatusChanged,
    LeadUnmerged,
    LeadUpdated,
)
from leadstore.domain.personal import CUSTOM, PERSONAL_FIELDS


class Lead(LeadFields, frozen=True, kw_only=True):
    """A lead as its events left it: the fields it was created with, as changed since, and its state."""

    id: UUID
    is_converted: bool = False
    converted_at: datetime | None = None
    customer_id: str | None = None
    archived: bool = False
    merged_into: UUID | None = None  # merged into that lead: closed to writes until the merge is undone
    version: int
    created_at: datetime
    updated_at: datetime
    erased: bool = False  # erasure (issue 13): the personal fields are null


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
# What erasure leaves of the personal fields (the rest of the lead stays as it was).
_ERASED: dict[str, Any] = {name: None for name in PERSONAL_FIELDS if name in Lead.__struct_fields__}
_ERASED |= {CUSTOM: {}, "erased": True}
_UNCONVERTED = {"is_converted": False, "converted_at": None, "customer_id": None}


def evolve(lead: Lead | None, event: LeadEvent, meta: EventMeta) -> Lead:
    """The lead after `event`; every event stamps it with its version and time."""
    match event:
        case LeadCreated() if lead is None:
            return _born(event, meta)
        case LeadCreated():
            raise ValueError(f"stream {meta.lead_id} has a second LeadCreated at version {meta.version}")
        case LeadUpdated(changes=changes):
            changed = _patched_values(changes)
        case LeadStatusChanged(to=status, reopened_from_won=reopened):
            changed = {"status": status} | (_UNCONVERTED if reopened else {})
        case LeadAssigned(to=user_id):
            changed = {"assigned_to": user_id}
        case LeadConverted():
            changed = {"is_converted": True, "converted_at": event.converted_at}
            changed |= {"customer_id": event.customer_id, "status": event.status}
        case LeadArchived():
            changed = {"archived": True}
        case LeadRestored():
            changed = {"archived": False}
        # merges (issue 14)
        case LeadMerged(changes=changes):
            changed = _patched_values(changes)
        case LeadMergedInto(into=survivor):
            changed = {"merged_into": survivor}
        case LeadUnmerged(changes=changes):
            changed = _patched_values(changes) | {"merged_into": None}
        case LeadErased():
            changed = dict(_ERASED)
        case _:
            assert_never(event)
    if lead is None:
        raise ValueError(f"stream {meta.lead_id} does not start with LeadCreated")
    return msgspec.structs.replace(lead, **changed, version=meta.version, updated_at=meta.occurred_at)


def erased(lead: Lead) -> Lead:
    """The lead with its personal fields removed, marked erased: what every reader shows of an erased person,
    even as the lead was before its erasure (`as_of`)."""
    return msgspec.structs.replace(lead, **_ERASED)


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
