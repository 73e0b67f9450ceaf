"""Where each reader of the log has got to: checkpoints (saved plainly, or fenced by the reader's lease),
read-model schema versions, the advisory lock that lets one replay of a projection run at a time, and how far
behind a reader is. Projections, the publisher, replay, restore and the HTTP status all use these; nothing
else writes the `checkpoints` table."""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

from leadstore.store.db import Conn
from leadstore.store.events import START, Checkpoint
from leadstore.store.status import LAG_CAP

ENSURE = "INSERT INTO checkpoints (name) VALUES ($1) ON CONFLICT (name) DO NOTHING"
READ = "SELECT transaction_id, position FROM checkpoints WHERE name = $1"
LOCK = "SELECT transaction_id, position FROM checkpoints WHERE name = $1 FOR UPDATE"
LOCK_ALL = "SELECT name, transaction_id, position FROM checkpoints ORDER BY name FOR UPDATE"
SAVE = "UPDATE checkpoints SET transaction_id = $2::xid8, position = $3, updated_at = now() WHERE name = $1"
# A leader's save: only while it holds its lease ($4 holder, $5 token), whose row it locks until its transaction
# ends, so a takeover waits for a save in flight and a save after a takeover changes nothing. With $6 it is
# forward only (the publisher's, which is not in one transaction with its reading). True when the lease held.
SAVE_FENCED = """
WITH lease AS (SELECT FROM leases WHERE name = $1 AND holder = $4 AND token = $5 FOR SHARE),
saved AS (
    UPDATE checkpoints SET transaction_id = $2::xid8, position = $3, updated_at = now()
    WHERE name = $1 AND EXISTS (SELECT FROM lease)
      AND (NOT $6::boolean OR (transaction_id, position) < ($2::xid8, $3::bigint)))
SELECT EXISTS (SELECT FROM lease)"""
SCHEMA_VERSION = "SELECT schema_version FROM checkpoints WHERE name = $1"
SAVE_SCHEMA_VERSION = "UPDATE checkpoints SET schema_version = $2 WHERE name = $1"
TRY_LEAD = "SELECT pg_try_advisory_lock($1)"
STEP_DOWN = "SELECT pg_advisory_unlock($1)"
# Whether the account's log holds an event at or after a position (a token no write of it gave, if not).
REACHED = """
SELECT EXISTS (SELECT 1 FROM events
               WHERE account_id = $1 AND (transaction_id, position) >= ($2::xid8, $3::bigint))"""
# The events beyond a checkpoint, counted along the index up to LAG_CAP, and the first one's age (see
# leadstore.store.status, which reads every reader's at once, for why the cap is written in).
BEHIND = f"""
SELECT (SELECT count(*) FROM (SELECT FROM events WHERE (transaction_id, position) > ($1::xid8, $2::bigint)
                              ORDER BY transaction_id, position LIMIT {LAG_CAP:d}) AS pending) AS events,
       (SELECT extract(epoch FROM now() - occurred_at) FROM events
        WHERE (transaction_id, position) > ($1::xid8, $2::bigint)
        ORDER BY transaction_id, position LIMIT 1) AS seconds"""


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a reader's (or a replay's) name."""
    return int.from_bytes(hashlib.sha256(f"leadstore:{name}".encode()).digest()[:8], "big", signed=True)


async def ensure(conn: Conn, name: str) -> None:
    """The reader's checkpoint row, at the start of the log when it is new."""
    await conn.execute(ENSURE, name)


async def read(conn: Conn, name: str) -> Checkpoint:
    """Where a reader has got to (the start of the log when it has not begun)."""
    row = await conn.fetchrow(READ, name)
    return START if row is None else Checkpoint(row["transaction_id"], row["position"])


async def lock(conn: Conn, name: str) -> Checkpoint:
    """The reader's checkpoint, locked until the transaction ends (its batch and the save are one)."""
    row = await conn.fetchrow(LOCK, name)
    if row is None:
        raise LookupError(f"checkpoint {name} is missing: ensure it first")
    return Checkpoint(row["transaction_id"], row["position"])


async def save(conn: Conn, name: str, checkpoint: Checkpoint) -> None:
    await conn.execute(SAVE, name, checkpoint.transaction_id, checkpoint.position)


async def save_fenced(
    conn: Conn, name: str, checkpoint: Checkpoint, holder: str, token: int, *, forward: bool = False
) -> bool:
    """Save the checkpoint (only past the stored one when `forward`) if `holder` still holds the lease with
    `token`; False, having written nothing, when it does not."""
    held: bool = await conn.fetchval(
        SAVE_FENCED, name, checkpoint.transaction_id, checkpoint.position, holder, token, forward
    )
    return held


async def schema_version(conn: Conn, name: str) -> int | None:
    """Which version of its projection's schema built a read model (None: not recorded)."""
    version: int | None = await conn.fetchval(SCHEMA_VERSION, name)
    return version


async def save_schema_version(conn: Conn, name: str, version: int) -> None:
    await conn.execute(SAVE_SCHEMA_VERSION, name, version)


async def try_lead(conn: Conn, name: str) -> bool:
    """Take the session advisory lock `name` (the one replay of a projection) on `conn`, for as long as it
    lives or until `step_down`. Followers of the log hold leases instead (leadstore.leadership)."""
    won: bool = await conn.fetchval(TRY_LEAD, lock_key(name))
    return won


async def step_down(conn: Conn, name: str) -> None:
    """Give up the lead of `name` that `conn` holds."""
    await conn.execute(STEP_DOWN, lock_key(name))


async def log_reaches(conn: Conn, account_id: UUID, checkpoint: Checkpoint) -> bool:
    """True when the account's log has an event at `checkpoint` or beyond it."""
    reached: bool = await conn.fetchval(REACHED, account_id, checkpoint.transaction_id, checkpoint.position)
    return reached


async def reader_lag(conn: Conn, name: str) -> dict[str, Any]:
    """The checkpoint token, the events beyond it (capped at LAG_CAP) and the oldest one's age in seconds."""
    checkpoint = await read(conn, name)
    row = await conn.fetchrow(BEHIND, checkpoint.transaction_id, checkpoint.position)
    assert row is not None
    seconds = float(row["seconds"]) if row["seconds"] is not None else 0.0
    return {"checkpoint": checkpoint.token(), "lag_events": row["events"], "lag_seconds": round(seconds, 3)}
