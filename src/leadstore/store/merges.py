"""What merges store besides events (issue 14): several streams locked and read at once, in a fixed order,
and the email reservations that move between the leads of a merge (table lead_emails, migration 006)."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from leadstore.domain.errors import DuplicateEmail
from leadstore.store import events
from leadstore.store.db import Conn
from leadstore.store.encryption import DataKey
from leadstore.store.events import RecordedEvent, stream_lock_key

# Each merged lead's address stays reserved while it is merged: the survivor holds the reservation.
MOVE_TO_SURVIVOR = """
UPDATE lead_emails SET lead_id = $2
WHERE account_id = $1 AND lead_id = ANY($3::uuid[])"""
# An unmerge gives each merged lead its address back: from the survivor, or afresh if nobody holds it now.
GIVE_BACK = """
INSERT INTO lead_emails AS r (account_id, email_lower, lead_id)
SELECT $1, lower(t.email), t.lead_id FROM unnest($3::text[], $4::uuid[]) AS t (email, lead_id)
ON CONFLICT (account_id, email_lower) DO UPDATE SET lead_id = EXCLUDED.lead_id
WHERE r.lead_id = $2 OR r.lead_id = EXCLUDED.lead_id
RETURNING r.email_lower"""


def lock_order(stream_ids: Iterable[UUID]) -> list[UUID]:
    """The streams in the order their locks are taken: by lock key, then id. Every multi-stream command takes
    its locks in this one order, so two of them sharing streams queue rather than deadlock."""
    return sorted(set(stream_ids), key=lambda stream_id: (stream_lock_key(stream_id), stream_id))


async def lock_and_read_streams(
    conn: Conn, stream_ids: Iterable[UUID], keys: dict[UUID, DataKey] | None = None
) -> dict[UUID, list[RecordedEvent]]:
    """Take the advisory lock of every stream in `lock_order`, reading each as its lock is granted (the one
    way a command reads a stream, `events.lock_and_read_stream`), all before any write, as DESIGN.md
    decision 2 way (a) asks. A stream read under its lock can not change until the transaction ends, so
    reading it before the next lock is granted loses nothing. Each lead's events in version order (no key
    for a lead with none). Their events are opened (issue 13); `keys` collects the leads' data keys, which
    seal the events the merge writes to each stream."""
    streams: dict[UUID, list[RecordedEvent]] = {}
    for stream_id in lock_order(stream_ids):
        if history := await events.lock_and_read_stream(conn, stream_id, keys):
            streams[stream_id] = history
    return streams


async def move_emails_to_survivor(conn: Conn, account_id: UUID, survivor: UUID, merged: list[UUID]) -> None:
    """The merged leads' email reservations now belong to the survivor, so nobody else takes their address."""
    await conn.execute(MOVE_TO_SURVIVOR, account_id, survivor, merged)


async def give_emails_back(conn: Conn, account_id: UUID, survivor: UUID, held: dict[str, UUID]) -> None:
    """Each unmerged lead holds again the addresses it held before the merge (`held`: lower-cased address to
    lead); DuplicateEmail when another lead took one meanwhile (the survivor let it go by changing its email
    after the merge, and someone else took it)."""
    if not held:
        return
    given = await conn.fetch(GIVE_BACK, account_id, survivor, list(held), list(held.values()))
    if len(given) != len(held):
        taken = {row["email_lower"] for row in given}
        raise DuplicateEmail(next(email for email in held if email not in taken))
