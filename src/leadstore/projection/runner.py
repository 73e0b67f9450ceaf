"""Run one projection: exactly-once batches, one active runner per projection, woken by NOTIFY or polling."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time

import asyncpg

from leadstore.projection.base import Projection
from leadstore.store import db
from leadstore.store.db import Conn
from leadstore.store.events import NOTIFY_CHANNEL, START, Checkpoint, read_log

log = logging.getLogger(__name__)

ENSURE_CHECKPOINT = "INSERT INTO checkpoints (name) VALUES ($1) ON CONFLICT (name) DO NOTHING"
LOCK_CHECKPOINT = "SELECT transaction_id, position FROM checkpoints WHERE name = $1 FOR UPDATE"
SAVE_CHECKPOINT = """
UPDATE checkpoints SET transaction_id = $2::xid8, position = $3, updated_at = now() WHERE name = $1"""
READ_CHECKPOINT = "SELECT transaction_id, position FROM checkpoints WHERE name = $1"
TRY_LOCK = "SELECT pg_try_advisory_lock($1)"
TABLE_EXISTS = "SELECT to_regclass($1) IS NOT NULL"
SCHEMA_VERSION = "SELECT schema_version FROM checkpoints WHERE name = $1"
SAVE_SCHEMA_VERSION = "UPDATE checkpoints SET schema_version = $2 WHERE name = $1"


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a reader's name."""
    return int.from_bytes(hashlib.sha256(f"leadstore:{name}".encode()).digest()[:8], "big", signed=True)


async def ensure_table(conn: Conn, projection: Projection, table: str) -> bool:
    """Create the projection's table when it does not exist yet; True when it was created now."""
    if await conn.fetchval(TABLE_EXISTS, table):
        return False
    async with conn.transaction():
        for statement in projection.create_statements(table):
            await conn.execute(statement)
    return True


async def read_checkpoint(conn: Conn, name: str) -> Checkpoint:
    """Where a reader has got to (the start of the log when it has not begun)."""
    row = await conn.fetchrow(READ_CHECKPOINT, name)
    return START if row is None else Checkpoint(row["transaction_id"], row["position"])


class ProjectionRunner:
    """Feeds one projection's live table from the log."""

    def __init__(
        self, pool: asyncpg.Pool, dsn: str, projection: Projection, *, batch_size: int = 1000, poll_seconds: float = 1.0
    ) -> None:
        self.pool = pool
        self.dsn = dsn
        self.projection = projection
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.active = False
        self.schema_current = True  # whether the live table was built by this projection's schema version
        self.built_by = projection.version
        self._told_newer = False
        self.applied = 0
        self.last_batch_at = 0.0
        self._wake = asyncio.Event()

    @property
    def name(self) -> str:
        return self.projection.name

    async def setup(self) -> None:
        """Create the table and the checkpoint row when missing; say when the table's schema is out of date."""
        async with self.pool.acquire() as conn:
            created = await ensure_table(conn, self.projection, self.name)
            await conn.execute(ENSURE_CHECKPOINT, self.name)
            if created:
                await conn.execute(SAVE_SCHEMA_VERSION, self.name, self.projection.version)
            built_by = await conn.fetchval(SCHEMA_VERSION, self.name) or 1
        self.built_by = built_by
        self.schema_current = built_by == self.projection.version
        if built_by > self.projection.version:
            if not self._told_newer:
                log.error(
                    "read model %s was built by schema version %s, newer than this code's %s: this process "
                    "will not write to it (upgrade it)",
                    self.name,
                    built_by,
                    self.projection.version,
                )
            self._told_newer = True
        elif not self.schema_current:
            log.warning(
                "read model %s was built by schema version %s, this code has version %s: the active runner "
                "rebuilds it (or run `leadstore replay --projection %s`)",
                self.name,
                built_by,
                self.projection.version,
                self.name,
            )

    async def _rebuild(self) -> None:
        """The elected runner of a read model built by an older schema (never a newer one) rebuilds it from the
        log and swaps it in (as `leadstore replay` does); the old table keeps serving reads until the swap."""
        from leadstore.projection.swap import ReplayRunning, replay  # swap builds on this module

        log.warning(
            "projection %s: rebuilding the read model for schema version %s", self.name, self.projection.version
        )
        try:
            await replay(self.pool, self.projection)
        except ReplayRunning:
            log.warning("projection %s: a replay is already running; following the log meanwhile", self.name)
            return
        self.schema_current = True
        log.info("projection %s: rebuilt for schema version %s", self.name, self.projection.version)

    async def run_batch(self) -> int:
        """Apply the next batch and advance the checkpoint in one transaction; return events applied."""
        async with self.pool.acquire() as conn, conn.transaction():
            row = await conn.fetchrow(LOCK_CHECKPOINT, self.name)
            assert row is not None, f"checkpoint {self.name} missing: call setup() first"
            events = await read_log(conn, Checkpoint(row["transaction_id"], row["position"]), self.batch_size)
            if not events:
                return 0
            await self.projection.apply(conn, self.name, events)
            last = events[-1].checkpoint
            await conn.execute(SAVE_CHECKPOINT, self.name, last.transaction_id, last.position)
        self.applied += len(events)
        self.last_batch_at = time.time()
        return len(events)

    async def catch_up(self) -> int:
        """Apply batches until the log has nothing committed beyond the checkpoint."""
        total = 0
        while applied := await self.run_batch():
            total += applied
        return total

    def wake(self, *_: object) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Stand by until elected (advisory lock), then follow the log until `stop` is set.

        A lost database connection (a restart, a failover, a terminated backend) drops the lock with it:
        the runner steps down, reconnects and stands for election again instead of dying.
        """
        while not stop.is_set():
            try:
                await self._serve(stop)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("projection %s lost its database connection (%s); reconnecting", self.name, exc)
            newer = self.built_by > self.projection.version  # stepped down: look again now and then, not often
            await wait_or_stop(stop, self.poll_seconds * (30 if newer else 1))

    async def _serve(self, stop: asyncio.Event) -> None:
        conn = await db.connect(self.dsn)
        try:
            await self.setup()
            while not stop.is_set() and not await conn.fetchval(TRY_LOCK, lock_key(self.name)):
                await wait_or_stop(stop, self.poll_seconds * 5)
            if stop.is_set():
                return
            await self.setup()  # again: another process may have rebuilt the table while this one stood by
            if self.built_by > self.projection.version:
                return  # a newer release built it: step down (the lock goes with the connection), try later
            self.active = True
            log.info("projection %s active", self.name)
            if not self.schema_current:
                await self._rebuild()
            await conn.add_listener(NOTIFY_CHANNEL, self.wake)
            while not stop.is_set() and not conn.is_closed():
                try:
                    await self.catch_up()
                except Exception:
                    log.exception("projection %s batch failed; retrying after %ss", self.name, self.poll_seconds)
                self._wake.clear()
                await wait_or_stop(stop, self.poll_seconds, self._wake)
        finally:
            self.active = False
            with contextlib.suppress(Exception):
                await conn.close()


async def wait_or_stop(stop: asyncio.Event, seconds: float, wake: asyncio.Event | None = None) -> None:
    """Sleep up to `seconds`, returning early when `stop` (or `wake`) is set."""
    waiters = [asyncio.ensure_future(stop.wait())]
    if wake is not None:
        waiters.append(asyncio.ensure_future(wake.wait()))
    _, pending = await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    for task in waiters:
        task.cancel()
    for task in pending:
        with contextlib.suppress(asyncio.CancelledError):
            await task
