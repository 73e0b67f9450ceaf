"""Reads a streaming replica (a hot standby) may answer for the primary, and its status for /ready."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from leadstore.store import checkpoints
from leadstore.store.events import RecordedEvent, read_stream

# How far a lead's stream goes on the primary: one probe of the (stream_id, version) index.
LEAD_VERSION = "SELECT coalesce(max(version), 0) FROM events WHERE stream_id = $1 AND stream_type = 'lead'"
# The usual replica lag: zero while it has replayed all it received, else the age of its last replayed commit.
STATUS = """
SELECT pg_is_in_recovery() AS in_recovery,
       CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END AS lag_seconds"""


async def stream_as_of(
    primary: asyncpg.Pool, reads: asyncpg.Pool, stream_id: UUID, moment: datetime | None
) -> list[RecordedEvent]:
    """A lead's events for a read as of `moment`: the replica's when it holds the stream as far as the primary
    does (so what the lead is now, erased or reassigned, decides as on the primary), else the primary's."""
    if moment is not None and reads is not primary:
        async with primary.acquire() as conn:
            version: int = await conn.fetchval(LEAD_VERSION, stream_id)
        async with reads.acquire() as conn:
            history = await read_stream(conn, stream_id)
        if (history[-1].version if history else 0) >= version:
            return history
    async with primary.acquire() as conn:
        return await read_stream(conn, stream_id)


async def status(reads: asyncpg.Pool, list_name: str) -> dict[str, Any]:
    """For /ready: whether it is a replica, how far it lags in seconds and where its lead list has got to, or
    that it cannot be reached (what failed, not where: /ready needs no key)."""
    try:
        async with reads.acquire() as conn:
            row = await conn.fetchrow(STATUS)
            checkpoint = await checkpoints.read(conn, list_name)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:  # TimeoutError is an OSError
        return {"reachable": False, "error": type(exc).__name__}
    assert row is not None
    lag = round(float(row["lag_seconds"] or 0), 3)
    return {
        "reachable": True,
        "in_recovery": row["in_recovery"],
        "lag_seconds": lag,
        "list_checkpoint": checkpoint.token(),
    }
