"""What a lead's erasure removes besides its events' personal values (migration 105), in the transaction of
its LeadErased event: the email reservation, the idempotency responses that hold the lead's document, and
(with encryption at rest) the lead's data key, whose loss makes every stored personal value unreadable."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from leadstore.domain.events import PERSONAL_FIELDS, LeadErased, LeadEvent
from leadstore.store.db import Conn

ERASE_LEAD_ROWS = "SELECT erase_lead_rows($1, $2, $3)"
# What an erased lead's document says of its personal members (see leadstore.documents.lead_document).
ERASED_DOCUMENT: dict[str, Any] = {name: None for name in PERSONAL_FIELDS} | {
    "full_name": "",
    "custom": {},
    "erased": True,
}


def erases(events: list[LeadEvent]) -> bool:
    """Whether a command's events erase their lead."""
    return any(isinstance(event, LeadErased) for event in events)


async def erase_lead_rows(conn: Conn, account_id: UUID, lead_id: UUID) -> None:
    """Remove the lead's personal data outside the log; call inside the LeadErased event's transaction,
    after the event insert."""
    await conn.fetchval(ERASE_LEAD_ROWS, account_id, lead_id, ERASED_DOCUMENT)
