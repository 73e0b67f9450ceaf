"""Replay a projection into a fresh table and swap it in atomically while the live table keeps serving."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg

from leadstore.projection.base import Projection
from leadstore.projection.rebuild import DROP_TABLE, Progress, Until, catch_up_table, rebuild_into
from leadstore.store import checkpoints
from leadstore.store.db import Conn
from leadstore.store.events import Checkpoint

TABLE_EXISTS = "SELECT to_regclass(quote_ident($1)) IS NOT NULL"
LEFTOVERS = r"""
SELECT tablename FROM pg_tables
WHERE schemaname = current_schema() AND (tablename LIKE $1 || '\_rebuild\_%' OR tablename LIKE $1 || '\_old\_%')"""
INDEXES = "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1"
RENAME_TABLE = 'ALTER TABLE "{old}" RENAME TO "{new}"'
RENAME_INDEX = 'ALTER INDEX "{old}" RENAME TO "{new}"'
# The swap waits this long for queries on the live table (and the runner's batch) before it retries.
SWAP_LOCK_TIMEOUT = "SET LOCAL lock_timeout = '5s'"
SWAP_ATTEMPTS = 5


class ReplayRunning(RuntimeError):
    """Another replay of the same projection holds its lock."""


def new_suffix() -> str:
    """A short random suffix for side tables (`<name>_rebuild_<suffix>`, `<name>_asof_<suffix>`)."""
    return uuid.uuid4().hex[:8]


async def replay(
    pool: asyncpg.Pool, projection: Projection, *, batch_size: int = 5000, progress: Progress | None = None
) -> Checkpoint:
    """Rebuild `projection` from position zero and swap it in; return the checkpoint the live table now has.

    Safe to interrupt and rerun: a rerun drops what an interrupted one left behind and starts over.
    """
    async with pool.acquire() as guard:
        lead = f"replay:{projection.name}"
        if not await checkpoints.try_lead(guard, lead):
            raise ReplayRunning(f"a replay of {projection.name} is already running")
        try:
            await drop_leftovers(guard, projection.name)
            table = f"{projection.name}_rebuild_{new_suffix()}"
            built = await rebuild_into(pool, projection, table, batch_size=batch_size, progress=progress)
            return await swap_in(pool, projection, table, built, batch_size=batch_size)
        finally:
            await checkpoints.step_down(guard, lead)


async def build_as_of(
    pool: asyncpg.Pool,
    projection: Projection,
    until: Until,
    *,
    batch_size: int = 5000,
    progress: Progress | None = None,
) -> str:
    """Build `<name>_asof_<suffix>`: the read model as of `until`, beside the live one; return its name."""
    table = f"{projection.name}_asof_{new_suffix()}"
    await rebuild_into(pool, projection, table, until=until, batch_size=batch_size, progress=progress)
    return table


async def drop_leftovers(conn: Conn, name: str) -> list[str]:
    """Drop the rebuild and old tables an interrupted replay of `name` left behind."""
    pattern = name.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%")
    dropped = [r["tablename"] for r in await conn.fetch(LEFTOVERS, pattern)]
    for table in dropped:
        await conn.execute(DROP_TABLE.format(table=table))
    return dropped


async def swap_in(
    pool: asyncpg.Pool, projection: Projection, table: str, built: Checkpoint, *, batch_size: int = 5000
) -> Checkpoint:
    """Make `table` (built up to `built`) the live table, retrying when the live table is busy."""
    for attempt in range(1, SWAP_ATTEMPTS + 1):
        try:
            old, applied = await _swap_once(pool, projection, table, built, batch_size)
        except (asyncpg.LockNotAvailableError, asyncpg.DeadlockDetectedError):
            # busy past lock_timeout, or a session that held the live table waited for the checkpoint this
            # transaction holds and PostgreSQL ended this one: it wrote nothing, so it can simply run again
            if attempt == SWAP_ATTEMPTS:
                raise
            await asyncio.sleep(attempt)
            continue
        async with pool.acquire() as conn:
            await conn.execute(DROP_TABLE.format(table=old))
        return applied
    raise AssertionError("unreachable")


async def _swap_once(
    pool: asyncpg.Pool, projection: Projection, table: str, built: Checkpoint, batch_size: int
) -> tuple[str, Checkpoint]:
    """One transaction: hold the live checkpoint (pausing its runner between batches), catch `table` up to
    it, rename live -> old and `table` -> live, and give the live checkpoint what `table` has applied."""
    live, old = projection.name, f"{projection.name}_old_{new_suffix()}"
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(SWAP_LOCK_TIMEOUT)
        await checkpoints.ensure(conn, live)
        current = await checkpoints.lock(conn, live)
        applied = await catch_up_table(conn, projection, table, built, until=current, batch_size=batch_size)
        applied = max(applied, current)
        if await conn.fetchval(TABLE_EXISTS, live):
            await rename_table(conn, live, old)
        await rename_table(conn, table, live)
        await checkpoints.save(conn, live, applied)
        await checkpoints.save_schema_version(conn, live, projection.version)
    return old, applied


async def rename_table(conn: Conn, old: str, new: str) -> None:
    """Rename a table and the indexes named after it (`<old>_x` becomes `<new>_x`)."""
    for index in [r["indexname"] for r in await conn.fetch(INDEXES, old)]:
        if index.startswith(f"{old}_"):
            await conn.execute(RENAME_INDEX.format(old=index, new=new + index[len(old) :]))
    await conn.execute(RENAME_TABLE.format(old=old, new=new))
