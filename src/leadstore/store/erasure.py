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
from leadstore.store.events import fold_recorded, read_stream

ERASE_LEAD_ROWS = "SELECT erase_lead_rows($1, $2, $3)"
# A merged lead's address is held by its survivor (leadstore.store.merges): the erasure of the merged lead frees it.
RELEASE_HELD_ADDRESS = "DELETE FROM lead_emails WHERE account_id = $1 AND lead_id = $2 AND email_lower = lower($3)"
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


async def address_held_for(conn: Conn, lead_id: UUID) -> tuple[UUID, str] | None:
    """For a lead merged into another (issue 14): its survivor and the lead's own address, which the survivor
    holds for it while it is merged, unless the survivor's own address is that one now. Read before the
    lead's erasure is written (its values read as null after it). None for any other lead."""
    lead = fold_recorded(await read_stream(conn, lead_id))
    if lead is None or lead.merged_into is None or not lead.email:
        return None
    survivor = fold_recorded(await read_stream(conn, lead.merged_into))
    if survivor is not None and survivor.email and survivor.email.lower() == lead.email.lower():
        return None
    return lead.merged_into, lead.email


async def release_held_address(conn: Conn, account_id: UUID, held: tuple[UUID, str] | None) -> None:
    """Free the erased merged lead's address that its survivor held (`address_held_for`): the address is the
    erased person's, and it must be free for a new lead."""
    if held is not None:
        await conn.execute(RELEASE_HELD_ADDRESS, account_id, *held)
