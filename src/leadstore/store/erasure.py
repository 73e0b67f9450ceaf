"""What a lead's erasure removes besides its events' personal values (migration 105), in the transaction of
its LeadErased event: the email reservation, the idempotency responses that hold the lead's document, and
(with encryption at rest) the lead's data key, whose loss makes every stored personal value unreadable."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from leadstore.domain.errors import ErasureUnavailable
from leadstore.domain.events import LeadErased, LeadEvent
from leadstore.domain.personal import CUSTOM, PERSONAL_FIELDS
from leadstore.store.db import Conn
from leadstore.store.encryption import destroy_data_key, stream_has_plaintext

ERASE_LEAD_ROWS = "SELECT erase_lead_rows($1, $2, $3)"
# What an erased lead's document says of its personal members (see leadstore.documents.lead_document).
ERASED_DOCUMENT: dict[str, Any] = {name: None for name in PERSONAL_FIELDS} | {
    "full_name": "",
    CUSTOM: {},
    "erased": True,
}


def erases(events: list[LeadEvent]) -> bool:
    """Whether a command's events erase their lead."""
    return any(isinstance(event, LeadErased) for event in events)


async def refuse_plaintext(conn: Conn, lead_id: UUID) -> None:
    """ErasureUnavailable when the lead's stream holds personal values in plaintext (written before
    encryption at rest): destroying its key would leave them readable, so nothing is erased."""
    if await stream_has_plaintext(conn, lead_id):
        raise ErasureUnavailable(lead_id)


async def erase_lead_rows(conn: Conn, account_id: UUID, lead_id: UUID) -> None:
    """Remove the lead's personal data outside the log and destroy its data key, so that the personal values
    sealed in its events can never be read again; call inside the LeadErased event's transaction, after the
    event insert."""
    await conn.fetchval(ERASE_LEAD_ROWS, account_id, lead_id, ERASED_DOCUMENT)
    await destroy_data_key(conn, lead_id)
