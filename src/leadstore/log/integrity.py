"""Is the log intact? Versions contiguous from 1 per stream, each hash matching its row, each link its predecessor."""

from __future__ import annotations

from uuid import UUID

import msgspec
from asyncpg import Record

from leadstore.store.db import Conn

# Each event is joined to the previous version of its stream. Its hash is recomputed from the stored values
# (event_hash, migration 020), so an edit anywhere in the row shows; the link shows a replaced predecessor;
# a version with no predecessor shows a removed event.
CHECK_LOG = """
WITH checked AS (
    SELECT e.event_id, e.stream_id, e.version, e.position, e.hash IS NULL AS unhashed,
           e.hash IS DISTINCT FROM event_hash(e.prev_hash, e.event_id, e.account_id, e.stream_id, e.stream_type,
                                              e.version, e.type, e.data, e.metadata, e.occurred_at) AS changed,
           e.version > 1 AND p.version IS NULL AS gap,
           (e.version = 1 OR p.version IS NOT NULL) AND e.prev_hash IS DISTINCT FROM p.hash AS unlinked
    FROM events e LEFT JOIN events p ON p.stream_id = e.stream_id AND p.version = e.version - 1
    WHERE $1::uuid IS NULL OR e.account_id = $1
)
SELECT *, count(*) OVER () AS total FROM checked WHERE unhashed OR changed OR gap OR unlinked
ORDER BY position LIMIT $2"""
COUNT_EVENTS = "SELECT count(*) FROM events WHERE $1::uuid IS NULL OR account_id = $1"
# After a restore from a dump this cluster's transaction ids restart below the ones stored in the log.
# (The checking transaction's own id may lie past its snapshot's xmax: rows it wrote itself are not foreign.)
FOREIGN_TRANSACTION_IDS = """
WITH horizon AS (SELECT pg_snapshot_xmax(pg_current_snapshot()) AS next, pg_current_xact_id_if_assigned() AS own)
SELECT (SELECT count(*) FROM events, horizon
        WHERE transaction_id >= next AND transaction_id IS DISTINCT FROM own) AS events,
       (SELECT transaction_id FROM events ORDER BY transaction_id DESC LIMIT 1) AS highest,  -- max(xid8): PG 15+
       (SELECT count(*) FROM checkpoints, horizon
        WHERE transaction_id >= next AND transaction_id IS DISTINCT FROM own) AS checkpoints"""


class LogReport(msgspec.Struct, frozen=True):
    """What a check of the log found: events checked, the first problems, and how many there are in all."""

    events: int
    problems: list[str]
    total_problems: int
    restored: bool = False  # transaction ids from another cluster: readers cannot read the log yet

    @property
    def ok(self) -> bool:
        return self.total_problems == 0


def describe(row: Record) -> str:
    """The problems of one event, naming it by id, stream, version and position."""
    event = f"event {row['event_id']} (stream {row['stream_id']} version {row['version']}, position {row['position']})"
    reasons = []
    if row["gap"]:
        reasons.append(f"version {row['version'] - 1} of its stream is missing (removed?)")
    if row["unhashed"]:
        reasons.append("it has no hash (written outside the hash chain)")
    elif row["changed"]:
        reasons.append("its content does not match its hash (changed after it was written)")
    if row["unlinked"]:
        reasons.append(f"its prev_hash does not match version {row['version'] - 1} (changed or replaced)")
    return f"{event}: {'; '.join(reasons)}"


async def check_log(conn: Conn, *, account_id: UUID | None = None, limit: int = 50) -> LogReport:
    """Check every event (of one account, when given) and its link to the previous version of its stream."""
    rows = await conn.fetch(CHECK_LOG, account_id, limit)
    problems = [describe(r) for r in rows]
    total = rows[0]["total"] if rows else 0
    foreign = await conn.fetchrow(FOREIGN_TRANSACTION_IDS)
    assert foreign is not None
    restored = bool(foreign["events"] or foreign["checkpoints"])
    if restored:
        total += 1
        epoch = (foreign["highest"] or 0) // 2**32 + 1
        problems.append(
            f"{foreign['events']} event(s) and {foreign['checkpoints']} checkpoint(s) carry transaction ids this "
            "cluster has not reached (restored from a dump?): on a server you run, stop it and run "
            f"`pg_resetwal --epoch={epoch}` on its data directory (the log stays as it is); on a managed one, run "
            "`leadstore replay --reset-checkpoints`"
        )
    return LogReport(await conn.fetchval(COUNT_EVENTS, account_id), problems, total, restored)
