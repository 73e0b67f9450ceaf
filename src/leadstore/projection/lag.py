"""How far a reader of the log (projection or publisher) is behind: events not yet handled and their age."""

from __future__ import annotations

from typing import Any

from leadstore.projection.runner import read_checkpoint
from leadstore.store.db import Conn

LAG_CAP = 100_000  # counting stops here so a far-behind reader does not make the status call slow
BEHIND = """
SELECT count(*) AS events, extract(epoch FROM now() - min(occurred_at)) AS seconds
FROM (SELECT occurred_at FROM events WHERE (transaction_id, position) > ($1::xid8, $2::bigint)
      ORDER BY transaction_id, position LIMIT $3) AS pending"""


async def reader_lag(conn: Conn, name: str) -> dict[str, Any]:
    """The checkpoint token, the events beyond it (capped at LAG_CAP) and the oldest one's age in seconds."""
    checkpoint = await read_checkpoint(conn, name)
    row = await conn.fetchrow(BEHIND, checkpoint.transaction_id, checkpoint.position, LAG_CAP)
    assert row is not None
    seconds = float(row["seconds"]) if row["seconds"] is not None else 0.0
    return {"checkpoint": checkpoint.token(), "lag_events": row["events"], "lag_seconds": round(seconds, 3)}
