"""What a streaming replica (a hot standby) has replayed: whether an `as_of` read may use it, and its status."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from leadstore.store import checkpoints
from leadstore.store.db import Conn

# A command's occurred_at is taken before its transaction commits, on the API's clock rather than the
# database's: a moment counts as replayed once the replica holds commits made this much later.
COMMIT_MARGIN = timedelta(seconds=1)
# NULL (so false) on a primary: a read URL that names one never serves an as_of read meant for a replica.
REPLAYED_PAST = "SELECT coalesce(pg_last_xact_replay_timestamp() >= $1, false)"
# The usual replica lag: zero while it has replayed all it received, else the age of its last replayed commit.
STATUS = """
SELECT pg_is_in_recovery() AS in_recovery,
       CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END AS lag_seconds"""


async def replayed_past(conn: Conn, moment: datetime) -> bool:
    """Whether the replica has replayed every event that occurred by `moment` (false on a primary)."""
    replayed: bool = await conn.fetchval(REPLAYED_PAST, moment + COMMIT_MARGIN)
    return replayed


async def status(conn: Conn, list_name: str) -> dict[str, Any]:
    """For /ready: whether it is a replica, how far it lags in seconds, and where its lead list has got to."""
    row = await conn.fetchrow(STATUS)
    assert row is not None
    return {
        "in_recovery": row["in_recovery"],
        "lag_seconds": round(float(row["lag_seconds"] or 0), 3),
        "list_checkpoint": (await checkpoints.read(conn, list_name)).token(),
    }
