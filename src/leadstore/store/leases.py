"""The `leases` table (migration 070): who leads each follower of the log, on the database's clock.

A lease is taken when it has no row, has lapsed (`expires_at` passed, by the database's clock, so no process
clock matters) or is the taker's own; each taking adds one to its fencing token. Only the holder with the
current token renews it, releases it, or saves the follower's checkpoint (checkpoints.save_fenced).
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from leadstore.store.db import Conn

LOOK = """
SELECT holder, token, backend_pid, backend_start, extract(epoch FROM expires_at - clock_timestamp()) AS remaining
FROM leases WHERE name = $1"""
# $4 is the pid of the taker's working session; its start time guards against a reused pid.
TAKE = """
INSERT INTO leases AS l (name, holder, token, expires_at, acquired_at, renewed_at, backend_pid, backend_start)
VALUES ($1, $2, 1, clock_timestamp() + make_interval(secs => $3), clock_timestamp(), clock_timestamp(), $4,
        (SELECT backend_start FROM pg_stat_activity WHERE pid = $4))
ON CONFLICT (name) DO UPDATE
SET holder = excluded.holder, token = l.token + 1, expires_at = excluded.expires_at,
    acquired_at = excluded.acquired_at, renewed_at = excluded.renewed_at,
    backend_pid = excluded.backend_pid, backend_start = excluded.backend_start
WHERE l.expires_at <= clock_timestamp() OR l.holder = excluded.holder
RETURNING token"""
RENEW = """
UPDATE leases SET expires_at = clock_timestamp() + make_interval(secs => $4), renewed_at = clock_timestamp()
WHERE name = $1 AND holder = $2 AND token = $3
RETURNING token"""
RELEASE = "UPDATE leases SET expires_at = clock_timestamp() WHERE name = $1 AND holder = $2 AND token = $3"
# The session a lapsed holder worked on, if it still runs: a frozen process keeps its transaction open (and
# with it its row locks and the transaction-id horizon every reader of the log waits behind) until it ends.
END_SESSION = """
SELECT pg_terminate_backend(pid) FROM pg_stat_activity
WHERE pid = $1 AND backend_start = $2 AND pid <> pg_backend_pid()"""


class Holding(msgspec.Struct, frozen=True):
    """A lease as a standby sees it: who holds it, with which token, and for how much longer."""

    holder: str
    token: int
    remaining: float  # seconds until it lapses (negative once it has)
    backend_pid: int | None = None
    backend_start: datetime | None = None


async def look(conn: Conn, name: str) -> Holding | None:
    """The lease `name`, or None when nobody ever took it."""
    row = await conn.fetchrow(LOOK, name)
    if row is None:
        return None
    return Holding(row["holder"], row["token"], float(row["remaining"]), row["backend_pid"], row["backend_start"])


async def take(conn: Conn, name: str, holder: str, seconds: float, working_pid: int) -> int | None:
    """Take the lease for `seconds` when it is free, lapsed or `holder`'s own: its new token, else None."""
    token: int | None = await conn.fetchval(TAKE, name, holder, seconds, working_pid)
    return token


async def renew(conn: Conn, name: str, holder: str, token: int, seconds: float) -> bool:
    """Extend the lease to `seconds` from now; False when `holder` no longer holds it with `token`."""
    return await conn.fetchval(RENEW, name, holder, token, seconds) is not None


async def release(conn: Conn, name: str, holder: str, token: int) -> None:
    """Let the lease lapse now, so that a standby takes it at its next look."""
    await conn.execute(RELEASE, name, holder, token)


async def end_session(conn: Conn, lapsed: Holding) -> bool:
    """End the working session of a lapsed holder if it still runs; True when one was ended."""
    if lapsed.backend_pid is None or lapsed.backend_start is None:
        return False
    ended: bool | None = await conn.fetchval(END_SESSION, lapsed.backend_pid, lapsed.backend_start)
    return bool(ended)
