"""The Event envelope of API.md: one shape for GET .../events, GET /v1/events, NATS and the audit CLI."""

from __future__ import annotations

from typing import Any

from leadstore.domain.document import timestamp
from leadstore.store.events import RecordedEvent


def event_envelope(event: RecordedEvent) -> dict[str, Any]:
    """The public envelope of a stored event; metadata carries the actor and the (masked) request."""
    metadata = event.metadata
    return {
        "id": str(event.event_id),
        "type": event.type,
        "lead_id": str(event.stream_id),
        "account_id": str(event.account_id),
        "version": event.version,
        "position": event.checkpoint.token(),
        "occurred_at": timestamp(event.occurred_at),
        "data": event.data,
        "actor": metadata.get("actor", {}),
        "request": metadata.get("request", {}),
    }
