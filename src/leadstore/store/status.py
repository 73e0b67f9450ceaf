"""What /ready and /metrics report about the database, in two small queries: where each reader of the log
stands and how far behind it is, which migrations are applied, and the oldest open transaction on the server
(any database: while it is open, no reader sees what committed after it began; DESIGN.md decision 3)."""

from __future__ import annotations

import msgspec

from leadstore.store.db import Conn
from leadstore.store.events import Checkpoint

LAG_CAP = 10_000  # counting stops here, so a far-behind reader costs a status call no more than a caught-up one
# Per reader: its checkpoint, the schema version that built its read model, the committed events beyond it
# (counted up to LAG_CAP along the commit-order index, which ORDER BY makes the plan) and the age of the
# first of them (one index probe). The cap is written in, not a parameter: with `LIMIT $2` the generic plan a
# prepared statement falls back to after five runs reads the whole events table instead.
READERS = f"""
SELECT c.name, c.transaction_id, c.position, c.schema_version,
       (SELECT count(*) FROM (SELECT FROM events e
                              WHERE (e.transaction_id, e.position) > (c.transaction_id, c.position)
                              ORDER BY e.transaction_id, e.position LIMIT {LAG_CAP:d}) AS pending) AS lag_events,
       (SELECT extract(epoch FROM clock_timestamp() - e.occurred_at) FROM events e
        WHERE (e.transaction_id, e.position) > (c.transaction_id, c.position)
        ORDER BY e.transaction_id, e.position LIMIT 1) AS lag_seconds
FROM checkpoints c WHERE c.name = ANY($1::text[]) ORDER BY c.name"""
# Only transactions holding a transaction id hold readers back (pg_snapshot_xmin is the oldest of those). Other
# roles' sessions show here only to a role with pg_read_all_stats (or pg_monitor, or a superuser).
SERVER = """
SELECT array(SELECT name FROM schema_migrations) AS applied, oldest.*
FROM (SELECT 1) AS one LEFT JOIN LATERAL (
    SELECT extract(epoch FROM clock_timestamp() - xact_start) AS seconds, datname AS database, state, pid
    FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()
    ORDER BY xact_start LIMIT 1) AS oldest ON true"""


class ReaderStatus(msgspec.Struct, frozen=True, kw_only=True):
    """Where one reader of the log stands."""

    name: str
    checkpoint: str
    schema_version: int | None
    lag_events: int  # at most LAG_CAP
    lag_seconds: float  # how long the oldest event it has not handled has been committed; 0 when none


class OldestTransaction(msgspec.Struct, frozen=True, kw_only=True):
    """The server's oldest open transaction that holds a transaction id; never its query text."""

    seconds: float
    database: str | None
    state: str | None
    pid: int


class ServerStatus(msgspec.Struct, frozen=True, kw_only=True):
    applied_migrations: frozenset[str]
    oldest_transaction: OldestTransaction | None


async def readers(conn: Conn, names: list[str]) -> list[ReaderStatus]:
    """The status of each named reader that has a checkpoint, by name."""
    rows = await conn.fetch(READERS, names)
    return [
        ReaderStatus(
            name=row["name"],
            checkpoint=Checkpoint(row["transaction_id"], row["position"]).token(),
            schema_version=row["schema_version"],
            lag_events=row["lag_events"],
            lag_seconds=round(max(0.0, float(row["lag_seconds"] or 0)), 3),
        )
        for row in rows
    ]


async def server(conn: Conn) -> ServerStatus:
    """The applied migrations and the oldest open transaction of the server."""
    row = await conn.fetchrow(SERVER)
    assert row is not None
    oldest = None
    if row["pid"] is not None:
        seconds = round(max(0.0, float(row["seconds"])), 3)
        oldest = OldestTransaction(seconds=seconds, database=row["database"], state=row["state"], pid=row["pid"])
    return ServerStatus(applied_migrations=frozenset(row["applied"]), oldest_transaction=oldest)
