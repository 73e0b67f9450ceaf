"""Run one projection: exactly-once batches, one active runner per projection (it holds the projection's
lease), woken by NOTIFY or polling."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import asyncpg

from leadstore.leadership import Lease, LeaseLost
from leadstore.projection.base import Projection
from leadstore.projection.swap import ReplayRunning, replay
from leadstore.store import checkpoints, db
from leadstore.store.db import Conn
from leadstore.store.events import NOTIFY_CHANNEL, read_log
from leadstore.store.notifier import wait_or_stop

log = logging.getLogger(__name__)

TABLE_EXISTS = "SELECT to_regclass($1) IS NOT NULL"


async def ensure_table(conn: Conn, projection: Projection, table: str) -> bool:
    """Create the projection's table when it does not exist yet; True when it was created now."""
    if await conn.fetchval(TABLE_EXISTS, table):
        return False
    async with conn.transaction():
        for statement in projection.create_statements(table):
            await conn.execute(statement)
    return True


class ProjectionRunner:
    """Feeds one projection's live table from the log."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        dsn: str,
        projection: Projection,
        *,
        batch_size: int = 1000,
        poll_seconds: float = 1.0,
        lease_seconds: float = 10.0,
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
        self.lease = Lease(dsn, projection.name, lease_seconds, on_lost=self.wake)

    @property
    def name(self) -> str:
        return self.projection.name

    async def setup(self) -> None:
        """Create the table and the checkpoint row when missing; say when the table's schema is out of date."""
        async with self.pool.acquire() as conn:
            created = await ensure_table(conn, self.projection, self.name)
            await checkpoints.ensure(conn, self.name)
            if created:
                await checkpoints.save_schema_version(conn, self.name, self.projection.version)
            built_by = await checkpoints.schema_version(conn, self.name) or 1
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

    async def run_batch(self, conn: Conn | None = None, lease: Lease | None = None) -> int:
        """Apply the next batch and advance the checkpoint in one transaction; return events applied.

        On `conn` (else a pooled connection); with `lease`, the save is fenced by it, and a lost lease rolls
        the whole batch back (LeaseLost).
        """
        if conn is None:
            async with self.pool.acquire() as pooled:
                return await self.run_batch(pooled, lease)
        async with conn.transaction():
            if lease is not None:
                lease.check()
            events = await read_log(conn, await checkpoints.lock(conn, self.name), self.batch_size)
            if not events:
                return 0
            await self.projection.apply(conn, self.name, events)
            if lease is None:
                await checkpoints.save(conn, self.name, events[-1].checkpoint)
            else:
                await lease.save(conn, events[-1].checkpoint)
        self.applied += len(events)
        self.last_batch_at = time.time()
        return len(events)

    async def catch_up(self, conn: Conn | None = None, lease: Lease | None = None) -> int:
        """Apply batches until the log has nothing committed beyond the checkpoint."""
        total = 0
        while applied := await self.run_batch(conn, lease):
            total += applied
        return total

    def wake(self, *_: object) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Stand by until elected (the projection's lease), then follow the log until `stop` is set.

        A lost lease (taken over while this process was frozen or cut off), a lost database connection (a
        restart, a failover, a terminated backend) or any other failure (logged with its traceback): the runner
        steps down, reconnects and stands again.
        """
        while not stop.is_set():
            try:
                await self._serve(stop)
            except LeaseLost as exc:
                log.warning("projection %s stood down (%s); standing by", self.name, exc)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("projection %s lost its database connection (%s); reconnecting", self.name, exc)
            except Exception:  # a bug (in a rebuild, say) must not end the task, which nothing awaits until close
                log.exception("projection %s failed; standing by again", self.name)
            newer = self.built_by > self.projection.version  # stepped down: look again now and then, not often
            await wait_or_stop(stop, self.poll_seconds * (30 if newer else 1))

    async def _serve(self, stop: asyncio.Event) -> None:
        conn = await db.connect(self.dsn)  # the batches run on it: the session a successor ends
        try:
            await self.setup()
            async with self.lease.term(stop, conn) as elected:
                if elected:
                    await self._lead(stop, conn)
        finally:
            self.active = False
            with contextlib.suppress(Exception):
                await conn.close()

    async def _lead(self, stop: asyncio.Event, conn: asyncpg.Connection) -> None:
        await self.setup()  # again: another process may have rebuilt the table while this one stood by
        if self.built_by > self.projection.version:
            return  # a newer release built it: step down (releasing the lease), try later
        self.active = True
        log.info("projection %s active", self.name)
        if not self.schema_current:
            await self._rebuild()
        await conn.add_listener(NOTIFY_CHANNEL, self.wake)
        while not stop.is_set():
            self.lease.check()  # lapsed while it waited (frozen, cut off): stand down
            if conn.is_closed():
                raise ConnectionError("its database connection was closed")
            self._wake.clear()  # before the batch: a commit notified while it runs wakes the next one
            try:
                await self.catch_up(conn, self.lease)
            except Exception as exc:
                self.lease.check(exc)  # lapsed during the batch: that is why it failed
                if isinstance(exc, LeaseLost | OSError | asyncpg.InterfaceError):
                    raise
                log.exception("projection %s batch failed; retrying after %ss", self.name, self.poll_seconds)
            await wait_or_stop(stop, self.poll_seconds, self._wake)
