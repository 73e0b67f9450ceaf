"""Build a projection's table from position zero, apart from the live one, up to a point of the log."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

import asyncpg
import msgspec

from leadstore.projection.base import Projection
from leadstore.store.db import Conn
from leadstore.store.events import START, Checkpoint, RecordedEvent, read_log

Progress = Callable[[int, Checkpoint], None]
# Where a rebuild stops: a position of the log, or a time (events that occurred by then, as `as_of` folds them).
Until = Checkpoint | datetime | None

DROP_TABLE = 'DROP TABLE IF EXISTS "{table}"'
PLAIN_INDEX = re.compile(r"\s*CREATE\s+INDEX\b", re.IGNORECASE)


def within(event: RecordedEvent, until: Until) -> bool:
    """Whether `event` belongs to the log as of `until`."""
    if until is None:
        return True
    if isinstance(until, Checkpoint):
        return event.checkpoint <= until
    return event.occurred_at <= until


async def create_table(conn: Conn, projection: Projection, table: str, *, defer_indexes: bool = False) -> list[str]:
    """A fresh, empty `table` for the projection (an older one of that name is dropped first).

    With `defer_indexes` its plain (non-unique) CREATE INDEX statements are returned instead of run: building
    them once after a bulk replay is much cheaper than maintaining them row by row. They never change what
    a query returns; a projection whose `apply` looks rows up by one should make that a key or UNIQUE index.
    """
    deferred = [s for s in projection.create_statements(table) if defer_indexes and PLAIN_INDEX.match(s)]
    async with conn.transaction():
        await conn.execute(DROP_TABLE.format(table=table))
        for statement in projection.create_statements(table):
            if statement not in deferred:
                await conn.execute(statement)
    return deferred


class Step(msgspec.Struct, frozen=True):
    """One batch: where the table got to, events applied, events read."""

    reached: Checkpoint
    applied: int
    read: int


async def apply_next(
    conn: Conn, projection: Projection, table: str, after: Checkpoint, *, until: Until = None, batch_size: int = 5000
) -> Step | None:
    """Apply the batch of the log after `after` to `table`; None at the end (of the log, or past `until`).

    The caller owns the transaction. A time `until` filters events by occurred_at, which is not commit
    order, so then the whole log is read.
    """
    events = await read_log(conn, after, batch_size)
    wanted = [e for e in events if within(e, until)]
    if not events or (isinstance(until, Checkpoint) and not wanted):
        return None
    if wanted:
        await projection.apply(conn, table, wanted)
    reached = wanted[-1].checkpoint if isinstance(until, Checkpoint) else events[-1].checkpoint
    return Step(reached, len(wanted), len(events))


async def catch_up_table(
    conn: Conn, projection: Projection, table: str, after: Checkpoint, *, until: Until = None, batch_size: int = 5000
) -> Checkpoint:
    """Apply everything after `after` (up to `until`) inside the caller's transaction; return where it stopped."""
    while (step := await apply_next(conn, projection, table, after, until=until, batch_size=batch_size)) is not None:
        after = step.reached
    return after


async def rebuild_into(
    pool: asyncpg.Pool,
    projection: Projection,
    table: str,
    *,
    until: Until = None,
    batch_size: int = 5000,
    progress: Progress | None = None,
) -> Checkpoint:
    """Replay the log into a fresh `table` (dropped first), up to `until`; return where it stopped.

    One transaction per batch, so a long rebuild holds no snapshot and stops cleanly when interrupted.
    It stops at the first short batch: near the head of a log that writers keep growing, the caller
    finishes with catch_up_table (the swap does so while it holds the live checkpoint). Plain indexes
    are built after the last batch (see create_table).
    """
    async with pool.acquire() as conn:
        deferred = await create_table(conn, projection, table, defer_indexes=True)
        checkpoint, applied = START, 0
        while True:
            async with conn.transaction():
                step = await apply_next(conn, projection, table, checkpoint, until=until, batch_size=batch_size)
            if step is not None:
                checkpoint, applied = step.reached, applied + step.applied
                if progress is not None:
                    progress(applied, checkpoint)
            if step is None or step.read < batch_size:
                break
        for statement in deferred:
            await conn.execute(statement)
    return checkpoint
