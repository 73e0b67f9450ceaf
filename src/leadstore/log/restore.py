"""After a restore from a dump: give the log transaction ids this cluster has passed, and map every checkpoint.

pg_dump keeps the stored `transaction_id`s, but the restored cluster counts its own transactions from far
lower. Readers only read below the oldest running transaction id and resume from an (xid8, position)
checkpoint, so until this is done they see neither the restored events nor, past their checkpoint, new ones.
"""

from __future__ import annotations

import msgspec

from leadstore.store import checkpoints
from leadstore.store.db import Conn
from leadstore.store.events import Checkpoint

# FrozenTransactionId: older than any transaction of any cluster, so restored events precede every new one.
RESTORED_TRANSACTION_ID = 2

LOCK_EVENTS = "LOCK TABLE events IN EXCLUSIVE MODE"  # writers wait; readers go on
FOREIGN = """
SELECT EXISTS (SELECT 1 FROM events WHERE transaction_id >= pg_snapshot_xmax(pg_current_snapshot()))
    OR EXISTS (SELECT 1 FROM checkpoints WHERE transaction_id >= pg_snapshot_xmax(pg_current_snapshot()))"""
# A checkpoint covers the events at or before it in the old order. Afterwards the order is by position alone,
# so the new checkpoint stops just before the first event it did not cover: nothing is skipped, and events
# between are read again (projections are rebuilt anyway; the publisher is at-least-once).
MAPPED_POSITION = """
SELECT coalesce(min(position) - 1, (SELECT coalesce(max(position), 0) FROM events))
FROM events WHERE (transaction_id, position) > ($1::xid8, $2::bigint)"""
DISABLE_GUARD = "ALTER TABLE events DISABLE TRIGGER events_no_update_delete"
ENABLE_GUARD = "ALTER TABLE events ENABLE TRIGGER events_no_update_delete"
RENUMBER = "UPDATE events SET transaction_id = $1::xid8 WHERE transaction_id <> $1::xid8"


class CheckpointReset(msgspec.Struct, frozen=True):
    name: str
    before: Checkpoint
    after: Checkpoint


async def reset_checkpoints(conn: Conn) -> list[CheckpointReset] | None:
    """Renumber the restored log and map each checkpoint onto it, in one transaction; None when not needed.

    Only the bookkeeping column `transaction_id` changes (the hash chain leaves it out); positions, versions
    and every event's content stay. Run it before writers start on the restored database.
    """
    async with conn.transaction():
        await conn.execute(LOCK_EVENTS)
        rows = await conn.fetch(checkpoints.LOCK_ALL)
        if not await conn.fetchval(FOREIGN):
            return None
        resets = []
        for row in rows:
            before = Checkpoint(row["transaction_id"], row["position"])
            position = await conn.fetchval(MAPPED_POSITION, before.transaction_id, before.position)
            resets.append(CheckpointReset(row["name"], before, Checkpoint(RESTORED_TRANSACTION_ID, position)))
        await conn.execute(DISABLE_GUARD)
        await conn.execute(RENUMBER, RESTORED_TRANSACTION_ID)
        await conn.execute(ENABLE_GUARD)
        for reset in resets:
            await checkpoints.save(conn, reset.name, reset.after)
    return resets
