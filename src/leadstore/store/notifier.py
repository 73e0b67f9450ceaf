"""Wake the log's readers after commits, without a NOTIFY inside every write transaction; and wait for it.

PostgreSQL takes one lock for the notify queue while a notifying transaction commits, so a NOTIFY inside
each write serialises the writers' commits (and their WAL flushes). The lane instead tells a per-process
notifier that something committed; it sends one NOTIFY at a time from its own short transaction, which
covers every write that committed before it. Readers also poll, so a lost wake-up only delays them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg

from leadstore.store.db import CONNECTION_LOST
from leadstore.store.events import NOTIFY_CHANNEL

log = logging.getLogger(__name__)

NOTIFY = f"SELECT pg_notify('{NOTIFY_CHANNEL}', '')"
NOT_SENT: tuple[type[Exception], ...] = (asyncpg.PostgresError, *CONNECTION_LOST)


class Notifier:
    """At most one NOTIFY in flight per process, at most one each `interval` seconds."""

    def __init__(self, pool: asyncpg.Pool, interval: float = 0.002) -> None:
        self.pool = pool
        self.interval = interval
        self._due = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def committed(self) -> None:
        """Something was committed to the log: wake its readers soon."""
        self._due.set()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="leadstore-notifier")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await self._due.wait()
            self._due.clear()
            try:
                async with self.pool.acquire() as conn:
                    await conn.execute(NOTIFY)
            except NOT_SENT as exc:
                log.debug("could not wake the log's readers (they poll): %s", type(exc).__name__)
            await asyncio.sleep(self.interval)


async def wait_or_stop(stop: asyncio.Event, seconds: float, wake: asyncio.Event | None = None) -> None:
    """Sleep up to `seconds`, returning early when `stop` (or `wake`: a notification) is set."""
    waiters = [asyncio.ensure_future(stop.wait())]
    if wake is not None:
        waiters.append(asyncio.ensure_future(wake.wait()))
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in waiters:
            task.cancel()
        # gather, not `suppress(CancelledError)` around each: that would also swallow a cancellation of the
        # caller that arrived meanwhile, and a cancelled reader would go on running
        await asyncio.gather(*waiters, return_exceptions=True)
