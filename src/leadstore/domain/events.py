"""Lead events: versioned contracts. Add fields only with defaults; never change a type; upcast old shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, get_args
from uuid import UUID

import msgspec


class MailingAddress(msgspec.Struct, frozen=True, omit_defaults=True):
    street: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None


class Change(msgspec.Struct, frozen=True):
    """One field's change inside LeadUpdated: `{"from": old, "to": new}`."""

    from_: Any = msgspec.field(name="from")
    to: Any = None


class LeadFields(msgspec.Struct, frozen=True, kw_only=True):
    """What a lead is made of when it is created: LeadCreated's data, and the start of the Lead state."""

    account_id: UUID
    created_by: UUID
    status: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    title: str | None = None
    department: str | None = None
    company: str | None = None
    company_id: str | None = None
    source: str | None = None
    score: int = 0
    description: str | None = None
    notes: str | None = None
    message: str | None = None
    preferred_contact: str | None = None
    source_page_url: str | None = None
    marketing_attribution: list[str] = msgspec.field(default_factory=list)
    mailing_address: MailingAddress | None = None
    country: str | None = None
    do_not_call: bool = False
    email_opt_out: bool = False
    custom: dict[str, Any] = msgspec.field(default_factory=dict)
    team_id: UUID | None = None
    assigned_to: UUID | None = None


class LeadCreated(LeadFields, tag=True, frozen=True, kw_only=True):
    pass


class LeadUpdated(msgspec.Struct, tag=True, frozen=True):
    changes: dict[str, Change]


class LeadStatusChanged(msgspec.Struct, tag=True, frozen=True):
    from_: str = msgspec.field(name="from")
    to: str = ""
    reason: str | None = None
    reopened_from_won: bool = False  # a reopen of a converted lead: its conversion is undone (not erased)


class LeadAssigned(msgspec.Struct, tag=True, frozen=True):
    from_: UUID | None = msgspec.field(name="from")
    to: UUID | None = None
    by_rotation: bool = False


class LeadConverted(msgspec.Struct, tag=True, frozen=True, kw_only=True):
    customer_id: str | None
    converted_at: datetime
    status: str
    from_status: str | None = None


class LeadArchived(msgspec.Struct, tag=True, frozen=True):
    reason: str | None = None


class LeadRestored(msgspec.Struct, tag=True, frozen=True):
    reason: str | None = None


# --- merges (issue 14): every personal value they carry is inside `changes`, shaped as LeadUpdated's, so
# that the encryption of the log covers them; ids and field names stay outside it.
class LeadMerged(msgspec.Struct, tag=True, frozen=True, kw_only=True):
    """On the survivor: `merged` leads were merged into it; `fields` says which lead each chosen field came
    from, `changes` what that did to the survivor's values (only the fields that changed)."""

    merged: list[UUID]
    fields: dict[str, UUID] = msgspec.field(default_factory=dict)
    changes: dict[str, Change] = msgspec.field(default_factory=dict)


class LeadMergedInto(msgspec.Struct, tag=True, frozen=True, kw_only=True):
    """On each merged lead: it was merged into `into` (by the LeadMerged `merge_event_id`) and is closed to
    writes until that merge is undone."""

    into: UUID
    merge_event_id: UUID | None = None


class LeadUnmerged(msgspec.Struct, tag=True, frozen=True, kw_only=True):
    """A merge undone: on each merged lead (open to writes again), and on the survivor, with `changes`
    restoring the values the merge changed; `kept` names fields the survivor changed again since the merge,
    which keep their newer value."""

    merge_event_id: UUID
    changes: dict[str, Change] = msgspec.field(default_factory=dict)
    kept: list[str] = msgspec.field(default_factory=list)


MERGE_EVENTS = (LeadMerged, LeadMergedInto, LeadUnmerged)
# --- end of merges


# --- erasure (issue 13) ---


class LeadErased(msgspec.Struct, tag=True, frozen=True, kw_only=True):
    """The person behind the lead was erased: from here on its personal values read as null."""

    reason: str = ""


# --- end erasure ---

LeadEvent = (
    LeadCreated
    | LeadUpdated
    | LeadStatusChanged
    | LeadAssigned
    | LeadConverted
    | LeadArchived
    | LeadRestored
    | LeadMerged
    | LeadMergedInto
    | LeadUnmerged
    | LeadErased
)
EVENT_TYPES: dict[str, type[LeadEvent]] = {cls.__name__: cls for cls in get_args(LeadEvent)}
LEAD_STREAM = "lead"  # the stream type of a lead's events in the log

_encoder = msgspec.json.Encoder()


def event_type(event: LeadEvent) -> str:
    """The stored `type` of an event: its class name."""
    return type(event).__name__


def event_data(event: LeadEvent) -> dict[str, Any]:
    """The event's `data` as stored and published: its fields, without the type tag."""
    data: dict[str, Any] = msgspec.to_builtins(event)
    data.pop("type", None)
    return data


def load_event(type_name: str, data: dict[str, Any]) -> LeadEvent:
    """Rebuild a stored event from its type and data (the place for upcasters of old shapes)."""
    cls = EVENT_TYPES[type_name]
    return msgspec.convert(data, cls, strict=False)
