"""What clients see (API.md): the Lead object and the Event envelope, one shape for HTTP, NATS and the CLI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from leadstore.domain.account_events import ACCOUNT_STREAM
from leadstore.domain.state import Lead
from leadstore.store.events import RecordedEvent


def timestamp(value: datetime) -> str:
    """RFC 3339 UTC with milliseconds and a `Z`: `2026-11-21T10:30:00.123Z`."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def full_name(first: str | None, last: str | None) -> str:
    """The document's `full_name`: first and last name joined with a space, skipping missing ones ("" when
    both are missing)."""
    return " ".join(part for part in (first, last) if part)


def lead_document(lead: Lead) -> dict[str, Any]:
    """The Lead object of API.md, as JSON builtins, with keys in a stable order."""
    fields: dict[str, Any] = msgspec.to_builtins(lead)
    doc: dict[str, Any] = {"id": fields.pop("id"), "object": "lead", "account_id": fields.pop("account_id")}
    doc["first_name"] = fields.pop("first_name")
    doc["last_name"] = fields.pop("last_name")
    doc["full_name"] = full_name(lead.first_name, lead.last_name)
    doc.update(fields)
    doc["converted_at"] = None if lead.converted_at is None else timestamp(lead.converted_at)
    doc["created_at"] = timestamp(lead.created_at)
    doc["updated_at"] = timestamp(lead.updated_at)
    return doc


def event_envelope(event: RecordedEvent) -> dict[str, Any]:
    """The public envelope of a stored event; metadata carries the actor and the (masked) request."""
    metadata = event.metadata
    return {
        "id": str(event.event_id),
        "type": event.type,
        "lead_id": None if event.stream_type == ACCOUNT_STREAM else str(event.stream_id),
        "account_id": str(event.account_id),
        "version": event.version,
        "position": event.checkpoint.token(),
        "occurred_at": timestamp(event.occurred_at),
        "data": event.data,
        "actor": metadata.get("actor", {}),
        "request": metadata.get("request", {}),
    }


def as_of_bound(at: datetime) -> datetime:
    """The last instant `at` covers: timestamps are shown with milliseconds, so an event shown at
    10:30:00.123Z is part of the lead as of 10:30:00.123Z (`as_of` and `leadstore audit --at` agree)."""
    return at.replace(microsecond=at.microsecond // 1000 * 1000) + timedelta(microseconds=999)


# Members of the Lead document that no lead field holds: a body sending them back is told they are read-only.
DOCUMENT_ONLY = frozenset({"object", "full_name"})
